"""Integration tests of the optional LLM composer against a local OpenAI-compatible stub.

They prove the plumbing (prompting, citation checking, fallback, streaming, rewriting);
they claim nothing about any real LLM's quality.
"""
import copy
import time

import pytest

from assistant.answer import Answer
from assistant.grounding import FactChecker, cited_sentences
from assistant.llm import TIMEOUT_NOTICE, LLMComposer
from tests.openai_stub import StubServer

pytestmark = pytest.mark.integration

QUESTION = "行政复议委员会什么时候建立"


@pytest.fixture(scope="module")
def stub():
    with StubServer() as server:
        yield server


def with_llm(assistant, stub, model: str, timeout: float = 5.0, cooldown: float = 60.0):
    settings = assistant.settings.with_overrides(llm_base_url=stub.base_url, llm_model=model, llm_timeout=timeout,
                                                 llm_cooldown=cooldown)
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


# ------------------------------------------------------------ one deadline per answer
# Slack over the budget: the offline answer itself, plus a loaded 2-core CI machine.
SLACK = 1.5


def _wait_until_closed(stub, seconds: float = 6.0) -> bool:
    """The stub sees the cut-off request's connection closed (the client cancelled it)."""
    deadline = time.monotonic() + seconds
    while stub.open_requests and time.monotonic() < deadline:
        time.sleep(0.1)
    return stub.open_requests == 0


def test_slow_drip_is_cut_off_at_the_deadline(assistant, stub):
    # a byte every second keeps every read short; only a deadline for the whole answer stops it
    started = time.perf_counter()
    answer = with_llm(assistant, stub, "drip", timeout=3.0).ask(QUESTION)
    elapsed = time.perf_counter() - started
    assert elapsed < 3.0 + SLACK, elapsed
    assert answer.composer == "default (LLM fallback)" and answer.notice == TIMEOUT_NOTICE
    assert 69 in answer.citations and "全面推进行政复议" in answer.answer
    assert _wait_until_closed(stub), "the cut-off request was left open"


def test_streaming_slow_drip_is_cut_off_at_the_deadline(assistant, stub):
    started = time.perf_counter()
    items = list(with_llm(assistant, stub, "drip", timeout=2.0).stream(QUESTION))
    elapsed = time.perf_counter() - started
    final = items[-1]
    assert elapsed < 2.0 + SLACK, elapsed
    assert isinstance(final, Answer) and final.composer == "default (LLM fallback)"
    assert final.notice == TIMEOUT_NOTICE and 69 in final.citations
    assert _wait_until_closed(stub)


def test_hanging_endpoint_with_history_spends_one_budget(assistant, stub):
    # no cool-down: the rewrite and the composition must share the budget by themselves
    clone = with_llm(assistant, stub, "hang", timeout=2.0, cooldown=0)
    started = time.perf_counter()
    answer = clone.ask("那牵头单位是谁？", history=[QUESTION])
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0 + SLACK, elapsed                 # not 2 s for the rewrite + 2 s to compose
    assert answer.composer == "default (LLM fallback)" and answer.notice
    assert answer.citations == [69]
    assert _wait_until_closed(stub)


def test_hanging_endpoint_costs_one_question_not_every_question(assistant, stub):
    clone = with_llm(assistant, stub, "hang", timeout=1.5)
    started = time.perf_counter()
    first = clone.ask(QUESTION)
    assert time.perf_counter() - started < 1.5 + SLACK
    assert first.composer == "default (LLM fallback)" and first.notice == TIMEOUT_NOTICE
    sent = len(stub.requests)
    started = time.perf_counter()
    behind = clone.ask("第38项")                           # the endpoint is cooling down: offline at once
    assert time.perf_counter() - started < 1.0
    assert behind.composer == "default (LLM fallback)" and behind.citations == [38]
    assert len(stub.requests) == sent
    with_history = clone.ask("那牵头单位是谁？", history=[QUESTION])
    assert with_history.citations == [69] and len(stub.requests) == sent
    # after the cool-down the endpoint is tried again
    clone.llm._down_until = time.monotonic() - 1
    assert clone.llm.available
    assert _wait_until_closed(stub)


@pytest.mark.parametrize("model", ["fail", "hang", "drip", "garbage"])
def test_the_endpoint_address_is_never_shown(assistant, stub, model):
    clone = with_llm(assistant, stub, model, timeout=1.0)
    answer = clone.ask(QUESTION)
    address = stub.base_url.split("//")[1].split("/")[0]          # 127.0.0.1:PORT
    for text in (clone.llm.name, answer.answer, answer.notice or ""):
        assert address not in text and "127.0.0.1" not in text and "/v1" not in text
    assert _wait_until_closed(stub)


# ------------------------------------------------------------ markup, scripts, links
BANNED = ("<", ">", "script", "alert", "onerror", "&lt;", "&gt;", "img src", "phish", "www.", "@", "203.0.113",
          "http", "](", "[1]", "://")


@pytest.mark.parametrize("model", ["script", "phish_en", "markup"])
def test_llm_markup_scripts_and_links_never_reach_the_answer(assistant, stub, model):
    answer = with_llm(assistant, stub, model).ask(QUESTION)
    assert 69 in answer.citations
    for bad in BANNED:
        assert bad not in answer.answer, (bad, answer.answer)
    if model != "markup":
        # the verified sentences stay; only the markup and the addresses went
        assert answer.composer == "llm" and "全面推进行政复议" in answer.answer


@pytest.mark.parametrize("model", ["script", "phish_en"])
def test_streaming_never_shows_markup_or_links(assistant, stub, model):
    items = list(with_llm(assistant, stub, model).stream(QUESTION))
    shown = [i for i in items if isinstance(i, str)] + [items[-1].answer]
    for text in shown:
        for bad in BANNED:
            assert bad not in text, (bad, text)


def test_a_rewrite_with_markup_becomes_plain_text(assistant, stub):
    from assistant.llm import clean_rewrite
    assert clean_rewrite("<script>alert(1)</script>第69项的牵头单位是谁？\n解释：……") == "第69项的牵头单位是谁？"
    assert clean_rewrite("[第69项](http://phish.example)的牵头单位是谁？") == "第69项的牵头单位是谁？"
    assert clean_rewrite("<img src=x>") == ""
