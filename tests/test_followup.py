"""Follow-ups as operations on the previous answer: the reference linker and the operation
classifier, as data tables (CheckList: minimum functionality per operation, invariance of the
references under rewording). End-to-end follow-up behaviour (what gets cited) is in
``tests/data/understanding_cases.jsonl`` (capability ``follow_up``, groups ``fuop-*``)."""
from __future__ import annotations

import pytest

from assistant.followup import OPERATIONS, SHAPES, link_references, load_examples
from tests.separation import near_duplicates


def test_training_follow_ups_are_apart_from_every_evaluation_question():
    # (the data holds the follow-up and the previous answer's shape, the only things the model reads)
    rows = load_examples()
    assert all(set(r) == {"previous_answer", "question", "op", "text"} for r in rows)
    assert near_duplicates([r["text"] for r in rows]) == []


def test_labels_are_the_documented_ones_and_every_operation_has_examples():
    rows = load_examples()
    assert {r["op"] for r in rows} == set(OPERATIONS)
    assert {r["previous_answer"] for r in rows} <= set(SHAPES)
    assert all(sum(r["op"] == op for r in rows) >= 20 for op in OPERATIONS)


# (question, reference field, value): closed classes of reference words in Chinese and English
REFERENCES = [
    ("第二条呢", "ordinal", 2), ("第2项讲的啥", "ordinal", 2), ("what does the second one say", "ordinal", 2),
    ("第三个是谁牵头", "ordinal", 3),
    ("下一条呢", "step", 1), ("它后面那项呢", "step", 1), ("and the next one?", "step", 1),
    ("上一项讲什么", "step", -1), ("这条前边的一条是啥", "step", -1), ("show me the previous one", "step", -1),
    ("其中哪项最晚截止", "extreme", "latest"), ("哪个最先到期", "extreme", "earliest"),
    ("which of these is due first?", "extreme", "earliest"), ("which one is due last", "extreme", "latest"),
    ("哪一条最紧急", "extreme", "earliest"), ("最迟几天内要办结", "extreme", None), ("最早的那项", "extreme", "earliest"),
    ("这两条分别谁牵头", "plural", 2), ("这些的期限呢", "plural", 0), ("它们谁牵头", "plural", 0),
    ("这条谁牵头", "plural", None),
    ("这条谁牵头", "singular", True), ("它啥时候完成", "singular", True), ("when is it due", "singular", True),
    ("这两个单位共同负责的有哪些", "units_named_before", 2), ("这俩一起牵头的", "units_named_before", 0),
    ("除了这些，还有哪些提到听证", "beyond", True), ("这一部分以外还有哪些写到复议", "beyond", True),
    ("同一节里还有哪些", "same_section", True), ("what else is in the same section", "same_section", True),
    ("另外那项呢", "rest", True), ("其余几条呢", "rest", True),
    ("那公安厅呢", "ellipsis", True), ("2024年的呢？", "ellipsis", True), ("what about 2024?", "ellipsis", True),
    ("公安厅有哪些任务", "ellipsis", False),
    ("其中哪些有百分比要求", "percent", True), ("其中哪些是司法厅牵头的", "among", True),
    ("另外，它参加的也列一下", "additive", True),
]


@pytest.mark.parametrize("text,field,value", REFERENCES, ids=[f"{f}:{t}" for t, f, _ in REFERENCES])
def test_reference_linking(text, field, value):
    assert getattr(link_references(text), field) == value


# (previous question, the follow-up, the operation applied): one or more per operation, worded
# apart from the training data and every evaluation set
OPERATION_CASES = [
    ("第45项讲的是什么", "这项由谁来牵头？", "same"),
    ("第45项讲的是什么", "下一条说了什么", "neighbour"),
    ("第45项讲的是什么", "同一节里别的措施呢", "others"),
    ("第45项讲的是什么", "复议委员会打算哪一年组建完毕", "new"),
    ("自治区司法厅牵头的措施有哪些", "这里头哪一条最先到期？", "rank"),
    ("自治区司法厅牵头的措施有哪些", "其中涉及复议的有哪些", "filter"),
    ("自治区司法厅牵头的措施有哪些", "讲表彰奖励的那条是哪个", "pick"),
    ("自治区司法厅牵头的措施有哪些", "同样的问题问公安厅", "swap"),
    ("2022年要完成的措施有哪些", "当中归司法厅牵头的列一下", "filter"),
    ("2022年要完成的措施有哪些", "改查2024年到期的", "swap"),
    ("自治区公安厅牵头的措施有哪些", "另外，它当责任单位的也列出来", "add"),
    ("涉及行政复议的措施有哪些", "除了这些以外，还有哪些写到行政应诉", "exclude"),
    ("第12项讲的是什么", "把同一节其余几条也说说", "others"),
]


@pytest.mark.parametrize("previous,question,op", OPERATION_CASES, ids=[f"{o}:{q}" for _, q, o in OPERATION_CASES])
def test_operation_applied(assistant, previous, question, op):
    from assistant.conversation import follow_up
    from assistant.query import understand
    turn = assistant._replay([previous])
    query = understand(question, assistant.plan, assistant.tokenizer, answer_types=assistant.answer_types)
    assert follow_up(query, turn, assistant.tokenizer, assistant.plan, assistant.followups)[0] == op


def test_operation_cases_are_apart_from_evaluation_questions():
    # (the reference table tests closed classes of words, which short evaluation follow-ups share)
    assert near_duplicates([q for _, q, _ in OPERATION_CASES]) == []


def test_operation_cases_are_not_training_examples():
    from tests.separation import SEPARATION, grams
    training = [grams(r["text"]) for r in load_examples()]
    close = [q for _, q, _ in OPERATION_CASES
             if any(len(grams(q) & t) / len(grams(q) | t) >= SEPARATION for t in training if t)]
    assert close == []
