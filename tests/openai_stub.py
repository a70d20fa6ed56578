"""A local OpenAI-compatible chat server returning fixed completions, for integration tests.

The behaviour is chosen by the requested model name:
  good      quotes the first sentence of the first measure in the prompt, with its citation
  uncited   answers without any citation
  wrong     cites a measure that was not given
  invented  cites a given measure for a sentence the measure does not contain
  slow      sleeps longer than the client's timeout
  fail      returns HTTP 500
  garbage   returns a body that is not JSON
  rewrite   echoes a fixed standalone question (for history-aware rewriting)
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
    first_sentence = re.split(r"(?<=[。；])", first_text)[0]
    if model == "good":
        return f"{first_sentence}【第{first_number}项】"
    if model == "uncited":
        return "这项工作由有关部门负责推进。"
    if model == "wrong":
        return f"{first_sentence}【第{(int(first_number) % 110) + 1 if len(given) == 1 else 999}项】"
    if model == "invented":
        return f"{first_sentence}【第{first_number}项】\n宁夏将在2030年前取消全部行政审批。【第{first_number}项】"
    if model == "rewrite":
        return "第69项的牵头单位是谁？"
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
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    @property
    def requests(self) -> list:
        return self.server.requests

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
