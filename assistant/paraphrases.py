"""Everyday questions per measure (document expansion, as in doc2query).

People describe a measure in their own words ("上了年纪不会用手机App，去窗口办事怎么办？") that share
few words with its text (老年人 … 智能技术困难), and the embedding model places such a question
no nearer to the measure than to everyday questions the plan does not cover. Questions compare
well with questions, so each measure carries a few questions in everyday words
(``assistant/data/measure_questions.jsonl``: written from the plan text alone, by a writer who
saw no evaluation set; kept apart from every evaluation question by
``tests/test_paraphrases.py``). A user's question is matched to them by e5 similarity; the
best match per measure is a ranking for the fusion and a signal for the scope check.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .retrieval import Hit, sure_paraphrase

DATA_PATH = Path(__file__).resolve().parent / "data" / "measure_questions.jsonl"


def load_measure_questions(path: Path = DATA_PATH) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


# Two readings that agree make a sure match even when neither stands out alone: the measure
# whose everyday question is nearest by e5 is also the one whose question shares most words
# (BM25), clearly ahead of the next. Chosen on the development sets' questions (paraphrase
# items: sure and right 181 -> 207 of 242, sure and wrong 1 -> 2; questions the plan does not
# cover found sure 23 -> 25 of 326).
AGREEMENT_FLOOR = 0.91       # the e5 similarity the agreeing measure still needs
AGREEMENT_LEAD = 1.2         # its BM25 score over the next measure's


class ParaphraseSearch:
    """Nearest everyday questions by cosine similarity of their e5 query vectors, and by BM25
    over their words."""

    def __init__(self, rows: list[dict], vectors: np.ndarray, embed, tokenizer=None):
        self.rows = rows
        self.numbers = np.array([int(r["measure"]) for r in rows])
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.embed = embed
        self.tokenizer = tokenizer
        self.bm25 = None
        if tokenizer is not None:
            from rank_bm25 import BM25Okapi
            self.bm25 = BM25Okapi([tokenizer.tokens(r["text"]) or ["∅"] for r in rows])

    @classmethod
    def build(cls, embed, cache_dir: Path | None = None, model_id: str = "", path: Path = DATA_PATH,
              progress: bool = False, tokenizer=None) -> "ParaphraseSearch":
        """The questions' vectors are a built artifact, cached on disk by data and model."""
        from .embeddings import cached_vectors
        rows = load_measure_questions(path)
        vectors = cached_vectors(embed, [r["text"] for r in rows], cache_dir, "measure-questions", model_id,
                                 progress=progress)
        return cls(rows, vectors, embed, tokenizer)

    def lexical(self, query: str, k: int = 2) -> list[Hit]:
        """Measures ranked by their best everyday question's BM25 score (empty without a tokenizer)."""
        tokens = self.tokenizer.tokens(query) if self.bm25 is not None else []
        if not tokens:
            return []
        return _best_per_measure(self.numbers, np.asarray(self.bm25.get_scores(tokens)), None)[:k]

    def sure_match(self, query: str, ranking: list[Hit] | None = None) -> int | None:
        """The measure an everyday question surely describes: one e5 match standing out, or the
        e5 and the BM25 readings agreeing (`ranking`: this query's e5 ranking, when at hand)."""
        ranking = ranking if ranking is not None else self.search(query, k=2)
        sure = sure_paraphrase(ranking)
        if sure is not None or not ranking or ranking[0].score < AGREEMENT_FLOOR:
            return sure
        words = self.lexical(query, k=2)
        if not words or words[0].number != ranking[0].number or words[0].score <= 0:
            return None
        if len(words) > 1 and words[0].score < AGREEMENT_LEAD * words[1].score:
            return None
        return ranking[0].number

    def search(self, query: str, k: int = 20, numbers: set[int] | None = None) -> list[Hit]:
        """Measures ranked by their best-matching everyday question (score: its similarity)."""
        vector = np.asarray(self.embed([query])[0], dtype=np.float32)
        return _best_per_measure(self.numbers, self.vectors @ vector, numbers)[:k]


def _best_per_measure(numbers: np.ndarray, scores: np.ndarray, within: set[int] | None) -> list[Hit]:
    best: dict[int, float] = {}
    for number, score in zip(numbers.tolist(), scores.tolist()):
        if (within is None or number in within) and score > best.get(number, -1e9):
            best[number] = score
    return [Hit(number, float(score)) for number, score in sorted(best.items(), key=lambda kv: -kv[1])]


__all__ = ["DATA_PATH", "ParaphraseSearch", "load_measure_questions"]
