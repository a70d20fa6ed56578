"""What a question asks for, learned from labelled utterances rather than written as rules.

Two labels per utterance in ``assistant/data/utterances.jsonl`` (written for this purpose
by a helper who saw no evaluation set; utterances too close to any evaluation question were
removed, and ``tests/test_answer_type.py`` keeps it that way; the last 232 lines are a
colloquial batch (咋、啥、整、搞 …) from a second such helper, added because casual in-plan questions
were taken for ones the plan cannot answer): ``type``, the kind of answer wanted
(duty_list, deadline, target, who_leads, measure_list, explanation, document_fact, count,
comparison, structure, unanswerable), and ``asks_for``, the kind of information wanted
(requirement, unit, deadline, number, document, structure; or one the plan cannot hold:
progress, money, person, law_text, external_event, statistics, other_region, other_domain,
other_period). A logistic regression over character 1–3-grams predicts each; its
cross-validated accuracy is reported by ``python -m assistant.answer_type``.
"""
from __future__ import annotations

import json
import math
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
PARTIAL_KINDS = frozenset({"progress", "money", "person", "statistics", "external_event", "law_text"})


@dataclass(frozen=True)
class Prediction:
    label: str
    probability: float


def load_utterances(path: Path = DATA_PATH) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


EMBEDDING_WEIGHT = 2.0       # e5 vectors beside the n-gram features
PREDICTION_CACHE_SIZE = 4096 # questions whose predictions are remembered (per classifier)
SLOT_WEIGHT = 1.0            # slot indicators (what the question names) beside both


class AnswerTypeClassifier:
    """Logistic regression over character 1–3-grams, (when an embedder is given) the
    question's e5 vector and (when slots are given) which slots the question fills, for one
    label field. The slots let one model learn that "哪些" over a unit wants its duty list
    while "哪些" over a year wants a deadline list, without a rule for either.

    Predictions go through ``_Portable`` (the fitted model's arithmetic in NumPy, checked to
    give bit-identical probabilities), so a classifier read from the disk cache answers without
    importing scikit-learn (1 s and 70 MB); the scikit-learn objects (``ngrams``, ``model``) are
    unpickled only when something asks for them."""

    def __init__(self, field: str, utterances: list[dict], vectors=None, embed=None, slots=None):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        self.field = field
        self.embed = embed if vectors is not None else None
        # slots: one indicator dict per utterance (``Slots.indicators()``)
        self.slot_keys = sorted(slots[0]) if slots else None
        texts = [r["text"] for r in utterances]
        self._sk = {"ngrams": TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True).fit(texts)}
        self._sk["model"] = LogisticRegression(max_iter=3000, C=10.0)
        self.model.fit(self._features(texts, vectors, slots), [r[field] for r in utterances])
        self._portable = None
        self._new_caches()

    # scikit-learn objects: kept pickled (as bytes) after a load from the disk cache
    @property
    def ngrams(self):
        return self._sklearn()["ngrams"]

    @property
    def model(self):
        return self._sklearn()["model"]

    def _sklearn(self) -> dict:
        if self._sk is None:
            import pickle
            self._sk = pickle.loads(self._sk_blob)
        return self._sk

    @property
    def classes(self) -> list[str]:
        return self._portable.classes if self._portable is not None else [str(c) for c in self.model.classes_]

    def make_portable(self, check_texts: list[str], check_vectors=None, check_slots=None) -> bool:
        """Switch predictions to ``_Portable`` if it gives exactly scikit-learn's probabilities
        on every check text (else keep scikit-learn)."""
        portable = _Portable.build(self)
        if portable is None:
            return False
        for i, text in enumerate(check_texts):
            vector = None if check_vectors is None or self.embed is None else check_vectors[i]
            indicators = None if check_slots is None or self.slot_keys is None else check_slots[i]
            expected = self.model.predict_proba(self._features(
                [text], None if vector is None else vector.reshape(1, -1),
                None if indicators is None else [indicators]))[0]
            got = portable.proba(text, vector if vector is not None else self._vector(text), indicators)
            if not np.array_equal(expected, got):
                return False
        self._portable = portable
        return True

    def _vector(self, text: str):
        return None if self.embed is None else self.embed([text])[0]

    # Predictions are pure functions of the text (and the slot indicators, which carry what
    # depends on today's date): a repeated question, or a second stage asking about the same
    # text, is answered from a small LRU cache. Pickled models (the disk cache of
    # ``build_classifiers``) keep neither the caches nor the embedding function.
    def _new_caches(self) -> None:
        from .lru import LRU
        self._probabilities = LRU(PREDICTION_CACHE_SIZE)
        self._not_in_plan = LRU(PREDICTION_CACHE_SIZE)

    def __getstate__(self):
        import pickle
        state = {k: v for k, v in self.__dict__.items() if k not in ("_probabilities", "_not_in_plan", "_sk")}
        state["_sk_blob"] = self.__dict__.get("_sk_blob") if self._sk is None else \
            pickle.dumps(self._sk, protocol=pickle.HIGHEST_PROTOCOL)
        state["embed"] = None
        state["_had_embed"] = self.embed is not None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._sk = None
        self._new_caches()

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
        return self._not_in_plan.get_or_compute(text, lambda: self._not_in_plan_uncached(text))

    def _not_in_plan_uncached(self, text: str) -> Prediction:
        probabilities = self._proba(text, None, None)
        kinds = [(float(p), str(c)) for p, c in zip(probabilities, self.classes)
                 if c in NOT_IN_PLAN and c not in LINKED_KINDS]
        return Prediction(max(kinds)[1], sum(p for p, _ in kinds)) if kinds else Prediction("", 0.0)

    def probabilities(self, text: str, vector=None, slots=None) -> dict[str, float]:
        return dict(zip(self.classes, self._row(text, vector, slots).tolist()))

    def predict(self, text: str, vector=None, slots=None) -> Prediction:
        probabilities = self._row(text, vector, slots)
        best = probabilities.argmax()
        return Prediction(str(self.classes[best]), float(probabilities[best]))

    def _proba(self, text: str, vector, indicators) -> np.ndarray:
        """predict_proba's row for one question (`vector` None: the text's own e5 vector)."""
        if self._portable is not None:
            row = self._portable.proba(text, vector if vector is not None else self._vector(text), indicators)
        else:
            row = self.model.predict_proba(self._features(
                [text], None if vector is None else vector.reshape(1, -1),
                None if indicators is None else [indicators]))[0]
        row.setflags(write=False)
        return row

    def _row(self, text: str, vector=None, slots=None) -> np.ndarray:
        """predict_proba's row for one question (cached when the vector is the text's own)."""
        indicators = None if slots is None else slots.indicators()
        if vector is not None:
            return self._proba(text, vector, indicators)
        try:
            key = (text, None if indicators is None else tuple(sorted(indicators.items())))
            hash(key)
        except TypeError:
            return self._proba(text, None, indicators)
        return self._probabilities.get_or_compute(key, lambda: self._proba(text, None, indicators))


class _Portable:
    """A fitted classifier's ``predict_proba`` for one text, step for step as scikit-learn
    computes it, in NumPy: CountVectorizer's char_wb n-grams and counts (columns sorted), the
    tf-idf transform (log(tf) + 1, times idf, each row scaled to unit length with a sequential
    sum of squares), the e5 and slot columns appended, the sparse product with the coefficients
    accumulated column by column in the order of the sparse row (as SciPy's csr_matvecs), plus
    the intercept, then the softmax. ``AnswerTypeClassifier.make_portable`` uses it only after
    it gave the very same floats as scikit-learn on every utterance."""

    def __init__(self, vocabulary, idf, lowercase, ngram_range, weights, intercept, classes, n_embed, slot_keys):
        self.vocabulary, self.idf, self.lowercase, self.ngram_range = vocabulary, idf, lowercase, ngram_range
        self.weights, self.intercept, self.classes = weights, intercept, classes
        self.n_ngrams, self.n_embed, self.slot_keys = len(vocabulary), n_embed, slot_keys

    @classmethod
    def build(cls, classifier: "AnswerTypeClassifier") -> "_Portable | None":
        ngrams, model = classifier.ngrams, classifier.model
        plain = (ngrams.analyzer == "char_wb" and ngrams.preprocessor is None and ngrams.tokenizer is None
                 and ngrams.strip_accents is None and ngrams.input == "content" and ngrams.use_idf
                 and ngrams.sublinear_tf and ngrams.norm == "l2" and ngrams.dtype == np.float64
                 and len(model.classes_) > 2 and model.coef_.dtype == np.float64)
        if not plain:
            return None
        n_embed = model.coef_.shape[1] - len(ngrams.vocabulary_) - len(classifier.slot_keys or [])
        if n_embed < 0 or (classifier.embed is None and n_embed):
            return None
        return cls({str(k): int(v) for k, v in ngrams.vocabulary_.items()}, np.asarray(ngrams.idf_, dtype=np.float64),
                   bool(ngrams.lowercase), tuple(ngrams.ngram_range), np.ascontiguousarray(model.coef_.T),
                   np.asarray(model.intercept_, dtype=np.float64), [str(c) for c in model.classes_], n_embed,
                   classifier.slot_keys)

    def _grams(self, text: str) -> list[str]:
        import re
        text = re.sub(r"\s\s+", " ", text.lower() if self.lowercase else text)
        low, high = self.ngram_range
        grams = []
        for w in text.split():
            w = " " + w + " "
            for n in range(low, high + 1):
                offset = 0
                grams.append(w[offset:offset + n])
                while offset + n < len(w):
                    offset += 1
                    grams.append(w[offset:offset + n])
                if offset == 0:
                    break
        return grams

    def proba(self, text: str, vector, indicators) -> np.ndarray:
        counts: dict[int, int] = {}
        for gram in self._grams(text):
            j = self.vocabulary.get(gram)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        columns = sorted(counts)
        data = np.array([counts[j] for j in columns], dtype=np.float64)
        np.log(data, data)
        data += 1.0
        data *= self.idf[np.array(columns, dtype=np.int64)]
        total = 0.0
        for x in data.tolist():
            total += x * x
        if total != 0.0:
            data /= math.sqrt(total)
        entries = list(zip(columns, data.tolist()))
        if self.n_embed:
            scaled = EMBEDDING_WEIGHT * np.asarray(vector).reshape(-1)
            entries += [(self.n_ngrams + d, float(a)) for d, a in enumerate(scaled.tolist()) if a != 0]
        if self.slot_keys is not None and indicators is not None:
            row = (SLOT_WEIGHT * np.asarray([[indicators.get(k, 0.0) for k in self.slot_keys]]))[0]
            base = self.n_ngrams + self.n_embed
            entries += [(base + k, float(a)) for k, a in enumerate(row.tolist()) if a != 0]
        y = np.zeros(self.weights.shape[1], dtype=np.float64)
        for j, a in entries:
            y += a * self.weights[j]
        decision = y.reshape(1, -1) + self.intercept
        decision -= np.reshape(np.max(decision, axis=1), (-1, 1))
        np.exp(decision, out=decision)
        decision /= np.reshape(np.sum(decision, axis=1), (-1, 1))
        return decision[0]


def utterance_vectors(embed, cache_dir: Path | None, model_id: str = "", path: Path = DATA_PATH):
    """The utterances' e5 vectors, cached on disk by data hash and model (a built artifact)."""
    from .embeddings import cached_vectors
    return cached_vectors(embed, [r["text"] for r in load_utterances(path)], cache_dir, "utterances", model_id)


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
    cached = Path(cache_dir) / f"answer-types-{_models_key(rows, vectors, slots)}.pkl" if cache_dir else None
    models = _load_models(cached, embed)
    if models is None:
        models = {"type": AnswerTypeClassifier("type", rows, vectors, embed, slots),
                  "asks_for": AnswerTypeClassifier("asks_for", rows, vectors, embed)}
        texts = [r["text"] for r in rows]
        for model in models.values():
            model.make_portable(texts, vectors, slots)
        save_cached_model(cached, models)
    return models


def _models_key(rows, vectors, slots) -> str:
    """What the fitted models depend on: the labelled utterances, their vectors and slot
    indicators, this module's code (features, weights, hyper-parameters) and the versions of
    scikit-learn and NumPy (a pickle is read back only by the version that wrote it)."""
    import hashlib
    from importlib import metadata
    digest = hashlib.sha256()
    digest.update(json.dumps(rows, ensure_ascii=False, sort_keys=True).encode())
    digest.update(b"vectors:" + (b"none" if vectors is None else np.ascontiguousarray(vectors).tobytes()))
    digest.update(b"slots:" + json.dumps(slots, sort_keys=True).encode())
    digest.update(Path(__file__).read_bytes())
    for package in ("scikit-learn", "numpy", "scipy"):
        try:
            digest.update(f"{package}={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            pass
    return digest.hexdigest()[:20]


def _load_models(path: Path | None, embed) -> dict[str, AnswerTypeClassifier] | None:
    """The fitted models from the disk cache, or None (missing, unreadable or stale).

    The cache folder is the assistant's own (``ASSISTANT_MODEL_CACHE``), written only by
    ``save_cached_model``; like the model weights beside it, it must not be writable by others."""
    import pickle
    if path is None or not path.is_file():
        return None
    try:
        with open(path, "rb") as f:
            models = pickle.load(f)
        if not (isinstance(models, dict) and set(models) == {"type", "asks_for"}
                and all(isinstance(m, AnswerTypeClassifier) for m in models.values())):
            return None
    except Exception:          # a truncated or foreign file: refit
        return None
    for model in models.values():
        model.embed = embed if model.__dict__.pop("_had_embed", False) else None
    return models


def save_cached_model(path: Path | None, models) -> None:
    """Pickle fitted models into the disk cache atomically (a read-only folder is no error)."""
    import os
    import pickle
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(staging, "wb") as f:
            pickle.dump(models, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(staging, path)
    except OSError:
        pass                   # a read-only cache folder costs only the refit


@lru_cache(maxsize=1)
def default_classifiers() -> dict[str, AnswerTypeClassifier]:
    """Words-and-slots classifiers for callers that load no embedding model (CLI search, tests)."""
    from .plan import load_plan
    from .config import get_settings
    from .lexicon import tokenizer_for
    from .slots import link, slots_version
    settings = get_settings()
    plan = load_plan(settings.corpus_path)
    tokenizer = tokenizer_for(plan)
    return build_classifiers(cache_dir=settings.model_cache_dir, link_slots=lambda text: link(text, plan, tokenizer),
                             slots_key=plan.source_sha256 + slots_version())


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
