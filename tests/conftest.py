"""Shared fixtures. The assistant (model + index) is built once per test session, into a
temporary index folder so tests never touch the user's index."""
from __future__ import annotations

import os
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, get_settings
from assistant.plan import load_plan

CORPUS = PROJECT_ROOT / "corpus" / "ningxia-rule-of-law-government-plan-2021-2025.txt"


@pytest.fixture(scope="session")
def plan_text() -> str:
    return CORPUS.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def plan():
    return load_plan(CORPUS)


@pytest.fixture(scope="session")
def test_index_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("index")


@pytest.fixture(scope="session")
def settings(test_index_dir, tmp_path_factory):
    return get_settings().with_overrides(index_dir=test_index_dir,
                                         data_dir=tmp_path_factory.mktemp("data"),
                                         llm_base_url="")


@pytest.fixture(scope="session")
def assistant(settings):
    from assistant.service import Assistant
    return Assistant(settings, progress=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_serving(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/config", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


@pytest.fixture(scope="session")
def app_url(assistant):
    """The Gradio app, in this process, on a free localhost port."""
    from assistant.app import build_app, launch
    demo = build_app(assistant)
    port = free_port()
    launch(demo, "127.0.0.1", port, block=False, quiet=True)
    url = f"http://127.0.0.1:{port}"
    _wait_until_serving(url)
    yield url
    demo.close()


@pytest.fixture(scope="session", autouse=True)
def _offline_env():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    yield
