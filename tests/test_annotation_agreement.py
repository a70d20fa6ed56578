"""The parser agrees with the independent hand annotation, or the difference is explained."""
from __future__ import annotations

from evals.agreement import compare, load_resolutions
from evals.facts import Facts, read_target


def test_every_disagreement_with_the_annotation_is_resolved(plan):
    unresolved = [d for d in compare(plan, Facts()) if d.key not in load_resolutions()]
    assert unresolved == []


def test_resolutions_name_only_real_disagreements(plan):
    keys = {d.key for d in compare(plan, Facts())}
    stale = set(load_resolutions()) - keys
    assert not stale, f"resolutions for disagreements that no longer exist: {stale}"


def test_annotation_covers_every_measure_once(plan):
    numbers = [m.number for m in Facts().measures]
    assert numbers == [m.number for m in plan.measures] == list(range(1, 111))


def test_comparison_catches_a_changed_unit_and_deadline(plan):
    facts = Facts()
    from dataclasses import replace
    broken = tuple(replace(m, lead=("自治区财政厅",)) if m.number == 69 else
                   replace(m, deadlines=("2023年底前",)) if m.number == 9 else m for m in facts.measures)
    fields = {(d.measure, d.field) for d in compare(plan, Facts(broken))}
    assert (69, "units:牵头") in fields and (9, "deadlines") in fields


def test_bound_words_of_targets_are_parsed(plan):
    bounds = {(m.number, t.value): t.direction for m in plan.measures for t in m.targets}
    assert bounds[(104, "60学时")] == "min"
    assert bounds[(58, "1小时")] == "max" and bounds[(58, "24小时")] == "max"
    assert bounds[(99, "两期")] == "min" and bounds[(95, "1次")] == "min"
    assert bounds[(71, "100%")] == ""
    assert read_target("不少于60学时").direction == "min" and read_target("24小时内").direction == "max"


def test_spelled_out_counts_after_a_verb_are_targets(plan):
    assert "一次" in {t.value for t in plan.measure(92).targets}
    assert "一个" in {t.value for t in plan.measure(36).targets}
