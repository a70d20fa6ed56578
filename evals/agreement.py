"""Compare the parser's records with the independent annotation, field by field.

    python -m evals.agreement        # list every disagreement and its recorded resolution

Each disagreement was resolved by reading the plan text: either a parser bug (fixed, with a
test, so it no longer shows here) or an annotation convention/error, recorded with its
reason in ``evals/annotation/resolutions.json``. ``tests/test_annotation_agreement.py``
fails on any disagreement that has no resolution.
"""
from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.records import DeadlineKind, Plan, Role

from .facts import Facts, fold_brackets, read_deadline

RESOLUTIONS_PATH = Path(__file__).resolve().parent / "annotation" / "resolutions.json"
_ROLE_FIELDS = ((Role.LEAD, "牵头"), (Role.PARTICIPANT, "参加"), (Role.RESPONSIBLE, "责任"))


@dataclass(frozen=True)
class Disagreement:
    measure: int
    field: str
    parser: tuple[str, ...]
    annotation: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.measure}:{self.field}"


def _parser_deadlines(measure) -> set:
    out = set()
    for d in measure.deadlines:
        out.add("annual" if d.kind == DeadlineKind.ANNUAL else f"{d.year}-{d.month or ''}-{d.kind.value}")
    return out


def _annotated_deadlines(annotated) -> set:
    out = set()
    for phrase in annotated.deadlines:
        reading = read_deadline(phrase)
        if reading == "annual":
            out.add("annual")
        elif reading is None:
            out.add(f"other:{phrase}")
        else:
            out.add(f"{reading.year}-{reading.month or ''}-{reading.tail}")
    return out


def compare(plan: Plan, facts: Facts) -> list[Disagreement]:
    found: list[Disagreement] = []
    for m in plan.measures:
        a = facts.measure(m.number)
        for role, label in _ROLE_FIELDS:
            parsed = {fold_brackets(u.name) for u in m.units_with_role(role)}
            annotated = set(a.units(label))
            if parsed != annotated:
                found.append(Disagreement(m.number, f"units:{label}", tuple(sorted(parsed - annotated)),
                                          tuple(sorted(annotated - parsed))))
        parsed, annotated = _parser_deadlines(m), _annotated_deadlines(a)
        if parsed != annotated:
            found.append(Disagreement(m.number, "deadlines", tuple(sorted(parsed - annotated)),
                                      tuple(sorted(annotated - parsed))))
        parsed_t = {t.value for t in m.targets}
        annotated_t = {t.value for t in a.read_targets()}
        if parsed_t != annotated_t:
            found.append(Disagreement(m.number, "targets", tuple(sorted(parsed_t - annotated_t)),
                                      tuple(sorted(annotated_t - parsed_t))))
        directions = {t.value: t.direction for t in m.targets}
        for t in a.read_targets():
            if t.direction and directions.get(t.value, t.direction) != t.direction:
                found.append(Disagreement(m.number, f"bound:{t.value}", (directions[t.value],), (t.direction,)))
    return found


def load_resolutions(path: Path = RESOLUTIONS_PATH) -> dict[str, dict]:
    return {f"{r['measure']}:{r['field']}": r for r in json.loads(path.read_text(encoding="utf-8"))}


def main() -> int:
    from assistant.config import get_settings
    from assistant.plan import load_plan
    plan = load_plan(get_settings().corpus_path)
    resolutions = load_resolutions()
    disagreements = compare(plan, Facts())
    for d in disagreements:
        r = resolutions.get(d.key)
        verdict = f"{r['verdict']}: {r['reason']}" if r else "UNRESOLVED"
        print(json.dumps(asdict(d), ensure_ascii=False), "->", verdict)
    unresolved = [d for d in disagreements if d.key not in resolutions]
    print(f"{len(disagreements)} disagreements, {len(unresolved)} unresolved")
    return 1 if unresolved else 0


if __name__ == "__main__":
    sys.exit(main())
