"""The answer-type classifier's training utterances stay apart from every evaluation set,
and the classifier recognises what the plan cannot hold."""
from __future__ import annotations

import pytest

from assistant.answer_type import NOT_IN_PLAN, load_utterances
from tests.separation import near_duplicates


def test_training_utterances_are_apart_from_every_evaluation_question():
    assert near_duplicates([u["text"] for u in load_utterances()]) == []


def test_labels_are_from_the_documented_sets():
    rows = load_utterances()
    assert len(rows) >= 600
    for row in rows:
        assert (row["type"] == "unanswerable") == (row["asks_for"] in NOT_IN_PLAN), row


@pytest.fixture(scope="module")
def classifiers(assistant):
    return assistant.answer_types     # n-grams + e5, as the assistant uses them


@pytest.mark.parametrize("question", ["这项改革花了多少钱", "这个制度落实到哪一步了，完成了吗",
                                      "司法厅厅长叫什么名字", "行政处罚法第三十条原文怎么写"])
def test_recognises_what_the_plan_cannot_hold(classifiers, question):
    assert classifiers["asks_for"].not_in_plan(question).probability >= 0.35


@pytest.mark.parametrize("question", ["行政复议委员会什么时候建立", "审计厅要做什么", "出庭率要达到多少"])
def test_does_not_flag_what_the_plan_holds(classifiers, question):
    assert classifiers["asks_for"].not_in_plan(question).probability < 0.35
