"""Validate the evaluation gold set ``evals/gold.jsonl`` against the plan and its parser.

These tests check the gold set itself (shape, coverage, answer sets, key facts), not the
assistant. Computed answer sets are recomputed here independently of evals/build_gold.py.

Deadline rule ("要在 Y 年底前完成的任务"): a measure is due by the end of year Y when one of
its dated deadlines -- kind 底前 ("2022年底前", "2022年6月底前"), 底 ("2022年底基本建成") or
前 ("2022年6月前") -- has year Y, whatever its month (a June deadline is also before 年底).
每年 (recurring) duties have no year and form their own list. "2022年6月份之前" means the
dated deadlines with year 2022 and month 6.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from assistant.plan import load_plan
from assistant.records import DeadlineKind, Plan, Role
from assistant.units import units_by_name

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "evals" / "gold.jsonl"
CORPUS = ROOT / "corpus" / "ningxia-rule-of-law-government-plan-2021-2025.txt"

CATEGORIES = {"measure", "unit", "deadline", "target", "structure", "document", "refusal",
              "multiturn", "english"}
REQUIRED = {"id": str, "category": str, "question": str, "history": list, "expected": list,
            "match": str, "refused": bool, "key_facts": list}
OPTIONAL = {"unit": str, "role": str}
PSEUDO_UNITS = {"市、县（区）人民政府"}
DATED_KINDS = {DeadlineKind.BY_END_OF, DeadlineKind.AT_END_OF, DeadlineKind.BEFORE}
MINIMUM = {"measure": 110, "deadline": 15, "target": 10, "structure": 8, "document": 8,
           "refusal": 25, "multiturn": 20, "english": 15}
CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(str(CORPUS))


@pytest.fixture(scope="module")
def items() -> list[dict]:
    lines = [ln for ln in GOLD.read_text(encoding="utf-8").splitlines() if ln.strip()]
    return [json.loads(ln) for ln in lines]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def unit_set(plan: Plan, unit: str, role: str | None = None) -> list[int]:
    return [m.number for m in plan.measures
            if any(u.name == unit and not u.is_designation and (role is None or u.role.value == role)
                   for u in m.units)]


def named_units(plan: Plan) -> set[str]:
    return {u.name for m in plan.measures for u in m.units
            if not u.is_designation and u.name not in PSEUDO_UNITS}


def due_in_year(plan: Plan, year: int, month: int | None = None) -> list[int]:
    return [m.number for m in plan.measures
            if any(d.kind in DATED_KINDS and d.year == year and (month is None or d.month == month)
                   for d in m.deadlines)]


def document_corpus(plan: Plan) -> str:
    """Document, part and section texts, plus the structure facts derived by the parser."""
    d = plan.document
    texts = [d.title, d.doc_number, *d.issuing_offices, d.issue_date, d.notice_title, d.notice,
             d.preamble, d.guiding_thought, d.overall_goals, d.closing, d.publication_note]
    texts.append(f"共{len(plan.parts)}个部分、{len(plan.sections)}节、{len(plan.measures)}项措施")
    for part in plan.parts:
        numbers = [m.number for m in plan.measures_in_part(part.number)]
        texts.append(f"第{part.number}部分 {part.label}")
        if numbers:
            texts.append(f"第{part.number}部分共{len(numbers)}项措施（第{numbers[0]}—{numbers[-1]}项）")
    for section in plan.sections:
        texts += [section.label, section.text, f"第{section.number}节共{len(section.measure_numbers)}项措施"]
    return squash("\n".join(texts))


# ---------------------------------------------------------------- shape

def test_size_and_fields(items):
    assert len(items) >= 250
    for item in items:
        for field, kind in REQUIRED.items():
            assert isinstance(item.get(field), kind), (item.get("id"), field)
        extra = set(item) - set(REQUIRED)
        assert extra <= set(OPTIONAL), (item["id"], extra)
        assert item["question"].strip(), item["id"]
        assert item["match"] in ("all", "any"), item["id"]
        assert all(isinstance(h, str) and h.strip() for h in item["history"]), item["id"]
        assert all(isinstance(k, str) and k.strip() for k in item["key_facts"]), item["id"]


def test_unique_ids(items):
    counts = Counter(item["id"] for item in items)
    assert not [i for i, n in counts.items() if n > 1]


def test_categories_and_minimum_counts(items):
    counts = Counter(item["category"] for item in items)
    assert set(counts) <= CATEGORIES, set(counts) - CATEGORIES
    for category, minimum in MINIMUM.items():
        assert counts[category] >= minimum, (category, counts[category])


def test_expected_numbers_exist(items, plan):
    valid = {m.number for m in plan.measures}
    assert valid == set(range(1, 111))
    for item in items:
        assert all(isinstance(n, int) and n in valid for n in item["expected"]), item["id"]
        assert len(set(item["expected"])) == len(item["expected"]), item["id"]


def test_refused_only_without_expected(items):
    for item in items:
        if item["refused"]:
            assert item["expected"] == [] and item["key_facts"] == [], item["id"]


# ---------------------------------------------------------------- coverage

def test_every_measure_has_a_measure_question(items, plan):
    covered = {n for item in items if item["category"] == "measure" for n in item["expected"]}
    missing = sorted({m.number for m in plan.measures} - covered)
    assert not missing, missing


def test_measure_items_are_answerable(items):
    for item in items:
        if item["category"] == "measure":
            assert item["expected"] and not item["refused"] and not item["history"], item["id"]
            assert item["match"] == "any" and item["key_facts"], item["id"]


def test_every_named_unit_has_a_complete_unit_item(items, plan):
    unit_items = [i for i in items if i["category"] == "unit"]
    for unit in sorted(named_units(plan)):
        complete = [i for i in unit_items if i["unit"] == unit and "role" not in i]
        assert complete, f"no unit question for {unit}"
        for item in complete:
            assert item["expected"] == unit_set(plan, unit), (item["id"], unit)
            assert item["match"] == "all", item["id"]


def test_unit_items_match_the_parser(items, plan):
    roles = {r.value for r in Role}
    for item in items:
        if item["category"] != "unit":
            assert "unit" not in item and "role" not in item, item["id"]
            continue
        assert item["unit"] in units_by_name() and item["unit"] not in PSEUDO_UNITS, item["id"]
        role = item.get("role")
        assert role is None or role in roles, item["id"]
        assert item["expected"] == unit_set(plan, item["unit"], role), item["id"]
        assert item["match"] == "all" and not item["refused"], item["id"]


def test_deadline_lists_follow_the_rule(items, plan):
    by_question = {i["question"]: i for i in items if i["category"] == "deadline"}
    rules = {
        "2021年底前要完成什么？": due_in_year(plan, 2021),
        "2022年底前要完成哪些任务？": due_in_year(plan, 2022),
        "2023年底前有哪些任务要完成？": due_in_year(plan, 2023),
        "2024年底前要干成什么事？": due_in_year(plan, 2024),
        "2022年6月份之前要完成的有哪些？": due_in_year(plan, 2022, 6),
        "方案里每年都要做的事情有哪些？": [m.number for m in plan.measures
                               if any(d.kind == DeadlineKind.ANNUAL for d in m.deadlines)],
        "有明确时间节点的措施都有哪些？给我列个时间表": [m.number for m in plan.measures
                                        if any(d.kind in DATED_KINDS for d in m.deadlines)],
        "司法厅2022年底前要完成哪些事？": sorted(set(due_in_year(plan, 2022))
                                   & set(unit_set(plan, "自治区司法厅"))),
    }
    for question, expected in rules.items():
        assert question in by_question, question
        assert by_question[question]["expected"] == expected, question
        assert by_question[question]["match"] == "all", question
    # Every measure with a dated deadline is asked about in at least one deadline item.
    asked = {n for i in by_question.values() for n in i["expected"]}
    assert set(rules["有明确时间节点的措施都有哪些？给我列个时间表"]) <= asked


def test_refusals(items):
    refusals = [i for i in items if i["category"] == "refusal"]
    assert len(refusals) >= 25
    for item in refusals:
        assert item["expected"] == [] and item["refused"] is True and item["key_facts"] == [], item["id"]
    for item in items:
        if item["category"] not in ("refusal", "english"):
            assert item["refused"] is False, item["id"]


def test_multiturn_items_have_history(items):
    multiturn = [i for i in items if i["category"] == "multiturn"]
    assert len(multiturn) >= 20
    for item in multiturn:
        assert item["history"], item["id"]
        assert item["expected"] and not item["refused"], item["id"]
    for item in items:
        if item["category"] != "multiturn":
            assert item["history"] == [], item["id"]


def test_english_items_are_english(items):
    english = [i for i in items if i["category"] == "english"]
    assert len(english) >= 15
    for item in english:
        assert not CJK.search(item["question"]), item["id"]


# ---------------------------------------------------------------- key facts

def test_key_facts_occur_in_the_plan(items, plan):
    document = document_corpus(plan)
    problems = []
    for item in items:
        texts = [squash(plan.measure(n).text) for n in item["expected"]]
        if not texts or item["category"] in ("structure", "document"):
            texts.append(document)
        for fact in item["key_facts"]:
            if not any(squash(fact) in text for text in texts):
                problems.append((item["id"], fact))
    assert not problems, problems
