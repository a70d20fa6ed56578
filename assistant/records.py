"""Typed records for the plan: document, parts, sections, measures, unit roles, deadlines."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Role(str, Enum):
    LEAD = "牵头"          # 牵头单位
    PARTICIPANT = "参加"   # 参加单位
    RESPONSIBLE = "责任"   # 责任单位

    @property
    def label(self) -> str:
        return f"{self.value}单位"


class DeadlineKind(str, Enum):
    BY_END_OF = "底前"     # 2023年底前 / 2022年6月底前
    BEFORE = "前"          # 2022年6月前
    AT_END_OF = "底"       # 2022年底基本建成
    ANNUAL = "每年"        # 每年至少听取一次


@dataclass(frozen=True)
class Deadline:
    phrase: str                 # as written (normalized), e.g. "2022年6月底前"
    kind: DeadlineKind
    year: int | None = None     # None for recurring deadlines
    month: int | None = None

    @property
    def sort_key(self) -> tuple[int, int]:
        if self.year is None:
            return (9999, 12)
        return (self.year, self.month or 12)

    @property
    def label(self) -> str:
        """A short date label used in tables and timelines ("2022年6月")."""
        if self.year is None:
            return "每年"
        return f"{self.year}年{self.month}月" if self.month else f"{self.year}年"


@dataclass(frozen=True)
class Target:
    """A numeric target such as 100%, 60学时, 30日, 7个工作日, 1小时."""
    value: str        # "100%", "60学时"
    quantity: str     # "100", "60"
    unit: str         # "%", "学时"
    clause: str       # the clause that states it
    bound: str = ""   # "不少于" / "不超过" style bound as written next to the number, "" if none

    @property
    def direction(self) -> str:
        """"min" (at least), "max" (at most / within) or "" (an exact figure)."""
        return bound_direction(self.bound)

    @property
    def is_time_limit(self) -> bool:
        """A span of time ("24小时内", "30日"): it answers "when" for what it times."""
        return self.unit in TIME_UNITS


TIME_UNITS = frozenset({"小时", "日", "天", "个工作日", "工作日", "个月", "月", "年"})


MIN_BOUNDS = ("不得少于", "不得低于", "不少于", "不低于", "至少", "最少", "以上", "不下于")
MAX_BOUNDS = ("不得超过", "不得高于", "不超过", "不高于", "至多", "最多", "最迟", "以内", "以下", "内")


def bound_direction(word: str) -> str:
    if word in MIN_BOUNDS:
        return "min"
    if word in MAX_BOUNDS:
        return "max"
    return ""


@dataclass(frozen=True)
class UnitMention:
    """One unit named in a measure's role list, after canonicalization."""
    role: Role
    raw: str                  # as written in the list, e.g. "发展改革委"
    name: str                 # canonical name, e.g. "自治区发展改革委"
    is_designation: bool      # a collective designation (各市县〔区〕…), not a single unit


@dataclass(frozen=True)
class Measure:
    number: int
    part_number: int
    section_number: int
    verbatim: str             # source text, extraction splits joined, nothing else changed
    text: str                 # repaired text: spacing, punctuation and artifacts normalized
    body: str                 # `text` without the trailing units parenthetical
    units: tuple[UnitMention, ...]
    deadlines: tuple[Deadline, ...]
    targets: tuple[Target, ...]

    @property
    def citation(self) -> str:
        return f"【第{self.number}项】"

    def units_with_role(self, role: Role) -> list[UnitMention]:
        return [u for u in self.units if u.role == role]

    @property
    def unit_names(self) -> list[str]:
        return [u.name for u in self.units]


@dataclass(frozen=True)
class Section:
    number: int               # 1..34
    numeral: str              # "三十四"
    title: str
    part_number: int
    text: str = ""            # body for paragraph sections ((一) 指导思想, (二) 总体目标)
    measure_numbers: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        return f"（{self.numeral}）{self.title}"


@dataclass(frozen=True)
class Part:
    number: int               # 1..10
    numeral: str              # "十"
    title: str
    section_numbers: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.numeral}、{self.title}"


@dataclass(frozen=True)
class DocumentInfo:
    title: str
    doc_number: str
    issuing_offices: tuple[str, ...]
    issue_date: str
    notice_title: str
    notice: str               # the notice paragraphs
    preamble: str
    guiding_thought: str      # (一) 指导思想
    overall_goals: str        # (二) 总体目标
    closing: str              # the paragraph after measure 110
    publication_note: str = ""


@dataclass(frozen=True)
class Period:
    """The plan period and its long-range horizon, read from the document itself."""
    start: int
    end: int
    horizon: int | None = None

    def covers(self, year: int) -> bool:
        return self.start <= year <= self.end or year == self.horizon


@dataclass(frozen=True, eq=False)   # identity hash: one Plan object per parsed corpus
class Plan:
    document: DocumentInfo
    parts: tuple[Part, ...]
    sections: tuple[Section, ...]
    measures: tuple[Measure, ...]
    source_sha256: str = ""
    _by_number: dict = field(default_factory=dict, compare=False, repr=False)

    def measure(self, number: int) -> Measure | None:
        if not self._by_number:
            self._by_number.update({m.number: m for m in self.measures})
        return self._by_number.get(number)

    @property
    def period(self) -> Period:
        """From the title ("（2021—2025年）") and the overall goals ("到2035年…")."""
        import re
        span = re.search(r"(20\d{2})\s*[—\-–至]\s*(20\d{2})", self.document.title)
        start, end = (int(span.group(1)), int(span.group(2))) if span else (0, 0)
        later = [int(y) for y in re.findall(r"(20\d{2})\s*年", self.document.overall_goals) if int(y) > end]
        return Period(start, end, max(later) if later else None)

    def citable_text(self, number: int) -> str:
        """What a citation 【第N项】 vouches for: the measure's text, its part and section titles,
        and its structured fields (canonical unit names by role, deadlines, targets)."""
        m = self.measure(number)
        if m is None:
            return ""
        roles = "；".join(f"{role.label}：{'、'.join(u.name for u in m.units_with_role(role))}"
                         for role in Role if m.units_with_role(role))
        return "\n".join([self.part(m.part_number).label, self.section(m.section_number).label, m.text, roles,
                          "；".join(d.phrase for d in m.deadlines), "；".join(t.value for t in m.targets)])

    def part(self, number: int) -> Part | None:
        return next((p for p in self.parts if p.number == number), None)

    def section(self, number: int) -> Section | None:
        return next((s for s in self.sections if s.number == number), None)

    def measures_in_part(self, number: int) -> list[Measure]:
        return [m for m in self.measures if m.part_number == number]

    def measures_in_section(self, number: int) -> list[Measure]:
        return [m for m in self.measures if m.section_number == number]
