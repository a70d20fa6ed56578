"""The evaluation gate: the system on the full gold set must reach every threshold in
``evals/thresholds.py``. System only (the baselines add about 90 s and gate nothing)."""
from __future__ import annotations

import pytest

from evals.metrics import aggregate
from evals.run import evaluate, load_gold, summary
from evals.thresholds import GATE, check_gate


@pytest.fixture(scope="module")
def evaluation(assistant):
    result = evaluate(assistant, load_gold(), baselines=False, progress=False)
    print("\n" + summary(result))
    return result


@pytest.mark.slow
@pytest.mark.parametrize("metric", list(GATE))
def test_gate_threshold(evaluation, metric):
    check = next(c for c in check_gate(aggregate(evaluation.system.scores)) if c.metric == metric)
    assert check.measured, f"{metric} was not measured"
    assert check.passed, check.describe()
