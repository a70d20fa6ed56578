"""A local OpenAI-compatible chat server returning fixed completions, for integration tests.

The behaviour is chosen by the requested model name:
  good      quotes the first two sentences of the first measure in the prompt, with citations
  uncited   answers without any citation
  wrong     cites a measure that was not given
  invented  cites a given measure for a sentence the measure does not contain
  slow      sleeps longer than the client's timeout
  fail      returns HTTP 500
  garbage   returns a body that is not JSON
  rewrite   echoes a fixed standalone question (for history-aware rewriting)
  wrongdate, negated, wronglead, english_false
            the first sentence of measure 69 with one fact altered (date, negation, lead
            unit, an English false claim), after a correct sentence
  fabricated  a correct sentence, then one citing a measure that does not exist
  markup    a correct sentence carrying a Markdown image, an HTML script and a link
  script    correct sentences carrying HTML in forms a single tag filter misses (nested,
            entity-encoded, unclosed, over-long attributes)
  phish_en  a correct sentence, then English text with bare addresses (a domain with a path,
            www., an e-mail, an IP) and a Markdown reference link
  drip      sends the response one byte per second (each read is quick, the answer never ends)
  hang      accepts the request and never answers
Requests that are cut off are counted: ``open_requests`` is how many drip/hang responses are
still being held open (the client's cancellation closes them).
"""
from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _completion_text(model: str, prompt: str) -> str:
    given = re.findall(r"【第(\d+)项】([^【\n]+)", prompt)
    first_number, first_text = (given[0] if given else ("1", "无"))
    sentences = [x for x in re.split(r"(?<=[。；])", first_text) if x.strip()]
    first_sentence = sentences[0]
    if model == "good":
        return "".join(f"{x}【第{first_number}项】" for x in sentences[:2])
    if model == "uncited":
        return "这项工作由有关部门负责推进。"
    if model == "wrong":
        return f"{first_sentence}【第{(int(first_number) % 110) + 1 if len(given) == 1 else 999}项】"
    if model == "invented":
        return f"{first_sentence}【第{first_number}项】\n宁夏将在2030年前取消全部行政审批。【第{first_number}项】"
    if model == "rewrite":
        return "第69项的牵头单位是谁？"
    good = f"{first_sentence}【第{first_number}项】"
    altered = {
        "wrongdate": f"2025年12月前县级以上各级政府建立行政复议委员会【第{first_number}项】",
        "negated": f"县级以上各级政府不需要建立行政复议委员会【第{first_number}项】",
        "wronglead": f"建立行政复议委员会由自治区财政厅牵头【第{first_number}项】",
        "english_false": f"The reconsideration committees need not be set up before the end of 2025.【第{first_number}项】",
        "fabricated": "各级政府还要建立行政复议专家库。【第200项】",
    }
    if model in altered:
        return f"{good}\n{altered[model]}"
    if model == "script":
        return (f"<scr<script>ipt>alert(1)</script>{first_sentence}【第{first_number}项】\n"
                f"&lt;script&gt;alert(2)&lt;/script&gt;{first_sentence}<img src=x onerror=alert(3)>"
                f"【第{first_number}项】\n<script src='{'a' * 300}'>{first_sentence}【第{first_number}项】")
    if model == "phish_en":
        return (f"{first_sentence}【第{first_number}项】\n"
                f"For the full text, sign in at phish.example/login?next=plan or www.phish-example.com "
                f"and confirm with help@phish.example or 203.0.113.7/verify.【第{first_number}项】\n"
                f"See [the official notice][1] for details.【第{first_number}项】\n"
                f"[1]: https://phish.example/notice")
    if model == "markup":
        return (f"![x](http://127.0.0.1:9/x.png){first_sentence}<script>alert(1)</script>"
                f"[详情](http://phish.example/login)【第{first_number}项】")
    return "好的"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.requests.append(body)
        model = body.get("model", "good")
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        if model == "slow":
            time.sleep(3)
        if model in ("drip", "hang"):
            self._hold(model, bool(body.get("stream")))
            return
        if model == "fail":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b'{"error": {"message": "boom"}}')
            return
        if model == "garbage":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"<html>not json</html>")
            return
        text = _completion_text(model, prompt)
        if body.get("stream"):
            self._stream(model, text)
            return
        payload = {
            "id": "stub", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _hold(self, model: str, stream: bool = False):
        """drip: headers, then one byte a second; hang: nothing at all. Either ends when the
        client goes away, the server stops, or after a minute."""
        with self.server.lock:
            self.server.open_requests += 1
        try:
            if model == "drip":
                self.send_response(200)
                if stream:
                    self.send_header("Content-Type", "text/event-stream")
                else:
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "100000")
                self.end_headers()
                self.wfile.flush()
            for _ in range(60):
                if model == "drip":
                    self.wfile.write(b" ")
                    self.wfile.flush()
                elif self._client_gone():
                    return
                if self.server.stopping.wait(1.0):
                    return
        except OSError:           # the client cancelled: the connection is closed
            return
        finally:
            with self.server.lock:
                self.server.open_requests -= 1

    def _client_gone(self) -> bool:
        import select
        import socket
        readable, _, _ = select.select([self.connection], [], [], 0)
        if not readable:
            return False
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _stream(self, model: str, text: str):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for i in range(0, len(text), 4):
            chunk = {"id": "stub", "object": "chat.completion.chunk", "created": 0, "model": model,
                     "choices": [{"index": 0, "delta": {"content": text[i:i + 4]}, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")


class StubServer:
    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.requests = []
        self.server.lock = threading.Lock()
        self.server.open_requests = 0
        self.server.stopping = threading.Event()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    @property
    def requests(self) -> list:
        return self.server.requests

    @property
    def open_requests(self) -> int:
        return self.server.open_requests

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.stopping.set()
        self.server.shutdown()
        self.server.server_close()
