"""Understanding a question before retrieval: what it refers to and what it asks for.

Pure functions over the question text and the plan's records; no retrieval happens here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import Enum

from .lexicon import is_english, translate_english
from .records import Plan, Role
from .text import chinese_to_int, normalize
from .units import all_aliases, find_units_in_text

_CN = "零〇一二两三四五六七八九十百"


class Intent(str, Enum):
    MEASURE = "measure"            # 第38项
    UNIT = "unit"                  # 审计厅要做什么
    DEADLINES = "deadlines"        # 2022年底前要完成哪些任务
    STRUCTURE = "structure"        # 第七部分讲什么 / 一共多少项
    DOCUMENT = "document"          # 文号 / 印发日期 / 指导思想
    SEARCH = "search"              # everything else: hybrid retrieval
    OUT_OF_RANGE = "out_of_range"  # 第120项


class Asks(str, Enum):
    DEADLINE = "deadline"
    UNITS = "units"
    TARGET = "target"


@dataclass(frozen=True)
class Query:
    original: str
    text: str
    intent: Intent
    english: bool = False
    measures: tuple[int, ...] = ()
    units: tuple[str, ...] = ()
    role: Role | None = None
    year: int | None = None
    month: int | None = None
    annual: bool = False
    part: int | None = None
    section: int | None = None
    doc_field: str | None = None
    asks: frozenset = field(default_factory=frozenset)
    out_of_range: int | None = None
    scope: tuple[int, ...] = ()        # restrict search to these measures (follow-ups)

    @property
    def search_text(self) -> str:
        """What retrieval sees: English questions carry their glossary translations."""
        return translate_english(self.text) if self.english else self.text

    def but(self, **changes) -> "Query":
        return replace(self, **changes)


def _number(token: str) -> int | None:
    token = token.strip()
    return int(token) if token.isdigit() else chinese_to_int(token)


MEASURE_PATTERNS = (
    re.compile(rf"第\s*([0-9]{{1,4}}|[{_CN}]{{1,6}})\s*(?:项|条|个措施|号措施|个任务|项措施|项任务)"),
    re.compile(r"(?:措施|任务|举措)\s*(?:第|编号|序号|No\.?)?\s*([0-9]{1,4})(?!\s*[年月日%])"),
    re.compile(r"\bmeasures?\s*(?:no\.?|number|#)?\s*([0-9]{1,4})\b", re.I),
    re.compile(r"(?:^|\s)#\s*([0-9]{1,4})\b"),
)
PART_PATTERNS = (
    re.compile(rf"第\s*([0-9]{{1,2}}|[{_CN}]{{1,3}})\s*(?:部分|章|大部分|大项)"),
    re.compile(r"\bpart\s+([0-9]{1,2})\b", re.I),
)
SECTION_PATTERNS = (
    re.compile(rf"[（(]\s*([{_CN}]{{1,4}})\s*[）)]"),
    re.compile(rf"第\s*([0-9]{{1,2}}|[{_CN}]{{1,4}})\s*(?:节|小节|个小标题)"),
    re.compile(r"\bsection\s+([0-9]{1,2})\b", re.I),
)
YEAR_RE = re.compile(r"(20[0-9]{2})\s*年?(?:\s*([0-9]{1,2})\s*月)?")

DOC_FIELDS = (
    ("doc_number", re.compile(r"文号|字号|发文号|文件号|document number|reference number", re.I)),
    ("issue_date", re.compile(r"(方案|文件|通知|本方案|这份|它)[^，。？]{0,8}((印发|发布|发文|出台|下发).{0,6}"
                              r"(时间|日期|什么时候|哪天|何时|哪一天)|什么时候(印发|发布|出台|下发))|印发日期|发文日期|"
                              r"when was (the|this) (plan|document) (issued|published)|issue date", re.I)),
    ("issuers", re.compile(r"发文机关|发文单位|(谁|哪个部门|哪些部门|哪个单位)(印发|发布|发)的?(方案|文件|这个)|"
                           r"(方案|文件)是?(谁|哪个部门|哪些部门|哪个单位)(印发|发布|发)的|who issued", re.I)),
    ("guiding_thought", re.compile(r"指导思想|guiding (thought|ideology|principle)", re.I)),
    ("overall_goals", re.compile(r"总体目标|总目标|主要目标|到2025年.*(目标|实现)|overall goals?|main goals?", re.I)),
    ("title", re.compile(r"(文件|方案)的?(全称|标题|名称|名字)|title of", re.I)),
    ("closing", re.compile(r"结尾|最后一段|落实要求")),
    ("preamble", re.compile(r"前言|开头|制定依据|为什么制定|依据什么制定")),
)
COUNT_RE = re.compile(r"(一共|总共|共有|多少|几)\s*(项|条|个)?\s*(措施|任务|部分|节|小节|举措|项|条)|"
                      r"how many (measures|parts|sections)", re.I)
DEADLINE_ASK = re.compile(r"什么时候|何时|哪年|几月|截止|期限|时限|时间节点|多久|底前|完成时间|啥时候|"
                          r"\bwhen\b|deadline|by when", re.I)
UNITS_ASK = re.compile(r"谁(牵头|负责|来|参加|参与)|牵头单位|参加单位|责任单位|哪个单位|哪些单位|哪些部门|哪个部门|"
                       r"谁是|由谁|\bwho\b|which (unit|department)s?", re.I)
TARGET_ASK = re.compile(r"多少|几(个|次|期|天|日|小时|学时)|百分之|比例|出庭率|答复率|不少于|至少|\bhow (many|much|long)\b",
                        re.I)
DUTY_CUE = re.compile(r"做什么|干什么|干啥|做啥|要做|要干|职责|任务|负责|承担|牵头|参加|参与|工作|涉及|有哪些|"
                      r"哪些事|what (must|should|does)|duties|responsib|tasks?|involved", re.I)
ROLE_CUES = ((Role.LEAD, re.compile(r"牵头|lead", re.I)),
             (Role.PARTICIPANT, re.compile(r"参加|参与|配合|participat", re.I)),
             (Role.RESPONSIBLE, re.compile(r"责任单位|responsible unit", re.I)))
DEADLINE_LIST_CUE = re.compile(r"哪些|什么任务|什么工作|要完成|到期|任务|工作|清单|列表|时间表|所有|全部|which|what (tasks|measures)|list",
                               re.I)
TIMELINE_RE = re.compile(r"时间表|时间节点有哪些|所有.{0,4}(期限|截止)|全部.{0,4}(期限|截止)|timeline", re.I)
ANNUAL_RE = re.compile(r"每年|年度|annual|every year|each year", re.I)


def _find(patterns, text: str) -> list[int]:
    found = []
    for pattern in patterns:
        for match in pattern.finditer(text):
            value = _number(match.group(1))
            if value is not None and value not in found:
                found.append(value)
    return found


def understand(question: str, plan: Plan) -> Query:
    """Classify a (cleaned) question and pull out the entities it names."""
    text = normalize(question)
    english = is_english(text)
    asks = set()
    if DEADLINE_ASK.search(text):
        asks.add(Asks.DEADLINE)
    if UNITS_ASK.search(text):
        asks.add(Asks.UNITS)
    if TARGET_ASK.search(text):
        asks.add(Asks.TARGET)
    units = tuple(find_units_in_text(text)) + _english_units(text) if english else tuple(find_units_in_text(text))
    role = next((r for r, cue in ROLE_CUES if cue.search(text)), None)
    base = Query(question, text, Intent.SEARCH, english=english, units=units, role=role,
                 asks=frozenset(asks))
    total = len(plan.measures)

    measures = _find(MEASURE_PATTERNS, text)
    if measures:
        valid = tuple(n for n in measures if 1 <= n <= total)
        if not valid:
            return base.but(intent=Intent.OUT_OF_RANGE, out_of_range=measures[0])
        return base.but(intent=Intent.MEASURE, measures=valid)

    for name, pattern in DOC_FIELDS:
        if pattern.search(text):
            return base.but(intent=Intent.DOCUMENT, doc_field=name)

    parts = _find(PART_PATTERNS, text)
    sections = [n for n in _find(SECTION_PATTERNS, text)]
    if parts or sections:
        part = parts[0] if parts else None
        section = sections[0] if sections else None
        if (part and part > len(plan.parts)) or (section and section > len(plan.sections)):
            return base.but(intent=Intent.OUT_OF_RANGE, out_of_range=None, part=part, section=section)
        return base.but(intent=Intent.STRUCTURE, part=part, section=section)
    if COUNT_RE.search(text) and not units:
        return base.but(intent=Intent.STRUCTURE, doc_field="counts")

    year_match = YEAR_RE.search(text)
    annual = bool(ANNUAL_RE.search(text))
    if (year_match and DEADLINE_LIST_CUE.search(text)) or TIMELINE_RE.search(text) or \
            (annual and DEADLINE_LIST_CUE.search(text) and not units):
        year = int(year_match.group(1)) if year_match else None
        month = int(year_match.group(2)) if year_match and year_match.group(2) else None
        if year is None or 2021 <= year <= 2035:
            return base.but(intent=Intent.DEADLINES, year=year, month=month,
                            annual=annual and year is None, units=units)

    if units and (DUTY_CUE.search(text) or _mostly_unit(text, units)) and not (asks - {Asks.UNITS}):
        return base.but(intent=Intent.UNIT)
    return base


def _mostly_unit(text: str, units: tuple[str, ...]) -> bool:
    """'统计局？' or '审计厅的职责' – a question that is little more than a unit's name."""
    rest = re.sub(r"[\W_]+", "", text)
    for alias, name in sorted(all_aliases().items(), key=lambda pair: -len(pair[0])):
        if name in units:
            rest = rest.replace(alias, "")
    return len(rest) <= 6


def _english_units(text: str) -> tuple[str, ...]:
    from .lexicon import _EN_UNIT_NAMES
    lowered = text.lower()
    found = []
    for english, chinese in _EN_UNIT_NAMES.items():
        if re.search(rf"\b{re.escape(english)}\b", lowered):
            found.extend(u for u in find_units_in_text(chinese) if u not in found)
    return tuple(found)
