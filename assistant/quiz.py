"""Training material generated from the plan's records: quizzes and 讲解 handouts.

Seven kinds of four-option question, all built from the parsed records: a deadline, a numeric
target, the lead unit of a measure, the part a measure belongs to, the measure a unit leads,
the measure a quoted sentence comes from, and a true/false check of a statement in which one
detail (a date, a number or a unit) may have been changed. Distractors are of the same kind and
a plausible magnitude (a deadline near the right one, a percentage against percentages, a
department against departments) and are never also correct for the measure. Within a quiz the
correct letters are balanced. A quiz covers the whole plan, a part, a section or one unit's
measures, and is deterministic for a given seed. Every answer cites its measure as 【第N项】.
"""
from __future__ import annotations

import html
import math
import random
import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from .duties import resolve_unit, summary_of
from .plan import DEADLINE_RE
from .records import Deadline, DeadlineKind, Measure, Plan, Role, Target
from .text import chinese_to_int, int_to_chinese, split_sentences
from .units import UNITS, UnitKind, designation_covers, units_by_name

LETTERS = "ABCD"
KINDS = ("deadline", "target", "lead", "part", "led_by", "quote", "truefalse")
KIND_NAMES = {"deadline": "完成时限", "target": "量化指标", "lead": "牵头单位", "part": "所属部分",
              "led_by": "牵头措施", "quote": "出自哪项", "truefalse": "判断正误"}
MAX_QUESTIONS = 20
BLANK = "____"
STEM_CHARS = 70
TITLE_CHARS = 18          # first words of a measure shown as an option
EXCERPT_CHARS = 60        # a quoted statement in true/false and quote questions
WHOLE_PLAN = "all"
TF_PROMPT = "判断下列表述与方案原文是否一致："
TF_OPTIONS = {"none": "与原文一致", "date": "不一致：时间被改动", "number": "不一致：数量指标被改动",
              "unit": "不一致：单位名称被改动"}


@dataclass(frozen=True)
class Question:
    number: int                 # 1-based position in the quiz
    kind: str                   # one of KINDS
    prompt: str
    options: tuple[str, ...]    # four options
    answer: int                 # index of the correct option
    measure: int                # the measure the answer comes from
    basis: str                  # the plan's wording that answers it

    @property
    def letter(self) -> str:
        return LETTERS[self.answer]

    @property
    def correct(self) -> str:
        return self.options[self.answer]

    def choices(self) -> list[tuple[str, str]]:
        """(label, value) pairs for a radio group: ("A. 2022年底前", "A")."""
        return [(f"{LETTERS[i]}. {option}", LETTERS[i]) for i, option in enumerate(self.options)]


@dataclass(frozen=True)
class Quiz:
    seed: int
    questions: tuple[Question, ...]
    scope: str = WHOLE_PLAN
    scope_label: str = "整个方案"


@dataclass(frozen=True)
class QuizResult:
    correct: int
    total: int
    marks: tuple[bool, ...]
    responses: tuple[str | None, ...]

    @property
    def percent(self) -> int:
        return round(100 * self.correct / self.total) if self.total else 0


def new_seed() -> int:
    """A fresh paper number for "换一套题" (printed on the sheet and its key)."""
    return random.SystemRandom().randrange(100000, 1000000)


# ------------------------------------------------------------ scope
@dataclass(frozen=True)
class QuizScope:
    value: str                  # "all" | "part:N" | "section:N" | "unit:NAME"
    kind: str                   # "all" | "part" | "section" | "unit"
    label: str
    measures: tuple[int, ...]
    unit: str = ""


def quiz_scope(plan: Plan, value: str | None) -> QuizScope:
    value = (value or WHOLE_PLAN).strip()
    if value == WHOLE_PLAN:
        return QuizScope(value, "all", "整个方案", tuple(m.number for m in plan.measures))
    match = re.fullmatch(r"(part|section|unit):(.+)", value)
    if not match:
        raise ValueError(f"无法识别的出题范围：{value}")
    kind, key = match.groups()
    if kind == "unit":
        unit = resolve_unit(key) or key
        numbers = tuple(m.number for m in plan.measures if unit in m.unit_names)
        if not numbers:
            raise ValueError(f"方案中没有点名“{key}”的措施")
        return QuizScope(f"unit:{unit}", kind, f"{unit}涉及的措施", numbers, unit)
    number = int(key) if key.isdigit() else 0
    if kind == "part" and plan.part(number):
        part = plan.part(number)
        numbers = tuple(m.number for m in plan.measures_in_part(number))
        label = f"第{part.numeral}部分　{part.title}"
    elif kind == "section" and plan.section(number):
        numbers = plan.section(number).measure_numbers
        label = plan.section(number).label
    else:
        raise ValueError(f"方案中没有这个{'部分' if kind == 'part' else '小节'}：{key}")
    if not numbers:
        raise ValueError(f"“{label}”没有具体措施，无法出题")
    return QuizScope(value, kind, label, tuple(numbers))


def quiz_scope_choices(plan: Plan) -> list[tuple[str, str]]:
    """Dropdown (label, value): the whole plan, parts and their sections, then units by number of measures."""
    choices = [(f"整个方案（{len(plan.measures)}项措施）", WHOLE_PLAN)]
    for part in plan.parts:
        in_part = plan.measures_in_part(part.number)
        if not in_part:
            continue           # 一、 is the general part: no measures to ask about
        choices.append((f"第{part.numeral}部分　{part.title}（{len(in_part)}项）", f"part:{part.number}"))
        for sn in part.section_numbers:
            section = plan.section(sn)
            if section.measure_numbers:
                choices.append((f"　　{section.label}（{len(section.measure_numbers)}项）", f"section:{sn}"))
    counts = Counter(name for m in plan.measures
                     for name in dict.fromkeys(u.name for u in m.units if not u.is_designation))
    order = {u.name: i for i, u in enumerate(UNITS)}
    for name, count in sorted(counts.items(), key=lambda kv: (-kv[1], order.get(kv[0], 999))):
        choices.append((f"单位：{name}（{count}项）", f"unit:{name}"))
    return choices


# ------------------------------------------------------------ text helpers
def _first_clause(m: Measure, limit: int) -> str:
    clause = re.split(r"[，。；：]", m.body, maxsplit=1)[0]
    return clause if len(clause) <= limit else clause[:limit - 1] + "…"


def measure_option(m: Measure) -> str:
    """A measure as an option: its number and first words ("第69项　全面推进行政复议规范化…")."""
    return f"第{m.number}项　{_first_clause(m, TITLE_CHARS)}"


def _deadline_span(text: str, phrase: str) -> tuple[int, int] | None:
    """Where `phrase` stands as a whole deadline ("2022年底" must not hit "2022年底前")."""
    match = next((x for x in DEADLINE_RE.finditer(text) if x.group(0) == phrase), None)
    return match.span() if match else None


def _value_span(text: str, value: str) -> tuple[int, int] | None:
    """Where a target value stands on its own ("1小时" must not hit "21小时")."""
    match = re.search(rf"(?<![\d.]){re.escape(value)}", text)
    return match.span() if match else None


def _blanked(sentence: str, span: tuple[int, int]) -> str:
    """The sentence with `span` replaced by a blank, shortened around the blank."""
    start, end = span
    text = sentence[:start] + BLANK + sentence[end:]
    if len(text) <= STEM_CHARS:
        return text
    begin = max(0, min(start - 20, len(text) - STEM_CHARS))
    return ("…" if begin else "") + text[begin:begin + STEM_CHARS - 1] + "…"


def _window(sentence: str, focus: int, width: int = EXCERPT_CHARS) -> tuple[int, int]:
    """A span of about `width` characters of `sentence` that keeps `focus` well inside and
    starts at a clause boundary when one is near (an excerpt that starts mid-word reads badly)."""
    if len(sentence) <= width:
        return 0, len(sentence)
    start = max(0, min(focus - width // 3, len(sentence) - width))
    boundary = max(sentence.rfind(mark, 0, start) for mark in "，；：") + 1
    if start and boundary and start - boundary <= width // 4:
        start = boundary
    return start, min(len(sentence), start + width)


def _excerpt(sentence: str, start: int, end: int) -> str:
    return ("…" if start else "") + sentence[start:end] + ("…" if end < len(sentence) else "")


# ------------------------------------------------------------ distractors
def _month_key(year: int, month: int | None) -> int:
    return year * 12 + (month or 12)


def _render_deadline(kind: DeadlineKind, key: int) -> str:
    """A date in the form of the correct answer: 2023年底前 / 2022年6月前 / 2022年底."""
    year, month = (key - 1) // 12, (key - 1) % 12 + 1
    if month == 12:
        return f"{year}年底" if kind == DeadlineKind.AT_END_OF else f"{year}年底前"
    tail = {DeadlineKind.BEFORE: "前", DeadlineKind.AT_END_OF: "底"}.get(kind, "底前")
    return f"{year}年{month}月{tail}"


def _issued_key(plan: Plan) -> int:
    match = re.match(r"(\d{4})年(\d{1,2})月", plan.document.issue_date)
    return _month_key(int(match.group(1)), int(match.group(2))) if match else 0


def deadline_distractors(rng: random.Random, plan: Plan, m: Measure, correct: Deadline,
                         count: int = 3) -> list[str] | None:
    """Other dates near the right one: the plan's own deadlines and the half-years of the plan
    period after it was issued, none equal to any date of the measure."""
    taken = {_month_key(d.year, d.month) for d in m.deadlines if d.year}
    real = {_month_key(d.year, d.month) for o in plan.measures for d in o.deadlines if d.year}
    period = plan.period
    synthetic = {_month_key(y, mo) for y in range(period.start, period.end + 1) for mo in (6, 12)}
    issued = _issued_key(plan)
    target = _month_key(correct.year, correct.month)
    keys = sorted((k for k in real | synthetic if k not in taken and k > issued),
                  key=lambda k: (abs(k - target), k not in real, k))
    # a little choice among the nearest dates, within two years when there are enough
    nearest = [k for k in keys[:count + 2] if abs(k - target) <= 24]
    nearest = nearest if len(nearest) >= count else keys[:count]
    if len(nearest) < count:
        return None
    return [_render_deadline(correct.kind, k) for k in rng.sample(nearest, count)]


# Plausible values per measure word; counts (次/期/项/个) use COUNT_LADDER.
LADDERS = {"%": (50, 60, 70, 80, 85, 90, 95, 98, 100), "日": (3, 5, 7, 10, 15, 20, 30, 45, 60, 90),
           "天": (3, 5, 7, 10, 15, 20, 30, 45, 60, 90), "个工作日": (3, 5, 7, 10, 15, 20, 30),
           "小时": (1, 2, 3, 4, 5, 6, 8, 12, 24, 48, 72), "学时": (20, 30, 40, 50, 60, 80, 90, 100, 120)}
COUNT_LADDER = (1, 2, 3, 4, 5, 6)
RANGES = ((1, 2), (1, 3), (2, 3), (2, 4), (3, 5), (5, 10))
_RANGE_RE = re.compile(r"(\d+)([—\-～~])(\d+)")


def quantity_value(quantity: str) -> float | None:
    """"30" -> 30, "1—2" -> 1.5 (midpoint), "两" -> 2."""
    rng = _RANGE_RE.fullmatch(quantity)
    if rng:
        return (int(rng.group(1)) + int(rng.group(3))) / 2
    if re.fullmatch(r"\d+(?:\.\d+)?", quantity):
        return float(quantity)
    value = chinese_to_int(quantity)
    return float(value) if value is not None else None


def _cn_count(n: int) -> str:
    return "两" if n == 2 else int_to_chinese(n)


def target_distractors(rng: random.Random, plan: Plan, m: Measure, correct: Target,
                       count: int = 3) -> list[str] | None:
    """Values with the same measure word and written the same way (30日 → 20日, 45日 …; 一次 → 两次 …),
    nearest in ratio, none equal to a value of that measure word in the measure."""
    value = quantity_value(correct.quantity)
    if not value:
        return None
    taken = {quantity_value(t.quantity) for t in m.targets if t.unit == correct.unit}
    same = [t.quantity for o in plan.measures for t in o.targets if t.unit == correct.unit]
    ranged = _RANGE_RE.fullmatch(correct.quantity)
    if ranged:
        dash = ranged.group(2)
        pool = {f"{a}{dash}{b}" for a, b in RANGES} | {q for q in same if _RANGE_RE.fullmatch(q)}
    elif correct.quantity.isdigit() or re.fullmatch(r"\d+\.\d+", correct.quantity):
        ladder = LADDERS.get(correct.unit, COUNT_LADDER)
        pool = {str(v) for v in ladder} | {q for q in same if q.isdigit()}
    else:                                 # a spelled-out count: keep it spelled out
        pool = {_cn_count(v) for v in COUNT_LADDER} | {q for q in same if chinese_to_int(q)}
    scored = [(abs(math.log(quantity_value(q) / value)), q) for q in pool
              if quantity_value(q) and quantity_value(q) not in taken]
    nearest = [q for _, q in sorted(scored)[:count + 2]]
    if len(nearest) < count:
        return None
    return [f"{q}{correct.unit}" for q in rng.sample(nearest, count)]


# Unit kinds that make plausible stand-ins when a kind has too few units of its own.
KINDRED = {UnitKind.GOVERNMENT: (UnitKind.PARTY,),
           UnitKind.PARTY: (UnitKind.DISCIPLINE, UnitKind.CONGRESS, UnitKind.CPPCC, UnitKind.GOVERNMENT),
           UnitKind.CONGRESS: (UnitKind.CPPCC, UnitKind.PARTY), UnitKind.CPPCC: (UnitKind.CONGRESS, UnitKind.PARTY),
           UnitKind.JUDICIAL: (UnitKind.DISCIPLINE, UnitKind.PARTY),
           UnitKind.DISCIPLINE: (UnitKind.JUDICIAL, UnitKind.PARTY),
           UnitKind.CENTRAL: (UnitKind.GOVERNMENT,), UnitKind.INSTITUTION: (UnitKind.PARTY, UnitKind.GOVERNMENT)}


def unit_kind(name: str) -> UnitKind | None:
    unit = units_by_name().get(name)
    return unit.kind if unit is not None else None


def _holds_role(m: Measure, name: str, role: Role) -> bool:
    """Whether `name` holds `role` in `m`, by name or through a designation listed under it."""
    named = set(m.unit_names)
    return any(u.name == name or (u.is_designation and designation_covers(u.name, name, named))
               for u in m.units_with_role(role))


def unit_distractors(rng: random.Random, m: Measure, correct: str, role: Role, count: int = 3) -> list[str] | None:
    """Units of the same kind (a department against departments), then of kindred kinds; none
    named in the measure, none reached by a designation listed under `role`."""
    kind = unit_kind(correct)
    if kind is None or kind == UnitKind.LOCAL:
        return None
    named = set(m.unit_names)
    chosen: list[str] = []
    for group in ((kind,), KINDRED.get(kind, ())):
        names = [u.name for u in UNITS if u.kind in group and u.name not in named and u.name not in chosen
                 and not _holds_role(m, u.name, role)]
        rng.shuffle(names)
        chosen += names[:count - len(chosen)]
        if len(chosen) == count:
            return chosen
    return None


def _nearby_measures(rng: random.Random, plan: Plan, m: Measure, eligible, count: int = 3) -> list[Measure] | None:
    """Other measures, from the same section first, then the same part, then the rest."""
    groups: list[list[Measure]] = [[], [], []]
    for o in plan.measures:
        if o.number == m.number or not eligible(o):
            continue
        groups[0 if o.section_number == m.section_number else 1 if o.part_number == m.part_number else 2].append(o)
    chosen: list[Measure] = []
    for group in groups:
        rng.shuffle(group)
        chosen += group[:count - len(chosen)]
    return chosen if len(chosen) == count else None


# ------------------------------------------------------------ question makers
@dataclass(frozen=True)
class _Draft:
    kind: str
    measure: int
    prompt: str
    correct: str
    distractors: tuple[str, ...]
    basis: str


def _sentence_with(body: str, phrase: str) -> str:
    return next((s for s in split_sentences(body) if phrase in s), phrase)


def _deadline_question(rng, plan: Plan, item) -> tuple | None:
    m, d = item
    sentence = _sentence_with(m.body, d.phrase)
    span = _deadline_span(sentence, d.phrase)
    picked = deadline_distractors(rng, plan, m, d)
    if picked is None or span is None:
        return None
    prompt = f"按照方案，“{_blanked(sentence, span)}”中空白处的时限是？"
    return prompt, d.phrase, picked, sentence


def _target_question(rng, plan: Plan, item) -> tuple | None:
    m, t = item
    sentence = _sentence_with(m.body, t.clause)
    span = _value_span(sentence, t.value)
    picked = target_distractors(rng, plan, m, t)
    if picked is None or span is None:
        return None
    prompt = f"按照方案，“{_blanked(sentence, span)}”中空白处应填？"
    return prompt, t.value, picked, sentence


def _leads(m: Measure) -> list[str]:
    return [u.name for u in m.units_with_role(Role.LEAD) if not u.is_designation]


def _lead_question(rng, plan: Plan, m: Measure) -> tuple | None:
    leads = _leads(m)
    if not leads:
        return None
    correct = rng.choice(leads)
    picked = unit_distractors(rng, m, correct, Role.LEAD)
    if picked is None:
        return None
    ask = "牵头单位之一" if len(leads) > 1 else "牵头单位"
    prompt = f"“{summary_of(m, STEM_CHARS)}”这项措施的{ask}是？"
    return prompt, correct, picked, f"牵头单位：{'、'.join(leads)}"


def _part_question(rng, plan: Plan, m: Measure) -> tuple | None:
    correct = plan.part(m.part_number).label
    pool = [p.label for p in plan.parts if p.label != correct and plan.measures_in_part(p.number)]
    if len(pool) < 3:
        return None
    prompt = f"“{summary_of(m, STEM_CHARS)}”这项措施属于方案的哪一部分？"
    return prompt, correct, rng.sample(pool, 3), f"{correct} / {plan.section(m.section_number).label}"


def _led_by_question(rng, plan: Plan, item) -> tuple | None:
    m, unit = item
    picked = _nearby_measures(rng, plan, m,
                              lambda o: unit not in o.unit_names and not _holds_role(o, unit, Role.LEAD))
    if picked is None:
        return None
    prompt = f"下列哪一项措施由{unit}牵头？"
    return prompt, measure_option(m), [measure_option(o) for o in picked], f"牵头单位：{'、'.join(_leads(m))}"


def _quote_candidates(m: Measure) -> list[str]:
    """Sentences of the measure that do not repeat its first words (those are shown in the options)."""
    sentences = [s.rstrip("。；") for s in split_sentences(m.body)]
    if not sentences:
        return []
    head = re.split(r"[，。；：]", m.body, maxsplit=1)[0]
    rest = [s for s in sentences[1:] if len(s) >= 12]
    if not rest:
        tail = sentences[0][len(head):].lstrip("，：；") if sentences[0].startswith(head) else ""
        rest = [tail] if len(tail) >= 12 else []
    return [s for s in rest if head[:TITLE_CHARS - 1] not in s]


def _quote_question(rng, plan: Plan, m: Measure) -> tuple | None:
    candidates = _quote_candidates(m)
    if not candidates:
        return None
    sentence = rng.choice(candidates)
    start, end = _window(sentence, 0)
    core = sentence[start:end]
    picked = _nearby_measures(rng, plan, m, lambda o: core not in o.body)
    if picked is None:
        return None
    prompt = f"“{_excerpt(sentence, start, end)}”出自哪一项措施？"
    return prompt, measure_option(m), [measure_option(o) for o in picked], sentence


def _role_shown(m: Measure) -> tuple[Role, list[str], bool] | None:
    """The role a statement names (牵头, else 责任, else 参加), up to two of its units, and
    whether more were left out."""
    for role in (Role.LEAD, Role.RESPONSIBLE, Role.PARTICIPANT):
        names = [u.name for u in m.units_with_role(role)]
        if names:
            return role, names[:2], len(names) > 2
    return None


def _truefalse_question(rng, plan: Plan, m: Measure) -> tuple | None:
    shown = _role_shown(m)
    if shown is None:
        return None
    role, names, more = shown
    dated = [d for d in m.deadlines if d.year is not None]
    sentences = split_sentences(m.body)
    detailed = [s for s in sentences if any(_deadline_span(s, d.phrase) for d in dated)
                or any(_value_span(s, t.value) for t in m.targets)]
    sentence = rng.choice(detailed or sentences[:1])
    # the details of that sentence: (kind, span, text, record)
    details = [("date", span, d.phrase, d) for d in dated if (span := _deadline_span(sentence, d.phrase))]
    details += [("number", span, t.value, t) for t in m.targets if (span := _value_span(sentence, t.value))]
    # The window is chosen before the change so that its shape gives nothing away.
    start, end = _window(sentence, details[0][1][0] if details else 0)
    details = [x for x in details if start <= x[1][0] and x[1][1] <= end]
    changes = ["none"] + sorted({kind for kind, *_ in details})
    swappable = [n for n in names if unit_kind(n) not in (None, UnitKind.LOCAL)]
    if swappable:
        changes.append("unit")
    change = rng.choice(changes)
    text, delta, shown_names, note = sentence, 0, list(names), "题中表述与原文一致"
    if change in ("date", "number"):
        _, (a, b), old, record = rng.choice([x for x in details if x[0] == change])
        made = (deadline_distractors(rng, plan, m, record, 1) if change == "date"
                else target_distractors(rng, plan, m, record, 1))
        if not made:
            return None
        text, delta = sentence[:a] + made[0] + sentence[b:], len(made[0]) - len(old)
        note = f"题中把“{old}”改成了“{made[0]}”"
    elif change == "unit":
        old = rng.choice(swappable)
        made = unit_distractors(rng, m, old, role, 1)
        if not made:
            return None
        shown_names[shown_names.index(old)] = made[0]
        note = f"题中把“{old}”改成了“{made[0]}”"
    etc = "等" if more else ""
    statement = f"{_excerpt(text, start, end + delta)}（{role.label}：{'、'.join(shown_names)}{etc}）"
    basis = f"原文：{_excerpt(sentence, start, end)}（{role.label}：{'、'.join(names)}{etc}）；{note}"
    correct = TF_OPTIONS[change]
    return f"{TF_PROMPT}{statement}", correct, [v for k, v in TF_OPTIONS.items() if k != change], basis


MAKERS = {"deadline": _deadline_question, "target": _target_question, "lead": _lead_question,
          "part": _part_question, "led_by": _led_by_question, "quote": _quote_question,
          "truefalse": _truefalse_question}


def _candidates(plan: Plan, scope: QuizScope) -> dict[str, list]:
    measures = [m for m in plan.measures if m.number in set(scope.measures)]
    led_by = [(m, unit) for m in measures for unit in _leads(m)]
    if scope.unit and any(unit == scope.unit for _, unit in led_by):
        led_by = [(m, unit) for m, unit in led_by if unit == scope.unit]    # ask about the chosen unit
    return {
        "deadline": [(m, d) for m in measures for d in m.deadlines if d.year is not None],
        "target": [(m, t) for m in measures for t in m.targets],
        "lead": [m for m in measures if _leads(m)],
        # within a part or section the part is given away by the scope itself
        "part": list(measures) if scope.kind in ("all", "unit") else [],
        "led_by": led_by,
        "quote": list(measures),
        "truefalse": list(measures),
    }


def _measure_of(item) -> Measure:
    return item[0] if isinstance(item, tuple) else item


# ------------------------------------------------------------ quiz
def balanced_positions(rng: random.Random, n: int) -> list[int]:
    """Correct-option indexes for `n` questions: each letter floor(n/4) or ceil(n/4) times, shuffled."""
    extra = rng.sample(range(len(LETTERS)), n % len(LETTERS))
    positions = [i for i in range(len(LETTERS)) for _ in range(n // len(LETTERS))] + extra
    rng.shuffle(positions)
    return positions


def generate_quiz(plan: Plan, n: int = 5, seed: int = 0, kinds: Sequence[str] = KINDS,
                  scope: str | None = WHOLE_PLAN) -> Quiz:
    """`n` questions (at most MAX_QUESTIONS) about the measures of `scope`, kinds in turn.

    A measure is asked about once; only a scope too small for `n` questions asks about a
    measure again, in another kind of question."""
    area = quiz_scope(plan, scope)
    rng = random.Random(seed)
    n = max(1, min(int(n), MAX_QUESTIONS))
    pools = _candidates(plan, area)
    for pool in pools.values():
        rng.shuffle(pool)
    order = [k for k in kinds if k in MAKERS and pools[k]]
    rng.shuffle(order)
    drafts: list[_Draft] = []
    asked: set[tuple[str, int]] = set()
    deferred: dict[str, list] = {k: [] for k in order}
    for repeat in (False, True):
        active = list(order)
        turn = 0
        while len(drafts) < n and active:
            kind = active[turn % len(active)]
            draft = _next_draft(rng, plan, kind, pools[kind], deferred[kind], drafts, asked, repeat)
            if draft is None:
                active.remove(kind)
                continue
            turn += 1
            drafts.append(draft)
            asked.add((kind, draft.measure))
        if len(drafts) >= n:
            break
        pools = deferred
        deferred = {k: [] for k in order}
    return Quiz(seed, _arrange(rng, drafts), area.value, area.label)


def _next_draft(rng, plan: Plan, kind: str, pool: list, deferred: list, drafts: list[_Draft],
                asked: set, repeat: bool) -> _Draft | None:
    used = {d.measure for d in drafts}
    while pool:
        item = pool.pop()
        m = _measure_of(item)
        if (kind, m.number) in asked:
            continue
        if m.number in used and not repeat:
            deferred.append(item)          # usable later if the scope runs short
            continue
        made = MAKERS[kind](rng, plan, item)
        if made is None:
            continue
        prompt, correct, distractors, basis = made
        distractors = tuple(dict.fromkeys(d for d in distractors if d != correct))
        if len(distractors) != len(LETTERS) - 1 or any(d.prompt == prompt for d in drafts):
            continue                       # the same stem twice (a unit leading two measures) reads as a slip
        return _Draft(kind, m.number, prompt, correct, distractors, basis)
    return None


def _arrange(rng: random.Random, drafts: list[_Draft]) -> tuple[Question, ...]:
    positions = balanced_positions(rng, len(drafts))
    questions = []
    for i, (draft, position) in enumerate(zip(drafts, positions)):
        options = list(draft.distractors)
        rng.shuffle(options)
        options.insert(position, draft.correct)
        questions.append(Question(i + 1, draft.kind, draft.prompt, tuple(options), position, draft.measure,
                                  draft.basis))
    return tuple(questions)


def _letter(response, question: Question) -> str | None:
    """Accept a letter, an index, an option text or a radio label ("B. …")."""
    if response is None or response == "":
        return None
    if isinstance(response, int):
        return LETTERS[response] if 0 <= response < len(question.options) else None
    text = str(response).strip()
    if text[:1] in LETTERS and (len(text) == 1 or text[1:3] == ". "):
        return text[0]
    if text in question.options:
        return LETTERS[question.options.index(text)]
    return None


def score_quiz(quiz: Quiz, responses: Sequence) -> QuizResult:
    letters = [_letter(r, q) for q, r in zip(quiz.questions, list(responses) + [None] * len(quiz.questions))]
    marks = tuple(letter == q.letter for q, letter in zip(quiz.questions, letters))
    return QuizResult(sum(marks), len(quiz.questions), marks, tuple(letters))


def answer_key(quiz: Quiz, result: QuizResult | None = None) -> str:
    """Markdown answer key: the correct option, the plan's wording and its citation."""
    lines = []
    for i, q in enumerate(quiz.questions):
        mark = ""
        if result is not None:
            given = result.responses[i]
            mark = "✓ 正确" if result.marks[i] else (f"✗ 错误（你的答案：{given}）" if given else "✗ 未作答")
        lines.append(f"{q.number}. **{q.letter}. {q.correct}**{' ' + mark if mark else ''}  \n"
                     f"   依据：{q.basis}【第{q.measure}项】")
    return "\n".join(lines)


def result_markdown(quiz: Quiz, result: QuizResult) -> str:
    head = f"### 得分：{result.correct} / {result.total}（{result.percent} 分）"
    return f"{head}\n\n**参考答案**\n\n{answer_key(quiz, result)}"


# ------------------------------------------------------------ printable sheets
TITLE = "《宁夏回族自治区法治政府建设实施方案（2021—2025年）》学习测验"
NAME_LINE = "姓名：__________　单位：__________　得分：______"


def _sheet_meta(quiz: Quiz) -> str:
    return f"范围：{quiz.scope_label}　共 {len(quiz.questions)} 题　试卷编号：{quiz.seed}"


def quiz_markdown(quiz: Quiz, with_key: bool = True) -> str:
    lines = [f"# {TITLE}", "", _sheet_meta(quiz), "", NAME_LINE, ""]
    for q in quiz.questions:
        lines.append(f"**{q.number}. （{KIND_NAMES[q.kind]}）{q.prompt}**")
        lines.append("")
        lines.extend(f"- {LETTERS[i]}. {option}" for i, option in enumerate(q.options))
        lines.append("")
    if with_key:
        lines += ["---", "", f"## 参考答案（试卷编号 {quiz.seed}）", "", answer_key(quiz)]
    return "\n".join(lines) + "\n"


FONTS = '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif'
SHEET_CSS = f"""
@page {{ size: A4; margin: 15mm 15mm; }}
body {{ font-family: {FONTS}; max-width: 780px; margin: 2em auto; line-height: 1.6; color: #222; }}
h1 {{ font-size: 1.35em; text-align: center; }} h2 {{ font-size: 1.15em; }}
.meta {{ text-align: center; margin: .3em 0; }}
.q {{ margin: 1em 0; page-break-inside: avoid; }} .q ol {{ list-style: upper-alpha; margin: .3em 0; }}
.key {{ page-break-before: always; }} .basis {{ color: #555; font-size: .92em; }}
table {{ border-collapse: collapse; width: 100%; }} td, th {{ border: 1px solid #999; padding: 4px 6px; }}
@media print {{ body {{ margin: 0; font-size: 11pt; }} }}
"""


def _page(title: str, body: str, css: str = SHEET_CSS) -> str:
    return (f"<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{css}</style></head>\n<body>\n{body}\n</body></html>\n")


def quiz_html(quiz: Quiz, with_key: bool = True) -> str:
    e = html.escape
    parts = [f"<h1>{e(TITLE)}</h1>", f"<p class=\"meta\">{e(_sheet_meta(quiz))}</p>",
             f"<p class=\"meta\">{NAME_LINE}</p>"]
    for q in quiz.questions:
        options = "".join(f"<li>{e(o)}</li>" for o in q.options)
        parts.append(f"<div class=\"q\"><p><b>{q.number}. （{e(KIND_NAMES[q.kind])}）{e(q.prompt)}</b></p>"
                     f"<ol>{options}</ol></div>")
    if with_key:
        items = "".join(f"<li><b>{q.letter}. {e(q.correct)}</b><br><span class=\"basis\">依据：{e(q.basis)}"
                        f"【第{q.measure}项】</span></li>" for q in quiz.questions)
        parts.append(f"<div class=\"key\"><h2>参考答案（试卷编号 {quiz.seed}）</h2><ol>{items}</ol></div>")
    return _page(TITLE, "\n".join(parts))


# ------------------------------------------------------------ 讲解 handout
HANDOUT_LINE_CHARS = 40       # a measure's first clause: one printed line with its citation and units
CONTEXT_CHARS = 28            # what a deadline or target line quotes


def handout_choices(plan: Plan) -> list[tuple[str, str]]:
    """(label, value) for every part ("part:N") and section ("section:N")."""
    choices = []
    for part in plan.parts:
        choices.append((f"第{part.numeral}部分　{part.label}", f"part:{part.number}"))
        for sn in part.section_numbers:
            choices.append((f"　　{plan.section(sn).label}", f"section:{sn}"))
    return choices


def _scope(plan: Plan, value: str) -> tuple[str, list, list[Measure]]:
    """(title, sections, measures) for "part:N" or "section:N"."""
    match = re.fullmatch(r"(part|section):(\d+)", value or "")
    if not match:
        raise ValueError(f"无法识别的讲解范围：{value}")
    kind, number = match.group(1), int(match.group(2))
    if kind == "part" and plan.part(number):
        part = plan.part(number)
        sections = [plan.section(sn) for sn in part.section_numbers]
        return part.label, sections, plan.measures_in_part(number)
    if kind == "section" and plan.section(number):
        section = plan.section(number)
        title = f"{section.label}（{plan.part(section.part_number).label}）"
        return title, [section], plan.measures_in_section(number)
    raise ValueError(f"方案中没有这个{'部分' if kind == 'part' else '小节'}：{number}")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _names(names: list[str], limit: int = 2) -> str:
    return "、".join(names[:limit]) + (f"等{len(names)}家" if len(names) > limit else "")


def _owner(m: Measure) -> tuple[Role, list[str]] | None:
    """Who answers for a measure: its lead units, else its responsible units."""
    for role in (Role.LEAD, Role.RESPONSIBLE):
        names = [u.name for u in m.units_with_role(role)]
        if names:
            return role, names
    return None


def _measure_line(m: Measure) -> str:
    owner = _owner(m)
    who = f"（{owner[0].value}：{_names(owner[1])}）" if owner else ""
    return f"- 【第{m.number}项】{_first_clause(m, HANDOUT_LINE_CHARS)}{who}"


def _context(m: Measure, phrase: str) -> str:
    """The words around a deadline or value: its clause without it, else the next clause."""
    clauses = [c for c in re.split(r"[，。；]", m.body) if c]
    at = next((i for i, c in enumerate(clauses) if phrase in c), None)
    if at is None:
        return _first_clause(m, CONTEXT_CHARS)
    rest = clauses[at].replace(phrase, "", 1).strip()
    if len(rest) < 4 and at + 1 < len(clauses):
        rest = clauses[at + 1]
    return _cut(rest, CONTEXT_CHARS)


_KIND_ORDER = {DeadlineKind.BEFORE: 0, DeadlineKind.BY_END_OF: 1, DeadlineKind.AT_END_OF: 2, DeadlineKind.ANNUAL: 3}


def dated_items(measures: list[Measure]) -> list[tuple[Measure, Deadline]]:
    """Every deadline in date order: 2022年6月前 before 2022年6月底前 before 2022年底前; 每年 last."""
    items = [(m, d) for m in measures for d in m.deadlines]
    return sorted(items, key=lambda md: (md[1].sort_key, _KIND_ORDER[md[1].kind], md[0].number))


def _deadline_line(m: Measure, d: Deadline) -> str:
    if d.year is None:                    # 每年… is its own description
        return f"- {_cut(d.phrase, CONTEXT_CHARS + 6)}【第{m.number}项】"
    return f"- {d.phrase}【第{m.number}项】：{_context(m, d.phrase)}"


def _lead_index(measures: list[Measure]) -> tuple[Role, dict[str, list[int]]]:
    """Named lead units and their measures; responsible units when no measure has a lead."""
    role = Role.LEAD if any(_leads(m) for m in measures) else Role.RESPONSIBLE
    index: dict[str, list[int]] = {}
    for m in measures:
        for u in m.units_with_role(role):
            if not u.is_designation:
                index.setdefault(u.name, []).append(m.number)
    return role, dict(sorted(index.items(), key=lambda kv: (-len(kv[1]), kv[1][0])))


def _numbers(numbers: list[int]) -> str:
    return "".join(f"【第{n}项】" for n in numbers)


def _discussion(plan: Plan, measures: list[Measure], where: str) -> list[tuple[str, str]]:
    """Discussion questions with their answers, all read from the records."""
    out: list[tuple[str, str]] = []
    role, index = _lead_index(measures)
    for name, numbers in list(index.items())[:2]:
        if len(numbers) <= 3:
            answer = "；".join(f"{_first_clause(plan.measure(n), 16)}【第{n}项】" for n in numbers)
        else:                             # the numbers only: the table above has the rest
            answer = f"共 {len(numbers)} 项：{_numbers(numbers)}"
        out.append((f"{where}哪些措施由{name}{role.value}？", answer))
    dated = [(m, d) for m, d in dated_items(measures) if d.year is not None]
    if dated:
        m, d = dated[0]
        same = [(o, x) for o, x in dated if x.sort_key == d.sort_key]
        answer = "；".join(f"{x.phrase}，{_context(o, x.phrase)}【第{o.number}项】" for o, x in same)
        out.append((f"{where}最早到期的任务是什么？", answer))
    for m in measures:                    # one figure to recall: its clause with the value blanked
        t = next((t for t in m.targets if (span := _value_span(t.clause, t.value))), None)
        if t is not None:
            span = _value_span(t.clause, t.value)
            blanked = _cut(t.clause[:span[0]] + BLANK + t.clause[span[1]:], CONTEXT_CHARS + 12)
            out.append((f"“{blanked}”，空白处是多少？", f"{t.value}【第{m.number}项】"))
            break
    # collective designations (各市县〔区〕, 自治区政府各部门 …): who else has to act
    reach = Counter(u.name for m in measures for u in dict.fromkeys(x for x in m.units if x.is_designation))
    for name, count in reach.most_common():
        if len(out) >= 4 or (count == len(measures) and len(out) >= 2):   # "all of them" teaches little
            break
        numbers = [m.number for m in measures if name in m.unit_names]
        out.append((f"{where}哪些措施需要“{name}”参与落实？", f"共 {len(numbers)} 项：{_numbers(numbers)}"))
    return out


def handout_markdown(plan: Plan, value: str) -> str:
    """A compact handout: one line per measure, deadlines in date order, numeric targets, lead
    units and discussion questions with answers (one A4 page per section, two per part)."""
    title, sections, measures = _scope(plan, value)
    is_part = value.startswith("part")
    where = "本部分" if is_part else "本节"
    dated = [m for m in measures if m.deadlines]
    scope = f"本部分共 {len(sections)} 个小节、" if is_part else "本小节共 "
    overview = (f"{scope}{len(measures)} 项措施，其中 {len(dated)} 项写明了时限。" if measures
                else f"本部分为总体要求，共 {len(sections)} 个小节，没有具体措施。")
    lines = [f"# 讲解：{title}", "", overview, ""]
    for section in sections:
        lines += [f"## {section.label}", ""]
        if section.text:
            lines += [f"> {_cut(section.text, 160)}", ""]
        lines += [_measure_line(m) for m in measures if m.section_number == section.number]
        lines.append("")
    if not measures:
        return "\n".join(lines) + "\n"
    lines += ["## 时限（按时间先后）", ""]
    lines += [_deadline_line(m, d) for m, d in dated_items(measures)] or ["- 本范围内没有写明时限的措施。"]
    annual = [d.phrase for m in measures for d in m.deadlines if d.year is None]
    # a recurring duty with its figure is already listed under 时限
    targets = list(dict.fromkeys((m.number, t.clause) for m in measures for t in m.targets
                                 if not any(phrase in t.clause for phrase in annual)))
    if targets:
        lines += ["", "## 量化指标", ""] + [f"- {_cut(clause, CONTEXT_CHARS + 12)}【第{n}项】" for n, clause in targets]
    role, index = _lead_index(measures)
    if index:
        lines += ["", f"## {role.label}", "", f"| {role.label} | 措施 |", "|---|---|"]
        lines += [f"| {name} | {''.join(f'【第{n}项】' for n in numbers)} |" for name, numbers in index.items()]
    questions = _discussion(plan, measures, where)
    if questions:
        lines += ["", "## 讨论题", ""] + [f"{i}. {q}" for i, (q, _) in enumerate(questions, 1)]
        lines += ["", "## 讲解要点（讨论题参考答案）", ""] + [f"{i}. {a}" for i, (_, a) in enumerate(questions, 1)]
    return "\n".join(lines) + "\n"


# Compact print: A4 with small margins, 10.5pt text, so a section fits one page and a part two.
HANDOUT_CSS = f"""
@page {{ size: A4; margin: 12mm 14mm; }}
body {{ font-family: {FONTS}; font-size: 10.5pt; line-height: 1.4; color: #111; max-width: 182mm; margin: 1em auto; }}
h1 {{ font-size: 14pt; margin: 0 0 4pt; }}
h2 {{ font-size: 11pt; margin: 7pt 0 2pt; border-bottom: 1px solid #bbb; }}
p, ul, ol, blockquote {{ margin: 2pt 0; }} ul, ol {{ padding-left: 1.6em; }}
blockquote {{ margin-left: 1em; color: #333; }}
table {{ border-collapse: collapse; width: 100%; font-size: 9.5pt; }}
td, th {{ border: 1px solid #999; padding: 1pt 4pt; text-align: left; }}
@media print {{ body {{ margin: 0; max-width: none; }} }}
"""


def handout_html(plan: Plan, value: str) -> str:
    """The handout as a printable page (the Markdown rendered with a small converter)."""
    title, _, _ = _scope(plan, value)
    return _page(f"讲解：{title}", markdown_to_html(handout_markdown(plan, value)), HANDOUT_CSS)


def markdown_to_html(text: str) -> str:
    """Enough Markdown for handouts: headings, quotes, bullets, numbered items, tables, bold; all text escaped."""
    out, open_list, table = [], "", []

    def inline(s: str) -> str:
        return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(s))

    def flush():
        nonlocal open_list, table
        if open_list:
            out.append(f"</{open_list}>")
            open_list = ""
        if table:
            rows = [r for r in table if not re.fullmatch(r"\|[-|\s]+\|", r)]
            cells = [[inline(c.strip()) for c in r.strip("|").split("|")] for r in rows]
            head = "".join(f"<th>{c}</th>" for c in cells[0])
            body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in cells[1:])
            out.append(f"<table><tr>{head}</tr>{body}</table>")
            table = []

    for line in text.splitlines():
        if line.startswith("|"):
            table.append(line)
            continue
        item = re.match(r"(- |\d+\. )(.*)", line)
        if item:
            tag = "ul" if item.group(1) == "- " else "ol"
            if open_list != tag:
                flush()
                out.append(f"<{tag}>")
                open_list = tag
            out.append(f"<li>{inline(item.group(2))}</li>")
            continue
        flush()
        heading = re.match(r"(#{1,3}) (.*)", line)
        if heading:
            level = len(heading.group(1))
            out.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
        elif line.startswith("> "):
            out.append(f"<blockquote>{inline(line[2:])}</blockquote>")
        elif line.strip():
            out.append(f"<p>{inline(line)}</p>")
    flush()
    return "\n".join(out)


__all__ = ["Question", "Quiz", "QuizResult", "QuizScope", "generate_quiz", "score_quiz", "answer_key",
           "result_markdown", "quiz_markdown", "quiz_html", "quiz_scope", "quiz_scope_choices", "new_seed",
           "handout_choices", "handout_markdown", "handout_html", "MAX_QUESTIONS", "WHOLE_PLAN"]
