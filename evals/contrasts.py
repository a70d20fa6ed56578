"""How well the fact check separates contradictions from true paraphrases.

``evals/grounding_contrasts.jsonl`` (development: the checker was built against it) and
``evals/grounding_contrasts_holdout.jsonl`` (held out: written after the checker, its first
run is in ``evals/reports/grounding-holdout-first-run.md``) hold single-sentence claims
about one measure, each labelled ``supported`` (a true paraphrase) or ``contradiction``
(one fact changed: negation, number, year, unit, role, quantifier, English).
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

EVALS_DIR = Path(__file__).resolve().parent
CONTRAST_SETS = {"development": EVALS_DIR / "grounding_contrasts.jsonl",
                 "held-out": EVALS_DIR / "grounding_contrasts_holdout.jsonl"}


@dataclass
class ContrastReport:
    name: str
    contradictions: int = 0
    detected: int = 0
    paraphrases: int = 0
    false_alarms: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)     # kind -> [n, detected]
    errors: list[dict] = field(default_factory=list)

    @property
    def detection(self) -> float | None:
        return self.detected / self.contradictions if self.contradictions else None

    @property
    def false_alarm_rate(self) -> float | None:
        return self.false_alarms / self.paraphrases if self.paraphrases else None

    def to_dict(self) -> dict:
        return {**asdict(self), "detection": self.detection, "false_alarm_rate": self.false_alarm_rate}


def load_claims(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def contrast_report(checker, path: Path, name: str = "") -> ContrastReport:
    report = ContrastReport(name or Path(path).stem)
    kinds: Counter = Counter()
    found: Counter = Counter()
    for claim in load_claims(path):
        check = checker.check(claim["claim"], [claim["measure"]])
        if claim["label"] == "contradiction":
            report.contradictions += 1
            kinds[claim["kind"]] += 1
            if not check.ok:
                report.detected += 1
                found[claim["kind"]] += 1
            else:
                report.errors.append({**claim, "error": "missed"})
        else:
            report.paraphrases += 1
            if not check.ok:
                report.false_alarms += 1
                report.errors.append({**claim, "error": "false alarm",
                                      "problems": [p.detail for p in check.problems]})
    report.by_kind = {k: [kinds[k], found[k]] for k in kinds}
    return report


def markdown(reports: list[ContrastReport]) -> list[str]:
    lines = ["| set | contradictions detected | false alarms on paraphrases |", "|---|---|---|"]
    for r in reports:
        lines.append(f"| {r.name} | {r.detected}/{r.contradictions} ({r.detection:.3f}) | "
                     f"{r.false_alarms}/{r.paraphrases} ({r.false_alarm_rate:.3f}) |")
    kinds = sorted({k for r in reports for k in r.by_kind})
    lines += ["", "| kind | " + " | ".join(r.name for r in reports) + " |", "|---|" + "---|" * len(reports)]
    for kind in kinds:
        cells = [f"{r.by_kind[kind][1]}/{r.by_kind[kind][0]}" if kind in r.by_kind else "–" for r in reports]
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    for r in reports:
        for e in r.errors:
            lines.append(f"- {r.name} {e['error']}: 第{e['measure']}项 {e['claim']}")
    return lines


__all__ = ["CONTRAST_SETS", "ContrastReport", "contrast_report", "load_claims", "markdown"]
