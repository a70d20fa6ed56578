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
