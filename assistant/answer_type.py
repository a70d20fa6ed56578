"""What a question asks for, learned from labelled utterances rather than written as rules.

Two labels per utterance in ``assistant/data/utterances.jsonl`` (written for this purpose
by a helper who saw no evaluation set; utterances too close to any evaluation question were
removed, and ``tests/test_answer_type.py`` keeps it that way): ``type``, the kind of answer wanted
(duty_list, deadline, target, who_leads, measure_list, explanation, document_fact, count,
comparison, structure, unanswerable), and ``asks_for``, the kind of information wanted
(requirement, unit, deadline, number, document, structure; or one the plan cannot hold:
progress, money, person, law_text, external_event, statistics, other_region, other_domain,
other_period). A logistic regression over character 1–3-grams predicts each; its
cross-validated accuracy is reported by ``python -m assistant.answer_type``.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

DATA_PATH = Path(__file__).resolve().parent / "data" / "utterances.jsonl"

# Kinds of information the plan never holds: it sets requirements, units, deadlines and
# targets, but records no results, money, people, other texts or outside events.
NOT_IN_PLAN = frozenset({"progress", "money", "person", "law_text", "external_event", "statistics",
                         "other_region", "other_domain", "other_period"})
# Of those, the ones where a measure on the same topic still deserves a "partial" answer.
PARTIAL_KINDS = frozenset({"progress", "money", "person", "statistics", "external_event"})


@dataclass(frozen=True)
class Prediction:
    label: str
    probability: float


def load_utterances(path: Path = DATA_PATH) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


EMBEDDING_WEIGHT = 2.0       # e5 vectors beside the n-gram features


class AnswerTypeClassifier:
    """Logistic regression over character 1–3-grams and (when an embedder is given) the
    question's e5 vector, for one label field."""

    def __init__(self, field: str, utterances: list[dict], vectors=None, embed=None):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        self.field = field
        self.embed = embed if vectors is not None else None
        texts = [r["text"] for r in utterances]
        self.ngrams = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True).fit(texts)
        self.model = LogisticRegression(max_iter=3000, C=10.0)
        self.model.fit(self._features(texts, vectors), [r[field] for r in utterances])

    def _features(self, texts, vectors=None):
        from scipy.sparse import csr_matrix, hstack
        grams = self.ngrams.transform(texts)
        if self.embed is None:
            return grams
        if vectors is None:
            vectors = self.embed(list(texts))
        return hstack([grams, csr_matrix(EMBEDDING_WEIGHT * vectors)]).tocsr()

    def not_in_plan(self, text: str) -> Prediction:
        """How likely the question asks for something the plan never holds (the summed
        probability of those kinds), with the likeliest such kind."""
        probabilities = self.model.predict_proba(self._features([text]))[0]
        kinds = [(float(p), str(c)) for p, c in zip(probabilities, self.model.classes_) if c in NOT_IN_PLAN]
        return Prediction(max(kinds)[1], sum(p for p, _ in kinds)) if kinds else Prediction("", 0.0)

    def predict(self, text: str, vector=None) -> Prediction:
        features = self._features([text], None if vector is None else vector.reshape(1, -1))
        probabilities = self.model.predict_proba(features)[0]
        best = probabilities.argmax()
        return Prediction(str(self.model.classes_[best]), float(probabilities[best]))


def utterance_vectors(embed, cache_dir: Path | None, model_id: str = "", path: Path = DATA_PATH):
    """The utterances' e5 vectors, cached on disk by data hash and model (a built artifact)."""
    import hashlib

    import numpy as np
    texts = [r["text"] for r in load_utterances(path)]
    digest = hashlib.sha256(("\n".join(texts) + model_id).encode()).hexdigest()[:16]
    cached = Path(cache_dir) / f"utterances-{digest}.npy" if cache_dir else None
    if cached is not None and cached.exists():
        return np.load(cached)
    vectors = np.asarray(embed(texts))
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            np.save(cached, vectors)
        except OSError:
            pass             # a read-only cache folder costs only the recomputation
    return vectors


def build_classifiers(embed=None, cache_dir: Path | None = None, model_id: str = "") -> dict[str, AnswerTypeClassifier]:
    rows = load_utterances()
    vectors = utterance_vectors(embed, cache_dir, model_id) if embed is not None else None
    return {field: AnswerTypeClassifier(field, rows, vectors, embed) for field in ("type", "asks_for")}


def cross_validated_accuracy(field: str, vectors=None, embed=None, folds: int = 5, seed: int = 0) -> float:
    """Stratified k-fold accuracy of the classifier on the utterance set."""
    from sklearn.model_selection import StratifiedKFold
    rows = load_utterances()
    labels = [r[field] for r in rows]
    correct = 0
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(rows, labels):
        model = AnswerTypeClassifier(field, [rows[i] for i in train],
                                     None if vectors is None else vectors[train], embed)
        for i in test:
            vector = None if vectors is None else vectors[i]
            correct += model.predict(rows[i]["text"], vector).label == labels[i]
    return correct / len(rows)


def main() -> int:
    from .config import get_settings
    from .embeddings import load_embedder
    settings = get_settings()
    embedder = load_embedder(settings)
    vectors = utterance_vectors(embedder.embed_queries, settings.model_cache_dir, embedder.model_id)
    for field in ("type", "asks_for"):
        ngrams = cross_validated_accuracy(field)
        both = cross_validated_accuracy(field, vectors, embedder.embed_queries)
        print(f"{field}: 5-fold cross-validated accuracy {both:.3f} (n-grams + e5), "
              f"{ngrams:.3f} (n-grams only), over {len(vectors)} utterances")
    return 0


if __name__ == "__main__":
    sys.exit(main())
