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
from functools import lru_cache
from pathlib import Path

import numpy as np

DATA_PATH = Path(__file__).resolve().parent / "data" / "utterances.jsonl"

# Kinds of information the plan never holds: it sets requirements, units, deadlines and
# targets, but records no results, money, people, other texts or outside events.
NOT_IN_PLAN = frozenset({"progress", "money", "person", "law_text", "external_event", "statistics",
                         "other_region", "other_domain", "other_period"})
# Of those, the ones entity linking decides (a region's name, a year outside the plan period):
# the classifier's guess from the wording is not needed for them and is not counted.
LINKED_KINDS = frozenset({"other_region", "other_period"})
# Of those, the ones where a measure on the same topic still deserves a "partial" answer.
PARTIAL_KINDS = frozenset({"progress", "money", "person", "statistics", "external_event"})


@dataclass(frozen=True)
class Prediction:
    label: str
    probability: float


def load_utterances(path: Path = DATA_PATH) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


EMBEDDING_WEIGHT = 2.0       # e5 vectors beside the n-gram features
SLOT_WEIGHT = 1.0            # slot indicators (what the question names) beside both


class AnswerTypeClassifier:
    """Logistic regression over character 1–3-grams, (when an embedder is given) the
    question's e5 vector and (when slots are given) which slots the question fills, for one
    label field. The slots let one model learn that "哪些" over a unit wants its duty list
    while "哪些" over a year wants a deadline list, without a rule for either."""

    def __init__(self, field: str, utterances: list[dict], vectors=None, embed=None, slots=None):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        self.field = field
        self.embed = embed if vectors is not None else None
        # slots: one indicator dict per utterance (``Slots.indicators()``)
        self.slot_keys = sorted(slots[0]) if slots else None
        texts = [r["text"] for r in utterances]
        self.ngrams = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True).fit(texts)
        self.model = LogisticRegression(max_iter=3000, C=10.0)
        self.model.fit(self._features(texts, vectors, slots), [r[field] for r in utterances])

    def _features(self, texts, vectors=None, slots=None):
        from scipy.sparse import csr_matrix, hstack
        blocks = [self.ngrams.transform(texts)]
        if self.embed is not None:
            if vectors is None:
                vectors = self.embed(list(texts))
            blocks.append(csr_matrix(EMBEDDING_WEIGHT * vectors))
        if self.slot_keys is not None:
            rows = [[s.get(k, 0.0) for k in self.slot_keys] if s is not None else [0.0] * len(self.slot_keys)
                    for s in (slots or [None] * len(texts))]
            blocks.append(csr_matrix(SLOT_WEIGHT * np.asarray(rows)))
        return hstack(blocks).tocsr() if len(blocks) > 1 else blocks[0]

    def not_in_plan(self, text: str) -> Prediction:
        """How likely the question asks for something the plan never holds (the summed
        probability of those kinds), with the likeliest such kind."""
        probabilities = self.model.predict_proba(self._features([text]))[0]
        kinds = [(float(p), str(c)) for p, c in zip(probabilities, self.model.classes_)
                 if c in NOT_IN_PLAN and c not in LINKED_KINDS]
        return Prediction(max(kinds)[1], sum(p for p, _ in kinds)) if kinds else Prediction("", 0.0)

    def probabilities(self, text: str, vector=None, slots=None) -> dict[str, float]:
        features = self._features([text], None if vector is None else vector.reshape(1, -1),
                                  None if slots is None else [slots.indicators()])
        return {str(c): float(p) for c, p in zip(self.model.classes_, self.model.predict_proba(features)[0])}

    def predict(self, text: str, vector=None, slots=None) -> Prediction:
        features = self._features([text], None if vector is None else vector.reshape(1, -1),
                                  None if slots is None else [slots.indicators()])
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


def utterance_slots(link_slots, cache_dir: Path | None, key: str = "", path: Path = DATA_PATH) -> list[dict]:
    """The utterances' slot indicators, cached on disk by data hash and ``key`` (which names
    the plan and the linking code, so a change to either recomputes them)."""
    import hashlib
    texts = [r["text"] for r in load_utterances(path)]
    digest = hashlib.sha256(("\n".join(texts) + key).encode()).hexdigest()[:16]
    cached = Path(cache_dir) / f"utterance-slots-{digest}.json" if cache_dir and key else None
    if cached is not None and cached.exists():
        try:
            return json.loads(cached.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    rows = [link_slots(text).indicators() for text in texts]
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_text(json.dumps(rows), encoding="utf-8")
        except OSError:
            pass
    return rows


def build_classifiers(embed=None, cache_dir: Path | None = None, model_id: str = "",
                      link_slots=None, slots_key: str = "") -> dict[str, AnswerTypeClassifier]:
    """``link_slots`` (text -> Slots, from ``assistant.slots.link``) adds slot features to the
    answer-type model; the asks-for model reads words only."""
    rows = load_utterances()
    vectors = utterance_vectors(embed, cache_dir, model_id) if embed is not None else None
    slots = utterance_slots(link_slots, cache_dir, slots_key) if link_slots is not None else None
    return {"type": AnswerTypeClassifier("type", rows, vectors, embed, slots),
            "asks_for": AnswerTypeClassifier("asks_for", rows, vectors, embed)}


@lru_cache(maxsize=1)
def default_classifiers() -> dict[str, AnswerTypeClassifier]:
    """Words-and-slots classifiers for callers that load no embedding model (CLI search, tests)."""
    from .plan import load_plan
    from .config import get_settings
    from .lexicon import tokenizer_for
    from .slots import link
    plan = load_plan(get_settings().corpus_path)
    tokenizer = tokenizer_for(plan)
    return build_classifiers(link_slots=lambda text: link(text, plan, tokenizer))


def cross_validated_accuracy(field: str, vectors=None, embed=None, folds: int = 5, seed: int = 0,
                             slots=None) -> float:
    """Stratified k-fold accuracy of the classifier on the utterance set."""
    from sklearn.model_selection import StratifiedKFold
    rows = load_utterances()
    labels = [r[field] for r in rows]
    correct = 0
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(rows, labels):
        model = AnswerTypeClassifier(field, [rows[i] for i in train],
                                     None if vectors is None else vectors[train], embed,
                                     None if slots is None else [slots[i] for i in train])
        for i in test:
            vector = None if vectors is None else vectors[i]
            features = model._features([rows[i]["text"]], None if vector is None else vector.reshape(1, -1),
                                       None if slots is None else [slots[i]])
            probabilities = model.model.predict_proba(features)[0]
            correct += model.model.classes_[probabilities.argmax()] == labels[i]
    return correct / len(rows)


def main() -> int:
    from .config import get_settings
    from .embeddings import load_embedder
    settings = get_settings()
    embedder = load_embedder(settings)
    vectors = utterance_vectors(embedder.embed_queries, settings.model_cache_dir, embedder.model_id)
    from .lexicon import tokenizer_for
    from .plan import load_plan
    from .slots import link
    plan = load_plan(settings.corpus_path)
    tokenizer = tokenizer_for(plan)
    slots = [link(r["text"], plan, tokenizer).indicators() for r in load_utterances()]
    for field in ("type", "asks_for"):
        ngrams = cross_validated_accuracy(field)
        both = cross_validated_accuracy(field, vectors, embedder.embed_queries)
        with_slots = cross_validated_accuracy(field, vectors, embedder.embed_queries, slots=slots)
        print(f"{field}: 5-fold cross-validated accuracy {with_slots:.3f} (n-grams + e5 + slots), "
              f"{both:.3f} (n-grams + e5), {ngrams:.3f} (n-grams only), over {len(vectors)} utterances")
    return 0


if __name__ == "__main__":
    sys.exit(main())
