"""The command line contract, run as real subprocesses against a test index."""
import json
import os
import subprocess
import sys

import pytest

from assistant.config import PROJECT_ROOT


@pytest.fixture(scope="module")
def env(assistant, settings):
    # `assistant` builds the test index first, so the CLI reuses it
    return {**os.environ, "ASSISTANT_INDEX_DIR": str(settings.index_dir), "HF_HUB_OFFLINE": "1",
            "ASSISTANT_LLM_BASE_URL": ""}


def run(args, env, stdin=None):
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=PROJECT_ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=180)


def test_measures_command(env):
    out = run(["measures", "69"], env)
    assert out.returncode == 0 and "2022年6月前" in out.stdout
    out = run(["measures", "--unit", "审计厅", "--json"], env)
    assert [json.loads(line)["number"] for line in out.stdout.splitlines()] == [30, 75]
    out = run(["measures", "999"], env)
    assert out.returncode == 2 and "没有第999项" in out.stderr and "Traceback" not in out.stderr


def test_search_ranks_the_right_measure_first(env):
    out = run(["search", "行政复议委员会什么时候建立", "--json", "--k", "3"], env)
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert rows[0]["number"] == 69 and len(rows) == 3


def test_ask_json_and_batch(env, tmp_path):
    out = run(["ask", "--json", "行政复议委员会什么时候建立"], env)
    record = json.loads(out.stdout)
    assert record["citations"][0] == 69 and record["refused"] is False
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join([
        json.dumps({"question": "审计厅要做什么"}, ensure_ascii=False),
        "{not json",
        json.dumps({"question": "那牵头单位是谁？", "history": ["行政复议委员会什么时候建立"]}, ensure_ascii=False),
        json.dumps({"question": "护照怎么办理"}, ensure_ascii=False),
    ]), encoding="utf-8")
    out = run(["ask", "--json", "--batch", str(batch)], env)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 4
    assert rows[0]["citations"][:2] == [30, 75]
    assert rows[1]["error"] == "bad_line" and "第2行" in rows[1]["answer"]
    assert rows[2]["citations"] == [69]
    assert rows[3]["refused"] is True
    for row in rows:
        assert {"question", "answer", "citations", "refused", "latency_ms"} <= set(row)


def test_plain_ask_prints_citations(env):
    out = run(["ask", "第38项"], env)
    assert "【第38项】" in out.stdout and "引用：第38项" in out.stdout
