"""Integration tests of the optional LLM composer against a local OpenAI-compatible stub.

They prove the plumbing (prompting, citation checking, fallback, streaming, rewriting);
they claim nothing about any real LLM's quality.
"""
import copy
import time

import pytest

from assistant.answer import Answer
from assistant.grounding import FactChecker, cited_sentences
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
    clone.llm = LLMComposer(settings, assistant.plan,
                            checker=FactChecker(assistant.plan, assistant.embedder.embed_queries))
    return clone


def test_good_completion_is_kept_and_grounded(assistant, stub):
    answer = with_llm(assistant, stub, "good").ask(QUESTION)
    assert answer.composer == "llm"
    assert answer.citations and not answer.refused
    given = set(assistant.ask(QUESTION).measures[:5])
    assert set(answer.citations) <= given
    checker = FactChecker(assistant.plan)
    for sentence in cited_sentences(answer.answer):
        if sentence.citations:
            assert checker.check(sentence.text, sentence.citations).ok
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
    final = items[-1]
    assert isinstance(final, Answer) and final.composer == "llm" and final.citations
    # verified sentences appear one by one, each a prefix of the final answer
    assert partials and all(final.answer.startswith(p.split("\n\n")[0]) for p in partials)


def test_history_aware_rewriting(assistant, stub):
    clone = with_llm(assistant, stub, "rewrite")
    answer = clone.ask("那牵头单位是谁？", history=[QUESTION])
    assert answer.citations == [69]
    assert "自治区司法厅" in answer.answer
    rewrite_request = next(r for r in stub.requests if "先前的问题" in str(r["messages"]))
    assert QUESTION in str(rewrite_request["messages"])


@pytest.mark.parametrize("model, wrong", [
    ("wrongdate", "2025年12月"), ("negated", "不需要"), ("wronglead", "财政厅"),
    ("english_false", "need not"), ("fabricated", "第200项"),
])
def test_altered_facts_are_dropped_with_a_notice(assistant, stub, model, wrong):
    answer = with_llm(assistant, stub, model).ask(QUESTION)
    assert answer.composer == "llm"
    assert wrong not in answer.answer
    assert "全面推进行政复议" in answer.answer and "已删除1句" in answer.notice


@pytest.mark.parametrize("model, wrong", [
    ("wrongdate", "2025年12月"), ("negated", "不需要"), ("fabricated", "第200项"), ("markup", "x.png"),
])
def test_streaming_never_shows_unverified_text(assistant, stub, model, wrong):
    items = list(with_llm(assistant, stub, model).stream(QUESTION))
    shown = [i for i in items if isinstance(i, str)] + [items[-1].answer]
    assert shown and all(wrong not in text for text in shown)


def test_markup_and_links_never_reach_the_answer(assistant, stub):
    answer = with_llm(assistant, stub, "markup").ask(QUESTION)
    for bad in ("<script", "![", "http://", "](", "phish"):
        assert bad not in answer.answer
    assert 69 in answer.citations
