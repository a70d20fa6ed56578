"""The slots and the constraint planner, without the classifier: given an answer type, the
slots a question fills decide the operation and every constraint is carried into it."""
from __future__ import annotations

import datetime as dt

import pytest

from assistant.lexicon import tokenizer_for
from assistant.query import Intent, plan_query
from assistant.records import Role
from assistant.slots import link


@pytest.fixture(scope="module")
def tokenizer(plan):
    return tokenizer_for(plan)


def planned(question, plan, tokenizer, types, today=None):
    slots = link(question, plan, tokenizer, today=today)
    return plan_query(question, slots, types, plan)


LIST = {"measure_list": 0.9, "explanation": 0.1}
EXPLAIN = {"explanation": 0.9, "measure_list": 0.1}


@pytest.mark.parametrize("question", ["今年要完成哪些任务", "今年到期的事有哪些", "本年度要干完什么"])
def test_relative_years_are_read_against_today(plan, tokenizer, question):
    inside = link(question, plan, tokenizer, today=dt.date(2022, 3, 1))
    assert inside.year == 2022 and inside.bad_year is None
    after = link(question, plan, tokenizer, today=dt.date(2026, 11, 28))
    assert after.bad_year == 2026          # the plan period (from the document) has ended
    assert planned(question, plan, tokenizer, LIST, dt.date(2026, 11, 28)).intent == Intent.OUT_OF_RANGE


def test_a_written_year_wins_over_a_relative_one(plan, tokenizer):
    assert link("今年（2022年）我们有哪些任务", plan, tokenizer, today=dt.date(2026, 1, 1)).year == 2022


@pytest.mark.parametrize("question", ["有哪些任务2023年要完成？", "任务2023年底前完成的有哪些", "措施2023年要做完的"])
def test_a_year_after_a_task_word_is_not_a_measure_number(plan, tokenizer, question):
    slots = link(question, plan, tokenizer)
    assert slots.measures == () and slots.bad_measure is None and slots.year == 2023
    assert planned(question, plan, tokenizer, LIST).intent == Intent.DEADLINES


@pytest.mark.parametrize("types", [LIST, EXPLAIN])
@pytest.mark.parametrize("question", ["司法厅在第七部分要做什么", "第七部分里司法厅有哪些任务"])
def test_unit_and_part_are_applied_together(plan, tokenizer, question, types):
    query = planned(question, plan, tokenizer, types)
    assert query.intent == Intent.UNIT and query.part == 7 and query.units == ("自治区司法厅",)


@pytest.mark.parametrize("types", [LIST, EXPLAIN, {"structure": 1.0}])
@pytest.mark.parametrize("question", ["第八部分有哪些带时限的任务", "第八部分哪些措施规定了完成时间"])
def test_a_part_with_a_deadline_question_is_the_deadline_list_within_it(plan, tokenizer, question, types):
    query = planned(question, plan, tokenizer, types)
    assert query.intent == Intent.DEADLINES and query.part == 8


@pytest.mark.parametrize("question", ["公安厅2022年要完成哪些任务", "我们是公安厅，有哪些任务要求在2022年完成？",
                                      "2022年公安厅牵头的有哪些"])
def test_unit_and_year_give_the_unit_deadline_list(plan, tokenizer, question):
    query = planned(question, plan, tokenizer, LIST)
    assert query.intent == Intent.DEADLINES and query.year == 2022 and "自治区公安厅" in query.units
    if "牵头" in question:
        assert query.role == Role.LEAD


@pytest.mark.parametrize("types", [LIST, EXPLAIN])
@pytest.mark.parametrize("question", ["审计厅在方案里扮演什么角色", "审计厅是干什么的", "统计局？"])
def test_a_unit_with_no_subject_is_its_duty_list_whatever_the_type(plan, tokenizer, question, types):
    assert planned(question, plan, tokenizer, types).intent == Intent.UNIT


@pytest.mark.parametrize("question", ["哪些措施有百分比指标", "有百分比要求的措施都有哪些", "列出带百分比目标的措施"])
def test_a_target_kind_is_a_slot_not_a_subject(plan, tokenizer, question):
    slots = link(question, plan, tokenizer)
    assert slots.target == "%" and not slots.narrowing
    assert plan_query(question, slots, LIST, plan).intent == Intent.TARGETS


@pytest.mark.parametrize("question", ["提到包容审慎的措施有哪些", "哪些条写了包容审慎", "包容审慎在哪些措施里出现"])
def test_a_list_question_lists_by_the_plans_own_term(plan, tokenizer, question):
    query = planned(question, plan, tokenizer, LIST)
    assert query.intent == Intent.LIST and "包容审慎" in query.terms


def test_a_subject_question_without_a_list_is_searched(plan, tokenizer):
    query = planned("行政复议委员会什么时候建立", plan, tokenizer, {"deadline": 1.0})
    assert query.intent == Intent.SEARCH


def test_words_the_plan_never_uses_keep_a_year_question_out_of_the_deadline_list(plan, tokenizer):
    assert planned("宁夏2022年的GDP是多少", plan, tokenizer, {"count": 1.0}).intent != Intent.DEADLINES


@pytest.mark.parametrize("question", ["政府办公厅有哪些带截止时间的任务？", "政府办公厅规定了完成时限的措施有哪些",
                                      "政府办公厅有期限的任务都列一下"])
def test_only_measures_with_a_deadline_is_a_filter(plan, tokenizer, question):
    query = planned(question, plan, tokenizer, LIST)
    assert query.intent == Intent.DEADLINES and query.units == ("自治区政府办公厅",)


@pytest.mark.parametrize("question", ["审计厅有哪些任务，什么时候完成？", "发改委都分到了哪些任务？分别什么时候要完成？"])
def test_asking_when_of_a_duty_list_keeps_the_whole_list(plan, tokenizer, question):
    query = planned(question, plan, tokenizer, {"duty_list": 1.0})
    assert query.intent == Intent.UNIT and query.year is None


@pytest.mark.parametrize("question", ["告知承诺在方案的哪几条里提到了", "哪几项措施写了告知承诺", "告知承诺出现在哪几条"])
def test_which_ones_is_not_how_many(plan, tokenizer, question):
    slots = link(question, plan, tokenizer)
    assert not slots.count and "告知承诺" in slots.terms


@pytest.mark.parametrize("question", ["银川市公租房怎么申请？", "审计厅的食堂几点开饭", "公安厅的车牌号摇号怎么办"])
def test_a_unit_with_words_the_plan_never_uses_is_not_its_duty_list(plan, tokenizer, question):
    assert planned(question, plan, tokenizer, EXPLAIN).intent != Intent.UNIT


@pytest.mark.parametrize("question, sides", [
    ("行政复议委员会和行政裁决事项清单，哪个要先建成？", ("行政复议委员会", "行政裁决事项清单")),
    ("告知承诺清单跟免予处罚清单有什么不同", ("告知承诺清单", "免予处罚清单")),
    ("“不少于7个工作日”，是合法性审查还是征求意见的要求？", ("合法性审查", "征求意见的要求")),
    ("执法队伍的培训学时与领导班子的法治讲座，各是什么要求", ("执法队伍的培训学时", "领导班子的法治讲座")),
])
def test_two_things_compared_are_each_a_side(plan, tokenizer, question, sides):
    alternatives = link(question, plan, tokenizer).alternatives
    assert len(alternatives) == 2 and all(a.startswith(s) for a, s in zip(alternatives, sides))


@pytest.mark.parametrize("question", ["哪个单位负责行政复议和行政应诉？", "哪些措施讲到立法和决策",
                                      "规范和监督行政执法的要求是什么"])
def test_a_conjunction_without_a_comparison_compares_nothing(plan, tokenizer, question):
    assert link(question, plan, tokenizer).alternatives == ()


@pytest.mark.parametrize("question, unit", [("有期限的措施里哪些没点司法厅的名", "自治区司法厅"),
                                            ("不涉及公安厅的措施有哪些", "自治区公安厅"),
                                            ("审计厅没被点名的任务有哪些", "自治区审计厅")])
def test_a_negated_unit_is_set_aside(plan, tokenizer, question, unit):
    slots = link(question, plan, tokenizer)
    named = {m.number for m in plan.measures if unit in m.unit_names}
    assert unit not in slots.units and slots.excluded_units == (unit,) and named <= set(slots.excluded)


@pytest.mark.parametrize("question", ["有没有司法厅牵头的措施", "是不是公安厅负责的", "审计厅有没有2022年的任务"])
def test_a_yes_no_question_does_not_negate_its_unit(plan, tokenizer, question):
    slots = link(question, plan, tokenizer)
    assert slots.units and not slots.excluded_units
