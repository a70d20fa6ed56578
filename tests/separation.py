"""Data written for the assistant (classifier utterances, everyday questions per measure) stays
apart from every evaluation question: no near-duplicates by character-bigram Jaccard."""
from __future__ import annotations

import json
import re
from pathlib import Path

EVALS = Path(__file__).resolve().parent.parent / "evals"
SEPARATION = 0.6      # character-bigram Jaccard above which two questions are near-duplicates


def grams(text: str) -> set[str]:
    folded = re.sub(r"[^\w]", "", text.lower())
    return {folded[i:i + 2] for i in range(len(folded) - 1)}


def evaluation_questions() -> list[str]:
    """Every question and earlier turn of every evaluation set."""
    questions = []
    for path in EVALS.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            questions += [q for q in [item.get("question"), *(item.get("history") or [])] if q]
    return questions


def near_duplicates(texts: list[str]) -> list[str]:
    """The texts that are near-duplicates of an evaluation question."""
    evaluation = [g for g in map(grams, evaluation_questions()) if g]
    return [t for t in texts if any(len(grams(t) & e) / len(grams(t) | e) >= SEPARATION for e in evaluation)]
