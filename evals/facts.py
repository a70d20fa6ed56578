"""The plan's facts as annotated by hand, independent of the assistant's parser.

``evals/annotation/measures.jsonl`` holds, for every measure, its units by role (prefix
carry-over applied, collective designations kept as written), every deadline phrase and
every numeric target. Two annotators wrote it from the plan text alone, without the
parser's output (see ``evals/annotation/README.md``). The gold unit, deadline and target
answers are built from these records, so the evaluation can catch parser errors too.

Nothing here imports ``assistant``: the readings of deadline and target phrases below are
the evaluation's own.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ANNOTATION_PATH = Path(__file__).resolve().parent / "annotation" / "measures.jsonl"
ROLES = {"牵头": "lead", "参加": "participants", "责任": "responsible"}

_DATED = re.compile(r"(20\d{2})年(?:(\d{1,2})月)?(底前|前|底)")
_TARGET = re.compile(r"^(不少于|不低于|不超过|不高于|至少|最少|至多|最多)?"
                     r"(\d+(?:\.\d+)?(?:[—\-～~]\d+)?|[一两二三四五六七八九十]+)"
                     r"(%|个工作日|学时|小时|日|天|次|项|期|个)(以上|以内|以下|内)?$")
_MIN_WORDS = {"不少于", "不低于", "至少", "最少", "以上"}
_MAX_WORDS = {"不超过", "不高于", "至多", "最多", "以内", "以下", "内"}


def fold_brackets(name: str) -> str:
    """各市县〔区〕 and 各市县（区） name the same designation."""
    return re.sub(r"\s+", "", name).replace("〔", "（").replace("〕", "）").replace("(", "（").replace(")", "）")


@dataclass(frozen=True)
class DatedDeadline:
    year: int
    month: int | None
    tail: str          # 底前 / 前 / 底


@dataclass(frozen=True)
class AnnotatedTarget:
    value: str         # quantity and unit, "30日"
    direction: str     # "min", "max" or "" when no bound is attached


def read_deadline(phrase: str) -> DatedDeadline | str | None:
    """A dated deadline, "annual" for 每年… phrases, or None for other time phrases."""
    match = _DATED.search(phrase)
    if match:
        return DatedDeadline(int(match.group(1)), int(match.group(2)) if match.group(2) else None, match.group(3))
    if phrase.startswith("每年"):
        return "annual"
    return None


def read_target(phrase: str) -> AnnotatedTarget:
    match = _TARGET.match(phrase)
    if not match:
        return AnnotatedTarget(phrase, "")
    before, quantity, unit, after = match.groups()
    bound = after or before or ""
    direction = "min" if bound in _MIN_WORDS else "max" if bound in _MAX_WORDS else ""
    return AnnotatedTarget(quantity + unit, direction)


@dataclass(frozen=True)
class AnnotatedMeasure:
    number: int
    lead: tuple[str, ...]
    participants: tuple[str, ...]
    responsible: tuple[str, ...]
    deadlines: tuple[str, ...]
    targets: tuple[str, ...]
    notes: str = ""

    def units(self, role: str | None = None) -> tuple[str, ...]:
        """Unit names (brackets folded) in one role ("牵头"/"参加"/"责任") or in any role."""
        keys = [ROLES[role]] if role else list(ROLES.values())
        return tuple(dict.fromkeys(fold_brackets(n) for key in keys for n in getattr(self, key)))

    def dated(self) -> list[DatedDeadline]:
        return [d for d in map(read_deadline, self.deadlines) if isinstance(d, DatedDeadline)]

    @property
    def annual(self) -> bool:
        return any(read_deadline(p) == "annual" for p in self.deadlines)

    def due_years(self) -> set[int]:
        return {d.year for d in self.dated()}

    def read_targets(self) -> list[AnnotatedTarget]:
        return [read_target(t) for t in self.targets]


@lru_cache(maxsize=4)
def load_annotation(path: Path = ANNOTATION_PATH) -> tuple[AnnotatedMeasure, ...]:
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    measures = tuple(AnnotatedMeasure(
        number=r["measure"], lead=tuple(r["lead"]), participants=tuple(r["participants"]),
        responsible=tuple(r["responsible"]), deadlines=tuple(r["deadlines"]), targets=tuple(r["targets"]),
        notes=r.get("notes", "")) for r in rows)
    return tuple(sorted(measures, key=lambda m: m.number))


class Facts:
    """Queries over the annotation that the gold items need."""

    def __init__(self, measures: tuple[AnnotatedMeasure, ...] | None = None):
        self.measures = measures if measures is not None else load_annotation()

    def measure(self, number: int) -> AnnotatedMeasure:
        return next(m for m in self.measures if m.number == number)

    def named_units(self, designations: set[str] = frozenset()) -> list[str]:
        """Every unit named in some role list, in order of first mention, designations left out."""
        seen: list[str] = []
        for m in self.measures:
            for name in m.units():
                if name not in seen and name not in designations:
                    seen.append(name)
        return seen

    def unit_measures(self, unit: str, role: str | None = None) -> list[int]:
        unit = fold_brackets(unit)
        return [m.number for m in self.measures if unit in m.units(role)]

    def designation_measures(self, designations: set[str]) -> list[int]:
        wanted = {fold_brackets(d) for d in designations}
        return [m.number for m in self.measures if wanted & set(m.units())]

    def due_in_year(self, year: int) -> list[int]:
        """Due by the end of ``year``: a dated deadline (底前/前/底) carries that year."""
        return [m.number for m in self.measures if year in m.due_years()]

    def annual_measures(self) -> list[int]:
        return [m.number for m in self.measures if m.annual]

    def dated_measures(self) -> list[int]:
        return [m.number for m in self.measures if m.dated()]

    def target_measures(self, unit: str | None = None) -> list[int]:
        """Measures with a numeric target (optionally of one unit of measure, e.g. "%")."""
        return [m.number for m in self.measures
                if any(unit is None or t.value.endswith(unit) for t in m.read_targets())]


__all__ = ["ANNOTATION_PATH", "AnnotatedMeasure", "AnnotatedTarget", "DatedDeadline", "Facts",
           "fold_brackets", "load_annotation", "read_deadline", "read_target"]
