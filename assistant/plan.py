"""Parse the plan's text into typed records. Pure functions: text in, records out.

The extracted text splits paragraphs mid-word across blank lines ("人行银" + "川中心支行"),
so lines are first regrouped into logical blocks: a block only ends where the next line
starts a new structural element (part, section, the next measure) or where the block is
complete (a measure closes with its units parenthetical, a paragraph with 。).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .records import (Deadline, DeadlineKind, DocumentInfo, Measure, Part, Plan, Role,
                      Section, Target, UnitMention)
from .text import chinese_to_int, normalize
from .units import resolve_unit_list

_NUMERALS = "一二三四五六七八九十"
PART_RE = re.compile(rf"^([{_NUMERALS}]+)、\s*(.+)$")
SECTION_RE = re.compile(rf"^[（(]\s*([{_NUMERALS}]+)\s*[）)]\s*(.+)$")
MEASURE_RE = re.compile(r"^(\d{1,3})[.．]\s*(.+)$")
# The units parenthetical that closes a measure: （牵头单位：…，参加单位：…） or （责任单位：…）
UNITS_TAIL_RE = re.compile(r"[（(]\s*((?:牵头单位|责任单位)\s*[：:].*)[）)]\s*$")
ROLE_RE = re.compile(r"(牵头单位|参加单位|责任单位)\s*[：:]")
_ROLE_BY_LABEL = {"牵头单位": Role.LEAD, "参加单位": Role.PARTICIPANT, "责任单位": Role.RESPONSIBLE}


@dataclass
class _Block:
    kind: str            # "line" | "part" | "section" | "measure"
    text: str
    number: int = 0


def _is_complete(block: _Block) -> bool:
    text = block.text.rstrip()
    if block.kind == "measure":
        return bool(UNITS_TAIL_RE.search(normalize(text)))
    if block.kind in ("part", "section") and block.number > 2:
        return True      # headings of sections with measures are single lines
    return text.endswith(("。", "）", ")", "”")) or block.kind == "part"


def _classify(line: str, expected: dict[str, int]) -> _Block | None:
    """Return a new block if `line` starts the next structural element, else None."""
    for kind, pattern in (("part", PART_RE), ("section", SECTION_RE), ("measure", MEASURE_RE)):
        match = pattern.match(line)
        if not match:
            continue
        raw = match.group(1)
        number = int(raw) if kind == "measure" else chinese_to_int(raw)
        if number == expected[kind] + 1:
            return _Block(kind, line, number)
    return None


def group_blocks(body: str) -> list[_Block]:
    """Regroup the body's lines into logical blocks, joining extraction splits."""
    blocks: list[_Block] = []
    expected = {"part": 0, "section": 0, "measure": 0}
    for line in (ln.strip() for ln in body.splitlines()):
        if not line:
            continue
        new = _classify(line, expected)
        if new is None and blocks and not _is_complete(blocks[-1]):
            blocks[-1].text += line          # a split paragraph: join without a gap
            continue
        if new is None:
            new = _Block("line", line)
        else:
            expected[new.kind] = new.number
        blocks.append(new)
    return blocks


# ---------------------------------------------------------------- units

def split_roles(units_clause: str) -> list[tuple[Role, str]]:
    """'牵头单位：A、B，参加单位：C' -> [(LEAD, 'A、B'), (PARTICIPANT, 'C')]."""
    found = list(ROLE_RE.finditer(units_clause))
    out = []
    for i, match in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(units_clause)
        names = units_clause[match.end():end].strip(" ，,、")
        out.append((_ROLE_BY_LABEL[match.group(1)], names))
    return out


def parse_units(units_clause: str) -> tuple[UnitMention, ...]:
    mentions: list[UnitMention] = []
    for role, names in split_roles(units_clause):
        for resolved in resolve_unit_list(names):
            mentions.append(UnitMention(role, resolved.raw, resolved.name, resolved.is_designation))
    return tuple(mentions)


# ---------------------------------------------------------------- deadlines & targets

DEADLINE_RE = re.compile(r"(20\d{2})年(?:(\d{1,2})月)?(底前|前|底)")
ANNUAL_RE = re.compile(r"每年[^，。；]*")


def parse_deadlines(text: str) -> tuple[Deadline, ...]:
    found: list[Deadline] = []
    for match in DEADLINE_RE.finditer(text):
        year, month, tail = match.groups()
        kind = {"底前": DeadlineKind.BY_END_OF, "前": DeadlineKind.BEFORE, "底": DeadlineKind.AT_END_OF}[tail]
        found.append(Deadline(match.group(0), kind, int(year), int(month) if month else None))
    for match in ANNUAL_RE.finditer(text):
        found.append(Deadline(match.group(0), DeadlineKind.ANNUAL))
    return tuple(dict.fromkeys(found))       # a date repeated in one measure counts once


_CN_COUNT = "[一两二三四五六七八九十]+"
TARGET_RE = re.compile(
    r"(\d+(?:\.\d+)?(?:[—\-～~]\d+)?)\s*(%|个工作日|学时|小时|日|天|次|项|期)"
    # a spelled-out count bound by 至少/最少, possibly with a short verb between: 每年至少听取一次
    rf"|(?<=至少|最少)(?:[^，。；\d]{{0,3}}?)({_CN_COUNT})(次|期)"
    rf"|({_CN_COUNT})(次|期)(?=以上)"
    # "only one" of something: 只设一个行政执法层级
    rf"|(?<=只设|仅设)(一)(个)")
_BOUND_BEFORE = re.compile(r"(不少于|不低于|不超过|不高于|至少|最少|至多|最多|最迟)[^，。；\d]{0,15}$")
_BOUND_AFTER = re.compile(r"^(以上|以内|以下|内)")


def _bound(clause: str, start: int, end: int) -> str:
    """The bound word written next to a number: 不少于30日 / 30日内 / 两期以上."""
    after = _BOUND_AFTER.match(clause[end:])
    if after:
        return after.group(1)
    before = _BOUND_BEFORE.search(clause[:start])
    return before.group(1) if before else ""


def parse_targets(text: str) -> tuple[Target, ...]:
    targets = []
    for clause in re.split(r"[，。；]", text):
        for match in TARGET_RE.finditer(clause):
            groups = [g for g in match.groups()]
            pairs = [(groups[i], groups[i + 1]) for i in range(0, len(groups), 2)]
            index, (quantity, unit) = next((i, pair) for i, pair in enumerate(pairs) if pair[0])
            if re.fullmatch(r"20\d{2}", quantity or ""):
                continue
            start = match.start(index * 2 + 1)
            targets.append(Target(f"{quantity}{unit}", quantity, unit, clause.strip(),
                                  _bound(clause, start, match.end())))
    return tuple(targets)


# ---------------------------------------------------------------- document

def _parse_header(header: str) -> dict:
    lines = [normalize(ln) for ln in header.splitlines() if ln.strip()]
    doc_number = next(ln for ln in lines if re.search(r"〔\d{4}〕\d+号", ln))
    notice_title = next(ln for ln in lines if ln.endswith("的通知"))
    date = next(ln for ln in lines if re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", ln))
    date_at = lines.index(date)
    offices = tuple(ln for ln in lines[:date_at] if ln.endswith("办公厅") and "、" not in ln)
    notice_start = lines.index(notice_title) + 1
    notice = "\n".join(lines[notice_start:date_at - len(offices)])
    title_lines = [ln for ln in lines[date_at + 1:] if not ln.startswith("（此件")]
    publication = next((ln for ln in lines if ln.startswith("（此件")), "")
    title = "".join(title_lines)
    return dict(doc_number=doc_number, notice_title=notice_title, issue_date=date,
                issuing_offices=offices, notice=notice, title=title, publication_note=publication)


def parse_plan(raw: str) -> Plan:
    """Parse the whole plan text into a ``Plan``."""
    preamble_at = raw.index("为持续深入推进")
    header = raw[:preamble_at]
    blocks = group_blocks(raw[preamble_at:])
    head = _parse_header(header)

    parts: list[Part] = []
    sections: list[Section] = []
    measures: list[Measure] = []
    preamble, closing = "", ""
    section_bodies: dict[int, str] = {}
    for block in blocks:
        if block.kind == "part":
            parts.append(Part(block.number, _numeral(block.text), normalize(PART_RE.match(block.text).group(2))))
        elif block.kind == "section":
            title, body = _split_section_heading(normalize(SECTION_RE.match(block.text).group(2)))
            sections.append(Section(block.number, _numeral(block.text), title, parts[-1].number, body))
            section_bodies[block.number] = body
        elif block.kind == "measure":
            measures.append(_build_measure(block, parts[-1].number, sections[-1].number))
        elif measures:
            closing = (closing + "\n" + normalize(block.text)).strip()
        else:
            preamble = (preamble + "\n" + normalize(block.text)).strip()

    sections = [_with_measures(s, measures) for s in sections]
    parts = [Part(p.number, p.numeral, p.title,
                  tuple(s.number for s in sections if s.part_number == p.number)) for p in parts]
    document = DocumentInfo(
        title=head["title"], doc_number=head["doc_number"], issuing_offices=head["issuing_offices"],
        issue_date=head["issue_date"], notice_title=head["notice_title"], notice=head["notice"],
        preamble=preamble, guiding_thought=section_bodies.get(1, ""),
        overall_goals=section_bodies.get(2, ""), closing=closing,
        publication_note=head["publication_note"])
    return Plan(document, tuple(parts), tuple(sections), tuple(measures),
                hashlib.sha256(raw.encode("utf-8")).hexdigest())


def _numeral(heading: str) -> str:
    return re.match(rf"^[（(]?\s*([{_NUMERALS}]+)", heading).group(1)


def _split_section_heading(title: str) -> tuple[str, str]:
    """'指导思想。高举…' -> ('指导思想', '高举…'); plain headings have no body."""
    if "。" in title:
        head, body = title.split("。", 1)
        return head, body.strip()
    return title, ""


def _with_measures(section: Section, measures: list[Measure]) -> Section:
    numbers = tuple(m.number for m in measures if m.section_number == section.number)
    return Section(section.number, section.numeral, section.title, section.part_number,
                   section.text, numbers)


def _build_measure(block: _Block, part: int, section: int) -> Measure:
    verbatim = re.sub(r"^\d{1,3}[.．]\s*", "", block.text)
    text = normalize(verbatim)
    tail = UNITS_TAIL_RE.search(text)
    units_clause = tail.group(1) if tail else ""
    body = text[:tail.start()].strip() if tail else text
    return Measure(
        number=block.number, part_number=part, section_number=section,
        verbatim=verbatim, text=text, body=body,
        units=parse_units(units_clause), deadlines=parse_deadlines(body),
        targets=parse_targets(body))


@lru_cache(maxsize=4)
def load_plan(path: str | Path) -> Plan:
    return parse_plan(Path(path).read_text(encoding="utf-8"))
