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

from .retrieval import Hit

DATA_PATH = Path(__file__).resolve().parent / "data" / "measure_questions.jsonl"


def load_measure_questions(path: Path = DATA_PATH) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


class ParaphraseSearch:
    """Nearest everyday questions by cosine similarity of their e5 query vectors."""

    def __init__(self, rows: list[dict], vectors: np.ndarray, embed):
        self.rows = rows
        self.numbers = np.array([int(r["measure"]) for r in rows])
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.embed = embed

    @classmethod
    def build(cls, embed, cache_dir: Path | None = None, model_id: str = "", path: Path = DATA_PATH,
              progress: bool = False) -> "ParaphraseSearch":
        """The questions' vectors are a built artifact, cached on disk by data and model."""
        from .embeddings import cached_vectors
        rows = load_measure_questions(path)
        vectors = cached_vectors(embed, [r["text"] for r in rows], cache_dir, "measure-questions", model_id,
                                 progress=progress)
        return cls(rows, vectors, embed)

    def search(self, query: str, k: int = 20, numbers: set[int] | None = None) -> list[Hit]:
        """Measures ranked by their best-matching everyday question (score: its similarity)."""
        vector = np.asarray(self.embed([query])[0], dtype=np.float32)
        scores = self.vectors @ vector
        best: dict[int, float] = {}
        for number, score in zip(self.numbers.tolist(), scores.tolist()):
            if (numbers is None or number in numbers) and score > best.get(number, -1.0):
                best[number] = score
        ranked = sorted(best.items(), key=lambda kv: -kv[1])[:k]
        return [Hit(number, float(score)) for number, score in ranked]


__all__ = ["DATA_PATH", "ParaphraseSearch", "load_measure_questions"]
