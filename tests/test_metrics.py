"""Evaluation metrics on small hand-made inputs (no model, no index)."""
from __future__ import annotations

import pytest

from evals.metrics import (GroundingCount, aggregate, citation_precision, citation_recall, cited_share,
                           grounding, grounding_count, hit_at_k, key_fact_accuracy, missing_key_facts,
                           percentile, predicted_duties, ranked_measures, reciprocal_rank,
                           refusal_precision_recall, score_item, set_precision, set_recall)
from evals.thresholds import check_gate

TEXTS = {
    1: "2022年6月前县级以上各级政府建立行政复议委员会，为重大、疑难、复杂的案件提供咨询意见。（牵头单位：自治区司法厅）",
    2: "对符合法定条件要求的依申请公开政府信息的答复率达100%。（牵头单位：自治区政府办公厅）",
    3: "加大法治政府建设成就经验宣传和典型宣传力度，传播法治政府建设的宁夏声音。（牵头单位：自治区党委宣传部）",
}


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
def test_citation_precision_counts_expected_or_supporting_measures():
    supported_extra = "2022年6月前县级以上各级政府建立行政复议委员会【第1项】"
    # measure 1 is not expected but supports the sentence citing it: correct
    assert citation_precision(supported_extra, expected=[2], texts=TEXTS) == 1.0
    # measure 3 neither is expected nor supports the sentence: incorrect
    wrong = "依申请公开政府信息的答复率达100%【第2项】【第3项】"
    assert citation_precision(wrong, expected=[2], texts=TEXTS) == 0.5
    # an expected measure counts even when the sentence is a paraphrase it does not support
    assert citation_precision("总之要做好这件事【第3项】", expected=[3], texts=TEXTS) == 1.0
    # an unknown measure number has no text: incorrect unless expected
    assert citation_precision("建立行政复议委员会【第120项】", expected=[1], texts=TEXTS) == 0.0
    assert citation_precision("没有引用。", expected=[1], texts=TEXTS) is None


def test_citation_recall_all_and_any():
    assert citation_recall([1, 2], [1, 2, 3, 4], "all") == 0.5
    assert citation_recall([4], [1, 2, 3, 4], "any") == 1.0
    assert citation_recall([9], [1, 2], "any") == 0.0
    assert citation_recall([1], [], "any") is None


# ------------------------------------------------------------------ unit duties
def test_unit_duties_prefer_all_named_then_citations():
    single = {"citations": [1, 2, 3], "duties": {"unit": "自治区司法厅", "all_named": [1, 2]}}
    assert predicted_duties(single, "自治区司法厅") == [1, 2]
    several = {"citations": [1, 5], "duties": {"unit": "甲", "all_named": [1], "乙": {"unit": "乙", "all_named": [5, 6]}}}
    assert predicted_duties(several, "乙") == [5, 6]
    assert predicted_duties({"citations": [4, 7], "duties": None}, "自治区司法厅") == [4, 7]


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
def test_grounding_of_known_supported_sentences(plan):
    texts = {m.number: m.text for m in plan.measures}
    answer = ("**时间要求：2022年6月前**【第69项】\n\n"
              "> 2022年6月前县级以上各级政府建立行政复议委员会，为重大、疑难、复杂的案件提供咨询意见。【第69项】\n\n"
              "牵头单位：自治区司法厅【第69项】")
    count = grounding_count(answer, texts)
    assert (count.cited, count.supported, count.unsupported) == (3, 3, ())


def test_grounding_of_known_unsupported_sentences(plan):
    texts = {m.number: m.text for m in plan.measures}
    answer = ("行政复议委员会由国务院统一组建并直接管理。【第69项】\n"
              "2030年前取消全部行政审批。【第69项】\n"
              "2022年6月前县级以上各级政府建立行政复议委员会。【第69项】\n"
              "建立行政复议委员会。【第200项】\n"
              "方案中的相关规定如下：")
    count = grounding_count(answer, texts)
    assert count.sentences == 5
    assert count.cited == 4
    assert count.supported == 1
    assert count.unsupported == ("行政复议委员会由国务院统一组建并直接管理。", "2030年前取消全部行政审批。",
                                 "建立行政复议委员会。")


def test_grounding_judges_a_sentence_against_all_its_citations():
    sentence = "建立行政复议委员会，答复率达100%【第1项】【第2项】"
    assert grounding_count(sentence, TEXTS).supported == 1
    assert grounding_count("建立行政复议委员会，答复率达100%【第1项】", TEXTS).supported == 0


def test_grounding_pools_sentences_over_answers():
    counts = [GroundingCount(4, 2, 2), GroundingCount(3, 2, 1), GroundingCount(1, 0, 0)]
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


def test_score_item_and_aggregate():
    good = score_item(_item(key_facts=["行政复议委员会"]),
                      {"answer": "> 2022年6月前县级以上各级政府建立行政复议委员会【第1项】", "citations": [1],
                       "refused": False, "measures": [1, 2], "latency_ms": 10.0}, TEXTS)
    refused_wrongly = score_item(_item(id="x-002"),
                                 {"answer": "抱歉。", "citations": [], "refused": True, "measures": [],
                                  "latency_ms": 30.0}, TEXTS)
    refusal = score_item(_item(id="r-001", category="refusal", expected=[], refused=True),
                         {"answer": "抱歉。", "citations": [], "refused": True, "measures": [],
                          "latency_ms": 20.0}, TEXTS)
    assert good.failed_metrics() == [] and good.answer_correct
    assert refused_wrongly.failed_metrics() == ["refusal", "hit@3", "citation_recall"]
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


def test_unit_item_scores_duties():
    item = _item(category="unit", expected=[1, 2], match="all", unit="自治区司法厅")
    result = {"answer": "- 建立行政复议委员会【第1项】", "citations": [1], "refused": False, "measures": [1],
              "duties": {"unit": "自治区司法厅", "all_named": [1, 3]}}
    score = score_item(item, result, TEXTS)
    assert score.unit_recall == 0.5 and score.unit_precision == 0.5
    assert "unit_recall" in score.failed_metrics()


def test_gate_checks_thresholds_and_skips_unmeasured():
    checks = {c.metric: c for c in check_gate({"hit@3": 0.96, "citation_precision": 0.90, "grounding": None},
                                              {"hit@3": 0.95, "citation_precision": 0.95, "grounding": 0.99})}
    assert checks["hit@3"].passed
    assert not checks["citation_precision"].passed
    assert checks["grounding"].passed and not checks["grounding"].measured
