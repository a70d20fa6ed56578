"""Evaluation metrics: pure functions over gold items and answer dicts.

An *item* is one line of ``evals/gold.jsonl``. A *result* is an answer dict with at least
``answer`` (text with citations 【第N项】), ``citations`` (ints, first-appearance order),
``refused`` (bool), ``measures`` (ranked measure numbers) and ``latency_ms``; unit answers
may also carry ``duties`` (see ``assistant.answer.DefaultComposer.unit_duties``).
Measure texts are passed in as a mapping ``{number: text}``, so nothing here needs the
assistant, the model or the index.

Per-item figures are ``None`` when a metric does not apply to the item (for example hit@k
of a refusal). Aggregates average over the items where the metric applies and are ``None``
when it applies to none.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

from assistant.grounding import FactChecker, SentenceCheck, cited_sentences
from assistant.text import fold_for_match

HIT_KS = (1, 3, 5)


# ------------------------------------------------------------------ retrieval
def ranked_measures(citations: Sequence[int], measures: Sequence[int]) -> list[int]:
    """The answer's ranking: its citations (first-appearance order), then its ``measures``
    list, each measure once."""
    return list(dict.fromkeys([*citations, *measures]))


def hit_at_k(ranked: Sequence[int], expected: Iterable[int], k: int) -> float:
    """1.0 when any expected measure is among the first ``k`` ranked measures, else 0.0."""
    return 1.0 if set(ranked[:k]) & set(expected) else 0.0


def reciprocal_rank(ranked: Sequence[int], expected: Iterable[int]) -> float:
    """1/rank of the first expected measure in the ranking (1-based); 0.0 when absent."""
    wanted = set(expected)
    for rank, number in enumerate(ranked, start=1):
        if number in wanted:
            return 1.0 / rank
    return 0.0


# ------------------------------------------------------------------ citations
def citing_sentences(answer: str) -> dict[int, list[str]]:
    """Each cited measure number -> the answer sentences that cite it."""
    out: dict[int, list[str]] = {}
    for sentence in cited_sentences(answer):
        for number in sentence.citations:
            out.setdefault(number, []).append(sentence.text)
    return out


def citation_precision(citations: Sequence[int], expected: Iterable[int], unit_item: bool = False) -> float | None:
    """Citation precision against the independent gold: the share of the distinct cited
    measures that are among the item's ``expected`` measures.

    ``None`` when the answer cites nothing, and for unit-duty items, whose precision is
    ``unit_precision`` (a unit's answer may rightly cite measures that reach it through a
    designation besides the ones that name it). For an item that expects no measure
    (a refusal, a document fact) every citation counts as wrong."""
    cited = set(citations)
    if not cited or unit_item:
        return None
    return len(cited & set(expected)) / len(cited)


def citation_recall(citations: Iterable[int], expected: Sequence[int], match: str) -> float | None:
    """Share of expected measures cited (``match == "all"``), or 1.0 when any expected
    measure is cited (``match == "any"``). ``None`` when nothing is expected."""
    if not expected:
        return None
    hit = set(citations) & set(expected)
    if match == "all":
        return len(hit) / len(set(expected))
    return 1.0 if hit else 0.0


# ------------------------------------------------------------------ unit duties
def predicted_duties(result: Mapping, item: Mapping) -> list[int]:
    """The measures an answer assigns to the item's unit.

    The answer's ``duties`` record when it has one (a duty list, already filtered by any role
    the question names): the measures naming the unit (``all_named``), plus those reaching
    it through designations when the gold counts designations (``reach == "designation"``).
    Without a ``duties`` record (a deadline list, a baseline), what the answer cites."""
    citations = list(result.get("citations") or [])
    duties = result.get("duties")
    if isinstance(duties, Mapping):
        entry = duties.get(item.get("unit")) if isinstance(duties.get(item.get("unit")), Mapping) else duties
        if "all_named" in entry:
            found = list(entry["all_named"])
            if item.get("reach") == "designation":
                for numbers in (entry.get("via_designation") or {}).values():
                    found += list(numbers)
            return list(dict.fromkeys(found))
    return citations


def set_recall(predicted: Iterable[int], expected: Iterable[int]) -> float | None:
    """|predicted ∩ expected| / |expected|; ``None`` when nothing is expected."""
    wanted = set(expected)
    if not wanted:
        return None
    return len(set(predicted) & wanted) / len(wanted)


def set_precision(predicted: Iterable[int], expected: Iterable[int]) -> float | None:
    """|predicted ∩ expected| / |predicted|; 0.0 for an empty prediction when something is
    expected, ``None`` when both are empty."""
    got, wanted = set(predicted), set(expected)
    if not got:
        return 0.0 if wanted else None
    return len(got & wanted) / len(got)


# ------------------------------------------------------------------ key facts
def key_fact_accuracy(answer: str, key_facts: Sequence[str]) -> float | None:
    """Share of key facts contained in the answer, compared after
    ``assistant.text.fold_for_match`` (case, width, spaces and punctuation ignored).
    ``None`` when the item has no key facts."""
    if not key_facts:
        return None
    folded = fold_for_match(answer)
    return sum(1 for fact in key_facts if fold_for_match(fact) in folded) / len(key_facts)


def missing_key_facts(answer: str, key_facts: Sequence[str]) -> list[str]:
    """The key facts that the answer does not contain (same folding as above)."""
    folded = fold_for_match(answer)
    return [fact for fact in key_facts if fold_for_match(fact) not in folded]


# ------------------------------------------------------------------ refusals
def refusal_precision_recall(pairs: Iterable[tuple[bool, bool]]) -> tuple[float | None, float | None]:
    """Precision and recall of refusing, from (gold refused, answer refused) pairs.

    Precision = correct refusals / all refusals made (``None`` when none were made);
    recall = correct refusals / gold refusals (``None`` when the gold has none)."""
    tp = fp = fn = 0
    for gold, got in pairs:
        tp += gold and got
        fp += (not gold) and got
        fn += gold and not got
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    return precision, recall


# ------------------------------------------------------------------ grounding
@dataclass(frozen=True)
class GroundingCount:
    """Sentences of one answer: all, the factual ones (those with a citation or a checkable
    fact), and those of the factual ones that pass the fact check
    (``assistant.grounding.FactChecker``)."""
    sentences: int
    cited: int
    supported: int
    unsupported: tuple[str, ...] = ()
    factual: int = 0


def grounding_count(answer: str, checker: FactChecker) -> GroundingCount:
    """Check every sentence of the answer. A cited sentence must agree with the measures it
    cites; an uncited sentence with a checkable fact must name its place in the document
    and agree with the document text; framing sentences are not judged."""
    checks: list[SentenceCheck] = checker.check_answer(answer)
    factual = [c for c in checks if c.factual]
    bad = [f"{c.sentence} ⟨{'; '.join(p.detail for p in c.problems)}⟩" for c in factual if not c.ok]
    cited = sum(1 for c in checks if c.citations)
    return GroundingCount(len(checks), cited, len(factual) - len(bad), tuple(bad), len(factual))


def grounding(counts: Iterable[GroundingCount]) -> float | None:
    """Factual sentences that pass the fact check / factual sentences, pooled over answers
    (micro average); ``None`` when no answer states a fact."""
    counts = list(counts)
    factual = sum(c.factual for c in counts)
    return sum(c.supported for c in counts) / factual if factual else None


def cited_share(counts: Iterable[GroundingCount]) -> float | None:
    """Share of all answer sentences that carry at least one citation (informational)."""
    counts = list(counts)
    total = sum(c.sentences for c in counts)
    return sum(c.cited for c in counts) / total if total else None


# ------------------------------------------------------------------ coverage
COVERAGES = ("full", "partial", "none")


def gold_coverage(item: Mapping) -> str:
    return item.get("coverage") or ("none" if item.get("refused") else "full")


def answer_coverage(result: Mapping) -> str:
    """The answer's own ``coverage``; answers from before the field existed: refused means
    "none", anything else "full"."""
    value = result.get("coverage")
    return value if value in COVERAGES else ("none" if result.get("refused") else "full")


# ------------------------------------------------------------------ latency
def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) with linear interpolation between closest ranks
    (numpy's default); ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# ------------------------------------------------------------------ per item
@dataclass
class ItemScore:
    """Every per-item figure, ``None`` where the metric does not apply."""
    id: str
    category: str
    hits: dict[int, float | None] = field(default_factory=dict)
    rr: float | None = None
    citation_precision: float | None = None
    citation_recall: float | None = None
    unit_recall: float | None = None
    unit_precision: float | None = None
    key_facts: float | None = None
    missing_facts: list[str] = field(default_factory=list)
    gold_refused: bool = False
    refused: bool = False
    grounding: GroundingCount = GroundingCount(0, 0, 0)
    gold_coverage: str = "full"
    coverage: str = "full"
    latency_ms: float = 0.0

    @property
    def coverage_correct(self) -> bool:
        return self.coverage == self.gold_coverage

    @property
    def answer_correct(self) -> bool:
        """The combined per-item verdict: the refusal decision and the coverage match the
        gold, every expected measure required by ``match`` is cited (for unit items: the
        unit's duty list is complete), every key fact is present, and no stated fact
        contradicts the plan."""
        return (self.refused == self.gold_refused
                and self.coverage_correct
                and self.citation_recall in (None, 1.0)
                and self.unit_recall in (None, 1.0)
                and self.key_facts in (None, 1.0)
                and self.grounding.supported == self.grounding.factual)

    def failed_metrics(self) -> list[str]:
        """Names of the metrics this item fails (empty when it passes all of them)."""
        checks = [
            ("refusal", self.refused != self.gold_refused),
            ("hit@3", self.hits.get(3) == 0.0),
            ("citation_recall", self.citation_recall is not None and self.citation_recall < 1.0),
            ("citation_precision", self.citation_precision is not None and self.citation_precision < 1.0),
            ("unit_recall", self.unit_recall is not None and self.unit_recall < 1.0),
            ("unit_precision", self.unit_precision is not None and self.unit_precision < 1.0),
            ("key_facts", self.key_facts is not None and self.key_facts < 1.0),
            ("grounding", self.grounding.supported < self.grounding.factual),
            ("coverage", not self.coverage_correct),
        ]
        return [name for name, failed in checks if failed]

    def to_dict(self) -> dict:
        data = asdict(self)
        data["grounding"] = asdict(self.grounding)
        data["answer_correct"] = self.answer_correct
        data["failed"] = self.failed_metrics()
        return data


def score_item(item: Mapping, result: Mapping, checker: FactChecker) -> ItemScore:
    """All per-item figures of one answer against its gold item."""
    expected = list(item.get("expected") or [])
    citations = list(result.get("citations") or [])
    answer = result.get("answer") or ""
    unit_item = bool(item.get("unit"))
    score = ItemScore(id=item["id"], category=item["category"],
                      gold_refused=bool(item.get("refused")), refused=bool(result.get("refused")),
                      gold_coverage=gold_coverage(item), coverage=answer_coverage(result),
                      latency_ms=float(result.get("latency_ms") or 0.0))
    if expected:
        ranked = ranked_measures(citations, result.get("measures") or [])
        score.hits = {k: hit_at_k(ranked, expected, k) for k in HIT_KS}
        score.rr = reciprocal_rank(ranked, expected)
    score.citation_precision = citation_precision(citations, expected, unit_item)
    score.citation_recall = citation_recall(citations, expected, item.get("match", "any"))
    if unit_item and expected:
        predicted = predicted_duties(result, item)
        score.unit_recall = set_recall(predicted, expected)
        score.unit_precision = set_precision(predicted, expected)
    score.key_facts = key_fact_accuracy(answer, item.get("key_facts") or [])
    score.missing_facts = missing_key_facts(answer, item.get("key_facts") or [])
    score.grounding = grounding_count(answer, checker)
    return score


# ------------------------------------------------------------------ aggregate
def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not ``None``; ``None`` when there are none."""
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def aggregate(scores: Sequence[ItemScore]) -> dict[str, float | int | None]:
    """All headline figures over a set of item scores (macro averages over the items where
    each metric applies; grounding pooled over sentences)."""
    refusal_p, refusal_r = refusal_precision_recall((s.gold_refused, s.refused) for s in scores)
    latencies = [s.latency_ms for s in scores]
    figures: dict[str, float | int | None] = {"items": len(scores)}
    for k in HIT_KS:
        figures[f"hit@{k}"] = mean(s.hits.get(k) for s in scores)
    figures.update({
        "mrr": mean(s.rr for s in scores),
        "citation_precision": mean(s.citation_precision for s in scores),
        "citation_recall": mean(s.citation_recall for s in scores),
        "unit_recall": mean(s.unit_recall for s in scores),
        "unit_precision": mean(s.unit_precision for s in scores),
        "key_fact_accuracy": mean(s.key_facts for s in scores),
        "refusal_precision": refusal_p,
        "refusal_recall": refusal_r,
        "grounding": grounding(s.grounding for s in scores),
        "cited_sentence_share": cited_share(s.grounding for s in scores),
        "coverage_accuracy": mean(1.0 if s.coverage_correct else 0.0 for s in scores) if scores else None,
        "partial_recall": mean(1.0 if s.coverage == "partial" else 0.0
                               for s in scores if s.gold_coverage == "partial") if any(
            s.gold_coverage == "partial" for s in scores) else None,
        "answer_accuracy": mean(1.0 if s.answer_correct else 0.0 for s in scores) if scores else None,
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    })
    return figures


__all__ = [
    "COVERAGES", "HIT_KS", "GroundingCount", "ItemScore", "aggregate", "answer_coverage", "gold_coverage", "citation_precision", "citation_recall",
    "cited_share", "citing_sentences", "grounding", "grounding_count", "hit_at_k", "key_fact_accuracy",
    "mean", "missing_key_facts", "percentile", "predicted_duties", "ranked_measures",
    "reciprocal_rank", "refusal_precision_recall", "score_item", "set_precision", "set_recall",
]
