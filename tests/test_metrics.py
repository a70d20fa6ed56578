"""Evaluation metrics on small hand-made inputs (no model, no index)."""
from __future__ import annotations

import pytest

from evals.metrics import (GroundingCount, aggregate, citation_precision, citation_recall, cited_share,
                           grounding, grounding_count, hit_at_k, key_fact_accuracy, missing_key_facts,
                           percentile, predicted_duties, ranked_measures, reciprocal_rank,
                           refusal_precision_recall, score_item, set_precision, set_recall)
from assistant.grounding import FactChecker
from evals.thresholds import check_gate



@pytest.fixture(scope="module")
def checker(plan):
    return FactChecker(plan)


# ------------------------------------------------------------------ retrieval
def test_ranking_puts_citations_first_then_measures_once():
    assert ranked_measures([5, 2], [2, 7, 5, 9]) == [5, 2, 7, 9]
    assert ranked_measures([], [4, 4, 1]) == [4, 1]


def test_hit_at_k_and_reciprocal_rank():
    ranked = [5, 2, 7, 9]
    assert hit_at_k(ranked, [7], 1) == 0.0
    assert hit_at_k(ranked, [7], 3) == 1.0
    assert hit_at_k(ranked, [8, 2], 3) == 1.0
    assert hit_at_k(ranked, [8], 5) == 0.0
    assert reciprocal_rank(ranked, [7, 9]) == pytest.approx(1 / 3)
    assert reciprocal_rank(ranked, [8]) == 0.0


# ------------------------------------------------------------------ citations
def test_citation_precision_is_measured_against_the_gold_only():
    # a cited measure counts only when the independent gold expects it
    assert citation_precision([69], expected=[69]) == 1.0
    assert citation_precision([69, 70], expected=[69]) == 0.5
    assert citation_precision([120], expected=[69]) == 0.0
    assert citation_precision([], expected=[69]) is None
    # a refusal or document fact that cites a measure cites a wrong one
    assert citation_precision([3], expected=[]) == 0.0
    # unit items are judged by unit precision instead
    assert citation_precision([1, 2, 3], expected=[1], unit_item=True) is None


def test_citation_recall_all_and_any():
    assert citation_recall([1, 2], [1, 2, 3, 4], "all") == 0.5
    assert citation_recall([4], [1, 2, 3, 4], "any") == 1.0
    assert citation_recall([9], [1, 2], "any") == 0.0
    assert citation_recall([1], [], "any") is None


# ------------------------------------------------------------------ unit duties
def test_unit_duties_prefer_all_named_then_citations():
    single = {"citations": [1, 2, 3], "duties": {"unit": "自治区司法厅", "all_named": [1, 2],
                                                 "via_designation": {"自治区政府各部门": [5]}}}
    assert predicted_duties(single, {"unit": "自治区司法厅"}) == [1, 2]
    # a unit the plan reaches only through designations: designation measures count
    assert predicted_duties(single, {"unit": "自治区医疗保障局", "reach": "designation"}) == [1, 2, 5]
    # a role condition: the duty record is already filtered by role
    assert predicted_duties(single, {"unit": "自治区司法厅", "role": "牵头"}) == [1, 2]
    assert predicted_duties({"citations": [4]}, {"unit": "自治区司法厅"}) == [4]


def test_set_recall_and_precision():
    assert set_recall([1, 2, 9], [1, 2, 3, 4]) == 0.5
    assert set_precision([1, 2, 9, 10], [1, 2, 3]) == 0.5
    assert set_precision([], [1]) == 0.0
    assert set_recall([1], []) is None


# ------------------------------------------------------------------ key facts
def test_key_facts_ignore_spaces_and_punctuation():
    answer = "2022 年 6 月前，县级以上政府建立行政复议委员会；答复率达 100 %。"
    assert key_fact_accuracy(answer, ["2022年6月前", "100%", "60学时"]) == pytest.approx(2 / 3)
    assert missing_key_facts(answer, ["2022年6月前", "60学时"]) == ["60学时"]
    assert key_fact_accuracy(answer, []) is None


# ------------------------------------------------------------------ refusals
def test_refusal_precision_and_recall():
    pairs = [(True, True), (True, False), (False, True), (False, False), (True, True)]
    precision, recall = refusal_precision_recall(pairs)
    assert precision == pytest.approx(2 / 3)
    assert recall == pytest.approx(2 / 3)
    assert refusal_precision_recall([(False, False)]) == (None, None)
    assert refusal_precision_recall([(True, False)]) == (None, 0.0)


# ------------------------------------------------------------------ grounding
def test_grounding_of_known_supported_sentences(checker):
    answer = ("**时间要求：2022年6月前**【第69项】\n\n"
              "> 2022年6月前县级以上各级政府建立行政复议委员会，为重大、疑难、复杂的案件提供咨询意见。【第69项】\n\n"
              "牵头单位：自治区司法厅【第69项】\n"
              "方案中的相关规定如下：")
    count = grounding_count(answer, checker)
    assert (count.factual, count.supported, count.unsupported) == (3, 3, ())
    assert count.sentences == 4


@pytest.mark.parametrize("answer", [
    "2025年12月前县级以上各级政府建立行政复议委员会。【第69项】",        # changed year
    "2022年6月前县级以上各级政府不建立行政复议委员会。【第69项】",        # inserted negation
    "行政复议委员会由自治区财政厅牵头建立。【第69项】",                  # wrong lead unit
    "行政执法人员每人每年接受不少于6学时的培训。【第104项】",             # 60学时 -> 6学时
    "行政执法人员每人每年接受不超过60学时的培训。【第104项】",            # 不少于 -> 不超过
    "建立行政复议委员会。【第200项】",                                 # a measure that does not exist
    "The reconsideration committees are to be set up by the end of 2025.【第69项】",   # English, changed year
    "方案要求2022年6月前建立行政复议委员会。",                          # a fact without a citation
])
def test_grounding_fails_each_deliberately_broken_answer(checker, answer):
    count = grounding_count(answer, checker)
    assert count.factual == 1 and count.supported == 0, count


def test_grounding_judges_a_sentence_against_all_its_citations(checker):
    both = "2022年6月前建立行政复议委员会，2023年底前被诉行政机关负责人出庭率达100%【第69项】【第71项】"
    assert grounding_count(both, checker).supported == 1
    assert grounding_count("2022年6月前建立行政复议委员会，2023年底前出庭率达100%【第69项】", checker).supported == 0


def test_grounding_pools_sentences_over_answers():
    counts = [GroundingCount(4, 2, 2, factual=2), GroundingCount(3, 2, 1, factual=2), GroundingCount(1, 0, 0)]
    assert grounding(counts) == pytest.approx(3 / 4)
    assert cited_share(counts) == pytest.approx(4 / 8)
    assert grounding([GroundingCount(2, 0, 0)]) is None


# ------------------------------------------------------------------ latency
def test_percentiles_interpolate_linearly():
    values = [10.0, 20.0, 30.0, 40.0, 50.0]
    assert percentile(values, 50) == 30.0
    assert percentile(values, 95) == pytest.approx(48.0)
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None


# ------------------------------------------------------------------ per item and aggregate
def _item(**fields) -> dict:
    base = {"id": "x-001", "category": "measure", "question": "?", "history": [], "expected": [1],
            "match": "any", "refused": False, "key_facts": []}
    return {**base, **fields}


def test_score_item_and_aggregate(checker):
    good = score_item(_item(expected=[69], key_facts=["行政复议委员会"]),
                      {"answer": "> 2022年6月前县级以上各级政府建立行政复议委员会【第69项】", "citations": [69],
                       "refused": False, "measures": [69, 2], "latency_ms": 10.0}, checker)
    refused_wrongly = score_item(_item(id="x-002", expected=[69]),
                                 {"answer": "抱歉。", "citations": [], "refused": True, "measures": [],
                                  "latency_ms": 30.0}, checker)
    refusal = score_item(_item(id="r-001", category="refusal", expected=[], refused=True),
                         {"answer": "抱歉。", "citations": [], "refused": True, "measures": [],
                          "latency_ms": 20.0}, checker)
    assert good.failed_metrics() == [] and good.answer_correct
    assert refused_wrongly.failed_metrics() == ["refusal", "hit@3", "citation_recall", "coverage"]
    assert refusal.hits == {} and refusal.answer_correct
    figures = aggregate([good, refused_wrongly, refusal])
    assert figures["hit@3"] == 0.5
    assert figures["mrr"] == 0.5
    assert figures["citation_precision"] == 1.0
    assert figures["refusal_precision"] == 0.5
    assert figures["refusal_recall"] == 1.0
    assert figures["grounding"] == 1.0
    assert figures["answer_accuracy"] == pytest.approx(2 / 3)
    assert figures["latency_p50_ms"] == 20.0


def test_unit_item_scores_duties(checker):
    item = _item(category="unit", expected=[1, 2], match="all", unit="自治区司法厅")
    result = {"answer": "- 建立行政复议委员会【第1项】", "citations": [1], "refused": False, "measures": [1],
              "duties": {"unit": "自治区司法厅", "all_named": [1, 3]}}
    score = score_item(item, result, checker)
    assert score.unit_recall == 0.5 and score.unit_precision == 0.5
    assert "unit_recall" in score.failed_metrics()


def test_gate_checks_thresholds_and_skips_unmeasured():
    checks = {c.metric: c for c in check_gate({"hit@3": 0.96, "citation_precision": 0.90, "grounding": None},
                                              {"hit@3": 0.95, "citation_precision": 0.95, "grounding": 0.99})}
    assert checks["hit@3"].passed
    assert not checks["citation_precision"].passed
    assert checks["grounding"].passed and not checks["grounding"].measured


# ------------------------------------------------------------------ every metric can fail
GOOD = {"answer": "**时间要求：2022年6月前**【第69项】\n> 2022年6月前县级以上各级政府建立行政复议委员会【第69项】",
        "citations": [69], "refused": False, "measures": [69], "latency_ms": 5.0}


def _broken(**changes) -> dict:
    return {**GOOD, **changes}


@pytest.mark.parametrize("metric, item, broken", [
    ("hit@3", {}, _broken(citations=[1], measures=[1, 2, 3], answer="建立权责清单【第1项】")),
    ("citation_precision", {}, _broken(citations=[69, 70], answer=GOOD["answer"] + "\n也要执行【第70项】")),
    ("citation_recall", {"expected": [69, 70], "match": "all"}, GOOD),
    ("key_facts", {"key_facts": ["2022年6月"]}, _broken(answer="建立行政复议委员会【第69项】")),
    ("grounding", {}, _broken(answer="2024年底前建立行政复议委员会【第69项】")),
    ("refusal", {}, _broken(refused=True, citations=[], measures=[], answer="抱歉，方案没有涉及这个问题。")),
    ("coverage", {"coverage": "partial"}, GOOD),
    ("unit_recall", {"category": "unit", "unit": "自治区司法厅", "expected": [69, 70], "match": "all"}, GOOD),
    ("unit_precision", {"category": "unit", "unit": "自治区司法厅", "expected": [69]},
     _broken(citations=[69, 1, 2], answer=GOOD["answer"] + "\n建立权责清单【第1项】【第2项】")),
])
def test_every_metric_fails_on_a_deliberately_broken_answer(checker, metric, item, broken):
    gold = {**_item(expected=[69], key_facts=["2022年6月"]), **item}
    good_answer = GOOD if metric not in ("citation_recall", "coverage", "unit_recall") else None
    if good_answer is not None:
        assert metric not in score_item(gold, good_answer, checker).failed_metrics()
    score = score_item(gold, broken, checker)
    assert metric in score.failed_metrics()
    assert not score.answer_correct or metric in ("hit@3", "citation_precision", "unit_precision")
