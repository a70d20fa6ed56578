"""The everyday questions per measure (assistant/data/measure_questions.jsonl): complete,
apart from every evaluation question, and a sure match only when one measure stands out."""
from __future__ import annotations

from assistant.paraphrases import load_measure_questions
from assistant.retrieval import Hit, sure_paraphrase
from tests.separation import near_duplicates


def test_every_measure_has_everyday_questions(plan):
    rows = load_measure_questions()
    per_measure = {}
    for row in rows:
        per_measure.setdefault(row["measure"], []).append(row["text"])
    assert set(per_measure) == {m.number for m in plan.measures}
    assert all(len(texts) >= 3 for texts in per_measure.values())
    assert len({r["text"] for r in rows}) == len(rows)


def test_everyday_questions_are_apart_from_every_evaluation_question():
    assert near_duplicates([r["text"] for r in load_measure_questions()]) == []


def test_a_sure_match_stands_out():
    assert sure_paraphrase([Hit(48, 0.97), Hit(50, 0.93)]) == 48
    assert sure_paraphrase([Hit(29, 0.942), Hit(28, 0.940)]) is None     # two measures fit as well
    assert sure_paraphrase([Hit(12, 0.91), Hit(6, 0.86)]) is None        # not close enough
    assert sure_paraphrase([]) is None


def test_agreeing_readings_make_a_sure_match(assistant):
    """e5 alone puts 第12项 first by a hair (not sure); BM25 over the same everyday questions
    puts it first clearly: the two agree, so the match is sure."""
    question = "外地人在宁夏办事能不能不回老家"
    search = assistant.paraphrases
    ranking = search.search(question, k=2)
    assert ranking[0].number == 12 and sure_paraphrase(ranking) is None
    assert search.lexical(question, k=1)[0].number == 12
    assert search.sure_match(question) == 12


def test_disagreeing_readings_are_not_sure(assistant):
    question = "执法人员没亮证件就来检查合法吗"
    search = assistant.paraphrases
    assert search.search(question, k=1)[0].number != search.lexical(question, k=1)[0].number
    assert search.sure_match(question) is None
