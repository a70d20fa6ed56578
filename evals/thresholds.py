"""Gate thresholds: the minimum overall figures the system must reach (``--gate``)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Overall figures of the system on the gold set (``python -m evals --gate``).
GATE: dict[str, float] = {
    "hit@3": 0.95,
    "citation_precision": 0.95,
    "grounding": 0.99,
    "unit_recall": 0.99,
    "refusal_recall": 0.95,
    "answer_accuracy": 0.97,
    "key_fact_accuracy": 0.97,
}

# CheckList robustness: answers to perturbed gold questions cite the same measures.
ROBUSTNESS_GATE: dict[str, float] = {"invariance": 0.95}

# The fact check on its contrast set: share of contradictions detected (at least) and share
# of true paraphrases flagged (at most).
GROUNDING_GATE: dict[str, float] = {"detection": 1.0, "false_alarms": 0.05}


@dataclass(frozen=True)
class GateCheck:
    metric: str
    threshold: float
    value: float | None
    at_most: bool = False       # the figure must not exceed the threshold (a false-alarm rate)

    @property
    def measured(self) -> bool:
        return self.value is not None

    @property
    def passed(self) -> bool:
        """At or above the threshold; a figure that was not measured (no item in the run
        where the metric applies, e.g. with ``--limit``) does not fail the gate."""
        if self.value is None:
            return True
        return self.value <= self.threshold if self.at_most else self.value >= self.threshold

    def describe(self) -> str:
        if not self.measured:
            return f"SKIP {self.metric} = n/a (not measured in this run; >= {self.threshold})"
        sign = "<=" if self.at_most else ">="
        return f"{'PASS' if self.passed else 'FAIL'} {self.metric} = {self.value:.4f} ({sign} {self.threshold})"


def check_gate(figures: Mapping[str, float | int | None],
               gate: Mapping[str, float] = GATE) -> list[GateCheck]:
    """One check per gated metric against the overall figures."""
    return [GateCheck(metric, threshold, figures.get(metric)) for metric, threshold in gate.items()]



__all__ = ["GATE", "GROUNDING_GATE", "ROBUSTNESS_GATE", "GateCheck", "check_gate"]
