"""Shared fixtures. The assistant (model + index) is built once per test session, into a
temporary index folder so tests never touch the user's index."""
from __future__ import annotations

import os
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


@pytest.fixture(scope="session", autouse=True)
def _offline_env():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    yield
