"""The evaluation gate: on the full gold set the system must reach every threshold in
``evals/thresholds.py`` -- the answer figures, the CheckList robustness invariance, and the
fact check on its contrast set. System only (the baselines gate nothing)."""
from __future__ import annotations

import pytest

from evals.run import evaluate, load_gold, summary


@pytest.fixture(scope="module")
def evaluation(assistant):
    result = evaluate(assistant, load_gold(), baselines=False, progress=False, robustness=True, contrasts=True)
    print("\n" + summary(result))
    return result


@pytest.mark.slow
def test_every_gate_threshold(evaluation):
    checks = evaluation.gate()
    assert {c.metric for c in checks} >= {"answer_accuracy", "key_fact_accuracy", "invariance",
                                           "contradiction detection"}
    unmeasured = [c.describe() for c in checks if not c.measured]
    failed = [c.describe() for c in checks if not c.passed]
    assert not unmeasured and not failed, unmeasured + failed
