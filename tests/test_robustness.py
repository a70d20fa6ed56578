"""CheckList-style robustness tests (evals/robustness.py): the perturbation generators (no
model needed), the directional pairs, and one run through the shared assistant."""
from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field

import pytest

from assistant.units import find_units_in_text, units_by_name
from evals import robustness as rb

GOLD = rb.load_gold()
BY_ID = {item["id"]: item for item in GOLD}
ANSWERABLE = [item for item in GOLD if rb.is_answerable(item)]


def rng(seed: int = 0) -> random.Random:
    return random.Random(seed)


def item(question: str, **fields) -> dict:
    base = {"id": "t-001", "category": "measure", "question": question, "history": [], "expected": [52],
            "match": "any", "refused": False, "key_facts": ["x"]}
    return {**base, **fields}


def fold(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


# ------------------------------------------------------------------ eligibility
def test_only_items_with_a_clear_answer_are_perturbed():
    refusal = next(i for i in GOLD if i["refused"])
    follow_up = next(i for i in GOLD if i["history"])
    no_expected = next(i for i in GOLD if not i["expected"] and not i["refused"])
    for skipped in (refusal, follow_up, no_expected):
        assert rb.perturb([skipped]) == []
    english = next(i for i in ANSWERABLE if rb.is_english(i["question"]))
    kinds = {p["perturbation"] for p in rb.perturb([english])}
    assert kinds == {"width"}                     # every other kind is Chinese-only


def test_perturbed_items_keep_the_expected_answer_fields():
    perturbed = rb.perturb(ANSWERABLE[::7] + [BY_ID["unit-044"], BY_ID["deadline-008"]])
    assert {p["perturbation"] for p in perturbed} == set(rb.KINDS)
    ids = [p["id"] for p in perturbed]
    assert len(ids) == len(set(ids))
    for p in perturbed:
        source = BY_ID[p["source_id"]]
        assert p["id"].startswith(f"{source['id']}~{p['perturbation']}")
        assert p["question"] != source["question"]
        for key in rb.EXPECTED_FIELDS:
            assert p.get(key) == source.get(key), (p["id"], key)


@pytest.mark.parametrize("kind", rb.KINDS)
def test_every_generator_is_deterministic_for_a_seed(kind):
    sample = ANSWERABLE[::3] + [BY_ID["unit-044"], BY_ID["deadline-008"], BY_ID["measure-069"]]
    first = rb.perturb(sample, kinds=[kind], seed=7)
    assert first, kind
    assert rb.perturb(sample, kinds=[kind], seed=7) == first
    if kind in ("homophone", "politeness", "width", "alias"):
        assert rb.perturb(sample, kinds=[kind], seed=8) != first


# ------------------------------------------------------------------ generators
def test_traditional_differs_and_converts_back():
    import opencc
    t2s = opencc.OpenCC("t2s")
    for source in (BY_ID["unit-044"], BY_ID["deadline-001"], BY_ID["measure-010"]):
        [out] = rb.traditional(source, rng())
        assert out["question"] != source["question"]
        assert t2s.convert(out["question"]) == source["question"]
    assert "衛健委牽頭" in rb.traditional(BY_ID["unit-044"], rng())[0]["question"]


def test_homophone_changes_one_character_to_a_same_pinyin_one():
    for source in ANSWERABLE[:60]:
        out = rb.homophone(source, rng(3))
        if rb.is_english(source["question"]):
            assert out == []
            continue
        if not out:
            continue
        [p] = out
        before, after = source["question"], p["question"]
        assert len(before) == len(after)
        diff = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
        assert len(diff) == 1
        d = p["detail"]
        i = diff[0]
        assert (i, before[i], after[i]) == (d["position"], d["original"], d["replacement"])
        assert rb.is_cjk(after[i]) and not after[i].isdigit()
        # the replaced character lies in a key term: a jieba word the plan uses
        term, start = d["term"], d["term_start"]
        assert before[start:start + len(term)] == term and start <= i < start + len(term) and term in rb.plan_text()
        assert rb.toneless(after[i]) == [d["pinyin"]] == [rb.toneless(term)[i - start]]


def test_homophone_table_ranks_common_characters_first():
    table = rb.homophone_table()
    assert table["zheng"][0] in "正政证整争征"
    assert all(rb.is_cjk(c) and not c.isdigit() for chars in table.values() for c in chars)


def test_politeness_and_width_keep_the_content():
    for source in ANSWERABLE[:40]:
        question = source["question"]
        for p in rb.politeness(source, rng(1)):
            core = question.rstrip("？?")
            assert core in p["question"] and p["question"] != question
            assert p["question"].startswith(rb.POLITE_PREFIXES) or p["question"].endswith(rb.POLITE_SUFFIXES)
        [w] = rb.width(source, rng(1))
        assert fold(w["question"]) == fold(question)
        assert w["question"] != question
    [w] = rb.width(item("2022年底前，要完成哪些任务？"), rng())
    assert "２０２２" in w["question"] and "," in w["question"] and "?" in w["question"]


def test_alias_swaps_the_unit_mention_for_its_real_aliases():
    source = BY_ID["unit-044"]                     # 卫健委牵头哪些任务？
    out = rb.alias(source, rng())
    assert 1 <= len(out) <= rb.MAX_ALIASES
    unit = units_by_name()[source["unit"]]
    names = {unit.name, *unit.aliases}
    assert out[0]["detail"]["replacement"] == unit.name          # canonical name first
    for p in out:
        replacement = p["detail"]["replacement"]
        assert replacement in names and replacement != "卫健委"
        assert p["question"] == source["question"].replace("卫健委", replacement)
        assert find_units_in_text(p["question"]) == [source["unit"]]
    # canonical → aliases
    out = rb.alias(item("自治区司法厅要做什么？", unit="自治区司法厅"), rng())
    assert [p["detail"]["replacement"] for p in out] == ["司法厅"]
    # no unit, no alias perturbation; city/county pseudo-unit aliases are not swapped
    assert rb.alias(item("证明事项告知承诺制的清单啥时候要建起来？"), rng()) == []
    assert rb.alias(item("市县执法部门负责人要培训几次？"), rng()) == []


def test_role_synonyms_replace_role_words_only():
    out = rb.role_synonym(BY_ID["unit-044"], rng())             # 卫健委牵头哪些任务？
    assert [p["question"] for p in out] == ["卫健委主抓哪些任务？", "卫健委带头哪些任务？", "卫健委牵总哪些任务？"]
    out = rb.role_synonym(item("公安厅作为参加单位参与了哪些措施？"), rng())
    assert {p["question"] for p in out} == {"公安厅作为参与单位参与了哪些措施？", "公安厅作为配合单位参与了哪些措施？"}
    out = rb.role_synonym(item("发改委负责哪些任务？"), rng())
    assert [p["question"] for p in out] == ["发改委承担哪些任务？"]
    assert rb.role_synonym(item("被诉行政机关负责人出庭率要达到多少？"), rng()) == []
    assert rb.role_synonym(item("司法厅要做什么？"), rng()) == []


def test_order_swap_swaps_the_unit_and_the_condition():
    [p] = rb.order_swap(BY_ID["measure-069"], rng())             # 大调解工作格局那条，高院是不是牵头单位之一？
    assert p["question"] == "高院是不是牵头单位之一，大调解工作格局那条？"
    [p] = rb.order_swap(BY_ID["deadline-008"], rng())            # 司法厅2022年底前要完成哪些事？
    assert p["question"] == "2022年底前，司法厅要完成哪些事？"
    [p] = rb.order_swap(item("卫健委，牵头的任务有哪些？"), rng())
    assert p["question"] == "牵头的任务有哪些，卫健委？"
    assert sorted(p["question"]) == sorted("卫健委，牵头的任务有哪些？")
    # no unit, or no time/role condition: no swap
    assert rb.order_swap(item("“三调”联动是什么意思，谁牵头？"), rng()) == []
    assert rb.order_swap(item("我是公安厅的，我们要干什么？"), rng()) == []


# ------------------------------------------------------------------ directional
def test_directional_pairs_add_a_condition(plan):
    pairs = rb.directional_items(GOLD, plan)
    kinds = {p["kind"] for p in pairs}
    assert kinds == {"role", "unit", "year"}
    for p in pairs:
        assert p["narrowed"] != p["base"] and len(p["narrowed"]) > len(p["base"])
        base_chars = iter(p["narrowed"])                          # the base is a subsequence
        assert all(c in base_chars for c in p["base"])
    by_source = {(p["source_id"], p["kind"]): p for p in pairs}
    assert by_source[("unit-001", "role")]["narrowed"].startswith("司法厅作为牵头单位")
    assert ("unit-044", "role") not in by_source                  # already has a role
    assert ("unit-005", "role") not in by_source                  # 我是公安厅的，…
    unit_pair = by_source[("deadline-001", "unit")]
    assert find_units_in_text(unit_pair["narrowed"]) == [unit_pair["condition"]]


# ------------------------------------------------------------------ running
@dataclass
class FakeAnswer:
    citations: list[int]
    refused: bool = False
    intent: str = "search"
    error: str = ""


@dataclass
class FakeAssistant:
    """Cites measure 1 for a gold question, measure 2 for anything else."""
    gold_questions: set[str]
    plan: object = None
    asked: list[str] = field(default_factory=list)

    def ask(self, question, history=None):
        self.asked.append(question)
        return FakeAnswer([1] if question in self.gold_questions else [2])


def test_run_robustness_report_and_a_failing_fake(assistant):
    sample = [BY_ID[i] for i in ("unit-044", "unit-012", "deadline-008", "deadline-002", "measure-069",
                                 "measure-010", "target-002", "english-011", "measure-009")]
    sample += [i for i in ANSWERABLE if i["category"] == "measure"][20:26]
    sample += [BY_ID["refusal-001"]] if "refusal-001" in BY_ID else []
    report = rb.run_robustness(assistant, sample, progress=False)
    assert report.base_items == len([i for i in sample if rb.is_answerable(i)]) >= 15
    assert set(report.kinds) == set(rb.KINDS)
    assert report.n == sum(k.n for k in report.kinds.values()) > 50
    assert 0.0 <= report.rate <= 1.0 and report.directional.n > 0
    for kind in report.kinds.values():
        assert kind.n >= 1 and 0 <= kind.invariant <= kind.n and len(kind.failures) <= rb.MAX_EXAMPLES
        for failure in kind.failures:
            assert {"question", "base_question", "base", "perturbed", "pattern"} <= set(failure)
    data = report.to_dict()
    assert data["overall"]["n"] == report.n and len(data["cases"]) == report.n + report.directional.n
    markdown = report.to_markdown()
    assert "| traditional |" in markdown and "directional" in markdown

    fake = FakeAssistant({i["question"] for i in sample}, assistant.plan)
    faked = rb.run_robustness(fake, sample, progress=False)
    assert faked.rate == 0.0 < 1
    assert all(k.invariant == 0 and k.failures for k in faked.kinds.values())
    assert faked.kinds["alias"].failures[0]["perturbed"]["citations"] == [2]
    assert len(fake.asked) == len(set(fake.asked)) == faked.questions_asked
