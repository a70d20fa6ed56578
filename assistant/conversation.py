"""Follow-up questions resolved against the previous turn, deterministically.

"那牵头单位是谁？", "它什么时候完成", "第二条呢", "其中哪一条和巡视巡察有关？", "统计局呢？"
take their subject from the previous turn's measures, unit or intent.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

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


ANAPHORA = re.compile(r"^(那|那么|这|该|它|其|上述|上面|刚才|以上)|这(条|项|个|些)|那(条|项|个|些)|它|其中|上述|上面|刚才|以上|呢|"
                      r"\b(it|its|that|this|those|these|them|the first|the second)\b", re.I)
UNIT_PRONOUN = re.compile(r"它|他们|该单位|这个单位|这家单位|\b(?:it|they)\b", re.I)
# which of the previous measures comes due first or last ("最晚的那项", "哪个最先到期")
DEADLINE_EXTREME = re.compile(r"最(?:早|先|晚|迟)|最后(?:到期|截止|完成)|\b(?:earliest|latest)\b", re.I)
ORDINAL = re.compile(r"第\s*([0-9]{1,2}|[一二两三四五六七八九十]{1,3})\s*(条|项|个)")
EN_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
WITHIN = re.compile(r"其中|这些|那些|上述|以上|里面|当中|哪一条|哪一项|哪条|哪项|which of (them|these)", re.I)
# words that point back at a whole previous answer ("哪条" alone may start a new question)
AMONG_THOSE = re.compile(r"其中|这些|那些|上述|以上|里面|当中|which of (them|these)", re.I)
CUE_WORDS = re.compile(r"(?:这|那)[两二三四五六七八九几]?(?:条|项|个)|分别|各自|那么|那|呢|吗|它|它们|其|这|该|是谁|谁|哪些|哪个|什么时候|何时|单位|牵头|参加|责任|时间|时限|截止|期限|日期|节点|"
                       r"完成|要求|多少|有|的|是|么|什么|时候|呀|啊|"
                       # verbs of getting a thing done go with a deadline question ("多会儿能弄好")
                       r"(?:建|做|办|干|弄|搞)(?:成|好|完)|做到|达到|到位|实现|"
                       # words that compare what was asked about ("这两项的牵头单位相同吗")
                       r"一样|相同|不同|不一样|一致|区别|差别|差异")


def _residue(text: str, tokenizer: Tokenizer) -> list[str]:
    """Content words left after removing follow-up cue words."""
    stripped = CUE_WORDS.sub(" ", _without_asks(text))
    return [w for w in tokenizer.content_words(stripped) if w not in STOPWORDS and len(w) > 1]


def _best_match(words: list[str], numbers: list[int], plan) -> int | None:
    """The measure among `numbers` whose text shares most of the topic words' characters."""
    if not words or plan is None:
        return None
    grams = {w[i:i + 2] for w in words for i in range(len(w) - 1)}
    scored = [(sum(g in fold_for_match(plan.measure(n).text) for g in grams), -i, n)
              for i, n in enumerate(numbers)]
    best = max(scored)
    # one shared bigram of a longer topic is chance ("落实" is everywhere); two name the measure
    return best[2] if best[0] >= min(2, len(grams)) else None


def resolve(query: Query, previous: Turn | None, tokenizer: Tokenizer, plan=None) -> Query:
    """Rewrite `query` using the previous turn when it is a follow-up; else return it unchanged."""
    if previous is None or query.intent in (Intent.DOCUMENT, Intent.OUT_OF_RANGE):
        return query
    text = query.text
    short = len(text) <= 24 or bool(ANAPHORA.search(text))
    if not short:
        return query
    prev_measures = list(previous.measures)
    listed = list(previous.cited) if len(previous.cited) >= 2 else prev_measures
    several = UNITS_NAMED_BEFORE.search(text)
    if several and not query.units and len(previous.recent_units) >= 2 and plan is not None:
        # "这两家共同负责的": the units the last questions named; together, the measures
        # that name them all (in the role asked)
        units = previous.recent_units[-(_count(several.group(1)) or len(previous.recent_units)):]
        if JOINTLY.search(text):
            shared = tuple(m.number for m in plan.measures
                           if all(any(u.name == unit and query.role in (None, u.role) for u in m.units) for unit in units))
            return query.but(intent=Intent.MEASURE, measures=shared, units=units) if shared else \
                query.but(intent=Intent.UNIT, units=units)
        return query.but(intent=Intent.UNIT, units=units)
    if OTHER_ONE.search(text) and len(prev_measures) == 1 and len(previous.earlier_list) >= 2:
        # "另外那项呢": the rest of the last list after the one just discussed
        others = tuple(n for n in previous.earlier_list if n != prev_measures[0])
        if len(others) == 1 or re.search(r"另外(?:几|那几|那些)|其他|其余", text):
            return query.but(intent=Intent.MEASURE, measures=others, asks=previous.query.asks | frozenset(_asks(query, text)))
    single = previous.cited if len(previous.cited) == 1 else prev_measures if len(prev_measures) == 1 else []
    if SAME_SECTION.search(text) and single and plan is not None:
        # "这一节其余的呢": the other measures of the section the previous one belongs to
        section = plan.section(plan.measure(single[0]).section_number)
        others = tuple(n for n in section.measure_numbers if n != single[0])
        if others:
            return query.but(intent=Intent.MEASURE, measures=others, asks=frozenset(_asks(query, text)))
    inner = SECTION_ORDINAL.search(text)
    if inner and previous.query.part and not query.part and plan is not None and ANAPHORA.search(text):
        # "它下属的第二节": a section counted within the part the previous answer was about
        section = section_in_part(plan, previous.query.part, _ordinal_value(inner.group(1)))
        if section is not None:
            return query.but(intent=Intent.STRUCTURE, part=None, section=section, measures=())
    if query.intent == Intent.STRUCTURE and query.section:
        # "其中讲X的那一节包括哪些": the section its title names; "里头第二十节" numbered in
        # the whole plan (no part has 33 sections)
        return query
    beyond = BEYOND_PREVIOUS.search(text)
    if beyond and listed:
        # "这一部分之外还有哪些写到X": the previous answer's measures set aside
        terms = query.terms or (plan_terms_in(_without_asks(text), plan, tokenizer) if plan is not None else ())
        excluded = tuple(sorted({*query.excluded, *listed}))
        if terms:
            return query.but(intent=Intent.LIST, terms=terms, excluded=excluded, scope=())
        return query.but(excluded=excluded)
    if previous.query.intent == Intent.MEASURE and len(previous.measures) == 1 and ELLIPSIS.search(text) \
            and plan is not None and query.intent != Intent.MEASURE:
        # "那街道呢" after a question about one measure: the same measure, when it speaks
        # of what the question names
        rest = re.sub(r"^(?:那么|那|还有|如果是|要是)|(?:那|这)?一?(?:级|层|块|边)|的?呢[？?！!。]*$", "", text).strip()
        if 2 <= len(rest) <= 6 and fold_for_match(rest) in fold_for_match(plan.measure(previous.measures[0]).body):
            return query.but(intent=Intent.MEASURE, measures=previous.measures, units=(),
                             asks=previous.query.asks | frozenset(_asks(query, text)))
    # "另外，它作为责任单位的也给出来" adds to the previous answer; it does not filter it
    within = bool(WITHIN.search(text) or PLURAL.search(text)) and not ADDITIVE.search(text)
    if within and len(listed) >= 2 and plan is not None and PERCENT_ASKED.search(text) and not query.units:
        # "其中哪几条有百分比要求": the previous answer's measures that set a percentage
        kept = tuple(n for n in listed if any(t.unit == "%" or "%" in t.value for t in plan.measure(n).targets))
        if kept:
            return query.but(intent=Intent.MEASURE, measures=kept, scope=tuple(listed))
    if within and listed and query.intent == Intent.DEADLINES and query.doc_field in ("earliest", "latest"):
        # "其中哪项最紧急": rank the previous answer's measures by deadline
        return query.but(scope=tuple(listed), units=())
    extreme = DEADLINE_EXTREME.search(text)
    if extreme and re.match(r"(?:要|得|在)?(?:多长|多久|几|多少)", text[extreme.end():]):
        extreme = None      # "最迟几天内": how long, not which comes due last
    if extreme and not re.search(r"[条项个件哪]|\bwhich\b|\bone\b", text, re.I):
        extreme = None      # "那X最晚几时办": when X is due, not which of several comes last
    if extreme and len(listed) >= 2 and query.intent != Intent.DEADLINES and not query.units \
            and (ANAPHORA.search(text) or len(text) <= 12):
        # "最迟的那条是哪个": the previous answer's measures ranked by deadline
        latest = bool(re.search(r"晚|迟|后|latest|last", extreme.group(0), re.I))
        return query.but(intent=Intent.DEADLINES, doc_field="latest" if latest else "earliest",
                         scope=tuple(listed), units=())
    if within and listed and not query.units and query.role is not None and previous.query.units \
            and UNIT_PRONOUN.search(text):
        # "这些里面它牵头的": 它 is the unit the previous question was about
        query = query.but(units=previous.query.units)
    if not within and not query.units and query.role is not None and previous.query.units \
            and UNIT_PRONOUN.search(text):
        # "另外，它作为责任单位的也给出来": the same unit's duties in the role now named
        return query.but(intent=Intent.UNIT, units=previous.query.units, unlisted=previous.query.unlisted, scope=())
    filtered = previous.query.intent == Intent.MEASURE and len(previous.query.scope) >= 2
    if filtered and query.units and ELLIPSIS.search(text) and not within:
        # "那司法厅牵头的呢" after "其中哪项是办公厅牵头的": the same list, filtered by the new unit
        within, listed = True, list(previous.query.scope)
    if within and listed and query.units and len(listed) >= 2:
        # "其中哪些是司法厅牵头的": filter the previous answer's measures by unit and role; the
        # list filtered is kept (scope) for a follow-up that changes the unit
        kept = tuple(n for n in listed if _takes_part(plan, n, query.units, query.role))
        if not kept:    # none of them: say so, with the unit's own duties
            return query.but(intent=Intent.UNIT, scope=tuple(listed))
        return query.but(intent=Intent.MEASURE, measures=kept, units=query.units, scope=tuple(listed))
    if within and len(listed) >= 2 and (query.sole_unit or query.only_roles or query.lacking_roles
                                        or query.having_roles):
        # "这些里面哪几项只列了它一个单位": the previous answer's measures whose unit clause has that
        # shape (它: the unit the previous question was about)
        units = query.units or (previous.query.units if UNIT_PRONOUN.search(text) else ())
        return query.but(intent=Intent.LIST, scope=tuple(listed), units=units, terms=())
    if within and len(listed) >= 2 and not query.units and query.intent in (Intent.LIST, Intent.SEARCH) \
            and AMONG_THOSE.search(text) and SINGULAR.search(text) and not PLURAL.search(text):
        # "其中讲X的那条，原文怎么说": the one measure of the previous answer its words describe
        focus = _best_match(topic_words(_without_asks(text), tokenizer), listed, plan)
        if focus is not None:
            return query.but(intent=Intent.MEASURE, measures=(focus,), asks=frozenset(_asks(query, text)))
    if within and len(listed) >= 2 and not query.units and query.intent in (Intent.LIST, Intent.SEARCH):
        # "这些当中哪些涉及听证": the previous answer's measures that use the term, also
        # when the wording did not read as a list request to the classifier
        terms = query.terms or (plan_terms_in(text, plan, tokenizer)
                                if plan is not None and AMONG_THOSE.search(text) else ())
        # "其中哪条最重要" ranks the measures by a judgement, it does not filter them by a word
        terms = tuple(t for t in terms if f"最{t}" not in text)
        if terms:
            return query.but(intent=Intent.LIST, terms=terms, scope=tuple(listed))
    count = PLURAL.search(text)
    if count and listed and len(listed) >= 2 and query.intent in (Intent.SEARCH, Intent.STRUCTURE) \
            and _asks(query, text) and not _residue(text, tokenizer):
        # "这两条分别是谁牵头的": the previous answer's measures
        many = _count(count.group(1)) or len(listed)
        return query.but(intent=Intent.MEASURE, measures=tuple(listed[:many]), asks=frozenset(_asks(query, text)))

    ordinal = _ordinal(text)
    if ordinal and len(prev_measures) >= 2 and (len(text) <= 10 or ANAPHORA.search(text)) \
            and ordinal <= len(prev_measures):
        return query.but(intent=Intent.MEASURE, measures=(prev_measures[ordinal - 1],))

    step = _step(text)
    if step and prev_measures and len(text) <= 16:
        target = prev_measures[0] + step
        if plan is None or plan.measure(target) is not None:
            return query.but(intent=Intent.MEASURE, measures=(target,))
        # past either end of the plan: say where it ends rather than guess a topic
        return query.but(intent=Intent.OUT_OF_RANGE, out_of_range=target)
    if query.intent == Intent.MEASURE:
        return query
    if query.intent == Intent.DEADLINES and query.year is None and not query.units and not query.annual \
            and len(prev_measures) >= 2 and previous.query.intent != Intent.DEADLINES:
        return query.but(scope=tuple(prev_measures))
    # the words that ask for a field ("期限", "多少", "谁牵头") say what is wanted, not which measure
    topic = topic_words(_without_asks(text), tokenizer)
    singular = SINGULAR.search(text)
    if singular and prev_measures and not query.units:
        # "那条/这条/它" points at one measure of the previous answer: the one its topic
        # words name ("表彰奖励那条"), else the first it cited
        candidates = list(dict.fromkeys([*previous.cited, *prev_measures]))
        focus = _best_match(topic, candidates, plan)
        if focus is None and plan is not None and _names_other_subject(text, candidates, plan, tokenizer):
            # "那X那条讲了啥" with an X the previous measures never speak of: X's measure,
            # found in the whole plan
            return query.but(scope=())
        focus = focus or (previous.cited[0] if previous.cited else prev_measures[0])
        return query.but(intent=Intent.MEASURE, measures=(focus,), asks=frozenset(_asks(query, text)))
    carried = _carry_over(query, previous)
    if carried is not None:
        return carried

    if WITHIN.search(text) and prev_measures and len(prev_measures) >= 2:
        if not AMONG_THOSE.search(text) and plan is not None \
                and _names_other_subject(text, prev_measures, plan, tokenizer):
            # "哪一条管X" with a subject of its own the previous measures never speak of is a
            # new question, searched in the whole plan
            return query.but(scope=())
        return query.but(intent=Intent.SEARCH, scope=tuple(prev_measures))

    asks = _asks(query, text)
    if asks and prev_measures and not query.units and not _residue(text, tokenizer) \
            and query.intent == Intent.SEARCH:
        focus = tuple(prev_measures[:3]) if previous.query.intent == Intent.MEASURE else tuple(prev_measures[:1])
        return query.but(intent=Intent.MEASURE, measures=focus, asks=frozenset(asks))
    if len(text) <= 12 and prev_measures and not query.units and query.intent == Intent.SEARCH:
        # a short follow-up whose topic words occur in a measure the previous answer was about
        focus = _best_match(topic, prev_measures, plan)
        if focus is not None:
            return query.but(intent=Intent.MEASURE, measures=(focus,), asks=frozenset(asks))
    if ANAPHORA.search(text) and prev_measures and query.intent == Intent.SEARCH and not query.units:
        if plan is not None and _names_other_subject(text, prev_measures, plan, tokenizer):
            # "那信访工作呢" after a question on training hours: a subject of its own,
            # which the previous measures do not speak of, is searched in the whole plan
            return query.but(scope=())
        return query.but(scope=tuple(prev_measures) if len(prev_measures) >= 2 else ())
    return query


def _names_other_subject(text: str, measures: list[int], plan, tokenizer) -> bool:
    """The text's most specific word of the plan (the longest, three characters or more) is one
    that none of `measures` uses."""
    terms = [t for t in plan_terms_in(_without_asks(text), plan, tokenizer) if len(t) >= 3]
    if not terms:
        return False
    specific = max(terms, key=len)
    bodies = [fold_for_match(plan.measure(n).body) for n in measures if plan.measure(n) is not None]
    return not any(fold_for_match(specific) in body for body in bodies)


SAME_SECTION = re.compile(r"(?:同一|这一|本|这个|那一|该|它那|它所在的?)(?:节|小节)(?:里|中|内|当中|里面)?[^？?。]{0,4}"
                          r"(?:还有|其他|其余|别的|另外)|\b(?:same|that) section\b[^?]{0,20}\b(?:other|else)\b", re.I)
OTHER_ONE = re.compile(r"另一(?:条|项|个)|另外(?:那|一)(?:条|项|个)|另外几(?:条|项)|其他(?:几)?(?:条|项)|其余(?:的)?(?:条|项)|"
                       r"\bthe other (?:one|measure)s?\b", re.I)
ADDITIVE = re.compile(r"还有呢|也(?:列|说|给|查|看|算|加)|另外(?:再|还)|再(?:列|给|查|加)|\balso (?:list|show|give)\b", re.I)
PERCENT_ASKED = re.compile(r"百分比|百分之|百分率|%|percentage", re.I)


# An elliptical follow-up ("那公安厅呢", "2023年的呢", "换成牵头的", "如果是乡镇呢") names only what changes.
ELLIPSIS = re.compile(r"呢[？?！!。]*$|^(?:那|那么|还有|换成|换作|如果是|要是)|\b(?:what about|and|how about)\b", re.I)
RECORD_OPERATIONS = (Intent.UNIT, Intent.DEADLINES, Intent.LIST, Intent.TARGETS)


def _carry_over(query: Query, previous: Turn) -> Query | None:
    """The previous operation with the constraints this question names put in place of the old ones.

    Slots the new question fills (unit, role, year or yearly, part or section) replace the previous
    query's; the rest of the previous query stands. A duty list that gains a time becomes the
    list of what is due (a unit + time answer is the duty list filtered to that time)."""
    before = previous.query
    if before.intent not in RECORD_OPERATIONS or not ELLIPSIS.search(query.text) or len(query.text) > 24:
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


# Several units the conversation named ("这两个单位", "这几个部门", "这俩单位").
UNITS_NAMED_BEFORE = re.compile(r"(?:这|那|上述|以上|前面|刚才)(?:说的)?([两二俩几三四])(?:个|家)?(?:单位|部门|厅局|机关)|这俩")
JOINTLY = re.compile(r"一起|共同|同时|都|联合|together|jointly|both", re.I)
# The previous answer set aside ("这一部分之外", "除了上面这些"): what else.
BEYOND_PREVIOUS = re.compile(r"(?:这|那|上述|以上|前面|刚才)(?:一)?(?:节|部分|些|几条|几项)(?:以外|之外|外)|"
                             r"(?:除了?|除去)(?:这|那|上述|以上|前面|刚才)(?:一)?(?:节|部分|些|几条|几项)")
PLURAL = re.compile(r"(?:这|那)([两二三四五六七八九几]|些)(?:条|项|个)?|它们|\bthey\b|\bthem\b", re.I)


def _count(token: str) -> int | None:
    return {"两": 2, "二": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}.get(token)


def _takes_part(plan, number: int, units: tuple[str, ...], role) -> bool:
    from .units import involvement
    if plan is None:
        return False
    roles = [r for unit in units for r in involvement(plan.measure(number), unit)[0]]
    return bool(roles) and (role is None or role in roles)


SINGULAR = re.compile(r"(那|这|该|此)(条|项|个措施|一条|一项|件事|事)|^(那|那么)?它(?!们)|它的|\b(it|its|that one|this one)\b", re.I)


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


# "这条前边的一条", "它后头那项": the neighbour of the measure a pronoun points at
_NEIGHBOUR = r"(?:它|这条|这项|该条|该项|此条|此项)的?(?:{})(?:紧挨着|紧跟着|挨着|紧接着)?(?:的)?(?:那一|那|一)?(?:条|项)"


def _step(text: str) -> int:
    """+1 for "下一项/下一条/next", -1 for "上一项/前一条/previous", else 0."""
    if re.search(r"下一(项|条|个)|后一(项|条)|" + _NEIGHBOUR.format("后面|后边|之后|紧接着") + r"|\bnext\b|\bfollowing one\b",
                 text, re.I):
        return 1
    if re.search(r"上一(项|条|个)|前一(项|条)|" + _NEIGHBOUR.format("前面|前边|之前") + r"|\bprevious\b|\bpreceding\b|"
                 r"\bthe one before\b", text, re.I):
        return -1
    return 0


def _ordinal_value(token: str) -> int:
    return int(token) if token.isdigit() else (chinese_to_int(token) or 0)


def _ordinal(text: str) -> int | None:
    match = ORDINAL.search(text)
    if match:
        token = match.group(1)
        return int(token) if token.isdigit() else chinese_to_int(token)
    for word, value in EN_ORDINAL.items():
        if re.search(rf"\bthe {word}\b", text, re.I):
            return value
    return None
