"""Members of a thing the plan names: asked with the grammar of asking for members, held by
the plan only where it enumerates them (slots.asked_members, slots.enumerating_measure)."""
import pytest

from assistant.lexicon import tokenizer_for
from assistant.slots import asked_members, enumerating_measure


@pytest.fixture(scope="module")
def tokenizer(plan):
    return tokenizer_for(plan)


@pytest.mark.parametrize("term, enumerated", [
    ("特殊群体", True),        # 为老年人、残疾人等特殊群体
    ("重点改革", True),        # “一件事一次办”、“一证通办”等重点改革
    ("重点领域", True),        # 交通运输、金融服务…等关系群众切身利益的重点领域
    ("高频事项", False),       # 国家明确的高频事项“跨省通办”
    ("咨询论证专家库", False),
])
def test_plan_enumerates(plan, term, enumerated):
    assert (enumerating_measure(term, plan) is not None) is enumerated


@pytest.mark.parametrize("question, thing", [
    ("咨询论证专家库里都有谁？", "咨询论证专家库"),        # a name the tokenizer cuts short
    ("高频事项具体是哪些事", "高频事项"),
    ("行政执法监督员都有谁", "行政执法监督员"),
    ("执法制式服装长什么样", "执法制式服装"),
    ("咨询论证专家库里，具体都有谁", "咨询论证专家库"),       # a pause between the thing and the ask
    # the plan's own records asked for: not members of a thing
    ("涉及高频事项的措施都有哪些", ""),
    ("关于专家库都有哪些要求", ""),
    ("专家库的事谁牵头", ""),
    ("方案中提到“听证”的条目都有哪些？", ""),
    ("应急厅牵头的事项都有哪些", ""),
    # enumerated where the plan uses it, or the kind of member asked for is ("A、B等环节")
    ("特殊群体具体是哪些人", ""),
    ("行政裁决程序到底包括哪几个环节", ""),
])
def test_members_asked(plan, tokenizer, question, thing):
    """`thing`: what the question asks the members of when the plan does not list them ("" else)."""
    asked, listed_in = asked_members(question, plan, tokenizer)
    assert (asked if listed_in is None else "") == thing
