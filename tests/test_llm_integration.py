"""Integration tests of the optional LLM composer against a local OpenAI-compatible stub.

They prove the plumbing (prompting, citation checking, fallback, streaming, rewriting);
they claim nothing about any real LLM's quality.
"""
import copy
import time

import pytest

from assistant.answer import Answer
from assistant.grounding import cited_sentences, is_supported
from assistant.llm import LLMComposer
from tests.openai_stub import StubServer

pytestmark = pytest.mark.integration

QUESTION = "行政复议委员会什么时候建立"


@pytest.fixture(scope="module")
def stub():
    with StubServer() as server:
        yield server


def with_llm(assistant, stub, model: str, timeout: float = 5.0):
    settings = assistant.settings.with_overrides(llm_base_url=stub.base_url, llm_model=model, llm_timeout=timeout)
    clone = copy.copy(assistant)
    clone.llm = LLMComposer(settings, assistant.plan)
    return clone


def test_good_completion_is_kept_and_grounded(assistant, stub):
    answer = with_llm(assistant, stub, "good").ask(QUESTION)
    assert answer.composer == "llm"
    assert answer.citations and not answer.refused
    given = set(assistant.ask(QUESTION).measures[:5])
    assert set(answer.citations) <= given
    for sentence in cited_sentences(answer.answer):
        if sentence.citations:
            sources = [assistant.plan.citable_text(n) for n in sentence.citations]
            assert is_supported(sentence.text, sources)
    prompt = str(stub.requests[-1]["messages"])
    assert "【第69项】" in prompt and "只依据" in prompt


@pytest.mark.parametrize("model", ["uncited", "wrong", "fail", "garbage"])
def test_bad_completions_fall_back_to_default(assistant, stub, model):
    answer = with_llm(assistant, stub, model).ask(QUESTION)
    assert answer.composer == "default (LLM fallback)"
    assert answer.notice
    assert 69 in answer.citations


def test_invented_sentence_is_dropped(assistant, stub):
    answer = with_llm(assistant, stub, "invented").ask(QUESTION)
    assert answer.composer == "llm"
    assert "2030" not in answer.answer
    assert "已删除1句" in answer.notice


def test_timeout_falls_back_quickly(assistant, stub):
    started = time.perf_counter()
    answer = with_llm(assistant, stub, "slow", timeout=1.0).ask(QUESTION)
    assert time.perf_counter() - started < 2.9
    assert answer.composer == "default (LLM fallback)"
    assert 69 in answer.citations


def test_streaming_yields_partials_then_verified_answer(assistant, stub):
    items = list(with_llm(assistant, stub, "good").stream(QUESTION))
    partials = [i for i in items if isinstance(i, str)]
    assert len(partials) >= 2 and partials[-1].startswith(partials[0])
    final = items[-1]
    assert isinstance(final, Answer) and final.composer == "llm" and final.citations


def test_history_aware_rewriting(assistant, stub):
    clone = with_llm(assistant, stub, "rewrite")
    answer = clone.ask("那牵头单位是谁？", history=[QUESTION])
    assert answer.citations == [69]
    assert "自治区司法厅" in answer.answer
    rewrite_request = next(r for r in stub.requests if "先前的问题" in str(r["messages"]))
    assert QUESTION in str(rewrite_request["messages"])
