"""Scale-out mode: the index lives on a real `chroma run` server on a localhost port."""
import copy
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.index import PlanIndex
from assistant.retrieval import DenseSearch, HybridSearch

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    # the chromadb package installs `chroma` beside this interpreter, which may not be on PATH
    beside = Path(sys.executable).parent / "chroma"
    binary = str(beside) if beside.exists() else shutil.which("chroma")
    if binary is None:
        pytest.fail("the `chroma` command (from the chromadb package) is not installed")
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = open(data / "server.log", "w")
    process = subprocess.Popen([binary, "run", "--path", str(data / "db"), "--host", "127.0.0.1",
                                "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        if process.poll() is not None:
            pytest.fail(f"chroma run exited: {(data / 'server.log').read_text()}")
        time.sleep(0.2)
    yield port
    process.terminate()
    process.wait(timeout=20)
    log.close()


def test_index_builds_and_answers_through_a_chroma_server(assistant, settings, chroma_server, tmp_path):
    http_settings = settings.with_overrides(chroma_mode="http", chroma_host="127.0.0.1", chroma_port=chroma_server,
                                            index_dir=tmp_path / "manifest")
    index = PlanIndex(http_settings, assistant.embedder, assistant.plan)
    info = index.ensure(progress=False)
    assert info.count == 115 and not info.reused
    again = PlanIndex(http_settings, assistant.embedder, assistant.plan).ensure(progress=False)
    assert again.reused

    served = copy.copy(assistant)
    served.index = index
    served.dense = DenseSearch(index, assistant.embedder)
    served.hybrid = HybridSearch(served.dense, assistant.lexical)
    answer = served.ask("行政复议委员会什么时候建立")
    assert answer.citations[0] == 69
    assert served.dense.search("行政复议委员会", k=3)[0].number in {69, 105, 68, 70}
    assert sorted(index.ids_for_unit("自治区审计厅")) == ["m030", "m075"]
