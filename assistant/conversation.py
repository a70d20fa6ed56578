"""Follow-up questions resolved against the previous turn.

A follow-up is an operation on the previous answer: filter its list (by unit, role, time, topic,
target, unit-list shape), rank it by deadline, pick one of its measures, ask about the same
measure(s), redo the previous question with one constraint swapped, step to a neighbouring
measure, take the rest of a list or section, set the previous answer aside, add to it, or ask
something new. ``assistant.followup`` links the question's references ("其中", "这条", "第二条",
"那公安厅呢") and its classifier ranks the operations; the likeliest one that the references
and the previous answer allow is applied here. Before that, references to units are resolved
("这两个单位", "它牵头的" after a unit's duty list, "我们" for the unit the user said they work for).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .followup import References, link_references
from .lexicon import STOPWORDS, Tokenizer
from .query import (DEADLINE_ASK, TARGET_ASK, UNITS_ASK, Asks, Intent, Query,
                    plan_terms_in, topic_words)
from .slots import SECTION_ORDINAL, section_in_part
from .text import chinese_to_int, fold_for_match


@dataclass(frozen=True)
class Turn:
    """What a finished turn was about: enough to resolve the next question."""
    query: Query
    measures: tuple[int, ...]
    units: tuple[str, ...]
    cited: tuple[int, ...] = ()          # what the answer cited, in order
    speaker: tuple[str, ...] = ()        # the unit the user said they work for, kept for the conversation
    recent_units: tuple[str, ...] = ()   # units the conversation named, the latest last ("这两个单位")
    earlier_list: tuple[int, ...] = ()   # the last answer that cited several measures ("另外那项呢")

    @classmethod
    def after(cls, query: Query, measures, units, cited, previous: "Turn | None") -> "Turn":
        """The turn a finished answer makes, carrying what the conversation established."""
        cited, measures = tuple(cited), tuple(measures)
        # a record operation's own measures (a unit's duties, not what reaches it by designation)
        listed = measures if query.intent in (*RECORD_OPERATIONS, Intent.STRUCTURE) else cited
        earlier = listed if len(listed) >= 2 else (previous.earlier_list if previous is not None else ())
        return cls(query, tuple(measures), tuple(units), cited, speaker_units(query, previous),
                   recent_units(query, previous), earlier)

    @property
    def listed(self) -> tuple[int, ...]:
        """The previous answer's list: a record operation's own measures (a unit's duties, not
        what reaches it by designation); else what it cited when several, else the measures it
        was drawn from (a filter of "这里面" may reach past the one measure a search cited)."""
        if self.query.intent in (*RECORD_OPERATIONS, Intent.STRUCTURE) and self.measures:
            return self.measures
        return self.cited if len(self.cited) >= 2 else self.measures

    @property
    def single(self) -> tuple[int, ...]:
        """The one measure the previous answer was about, if it was about one."""
        return self.cited if len(self.cited) == 1 else self.measures if len(self.measures) == 1 else ()

    @property
    def shape(self) -> str:
        """The previous answer's shape as the follow-up classifier reads it."""
        if self.query.intent == Intent.UNIT and self.query.units:
            return "unit"
        if len(self.cited) == 1 and self.query.intent not in (*RECORD_OPERATIONS, Intent.STRUCTURE):
            return "one"    # a search answer that cited one measure was about that one
        if len(self.listed) >= 2:
            return "several"
        return "one" if self.listed else "none"


RECORD_OPERATIONS = (Intent.UNIT, Intent.DEADLINES, Intent.LIST, Intent.TARGETS)


def recent_units(query: Query, previous: "Turn | None") -> tuple[str, ...]:
    """The units named so far, the latest last (a unit named again moves to the end)."""
    prior = previous.recent_units if previous is not None else ()
    return (*(u for u in prior if u not in query.units), *query.units)[-4:]


# "我在自治区商务厅上班", "我们是人社厅的", "本人在审计厅工作": the user names their own unit.
SELF_INTRO = re.compile(r"(?:我|我们|本人|咱们?)(?:是|在|来自|属于|就是|这边是)|(?:我|我们)(?:单位|这里)是")
# A first-person reference to that unit in a later question ("我们牵头的", "我们院", "我单位").
FIRST_PERSON = re.compile(r"(?:我们|咱们|我|咱|本)(?:单位|院|厅|局|委|办|部|处)?(?=[^们]|$)")


def speaker_units(query: Query, previous: "Turn | None") -> tuple[str, ...]:
    """The user's own unit after this question: stated here, else carried from before."""
    if query.units and SELF_INTRO.search(query.text):
        return query.units
    return previous.speaker if previous is not None else ()


def in_speakers_words(text: str, speaker: tuple[str, ...], names_unit: bool) -> str:
    """Put the user's unit in place of "我们" when the question names no unit itself."""
    if not speaker or names_unit or not FIRST_PERSON.search(text):
        return text
    return FIRST_PERSON.sub(speaker[0], text, count=1)


# Words a follow-up uses to point back or to ask for a field; what is left names a topic.
CUE_WORDS = re.compile(r"(?:这|那)[两二三四五六七八九几]?(?:条|项|个)|分别|各自|那么|那|呢|吗|它|它们|其|这|该|是谁|谁|哪些|哪个|什么时候|何时|单位|牵头|参加|责任|时间|时限|截止|期限|日期|节点|"
                       r"完成|要求|多少|有|的|是|么|什么|时候|呀|啊|"
                       # verbs of getting a thing done go with a deadline question ("多会儿能弄好")
                       r"(?:建|做|办|干|弄|搞)(?:成|好|完)|做到|达到|到位|实现|"
                       # words that compare what was asked about ("这两项的牵头单位相同吗")
                       r"一样|相同|不同|不一样|一致|区别|差别|差异")


@dataclass(frozen=True)
class _Context:
    """One follow-up being resolved: the question, its references and the previous turn."""
    query: Query
    refs: References
    previous: Turn
    tokenizer: Tokenizer
    plan: object

    @property
    def text(self) -> str:
        return self.query.text

    @property
    def listed(self) -> tuple[int, ...]:
        return self.previous.listed

    @property
    def asks(self) -> frozenset:
        return frozenset(_asks(self.query, self.text))

    def topic(self) -> list[str]:
        return topic_words(_without_asks(self.text), self.tokenizer)

    def residue(self) -> list[str]:
        """Content words left after removing follow-up cue words."""
        stripped = CUE_WORDS.sub(" ", _without_asks(self.text))
        return [w for w in self.tokenizer.content_words(stripped) if w not in STOPWORDS and len(w) > 1]

    def names_other_subject(self, measures) -> bool:
        """The text's most specific word of the plan (the longest, three characters or more) is
        one that none of `measures` uses: a subject of its own."""
        terms = [t for t in plan_terms_in(_without_asks(self.text), self.plan, self.tokenizer) if len(t) >= 3]
        if not terms:
            return False
        specific = fold_for_match(max(terms, key=len))
        return not any(specific in fold_for_match(self.plan.measure(n).body)
                       for n in measures if self.plan.measure(n) is not None)

    def best_match(self, numbers) -> int | None:
        """The measure among `numbers` whose text shares most of the topic words' characters."""
        words = self.topic()
        if not words or not numbers:
            return None
        grams = {w[i:i + 2] for w in words for i in range(len(w) - 1)}
        scored = [(sum(g in fold_for_match(self.plan.measure(n).text) for g in grams), -i, n)
                  for i, n in enumerate(numbers)]
        best = max(scored)
        # one shared bigram of a longer topic is chance ("落实" is everywhere); two name the measure
        return best[2] if best[0] >= min(2, len(grams)) else None


# --- reference resolution: what a question's unit words stand for ---------------------------

def _resolve_references(c: _Context) -> Query | None:
    """A question whose subject is a reference the conversation resolves: units named before
    ("这两家共同负责的"), a section counted within the part discussed ("它下属的第二节")."""
    query, previous, refs = c.query, c.previous, c.refs
    if refs.units_named_before is not None and not query.units and len(previous.recent_units) >= 2:
        units = previous.recent_units[-(refs.units_named_before or len(previous.recent_units)):]
        if refs.jointly:
            shared = tuple(m.number for m in c.plan.measures
                           if all(any(u.name == unit and query.role in (None, u.role) for u in m.units) for unit in units))
            return query.but(intent=Intent.MEASURE, measures=shared, units=units) if shared else \
                query.but(intent=Intent.UNIT, units=units)
        return query.but(intent=Intent.UNIT, units=units)
    inner = SECTION_ORDINAL.search(c.text)
    if inner and previous.query.part and not query.part and refs.anaphora:
        section = section_in_part(c.plan, previous.query.part, _ordinal_value(inner.group(1)))
        if section is not None:
            return query.but(intent=Intent.STRUCTURE, part=None, section=section, measures=())
    return None


def _unit_of_pronoun(c: _Context) -> tuple[str, ...]:
    """"它牵头的" after a unit's duties: 它 is that unit (a role word says a unit is meant)."""
    if not c.query.units and c.query.role is not None and c.previous.query.units and c.refs.unit_pronoun:
        return c.previous.query.units
    return ()


# --- operations ---------------------------------------------------------------------------
# Each returns the rewritten query, or None when the question's references or the previous
# answer do not allow it (then the next likeliest operation is tried).

def _new(c: _Context) -> Query | None:
    return c.query


def _same(c: _Context) -> Query | None:
    """Another field or detail of the measure(s) the previous answer was about."""
    query, previous, refs = c.query, c.previous, c.refs
    prev = list(previous.measures)
    within = _within_measure(c)
    if within is not None:
        return within
    if previous.query.intent == Intent.STRUCTURE and query.intent == Intent.STRUCTURE \
            and (previous.query.part or previous.query.section) and not (query.part or query.section) \
            and refs.plural is None:
        # "这部分一共几条": the same part or section, asked something else
        return query.but(part=previous.query.part, section=previous.query.section)
    if query.units and previous.single and query.intent != Intent.MEASURE \
            and _takes_part(c.plan, previous.single[0], query.units, query.role):
        # "编办在里面是什么角色": the unit's part in the measure just discussed
        return query.but(intent=Intent.MEASURE, measures=previous.single, asks=c.asks | {Asks.UNITS})
    if not prev or query.units or query.intent == Intent.MEASURE:
        return None
    if refs.which and not refs.singular and refs.plural is None and len(c.listed) >= 2 and previous.shape != "one":
        return None     # "哪条…" over several measures picks or filters; it is not about all of them
    if refs.plural is not None and len(c.listed) >= 2 and c.asks and not c.residue():
        many = refs.plural or len(c.listed)
        return query.but(intent=Intent.MEASURE, measures=tuple(c.listed[:many]), asks=c.asks)
    if query.intent == Intent.DEADLINES and query.year is None and not query.annual and len(prev) >= 2 \
            and previous.query.intent != Intent.DEADLINES:
        # "这些的截止时间": the deadlines of the previous answer's measures
        return query.but(scope=tuple(prev))
    candidates = list(dict.fromkeys([*previous.cited, *prev]))
    if refs.singular:
        focus = c.best_match(candidates)
        if focus is None and c.names_other_subject(candidates):
            return None     # "那X那条讲了啥": X's measure, found in the whole plan
        focus = focus or candidates[0]
        return query.but(intent=Intent.MEASURE, measures=(focus,), asks=c.asks)
    if c.names_other_subject(candidates):
        return None
    focus = c.best_match(prev)
    if focus is not None:
        # "要练多少个小时": the previous measure its topic words name
        return query.but(intent=Intent.MEASURE, measures=(focus,), asks=c.asks)
    if c.asks or refs.anaphora or not c.residue():
        measures = tuple(prev[:3]) if previous.query.intent == Intent.MEASURE else tuple(prev[:1])
        return query.but(intent=Intent.MEASURE, measures=measures, asks=c.asks)
    return None


def _within_measure(c: _Context) -> Query | None:
    """"那街道呢" after a question about one measure: the same measure, when it speaks of what
    the question names."""
    previous = c.previous
    if not (previous.query.intent == Intent.MEASURE and len(previous.measures) == 1 and c.refs.ellipsis):
        return None
    rest = re.sub(r"^(?:那么|那|还有|如果是|要是)|(?:那|这)?一?(?:级|层|块|边)|的?呢[？?！!。]*$", "", c.text).strip()
    if 2 <= len(rest) <= 6 and fold_for_match(rest) in fold_for_match(c.plan.measure(previous.measures[0]).body):
        return c.query.but(intent=Intent.MEASURE, measures=previous.measures, units=(),
                           asks=previous.query.asks | c.asks)
    return None


def _pick(c: _Context) -> Query | None:
    """One measure of the previous list, by position ("第二条") or by what it is about."""
    query, refs = c.query, c.refs
    prev = list(c.previous.measures)
    if refs.ordinal and len(prev) >= 2 and refs.ordinal <= len(prev):
        return query.but(intent=Intent.MEASURE, measures=(prev[refs.ordinal - 1],))
    if len(c.listed) < 2 or query.units or query.intent == Intent.MEASURE:
        return None
    focus = c.best_match(list(c.listed))
    if focus is None:
        return None
    return query.but(intent=Intent.MEASURE, measures=(focus,), asks=c.asks)


def _filter(c: _Context) -> Query | None:
    """The previous list's measures that meet the condition the question names."""
    query, previous, refs, listed = c.query, c.previous, c.refs, tuple(c.listed)
    if len(listed) < 2 or query.intent == Intent.MEASURE:
        return None
    units = query.units or _unit_of_pronoun(c)
    if refs.percent and not units:
        kept = tuple(n for n in listed if any(t.unit == "%" or "%" in t.value for t in c.plan.measure(n).targets))
        return query.but(intent=Intent.MEASURE, measures=kept, scope=listed) if kept else None
    if units and set(units) == set(previous.query.units) and (
            query.role in (None, previous.query.role) or previous.query.role is not None) and not refs.among:
        # the previous list is already that unit's (in that role: another role replaces it, a swap)
        return None
    if units:
        # the list filtered is kept (scope) for a follow-up that changes the unit
        kept = tuple(n for n in listed if _takes_part(c.plan, n, units, query.role))
        if not kept:    # none of them: say so, with the unit's own duties
            return query.but(intent=Intent.UNIT, units=units, scope=listed)
        return query.but(intent=Intent.MEASURE, measures=kept, units=units, scope=listed)
    if query.sole_unit or query.only_roles or query.lacking_roles or query.having_roles or query.undated:
        units = previous.query.units if refs.unit_pronoun else ()
        return query.but(intent=Intent.LIST, scope=listed, units=units, terms=())
    if query.year is not None and previous.query.year is not None and query.year != previous.query.year:
        return None     # another year replaces the one the list was made for (a swap), it does not narrow it
    if query.year is not None or query.annual or query.intent == Intent.DEADLINES:
        return query.but(intent=Intent.DEADLINES, scope=listed, units=())
    terms = query.terms or plan_terms_in(c.text, c.plan, c.tokenizer)
    # "其中哪条最重要" ranks the measures by a judgement, it does not filter them by a word
    terms = tuple(t for t in terms if f"最{t}" not in c.text)
    if terms:
        return query.but(intent=Intent.LIST, terms=terms, scope=listed)
    if (refs.singular and not refs.among) or not c.residue() or c.names_other_subject(listed):
        return None     # no condition to filter by
    return query.but(intent=Intent.SEARCH, scope=listed)


def _rank(c: _Context) -> Query | None:
    """The previous list ranked by deadline: the earliest or latest due."""
    query, refs, listed = c.query, c.refs, tuple(c.listed)
    if len(listed) < 2 or query.units:
        return None
    if query.intent == Intent.DEADLINES and query.doc_field in ("earliest", "latest"):
        return query.but(scope=listed, units=())
    if refs.extreme is None:
        return None
    return query.but(intent=Intent.DEADLINES, doc_field=refs.extreme, scope=listed, units=())


def _swap(c: _Context) -> Query | None:
    """The previous question again with the constraints this one names in place of the old."""
    query, previous = c.query, c.previous
    if previous.query.intent == Intent.MEASURE and len(previous.query.scope) >= 2 and query.units:
        # "那司法厅牵头的呢" after "其中哪项是办公厅牵头的": the same list, filtered by the new unit
        kept = tuple(n for n in previous.query.scope if _takes_part(c.plan, n, query.units, query.role))
        if not kept:
            return query.but(intent=Intent.UNIT, scope=previous.query.scope)
        return query.but(intent=Intent.MEASURE, measures=kept, units=query.units, scope=previous.query.scope)
    if previous.query.intent == Intent.MEASURE and previous.single:
        return _within_measure(c) or (None if query.units else _same(c) if c.refs.ellipsis else None)
    return _carry_over(query, previous) or _add(c)


def _add(c: _Context) -> Query | None:
    """"另外，它作为责任单位的也给出来": the same unit's duties in the role now named."""
    query, previous = c.query, c.previous
    if not (c.refs.unit_pronoun and query.role is not None and previous.query.units
            and set(query.units) == set(previous.query.units)):
        return None
    return query.but(intent=Intent.UNIT, unlisted=previous.query.unlisted, scope=())


def _neighbour(c: _Context) -> Query | None:
    prev = c.previous.single or c.previous.measures
    if not c.refs.step or not prev:
        return None
    target = prev[0] + c.refs.step
    if c.plan.measure(target) is not None:
        return c.query.but(intent=Intent.MEASURE, measures=(target,), asks=c.asks)
    # past either end of the plan: say where it ends rather than guess a topic
    return c.query.but(intent=Intent.OUT_OF_RANGE, out_of_range=target)


def _others(c: _Context) -> Query | None:
    """The rest of the last list, or of the section, besides the measure just discussed."""
    query, previous, refs = c.query, c.previous, c.refs
    single = previous.single
    if not single:
        return None
    if refs.same_section:
        section = c.plan.section(c.plan.measure(single[0]).section_number)
        others = tuple(n for n in section.measure_numbers if n != single[0])
        return query.but(intent=Intent.MEASURE, measures=others, asks=c.asks) if others else None
    others = tuple(n for n in previous.earlier_list if n != single[0])
    if not others or not (refs.rest or refs.ellipsis):
        return None
    if len(others) > 1 and refs.singular and not refs.rest:
        return None
    return query.but(intent=Intent.MEASURE, measures=others, asks=previous.query.asks | c.asks)


def _exclude(c: _Context) -> Query | None:
    """"这一部分之外还有哪些写到X": the previous answer's measures set aside."""
    query, listed = c.query, tuple(c.listed)
    if not listed or not (c.refs.beyond or c.refs.rest):
        return None
    excluded = tuple(sorted({*query.excluded, *listed}))
    if query.units:
        return query.but(excluded=excluded)     # the unit's duties, those already given set aside
    terms = query.terms or plan_terms_in(_without_asks(c.text), c.plan, c.tokenizer)
    if terms:
        return query.but(intent=Intent.LIST, terms=terms, excluded=excluded, scope=())
    return query.but(excluded=excluded)


OPERATIONS = {"new": _new, "same": _same, "pick": _pick, "filter": _filter, "rank": _rank, "swap": _swap,
              "neighbour": _neighbour, "others": _others, "exclude": _exclude, "add": _add}


def resolve(query: Query, previous: Turn | None, tokenizer: Tokenizer, plan, classifier) -> Query:
    """Rewrite `query` using the previous turn when it is a follow-up; else return it unchanged.

    `classifier` (``assistant.followup.FollowUpClassifier``) ranks the operations."""
    return follow_up(query, previous, tokenizer, plan, classifier)[1]


def follow_up(query: Query, previous: Turn | None, tokenizer: Tokenizer, plan, classifier) -> tuple[str, Query]:
    """The operation applied to the previous answer ("new" when none; "reference" when the
    question's subject is a reference the conversation resolves) and the rewritten query."""
    if previous is None or query.intent in (Intent.DOCUMENT, Intent.OUT_OF_RANGE):
        return "new", query
    c = _Context(query, link_references(query.text), previous, tokenizer, plan)
    resolved = _resolve_references(c)
    if resolved is not None:
        return "reference", resolved
    if query.intent == Intent.STRUCTURE and query.section:
        return "new", query        # a section its title or number names
    units = _unit_of_pronoun(c)
    if units:
        # "它当责任单位的呢": the question is about the unit asked about before
        c = _Context(query.but(units=units, unlisted=previous.query.unlisted), c.refs, previous, tokenizer, plan)
    ranked = [operation for operation, _ in classifier.ranked(query.text, previous.shape)]
    if c.refs.step:
        # "上一条", "它后面那项": a reference that names its measure outright decides
        ranked.insert(0, "neighbour")
    for operation in ranked:
        rewritten = OPERATIONS[operation](c)
        if rewritten is not None:
            return operation, rewritten
    return "new", query


def _carry_over(query: Query, previous: Turn) -> Query | None:
    """The previous operation with the constraints this question names put in place of the old ones.

    Slots the new question fills (unit, role, year or yearly, part or section) replace the previous
    query's; the rest of the previous query stands. A duty list that gains a time becomes the
    list of what is due (a unit + time answer is the duty list filtered to that time)."""
    before = previous.query
    if before.intent not in RECORD_OPERATIONS:
        return None
    changes: dict = {}
    if query.units:
        changes.update(units=query.units, unlisted=query.unlisted)
    if query.role is not None:
        changes["role"] = query.role
    if query.year is not None:
        changes.update(year=query.year, month=query.month, annual=False)
    elif query.annual:
        changes.update(annual=True, year=None, month=None)
    if query.part or query.section:
        changes.update(part=query.part, section=query.section)
    if not changes or query.intent == Intent.MEASURE:
        return None
    if before.intent == Intent.UNIT and (changes.get("year") or changes.get("annual")):
        changes["intent"] = Intent.DEADLINES
    units = changes.get("units", before.units)
    return before.but(original=query.original, text=query.text, asks=query.asks or before.asks, carried=True,
                      units=units or previous.units, **{k: v for k, v in changes.items() if k != "units"})


def _takes_part(plan, number: int, units: tuple[str, ...], role) -> bool:
    from .units import involvement
    roles = [r for unit in units for r in involvement(plan.measure(number), unit)[0]]
    return bool(roles) and (role is None or role in roles)


def _asks(query: Query, text: str) -> set:
    asks = set(query.asks)
    # (a bare role word, "配合的有谁", asks for the units in that role)
    if UNITS_ASK.search(text) or re.search(r"单位|部门|牵头|参加|配合|participat|\blead", text, re.I):
        asks.add(Asks.UNITS)
    if DEADLINE_ASK.search(text) or re.search(r"时间|时限", text):
        asks.add(Asks.DEADLINE)
    if TARGET_ASK.search(text):
        asks.add(Asks.TARGET)
    return asks


def _without_asks(text: str) -> str:
    for asked in (DEADLINE_ASK, TARGET_ASK, UNITS_ASK):
        text = asked.sub(" ", text)
    return text


def _ordinal_value(token: str) -> int:
    return int(token) if token.isdigit() else (chinese_to_int(token) or 0)
