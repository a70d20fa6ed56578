"""Serving: security defaults, no outbound connections, lazy imports, and the speed-ups that
must not change an answer (each test well under 30 s; start-up time and throughput are measured
by ``python -m benchmarks.load_test``, not asserted here).

- bound to a non-loopback address the server needs ASSISTANT_ACCESS_TOKEN (it refuses to start
  without one) and every request needs the token;
- while answering it opens no connection to a non-loopback address (checked in /proc and by a
  Python audit hook inside the server process);
- no response names the configuration (paths, addresses); request bodies are limited;
- importing ``assistant.service`` imports neither LangChain nor sentence-transformers, and an
  answer needs neither (nor scikit-learn);
- the lean encoder, the lean tokenizer and the portable classifier give bit-identical results
  to sentence-transformers, tokenizers and scikit-learn.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi import FastAPI, Request

from assistant import http_api
from assistant.config import PROJECT_ROOT
from tests.conftest import free_port

TOKEN = "test-token-0123456789abcdefXYZ"
CJK_REFUSAL = "拒绝启动"


# ------------------------------------------------------------ helpers
def _env(settings, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update({"ASSISTANT_INDEX_DIR": str(settings.index_dir), "ASSISTANT_DATA_DIR": str(settings.data_dir),
                "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stdout.read() if process.stdout else ''}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


def _wait_for_web_app(url: str, process: subprocess.Popen, token: str | None = None, timeout: float = 60) -> dict:
    """The APIs listen first and the web app is mounted a few seconds later: wait for it."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited")
        try:
            health = httpx.get(f"{url}/api/health", headers=headers, timeout=5).json()
            if health.get("web_app") == "ready":
                return health
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.1)
    raise TimeoutError("the web app did not become ready")


def _loopback(address: str) -> bool:
    return address in ("", "0.0.0.0", "::") or http_api.is_loopback(address) or address.startswith("::ffff:127.")


def _hex_address(text: str) -> tuple[str, int]:
    """An address of /proc/net/{tcp,udp}[6]: little-endian hex words, then the port."""
    host, port = text.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1]), int(port, 16)
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words), int(port, 16)


def outbound_connections(pid: int) -> list[str]:
    """The process's TCP/UDP sockets whose remote end is not on this machine."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[9] not in inodes:
                continue
            remote, port = _hex_address(fields[2])
            if port and not _loopback(remote):
                found.append(f"{table} {remote}:{port}")
    return found


# An audit hook in the server process (sitecustomize on PYTHONPATH) records every attempt to
# resolve or reach a host that is not loopback, from any Python code, even a refused one.
AUDIT_HOOK = textwrap.dedent('''
    import os, sys
    _log = os.environ.get("NET_AUDIT_LOG")
    _local = ("", "localhost", "127.0.0.1", "::1", "0.0.0.0", "::", None)

    def _host(value):
        if isinstance(value, tuple) and value:
            return value[0]
        return value

    def _hook(event, args):
        if not _log:
            return
        host = None
        if event in ("socket.connect", "socket.sendto") and len(args) > 1:
            host = _host(args[1]) if event == "socket.connect" else _host(args[-1])
        elif event == "socket.getaddrinfo" and args:
            host = args[0]
        else:
            return
        if isinstance(host, bytes):
            host = host.decode("latin-1")
        if isinstance(host, str) and (host in _local or host.startswith("127.") or host.startswith("/")):
            return
        if host is None or host in _local:
            return
        with open(_log, "a") as f:
            f.write(f"{event} {host!r}\\n")

    sys.addaudithook(_hook)
''')


@pytest.fixture(scope="module")
def public_server(assistant, settings, tmp_path_factory):
    """`python -m assistant serve --host 0.0.0.0` with a token, in a subprocess; a thread samples
    its sockets from the start; the audit log records every non-loopback attempt."""
    hooks = tmp_path_factory.mktemp("hooks")
    (hooks / "sitecustomize.py").write_text(AUDIT_HOOK, encoding="utf-8")
    audit_log = hooks / "net-audit.log"
    port = free_port()
    env = _env(settings, ASSISTANT_ACCESS_TOKEN=TOKEN, NET_AUDIT_LOG=str(audit_log),
               PYTHONPATH=os.pathsep.join([str(hooks), str(PROJECT_ROOT)]))
    for name in ("HF_HUB_OFFLINE", "GRADIO_ANALYTICS_ENABLED", "ANONYMIZED_TELEMETRY", "TRANSFORMERS_OFFLINE"):
        env.pop(name, None)          # the server must set these itself
    process = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--host", "0.0.0.0", "--port", str(port)],
                               cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: list[str] = []
    stop = threading.Event()

    def sample():
        while not stop.is_set() and process.poll() is None:
            try:
                seen.extend(outbound_connections(process.pid))
            except OSError:
                pass
            time.sleep(0.01)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        _wait_for_port(port, process, timeout=90)
        _wait_for_web_app(f"http://127.0.0.1:{port}", process, TOKEN)
        yield {"url": f"http://127.0.0.1:{port}", "process": process, "seen": seen, "audit": audit_log}
    finally:
        stop.set()
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


# ------------------------------------------------------------ security defaults
@pytest.mark.parametrize("host,token,ok", [
    ("127.0.0.1", "", True), ("localhost", "", True), ("::1", "", True), ("127.0.0.2", "", True),
    ("0.0.0.0", "", False), ("192.168.1.5", "", False), ("::", "", False), ("example.org", "", False),
    ("0.0.0.0", TOKEN, True), ("0.0.0.0", "short", False), ("0.0.0.0", "has space and ;cookie=breaking", False),
])
def test_check_access(host, token, ok):
    if ok:
        http_api.check_access(host, token)
    else:
        with pytest.raises(http_api.AccessError) as refusal:
            http_api.check_access(host, token)
        assert CJK_REFUSAL in str(refusal.value) and "ASSISTANT_ACCESS_TOKEN" in str(refusal.value)


def test_refuses_to_start_on_all_interfaces_without_a_token(settings):
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "assistant", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
                         cwd=PROJECT_ROOT, env=_env(settings), capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert CJK_REFUSAL in out.stderr and "ASSISTANT_ACCESS_TOKEN" in out.stderr, out.stderr[-500:]
    assert "正在加载" not in out.stdout               # refused before loading anything
    assert time.perf_counter() - started < 30


def test_launch_refuses_too(assistant):
    from assistant.app import build_app, launch
    with pytest.raises(http_api.AccessError):
        launch(build_app(assistant), "0.0.0.0", free_port(), block=False, quiet=True, assistant=assistant,
               access_token="")


def test_token_required_when_bound_to_all_interfaces(public_server):
    url = public_server["url"]
    with httpx.Client(base_url=url, timeout=60, follow_redirects=False) as client:
        for method, path, body in [("GET", "/api/health", None), ("POST", "/api/ask", {"question": "审计厅要做什么"}),
                                   ("GET", "/v1/models", None), ("POST", "/gradio_api/call/ask", {"data": ["第38项"]})]:
            response = client.request(method, path, json=body)
            assert response.status_code == 401, (path, response.status_code)
            assert "访问令牌" in response.json()["error"]["message"]
            wrong = client.request(method, path, json=body, headers={"Authorization": "Bearer wrong-token-0123456789"})
            assert wrong.status_code == 401
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert client.get("/api/health", headers=bearer).status_code == 200
        answer = client.post("/api/ask", json={"question": "行政复议委员会什么时候建立"}, headers=bearer)
        assert answer.status_code == 200 and answer.json()["citations"][0] == 69
        # the web page: a Chinese page asking for the token, then ?token= once sets a cookie
        page = client.get("/")
        assert page.status_code == 401 and "访问令牌" in page.text
        assert client.get("/?token=wrong-token-0123456789").status_code == 401
        entry = client.get(f"/?token={TOKEN}&lang=zh")
        assert entry.status_code == 303 and entry.headers["location"] == "/?lang=zh"
        cookie = entry.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    with httpx.Client(base_url=url, timeout=60, cookies={"assistant_token": TOKEN}) as browser:
        page = browser.get("/")
        assert page.status_code == 200 and "<html" in page.text.lower()
        assert browser.get("/config").status_code == 200


def test_no_configuration_in_responses(public_server, settings):
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    secrets = [str(PROJECT_ROOT), str(settings.index_dir), str(settings.data_dir), str(settings.model_cache_dir),
               str(settings.corpus_path), TOKEN]
    with httpx.Client(base_url=public_server["url"], timeout=60, headers=bearer) as client:
        texts = [client.get("/api/health").text, client.get("/v1/models").text,
                 client.post("/api/ask", json={"question": "审计厅要做什么"}).text,
                 client.post("/api/ask", json={"question": ""}).text,
                 client.post("/api/ask", content=b"{").text, client.get("/api/measures/999").text,
                 client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "第38项"}]}).text,
                 client.get("/config").text]
    for text in texts:
        for secret in secrets:
            assert secret not in text


def test_request_bodies_are_limited(public_server):
    bearer = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    big = b'{"question": "' + b"a" * (5 * 1024 * 1024) + b'"}'
    with httpx.Client(base_url=public_server["url"], timeout=60, headers=bearer) as client:
        for path in ("/api/ask", "/v1/chat/completions", "/gradio_api/call/ask", "/gradio_api/queue/join"):
            response = client.post(path, content=big)
            assert response.status_code == 413, path
            assert "过大" in response.json()["error"]["message"]

        def chunks():                               # no Content-Length: counted as it arrives
            for _ in range(80):
                yield b"a" * 65536
        assert client.post("/api/ask", content=chunks()).status_code == 413


def test_no_outbound_connections_while_answering(public_server):
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    questions = ["行政复议委员会什么时候建立", "审计厅要做什么", "2022年底前要完成哪些任务", "护照怎么办理",
                 "What must the audit office do?", "第七部分讲什么"]
    with httpx.Client(base_url=public_server["url"], timeout=60, headers=bearer) as client:
        for question in questions:
            assert client.post("/api/ask", json={"question": question}).status_code == 200
            assert client.post("/v1/chat/completions", json={
                "messages": [{"role": "user", "content": question}]}).status_code == 200
            event = client.post("/gradio_api/call/ask", json={"data": [question]}).json()["event_id"]
            assert "event: complete" in client.get(f"/gradio_api/call/ask/{event}").text
        client.get("/")
        client.get("/config")
    time.sleep(0.5)
    assert public_server["process"].poll() is None
    assert public_server["seen"] == []
    audit = public_server["audit"].read_text() if public_server["audit"].exists() else ""
    assert audit == "", audit


# ------------------------------------------------------------ the guard in process
def _guarded(token=None, limit=1024):
    app = FastAPI()

    @app.post("/api/echo")
    async def echo(request: Request):
        return {"size": len(await request.body())}

    @app.get("/")
    async def page():
        return {"page": True}
    return http_api.Guard(app, token, limit)


def test_guard_without_token_only_limits_bodies():
    from fastapi.testclient import TestClient
    with TestClient(_guarded(None, 1024), follow_redirects=False) as client:
        assert client.post("/api/echo", content=b"x" * 1024).json() == {"size": 1024}
        assert client.post("/api/echo", content=b"x" * 1025).status_code == 413
        assert client.get("/").status_code == 200


def test_guard_cookie_flow():
    from fastapi.testclient import TestClient
    with TestClient(_guarded(TOKEN), follow_redirects=False) as client:
        assert client.get("/").status_code == 401
        entry = client.get(f"/?token={TOKEN}")
        assert entry.status_code == 303 and entry.headers["location"] == "/"
        client.cookies.set("assistant_token", TOKEN)
        assert client.get("/").status_code == 200
        client.cookies.clear()
        assert client.post(f"/api/echo?token={TOKEN}", content=b"x").status_code == 401   # only GET pages
        assert client.post("/api/echo", content=b"x", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


# ------------------------------------------------------------ lazy imports
def test_importing_the_service_imports_no_langchain():
    code = ("import sys, json; import assistant.service, assistant.embeddings, assistant.retrieval; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('langchain', 'langchain_core', 'langsmith', 'sentence_transformers', 'transformers', 'sklearn', 'torch'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_answering_needs_no_langchain_sentence_transformers_or_sklearn(assistant, settings):
    code = textwrap.dedent("""
        import sys, json
        from assistant.service import Assistant
        assistant = Assistant(progress=False)
        for question in ["行政复议委员会什么时候建立", "审计厅要做什么", "护照怎么办理", "第38项", "行政服议委员会谁牵头"]:
            assert assistant.ask(question).answer
        heavy = ("langchain", "langchain_core", "langsmith", "sentence_transformers", "transformers", "sklearn",
                 "pypinyin")
        print(json.dumps(sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in heavy})))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=_env(settings), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


# ------------------------------------------------------------ speed-ups that change no answer
def test_homophone_index_from_disk_equals_a_fresh_build(assistant, tmp_path):
    """The typo-repair index is kept on disk: what is read back repairs exactly as a fresh build;
    a damaged file is rebuilt; a folder that cannot be written only costs the build."""
    from assistant import homophones
    from assistant.slots import homophone_index
    cached = homophone_index(assistant.plan)
    words, corpus = [w for ws in cached.by_sound.values() for w in ws], cached.corpus
    fresh = homophones.HomophoneIndex.build(words, corpus)
    assert fresh.by_sound.keys() == cached.by_sound.keys() and fresh.char_sounds == cached.char_sounds
    for typo, meant in [("行政服议委员会", "行政复议委员会"), ("司发厅要做什么", "司法厅要做什么"), ("法工未", "法工委")]:
        assert cached.correct(typo) == fresh.correct(typo) == meant

    builds = []

    def build():
        builds.append(1)
        return homophones.HomophoneIndex.build(words, corpus)
    first = homophones.load_or_build("k1", build, tmp_path)
    again = homophones.load_or_build("k1", build, tmp_path)
    assert len(builds) == 1 and again.by_sound == first.by_sound
    (tmp_path / "homophones-k1.pkl").write_bytes(b"not a pickle")
    assert homophones.load_or_build("k1", build, tmp_path).by_sound == first.by_sound and len(builds) == 2
    assert homophones.load_or_build("k1", build, tmp_path / "missing" / "file-not-dir").by_sound
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the folder should be")
    assert homophones.load_or_build("k2", build, blocker / "cache").by_sound and len(builds) == 4


SAMPLES = ["行政复议委员会什么时候建立", "审计厅要做什么？", "２０２２年底前要完成哪些任务", "  多个   空格\t制表符 ",
           "What must the audit office do by 2022?", "🙂🙂 emoji 😀 生僻字𠀀𪚥", "é é ñ ü ß ﬁ Ⅻ ①②", "x" * 2000,
           "Что должен делать департамент?", "<s>特殊</s> <mask>", "ｃａｆｅ\u0301 naïve", "\u200b零宽\ufeff", "a"]


def test_lean_encoder_is_bit_identical_to_sentence_transformers(assistant):
    embedder = assistant.embedder
    if embedder._lean is None:
        pytest.skip("the model folder is not one the lean encoder serves")
    for text in SAMPLES[:7] + ["行政复议" * 130]:           # the last one is truncated at 512 tokens
        lean = embedder._lean.embed(embedder.prompts["query"] + text)
        reference = embedder._embed([text], "query", 1)[0]
        assert np.array_equal(lean, reference), text


def test_lean_tokenizer_is_identical_to_tokenizers(assistant):
    from tokenizers import Tokenizer

    from assistant.embeddings import LeanTokenizer
    lean = assistant.embedder._lean
    if lean is None or not isinstance(lean.tokenizer, LeanTokenizer):
        pytest.skip("no token table for this model folder")
    exact = Tokenizer.from_file(str(lean.tokenizer.folder / "tokenizer.json"))
    exact.no_padding()
    exact.enable_truncation(lean.max_seq_length)
    plan = (PROJECT_ROOT / "corpus" / "ningxia-rule-of-law-government-plan-2021-2025.txt").read_text(encoding="utf-8")
    texts = SAMPLES + plan.splitlines() + [plan[i:i + 400] for i in range(0, len(plan), 997)]
    texts += ["".join(chr(c) for c in range(start, start + 60)) for start in range(0x20, 0x30000, 1531)
              if not any(0xD800 <= c <= 0xDFFF for c in range(start, start + 60))]
    for text in texts:
        assert lean.tokenizer.encode(text) == exact.encode(text).ids, text[:40]


def test_portable_classifier_is_bit_identical_to_sklearn(assistant):
    from assistant.slots import link
    gold = [json.loads(line)["question"] for line in
            (PROJECT_ROOT / "evals" / "gold.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = gold[::20] + SAMPLES
    linked = {q: link(q, assistant.plan, assistant.tokenizer).indicators() for q in questions}
    for name, model in assistant.answer_types.items():
        if model._portable is None:
            pytest.skip(f"{name}: not portable (scikit-learn answers)")
        for question in questions:
            indicators = linked[question] if model.slot_keys else None
            vector = model._vector(question)
            expected = model.model.predict_proba(model._features(
                [question], None if vector is None else vector.reshape(1, -1),
                None if indicators is None else [indicators]))[0]
            assert np.array_equal(model._portable.proba(question, vector, indicators), expected), question


def test_repeated_questions_come_from_the_caches(assistant):
    first = assistant.ask("执法人员每年要培训多少学时")
    hits = assistant.embedder._queries.hits
    again = assistant.ask("执法人员每年要培训多少学时")
    assert (again.answer, again.citations) == (first.answer, first.citations)
    assert assistant.embedder._queries.hits > hits
    vector = assistant.embedder.embed_queries(["执法人员每年要培训多少学时"])
    with pytest.raises(ValueError):
        vector[0, 0] = 1.0                       # shared by every caller: read-only


# ------------------------------------------------------------ the served app in process
def test_answer_threads_are_sized_for_the_cores(assistant):
    app = http_api.create_app(assistant)
    assert app.state.answer_pool._max_workers == assistant.settings.workers == http_api.CONCURRENCY


def test_gradio_api_sessions_are_forgotten(assistant):
    from assistant.app import build_app, launch
    demo = build_app(assistant)
    serving = launch(demo, "127.0.0.1", free_port(), block=False, quiet=True, assistant=assistant)
    try:
        with httpx.Client(base_url=serving.url, timeout=60) as client:
            for question in ["第38项", "审计厅要做什么"] * 5:
                event = client.post("/gradio_api/call/ask", json={"data": [question]}).json()["event_id"]
                assert "event: complete" in client.get(f"/gradio_api/call/ask/{event}").text
        deadline = time.monotonic() + 10
        while demo._queue.pending_messages_per_session and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not demo._queue.pending_messages_per_session
        assert not demo.state_holder.session_data
    finally:
        serving.close()


# ------------------------------------------------------------ staged start
def test_staged_app_answers_the_apis_before_the_web_app_is_mounted():
    """`serve` listens with the APIs first; until the web app is built every other path gets a
    Chinese "starting" page (503, refreshing itself), then everything goes to the whole app."""
    from starlette.testclient import TestClient
    api = FastAPI()

    @api.get("/api/health")
    async def health(request: Request):
        return {"web_app": request.app.state.web_app}

    staged = http_api.StagedApp(api)
    client = TestClient(staged)
    assert client.get("/api/health").json() == {"web_app": "starting"}
    page = client.get("/")
    assert page.status_code == 503 and "正在启动" in page.text and page.headers["retry-after"]
    assert client.get("/gradio_api/info").status_code == 503

    whole = FastAPI()
    whole.mount("/api", api)

    @whole.get("/")
    async def index():
        return {"page": True}

    staged.ui_built(whole)
    assert client.get("/").json() == {"page": True}
    assert TestClient(api).get("/api/health").json() == {"web_app": "ready"}


def test_serve_starts_the_apis_before_the_web_app(public_server):
    """The real server's log: the APIs were ready before the web app, each with its time."""
    process = public_server["process"]
    lines = []
    while len(lines) < 20:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "网页界面已就绪" in line:
            break
    text = "".join(lines)
    assert text.index("接口已就绪") < text.index("网页界面已就绪"), text
