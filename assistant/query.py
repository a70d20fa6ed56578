"""The constraint planner: slots and an answer type in, a Query (operation + constraints) out.

``assistant.slots`` links every entity a question names; the answer-type classifier
(``assistant.answer_type``) says what kind of answer is wanted. The planner turns the two into
one operation over the records (a measure, a unit's duties, a deadline list, a term list,
targets, structure, a document paragraph, or search) and carries every named constraint
(unit, role, year/month, part/section, the plan's terms) into it, so that any combination
is applied at once by the composer rather than needing a rule of its own.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import Enum

from .records import Plan, Role
from .units import involvement
from .slots import (ANNUAL_RE, DEADLINE_ASK, QUOTED, TARGET_ASK, UNITS_ASK, YEAR_RE, Slots, link, plan_terms_in,
                    topic_words)


class Intent(str, Enum):
    MEASURE = "measure"            # 第38项
    UNIT = "unit"                  # 审计厅要做什么
    DEADLINES = "deadlines"        # 2022年底前要完成哪些任务
    STRUCTURE = "structure"        # 第七部分讲什么 / 一共多少项
    DOCUMENT = "document"          # 文号 / 印发日期 / 指导思想
    TARGETS = "targets"            # 有哪些量化指标 / 要求达到100%的指标
    LIST = "list"                  # 提到信用监管的措施有哪些（一个不漏）
    SEARCH = "search"              # everything else: hybrid retrieval
    OUT_OF_RANGE = "out_of_range"  # 第120项, 2030年的任务


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
    english_terms: tuple[str, ...] = ()  # see Slots: the Chinese words an English question reaches
    measures: tuple[int, ...] = ()
    units: tuple[str, ...] = ()
    role: Role | None = None
    year: int | None = None
    also_years: tuple[int, ...] = ()   # see Slots: further years named as alternatives
    month: int | None = None
    annual: bool = False
    until: bool = False                # the year ends a span from the plan's start (see Slots)
    since: int | None = None           # ...or from this year ("2023至2024年间")
    since_month: int | None = None     # ...after this month of it ("晚于2022年6月")
    part: int | None = None
    section: int | None = None
    doc_field: str | None = None
    asks: frozenset = field(default_factory=frozenset)
    out_of_range: int | None = None
    scope: tuple[int, ...] = ()        # restrict search to these measures (follow-ups)
    span: bool = False                 # the scope is a range the question named ("第80到第84条")
    excluded: tuple[int, ...] = ()     # measures the question sets aside ("除…之外")
    excluded_units: tuple[str, ...] = ()  # ...because they name these units ("没点X的名")
    named_only: bool = False           # a named unit's own listed measures, none reached by designation
    carried: bool = False              # an elliptical follow-up that redoes the previous operation
    # units the plan does not name, placed by the organ catalog: (name, kind, level)
    unlisted: tuple[tuple[str, object, str], ...] = ()
    terms: tuple[str, ...] = ()        # the plan's own words a list question asks about
    # the answer-type classifier's probability that the question is of a kind the plan never
    # answers (None when no classifier was given); the scope check weighs it against weak evidence
    outside_kind: float | None = None
    quantity_word: str = ""            # see Slots: the measure word of a number asked for
    beyond_year: int | None = None     # "今年" read as a year after the plan period: answered in part
    attribute: str = ""                # see Slots: an attribute the plan never names
    alternatives: tuple[str, ...] = ()  # see Slots: two things compared, each searched on its own
    # what a question naming a measure says the measure is about (its subject words, a value):
    # "第12项说的是复议委员会吧" may name the wrong measure
    premise: tuple[str, ...] = ()
    only_roles: tuple = ()             # see Slots: the shape of a measure's unit clause
    sole_unit: bool = False            # ...which names one unit only
    having_roles: tuple = ()
    contents: str = ""                 # see Slots: a list or document whose contents are asked for
    members_in: int | None = None      # see Slots: the measure that lists the members asked for
    lacking_roles: tuple = ()
    undated: bool = False              # see Slots: only measures that set no date

    def kind_of(self, unit: str):
        return next((kind for name, kind, _ in self.unlisted if name == unit), None)

    def level_of(self, unit: str) -> str:
        return next((level for name, _, level in self.unlisted if name == unit), "")

    @property
    def search_text(self) -> str:
        """What retrieval sees: English questions carry the Chinese words they reach."""
        if not self.english:
            return self.text
        return self.text + (" " + " ".join(self.english_terms) if self.english_terms else "")

    def but(self, **changes) -> "Query":
        return replace(self, **changes)


# The plan's requirements asked for as a plural ("要求都有哪些", "有哪些规定", "哪些措施").
REQUIREMENTS_ASKED = re.compile(r"(?:要求|规定|措施|举措|部署|安排)(?:都|还)?(?:有|是|包括)(?:哪些|什么|啥)|"
                                r"哪些(?:要求|规定|措施|举措|部署|安排)")
# "哪几条/哪些措施…": which measures, in the plural, asks for every one that matches.
MEASURES_ASKED = re.compile(r"哪(?:几|些)(?:个)?(?:条|项|措施|举措|任务|条目|条款)")
# Answer types (labels of assistant/data/utterances.jsonl) that want every matching measure.
LIST_TYPES = frozenset({"duty_list", "measure_list", "count"})
# Whether the plan can answer is judged apart (answerability, scope); here only the kind of answer.
NOT_A_TYPE = frozenset({"unanswerable"})


def answer_type_probabilities(slots: Slots, answer_types, vector=None) -> dict[str, float]:
    """The answer types the classifier reads from the words and the filled slots,
    renormalized over the kinds of answer (whether the plan holds it is decided elsewhere)."""
    if answer_types is None:
        from .answer_type import default_classifiers
        answer_types = default_classifiers()
    scores = answer_types["type"].probabilities(slots.text, vector, slots=slots)
    kept = {label: p for label, p in scores.items() if label not in NOT_A_TYPE}
    total = sum(kept.values()) or 1.0
    return {label: p / total for label, p in kept.items()}


def understand(question: str, plan: Plan, tokenizer=None, catalog=None, answer_types=None,
               today=None) -> Query:
    """Slots, then the answer type, then the plan of constraints."""
    slots = link(question, plan, tokenizer, catalog, today)
    query = plan_query(question, slots, answer_type_probabilities(slots, answer_types), plan)
    return query.but(outside_kind=outside_kind_probability(slots, answer_types))


def outside_kind_probability(slots: Slots, answer_types) -> float | None:
    """The classifier's probability that the question is of a kind the plan never answers
    (weather, housing, a poem); None for English, which it is not trained to judge."""
    if answer_types is None or slots.english:
        return None
    return answer_types["type"].probabilities(slots.text, slots=slots).get("unanswerable", 0.0)


def plan_query(question: str, slots: Slots, types: dict[str, float], plan: Plan) -> Query:
    """One operation over the records, carrying every constraint the question names.

    The slots decide what can be answered from the records (a measure, a unit, a time, a part,
    a kind of target); the answer type decides only what the slots leave open: whether a
    question about a subject wants every matching measure or the best one."""
    s = slots
    part, section = (s.parts[0] if s.parts else None), (s.sections[0] if s.sections else None)
    base = Query(question, s.text, Intent.SEARCH, english=s.english, english_terms=s.english_terms, units=s.units, role=s.role,
                 year=s.year, also_years=s.also_years, month=s.month, annual=s.annual and s.year is None, until=s.until, since=s.since, since_month=s.since_month,
                 part=part, section=section,
                 asks=frozenset(Asks(a) for a in s.asks), unlisted=s.unlisted,
                 quantity_word=s.quantity_word, attribute=s.attribute, excluded=s.excluded,
                 excluded_units=s.excluded_units, named_only=s.named_only, alternatives=s.alternatives,
                 only_roles=s.only_roles, sole_unit=s.sole_unit, lacking_roles=s.lacking_roles, contents=s.contents, undated=s.undated,
                 members_in=s.members_in,
                 having_roles=s.having_roles)
    # what the question names outright
    if s.bad_measure is not None:
        return base.but(intent=Intent.OUT_OF_RANGE, out_of_range=s.bad_measure)
    if s.measures:
        # (the plan's own longer phrases too: "行政执法案例指导" is one subject, its words common)
        premise = tuple(dict.fromkeys((*(w for w in s.narrowing if len(w) >= 2), *(t for t in s.terms if len(t) >= 4)))) \
            + ((s.target,) if s.target and s.target != "%" else ())
        return base.but(intent=Intent.MEASURE, measures=s.measures, premise=premise)
    if s.span:
        # "第1至3条讲的什么": those measures; "…里哪些有2022年的期限": they bound the
        # answer to every other constraint named
        if s.year is None and not (s.units or s.annual or s.role or s.terms or s.target or s.extreme):
            return base.but(intent=Intent.MEASURE, measures=s.span)
        base = base.but(scope=s.span, span=True)
    if (s.only_roles or s.lacking_roles or s.having_roles or (s.sole_unit and not s.units)
            or (s.excluded_units and not s.units) or s.undated) and not s.time \
            and not s.has_deadline and not s.annual:
        # "哪些只写了牵头单位", "第三部分哪些没列各地级市": the measures whose records fit, within
        # the part or section named (and using the plan's terms the question names)
        return base.but(intent=Intent.LIST, role=None if (s.only_roles or s.lacking_roles or s.having_roles) else s.role,
                        terms=tuple(t for t in s.terms if len(t) >= 3))
    if s.bad_year is not None and s.relative_year and s.narrowing:
        # "明年要办几期X" after the plan period: the plan cannot speak of that year, but what it
        # asks of X every year still bears on it; search and the scope checks say how far
        base = base.but(year=None, month=None, beyond_year=s.bad_year)
    elif s.bad_year is not None:
        # "2026—2030年纲要的要求": a year outside the plan period is about another text, even when
        # it names a document paragraph's words
        return base.but(intent=Intent.OUT_OF_RANGE, out_of_range=None, year=s.bad_year)
    if s.doc_field:
        return base.but(intent=Intent.DOCUMENT, doc_field=s.doc_field)
    if s.bad_structure:
        return base.but(intent=Intent.OUT_OF_RANGE, out_of_range=None)
    if (s.contents or s.members_in is not None) and not (s.units or s.time or s.parts or s.sections):
        # "X清单里具体有哪些": what a list the plan names holds, not which measures name it
        return base

    # "which measures mention X" wants every place, whatever the classifier makes of its wording
    # "关于X的要求都有哪些": the plural over the plan's own requirements about a term is a list too
    listing = sum(types.get(label, 0.0) for label in LIST_TYPES) >= 0.5 or (s.plural and s.mentions) or \
        (s.plural and bool(s.terms) and bool(REQUIREMENTS_ASKED.search(s.text) or MEASURES_ASKED.search(s.text)))
    wanted = max(types, key=types.get) if types else ""
    subject = bool(s.narrowing)              # a subject of the plan's own beyond units, time and kinds
    terms = tuple(t for t in s.terms if t in s.narrowing or len(t) >= 3) or s.terms
    within = part is not None or section is not None
    quoted = [t for t in s.terms if t in QUOTED.findall(s.text)]
    quoted_term = bool(quoted)
    # "总共分几个部分、多少小节" asks the plan's own shape, whatever framing words come with it
    shape_counted = bool(STRUCTURE_COUNT.search(s.text))
    if (s.count and wanted == "count" or shape_counted) \
            and not (s.units or s.time or within or s.has_deadline or (subject and not shape_counted) or quoted_term):
        return base.but(intent=Intent.STRUCTURE, doc_field="counts", part=None, section=None)
    if s.count and quoted_term and not (s.units or s.time or within):
        # "含“X”字样的有多少项": how many measures use the quoted word, and which
        return base.but(intent=Intent.LIST, terms=tuple(quoted))
    listed = types.get("duty_list", 0.0) + types.get("measure_list", 0.0) >= 0.5   # a count over a subject is a statistic
    # a year or a ranking names a time; "每年" alone may only be how often something is done
    dated = s.year is not None or s.extreme is not None or (s.dated and not subject)
    # "X有哪些时间节点": every deadline about a subject, not the one best measure
    subject_deadlines = subject and bool(s.terms) and s.plural and "deadline" in s.asks and not s.units and not within
    if s.target and s.target != "%" and (listed or s.plural) and not (s.units or within or s.year):
        # a value named outright ("不少于30日", "60学时") picks the measures that set it, also when
        # it is called a 期限
        return base.but(intent=Intent.TARGETS, doc_field=s.target)
    # (a word the plan never uses leaves a time alone unless a unit is named: "林草局的人问：2022年…")
    if (dated or (s.annual and listed) or subject_deadlines) and (not s.unknown or s.units) \
            and (listed or s.extreme or not subject or subject_deadlines):
        # what is due, within every other constraint named (unit, role, part, subject)
        return base.but(intent=Intent.DEADLINES, doc_field=s.extreme, terms=terms if subject else ())
    if not subject and (s.has_deadline or ((listed or within) and "deadline" in s.asks and not s.units)):
        # "X有哪些带截止时间的任务", "第八部分的任务什么时候完成": what is due, sorted by deadline
        # ("X有哪些任务，什么时候完成" stays X's duty list, which shows each deadline)
        return base.but(intent=Intent.DEADLINES)
    if within:
        if s.units:
            return base.but(intent=Intent.UNIT)
        if subject and listing:
            return base.but(intent=Intent.LIST, terms=terms)
        if not subject or wanted in ("structure", "explanation", "count"):
            return base.but(intent=Intent.STRUCTURE)
        return base.but(scope=_measures_within(plan, part, section))
    if s.target is not None and not subject and listed:
        return base.but(intent=Intent.TARGETS, doc_field=s.target or None)
    if len(s.units) >= 2 and s.joint and not subject:
        shared = tuple(m.number for m in plan.measures if all(_names_unit(m, u, s.role) for u in s.units))
        if shared:
            return base.but(intent=Intent.MEASURE, measures=shared)
    if s.units:
        # a term of the plan's own narrows the unit's duties to it (or, when no duty naming the
        # unit uses it, search finds the subject); other words leave the whole duty list
        specific = tuple(t for t in s.terms if len(t) >= 3)
        if specific:
            if listing and _named_duty_about(plan, s, specific):
                return base.but(intent=Intent.UNIT, terms=specific)
            return base
        # (a role named with the unit asks for its duties in that role, whatever words frame it:
        # "仅以参加单位身份露面的")
        if listing or not (subject or s.unknown) or (s.role is not None and not subject and not WHO_ASKED.search(s.text)):
            return base.but(intent=Intent.UNIT)
        return base
    if listing and s.terms and not s.units and (not s.unknown or quoted_term):
        # (a word the plan never uses does not matter when the asker quotes the plan's own term)
        # a topic noun the plan never uses leaves only the question's framing words to list by;
        # search and its scope check judge such a question instead
        return base.but(intent=Intent.LIST, terms=s.terms)
    return base


# Counts of the plan's own parts and sections ("几个部分、多少小节")
STRUCTURE_COUNT = re.compile(r"(?:几|多少)个?(?:大)?(?:部分|节|小节)")
# "此项由谁牵头": the role word asks who, it does not filter a unit's duties
WHO_ASKED = re.compile(r"谁|哪(?:个|些|家)(?:单位|部门|机关)|\bwho\b", re.I)


def _named_duty_about(plan: Plan, slots: Slots, terms: tuple[str, ...]) -> bool:
    """Every unit takes part in some measure using one of the terms, named or through a
    designation that covers it (else search finds the subject)."""
    from .text import fold_for_match
    kinds = {name: kind for name, kind, _ in slots.unlisted}

    def takes_part(m, unit: str) -> bool:
        roles, designations = involvement(m, unit, kinds.get(unit))
        return any(slots.role in (None, role) for role in (*roles, *(r for _, r in designations)))
    return all(any(any(fold_for_match(t) in fold_for_match(m.body) for t in terms) and takes_part(m, unit)
                   for m in plan.measures) for unit in slots.units)


def _measures_within(plan: Plan, part: int | None, section: int | None) -> tuple[int, ...]:
    return tuple(m.number for m in plan.measures
                 if (part is None or m.part_number == part) and (section is None or m.section_number == section))


def _names_unit(measure, unit: str, role: Role | None) -> bool:
    return any(u.name == unit and (role is None or u.role == role) for u in measure.units)


__all__ = ["ANNUAL_RE", "Asks", "DEADLINE_ASK", "Intent", "Query", "TARGET_ASK", "UNITS_ASK", "YEAR_RE",
           "answer_type_probabilities", "plan_query", "plan_terms_in", "topic_words", "understand"]
