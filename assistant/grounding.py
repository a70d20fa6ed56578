"""Fact-level verification of answer sentences against the measures they cite.

An answer is split into sentences, each owning the citations 【第N项】 that close it. A
sentence passes when every checkable fact in it agrees with the cited measures:

- years, months and dates; numbers with their measure words (60学时, 两期, 三级, 100%);
- the direction of a bound next to a number (不少于 / 至少 / 以上 vs 不超过 / 至多 / 以内);
- unit names, and the role a sentence gives a unit (牵头 / 参加 / 责任, "led by …");
- negation: a negation the aligned source clause lacks, or a prohibition (不得 / 严禁 …)
  the sentence drops;
- scope and frequency words (部分 / 只有 against 全部; 每两年 against 每年; 立即 against 逐步);
- citations to measures that do not exist.

A sentence without a citation must either carry no checkable fact (framing such as
"方案中的相关规定如下：") or name its place in the document ("出处：文件头"), in which case it
is checked against the document's own text. English sentences are checked for the same
facts; their source clause is found with the embedder when one is given.

This replaces a bigram-overlap test that accepted negated sentences, changed years and
changed numbers. Nothing here knows evaluation questions; it reads the plan's records.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from .records import MAX_BOUNDS, MIN_BOUNDS, Measure, Plan, Role
from .text import chinese_to_int, fold_for_match
from .units import DESIGNATIONS, find_units_in_text

CITE = re.compile(r"【第\s*(\d+)\s*项】")
_MARKDOWN = re.compile(r"[*_>#`]|^\s*[-•]\s+", re.M)


# ------------------------------------------------------------------ sentences
@dataclass(frozen=True)
class CitedSentence:
    text: str
    citations: tuple[int, ...]


def cited_sentences(answer: str) -> list[CitedSentence]:
    """Split an answer into sentences, each with the citations that directly follow it.

    A sentence ends at 。！？； or at a run of citations; citations right after a
    terminator belong to the sentence before it. A citation that closes a paragraph (a
    quoted measure) also covers the uncited sentences before it on the same line."""
    out: list[CitedSentence] = []
    for line in answer.splitlines():
        line_start = len(out)
        buf, cites, closed, i = "", [], False, 0
        while i < len(line):
            match = CITE.match(line, i)
            if match:
                cites.append(int(match.group(1)))
                i, closed = match.end(), True
                continue
            if closed:
                _emit(out, buf, cites)
                buf, cites, closed = "", [], False
            buf += line[i]
            closed = line[i] in "。！？；" or (line[i] in ".!?" and i + 1 < len(line) and line[i + 1] == " ")
            i += 1
        _emit(out, buf, cites)
        pending: tuple[int, ...] = ()
        for k in range(len(out) - 1, line_start - 1, -1):
            if out[k].citations:
                pending = out[k].citations
            elif pending:
                out[k] = CitedSentence(out[k].text, pending)
    return out


def _emit(out: list[CitedSentence], text: str, cites: list[int]) -> None:
    if text.strip():
        out.append(CitedSentence(text.strip(), tuple(dict.fromkeys(cites))))


def plain(sentence: str) -> str:
    """The sentence without citations and Markdown."""
    return _MARKDOWN.sub("", CITE.sub("", sentence)).strip()


def is_english(text: str) -> bool:
    letters = sum(ch.isascii() and ch.isalpha() for ch in text)
    cjk = sum("\u3400" <= ch <= "\u9fff" for ch in text)
    return letters > 3 * cjk and letters >= 8


# ------------------------------------------------------------------ fact readers
_MEASURE_WORDS = "个工作日|学时|小时|个月|次|期|个|级|项|年|周|日|天|家|名|人|条|批|大|类|种"
_REFERENCE = re.compile(r"第\s*[\d一二三四五六七八九十百]+\s*(?:项|部分|条|节)|（[一二三四五六七八九十]+）"
                        r"|\b(?:measure|item|no\.|part|section|article)\s*#?\d+", re.I)
_YEAR_MONTH = re.compile(r"(20\d{2})\s*年(?:\s*(\d{1,2})\s*月|(?=底))?")
_DIGITS = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?:\s*[—\-～~至到]\s*(\d+))?\s*(%|" + _MEASURE_WORDS + r")?")
_CN_COUNT = re.compile(r"([一二两三四五六七八九十百]+)(" + _MEASURE_WORDS + r")")
_EN_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
_EN_YEAR_MONTH = re.compile(r"(?:(" + "|".join(_EN_MONTHS) + r")\s+(?:of\s+)?)?(20\d{2})", re.I)
_EN_NUMBER_WORDS = {"once": 1, "twice": 2, "thrice": 3, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "single": 1}
_EN_NUMBER = re.compile(r"\b(" + "|".join(_EN_NUMBER_WORDS) + r")\b", re.I)
# Words that start with 不 but do not negate the requirement they stand in.
_NOT_NEGATION = ("不得少于", "不得低于", "不得超过", "不得高于", "不断", "不少于", "不低于", "不超过", "不高于", "不同", "不足", "不良", "不当", "不正当", "不作为",
                 "不规范", "不公正", "不公平", "不平衡", "不动产", "不利", "不法", "不稳定", "不确定", "不合理", "不一致",
                 "不符合", "不适应", "不到位", "不正之风", "不定期", "不特定", "不作为", "不以为然", "不仅",
                 "无论", "非禁即入", "并非", "未来", "无纸化", "无差别", "毫无")
_NEGATION = re.compile(r"不|未|没有|没|无需|无须|无权|毋|勿|禁止|严禁|杜绝|防止|严防|避免")
# Words that grant a permission or lift a duty: against a prohibition they reverse it.
_PERMISSIVE = re.compile(r"可以|允许|准许|仍可|也可|可不|不必|无需|无须|不需要|不需|不要求|不用|不受")
# Words that lift a duty the source sets ("无需防止…" against "要防止…").
_DUTY_LIFT = re.compile(r"无需|无须|不必|不需要|不需|不要求|不用|不再要求|可不")
# A level or scope bounded by 以上/以下 (县级以上): the direction must match the source.
_LEVEL_BOUND = re.compile(r"([\u4e00-\u9fff]{1,3})(以上|以下)")
_OPPOSITE = {"以上": "以下", "以下": "以上"}
_EN_PERMISSIVE = re.compile(r"\b(?:may|can|allowed|permitted|free to|not required|need not|needn't|optional)\b", re.I)
_PROHIBITION = re.compile(r"不得|严禁|禁止|不准|不予|不再|未经|不设|不能|杜绝|防止|严防|避免|一律不")
_EN_NEGATION = re.compile(r"\b(?:not|no|never|without|neither|nor|cannot|can't|isn't|aren't|doesn't|don't|"
                          r"won't|needn't|optional|prohibit\w*|forbid\w*|ban|bans|banned|barred|non(?=-)|"
                          r"may not|must not|refrain)\b", re.I)
_FREQUENCY = re.compile(r"每(?:两|二|三|四|五|半|\d+)?(?:年|季度|个月|月|周|天|日)")
_EN_FREQUENCY = re.compile(r"\b(?:every\s+(?:two|three|2|3|other)\s+years?|biennial\w*|every\s+month|monthly|"
                           r"quarterly|every\s+quarter|weekly)\b", re.I)
_PARTIAL = re.compile(r"部分|个别|少数|只有|只需|只在|仅在|仅限|仅需|仅有|仅对|试点")
_EN_PARTIAL = re.compile(r"\b(?:some|partial\w*|only|a few|pilot\w*|selected)\b", re.I)
_GRADUAL = re.compile(r"逐步|稳步|分步|探索|逐年")
_IMMEDIATE = re.compile(r"立即|马上|立刻|一步到位|一次性全部")
_EN_MIN = re.compile(r"\b(?:no less than|not less than|at least|minimum of|a minimum|or more|more than|"
                     r"over|above|no fewer than)\b", re.I)
_EN_MAX = re.compile(r"\b(?:no more than|not more than|at most|within|up to|or less|less than|maximum|"
                     r"no later than|under|below|not exceed\w*)\b", re.I)
_AFTER_WORDS = ("以上", "以内", "以下", "内")
_CN_BOUND_BEFORE = re.compile(r"(" + "|".join(b for b in MIN_BOUNDS + MAX_BOUNDS if b not in _AFTER_WORDS)
                              + r")(?!.*(?:" + "|".join(b for b in MIN_BOUNDS + MAX_BOUNDS if b not in _AFTER_WORDS)
                              + r"))[^，。；,;\d]{0,15}$")
_CN_BOUND_AFTER = re.compile(r"^(以上|以内|以下|内)")
_PLACE = re.compile(r"出处|来源：|据方案|counted from|文件头|通知正文|指导思想|总体目标|前言|序言|结语|第[一二三四五六七八九十]+部分|"
                    r"（[一二三四五六七八九十]+）|source:|preamble|header|guiding|overall goal", re.I)


# An uncited line that is only a bold or # heading ("**作为牵头单位（4项）**") introduces a list.
_HEADING = re.compile(r"\*\*[^*]+\*\*[：:]?|#+\s.*")
# Sentences about what the plan does not contain ("方案没有涉及…", "not covered").
_ABSENCE = re.compile(r"没有涉及|未涉及|没有直接点名|未点名|没有点名|没有规定|未规定|不涉及|无法依据方案|"
                      r"does not (?:cover|name|mention|set)|not covered", re.I)
_PSEUDO_UNITS = {"市、县（区）人民政府"}
_PLACE_NOTE = re.compile(r"^[（(]?\s*(?:出处\s*[：:]|来源\s*[：:]|source\s*[：:]|据方案)", re.I)


@dataclass(frozen=True)
class Quantity:
    value: float
    word: str          # measure word ("学时", "%"), "" when bare
    direction: str     # "min", "max" or ""


def _direction(word: str) -> str:
    return "min" if word in MIN_BOUNDS else "max" if word in MAX_BOUNDS else ""


def _cn_direction(text: str, start: int, end: int) -> str:
    after = _CN_BOUND_AFTER.match(text[end:end + 2])
    if after:
        return _direction(after.group(1))
    before = _CN_BOUND_BEFORE.search(text[max(0, start - 20):start])
    return _direction(before.group(1)) if before else ""


def _en_direction(text: str, start: int, end: int) -> str:
    window_before, window_after = text[max(0, start - 25):start], text[end:end + 22]
    # "no more than" holds "more than": the negated comparisons are read first
    if re.search(r"\b(?:no|not)\s+(?:more|later)\s+than\b", window_before, re.I):
        return "max"
    if re.search(r"\b(?:no|not)\s+(?:less|fewer|earlier)\s+than\b", window_before, re.I):
        return "min"
    if _EN_MIN.search(window_before) or re.match(r"\s*\w*\s*(?:or more|and above|or above)", window_after):
        return "min"
    if _EN_MAX.search(window_before) or re.match(r"\s*\w*\s*(?:or less|at most)", window_after):
        return "max"
    return ""


_TITLE = re.compile(r"《[^》]{1,80}》")


def _without_references(text: str) -> str:
    """Citations, references to numbered places and document titles name things; they
    state no fact to check."""
    return _TITLE.sub(" ", _REFERENCE.sub(" ", CITE.sub(" ", text)))


def dates_in(text: str) -> set[tuple[int, int | None]]:
    """(year, month or None) of every date; English month names are read too."""
    text = _without_references(text)
    found = set()
    for match in _YEAR_MONTH.finditer(text):
        year, month = match.group(1), match.group(2)
        at_year_end = text[match.end():match.end() + 1] == "底"       # 2022年底 is December
        found.add((int(year), int(month) if month else 12 if at_year_end else None))
    rest = _YEAR_MONTH.sub(" ", text)
    for month, year in _EN_YEAR_MONTH.findall(rest):
        found.add((int(year), _EN_MONTHS[month.lower()] if month else None))
    return found


def quantities_in(text: str) -> list[Quantity]:
    """Numbers that are not dates or references, with their measure word and bound."""
    english = is_english(text)
    text = _YEAR_MONTH.sub(lambda m: " " * len(m.group(0)), _without_references(text))
    text = re.sub(r"\d{1,2}\s*月\s*\d{1,2}\s*日", lambda m: " " * len(m.group(0)), text)
    if english:
        text = _EN_YEAR_MONTH.sub(lambda m: " " * len(m.group(0)), text)
    out: list[Quantity] = []
    for match in _DIGITS.finditer(text):
        low, high, word = match.group(1), match.group(2), match.group(3) or ""
        bound = (_en_direction if english else _cn_direction)(text, match.start(), match.end())
        out.append(Quantity(float(low), word, bound))
        if high:
            out.append(Quantity(float(high), word, bound))
    for match in _CN_COUNT.finditer(text):
        value = chinese_to_int(match.group(1).replace("两", "二"))
        if value is not None:
            out.append(Quantity(float(value), match.group(2), _cn_direction(text, match.start(), match.end())))
    if english:
        for match in _EN_NUMBER.finditer(text):
            out.append(Quantity(float(_EN_NUMBER_WORDS[match.group(1).lower()]), "",
                                _en_direction(text, match.start(), match.end())))
    return out


_SAME_WORDS = ({"日", "天"},)


def _same_word(a: str, b: str) -> bool:
    """Measure words agree; the general classifier 个 agrees with any (三个层级 = 三级)."""
    return a == b or "个" in (a, b) or "" in (a, b) or any(a in g and b in g for g in _SAME_WORDS)


def negated(text: str) -> bool:
    if is_english(text):
        # "no less than 60 hours" is a bound, not a negation
        return bool(_EN_NEGATION.search(re.sub(r"\b(?:no|not)\s+(?:less|more|later|fewer|earlier)\s+than\b", "", text,
                                                 flags=re.I)))
    for word in _NOT_NEGATION:
        text = text.replace(word, "")
    return bool(_NEGATION.search(text))


def prohibits(text: str) -> bool:
    for word in _NOT_NEGATION:
        text = text.replace(word, "")
    return bool(_PROHIBITION.search(text))


def clauses(text: str) -> list[str]:
    return [c.strip() for c in re.split(r"[，。；！？,;!?\n]|(?<=[a-z])\.\s", text) if len(c.strip()) >= 2]


def _bigrams(text: str) -> set[str]:
    folded = fold_for_match(text)
    return {folded[i:i + 2] for i in range(len(folded) - 1)}


def overlap(claim: str, source: str) -> float:
    grams = _bigrams(claim)
    return len(grams & _bigrams(source)) / len(grams) if grams else 0.0


# ------------------------------------------------------------------ units and roles
_ROLE_WORDS = (("牵头", Role.LEAD), ("主抓", Role.LEAD), ("带头", Role.LEAD), ("牵总", Role.LEAD),
               ("参加", Role.PARTICIPANT), ("参与", Role.PARTICIPANT), ("配合", Role.PARTICIPANT),
               ("协同", Role.PARTICIPANT), ("责任单位", Role.RESPONSIBLE), ("负责", None))
_ROLE_LABEL = re.compile(r"(牵头|参加|责任)单位\s*(?:是|为|：|:)?")
_ROLE_AFTER = re.compile(r"^[^，。；：]{0,12}?(?<!不)(?<!非)(?<!而非)(?<!并不)(牵头|主抓|带头|牵总|参加|参与|配合|协同|负责|"
                         r"(?:牵头|参加|责任)单位)")
_EN_UNIT = re.compile(r"(?:(?:[Tt]he\s+)?(?:[Rr]egional\s+|autonomous region(?:'s)?\s+)?"
                      r"(?:Department|Bureau|Commission|Office|Administration|Court|Procuratorate)\s+of\s+"
                      r"((?:[A-Z][\w'-]*|and|of)(?:\s+(?:[A-Z][\w'-]*|and|of))*))"
                      r"|((?:(?!The\b)[A-Z][\w'-]*\s+){1,4}(?:Department|Bureau|Commission|Office|Administration|Court|"
                      r"Procuratorate))")
_EN_ROLE_AFTER = re.compile(r"^[^.;]{0,40}?\b(leads?|leading|takes? part|taking part|participat\w*|assist\w*|"
                            r"is responsible|are responsible|being responsible|responsible)\b", re.I)
_EN_LED_BY = re.compile(r"\bled by\s*$|\bunder the lead of\s*$|\bleadership of\s*$", re.I)


@dataclass(frozen=True)
class UnitClaim:
    unit: str               # canonical unit name
    role: Role | None       # the role the sentence gives it; None: named without a role
    any_of: tuple[Role, ...] = ()   # "负责" may mean leading or being responsible


def _english_units(text: str) -> list[tuple[str, int, int]]:
    from .lexicon import EN_UNIT_NAMES
    keys = sorted(EN_UNIT_NAMES, key=len, reverse=True)
    found = []
    for match in _EN_UNIT.finditer(text):
        phrase = (match.group(1) or match.group(2) or "").lower()
        key = next((k for k in keys if k in phrase), None)
        if key:
            name = _canonical_unit(EN_UNIT_NAMES[key])
            if name:
                found.append((name, match.start(), match.end()))
    return found


@lru_cache(maxsize=256)
def _canonical_unit(name: str) -> str | None:
    hits = find_units_in_text(name)
    return hits[0] if hits else None


def _chinese_unit_spans(text: str) -> list[tuple[str, int, int]]:
    """Canonical units named in the text with their spans (longest alias first, no overlaps)."""
    from .units import all_aliases
    # designations (各市县〔区〕) are matched too, so their words are not read as a unit
    aliases = sorted(((a, n) for a, n in all_aliases().items()
                      if len(a) >= (3 if n in _PSEUDO_UNITS else 2)), key=lambda pair: -len(pair[0]))
    taken = [False] * len(text)
    spans = []
    for alias, name in aliases:
        start = text.find(alias)
        while start != -1:
            if not any(taken[start:start + len(alias)]):
                taken[start:start + len(alias)] = [True] * len(alias)
                spans.append((name, start, start + len(alias)))
            start = text.find(alias, start + 1)
    return sorted(spans, key=lambda s: s[1])


def unit_claims(text: str) -> list[UnitClaim]:
    english = is_english(text)
    spans = _english_units(text) if english else _chinese_unit_spans(text)
    claims = []
    for name, start, end in spans:
        role, any_of = None, ()
        if english:
            after = _EN_ROLE_AFTER.match(text[end:])
            if _EN_LED_BY.search(text[max(0, start - 25):start]):
                role = Role.LEAD
            elif after:
                word = after.group(1).lower()
                if word.startswith("lead"):
                    role = Role.LEAD
                elif "responsible" in word:
                    any_of = (Role.LEAD, Role.RESPONSIBLE)
                else:
                    role = Role.PARTICIPANT
            if after and re.search(r"\bnot\b|\bonly\b", text[end:end + after.end()], re.I) and role == Role.LEAD:
                role = None
        else:
            # (a table cell ends a clause: a role label in one cell says nothing of the next)
            clause_start = max(text.rfind(p, 0, start) for p in "，。；|")
            label = None
            for match in _ROLE_LABEL.finditer(text, clause_start + 1, start):
                label = match
            after = _ROLE_AFTER.match(text[end:])
            if label:
                role = {"牵头": Role.LEAD, "参加": Role.PARTICIPANT, "责任": Role.RESPONSIBLE}[label.group(1)]
            elif after:
                word = after.group(1)
                if word == "负责":
                    any_of = (Role.LEAD, Role.RESPONSIBLE)
                elif word.endswith("单位"):
                    role = {"牵头": Role.LEAD, "参加": Role.PARTICIPANT, "责任": Role.RESPONSIBLE}[word[:2]]
                else:
                    role = dict((w, r) for w, r in _ROLE_WORDS)[word]
        claims.append(UnitClaim(name, role, any_of))
    return claims


def _designations_in(text: str) -> set[str]:
    return {d.name for d in DESIGNATIONS for alias in (d.name, *d.aliases) if alias in text}


# ------------------------------------------------------------------ verdicts
@dataclass(frozen=True)
class Problem:
    kind: str      # date, number, bound, unit, role, negation, scope, frequency, citation, uncited
    detail: str


@dataclass(frozen=True)
class SentenceCheck:
    sentence: str
    citations: tuple[int, ...]
    factual: bool
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Source:
    text: str
    measures: list[Measure] = field(default_factory=list)


class FactChecker:
    """Checks sentences against the plan. ``embed`` (texts -> vectors, optional) aligns
    English sentences with the Chinese clause they restate."""

    def __init__(self, plan: Plan, embed: Callable[[list[str]], Sequence] | None = None):
        self.plan = plan
        self.embed = embed
        self._clause_vectors: dict[int, tuple[list[str], object]] = {}
        doc = plan.document
        self.document_text = "\n".join([doc.title, doc.doc_number, doc.issue_date, doc.notice_title, doc.notice,
                                        doc.preamble, doc.guiding_thought, doc.overall_goals, doc.closing,
                                        *doc.issuing_offices, *(p.label for p in plan.parts),
                                        *(s.label for s in plan.sections),
                                        # the counts an answer may state, derived from the parsed record
                                        f"{len(plan.parts)}个部分 {len(plan.sections)}个小节 {len(plan.measures)}项措施 "
                                        f"措施编号1至{len(plan.measures)}"])

    # -------------------------------------------------------------- public
    def check_answer(self, answer: str) -> list[SentenceCheck]:
        checks = []
        for line in answer.splitlines():
            sentences = cited_sentences(line)
            # "（出处：文件头）" names the place of the uncited sentences before it on its line
            noted = [i for i, s in enumerate(sentences) if _PLACE_NOTE.match(s.text)]
            for i, s in enumerate(sentences):
                placed = not s.citations and any(j > i for j in noted)
                checks.append(self.check(s.text, s.citations, placed=placed))
        return checks

    def check(self, sentence: str, citations: Sequence[int], placed: bool = False) -> SentenceCheck:
        text = plain(sentence)
        citations = tuple(citations)
        if not citations and _HEADING.fullmatch(sentence.strip()):
            return SentenceCheck(sentence, (), False)
        unknown = [n for n in citations if self.plan.measure(n) is None]
        if unknown:
            return SentenceCheck(sentence, citations, True,
                                 tuple(Problem("citation", f"第{n}项不存在") for n in unknown))
        if not citations:
            return self._check_uncited(sentence, text, placed)
        measures = [self.plan.measure(n) for n in citations]
        source = "\n".join(self.plan.citable_text(n) for n in citations)
        content = fold_for_match(re.sub(r"^[^：:]{1,12}[：:]", "", text))
        if len(content) >= 6 and content in fold_for_match(source):
            return SentenceCheck(sentence, citations, True)      # a verbatim quote of the cited text
        problems = self._problems(text, _Source(source, measures), listed=len(citations))
        return SentenceCheck(sentence, citations, True, tuple(problems))

    # -------------------------------------------------------------- parts
    def _check_uncited(self, sentence: str, text: str, placed: bool = False) -> SentenceCheck:
        factual = self._is_factual(text)
        if not factual:
            return SentenceCheck(sentence, (), False)
        if _ABSENCE.search(text):
            return self._check_absence(sentence, text)
        content = fold_for_match(text)
        if len(content) >= 12 and content in fold_for_match(self.document_text):
            return SentenceCheck(sentence, (), True)      # a verbatim quote of the document's own text
        if not placed and not _PLACE.search(text):
            return SentenceCheck(sentence, (), True, (Problem("uncited", "事实性语句没有引用措施或注明出处"),))
        problems = self._problems(text, _Source(self.document_text), structural=False)
        return SentenceCheck(sentence, (), True, tuple(problems))

    def _check_absence(self, sentence: str, text: str) -> SentenceCheck:
        """"方案没有点名X": true when no measure names X."""
        named = {u.name for m in self.plan.measures for u in m.units}
        wrong = [c.unit for c in unit_claims(text) if c.unit in named and c.unit not in _PSEUDO_UNITS]
        return SentenceCheck(sentence, (), True, tuple(Problem("unit", f"方案点名了{u}") for u in wrong))

    @staticmethod
    def _is_factual(text: str) -> bool:
        """Framing (a heading or a line that introduces a list) carries no claim of its own."""
        stripped = text.strip()
        if not stripped or stripped.endswith(("：", ":")) or re.fullmatch(r"[\W_]*", stripped):
            return False
        if stripped.strip("*_ ").endswith(("？", "?")):
            return False        # a question (echoed above its answer) asserts nothing
        return bool(dates_in(stripped) or quantities_in(stripped) or unit_claims(stripped))

    def _problems(self, text: str, source: _Source, structural: bool = True, listed: int = 0) -> list[Problem]:
        """``structural`` False: a document-level sentence; its numbers, dates and units are
        checked against the document text, but not roles or polarity (it may state what
        the document does not contain)."""
        problems: list[Problem] = []
        english = is_english(text)
        source_dates = dates_in(source.text)
        source_years = {y for y, _ in source_dates}
        for year, month in dates_in(text):
            if year not in source_years:
                problems.append(Problem("date", f"{year}年不在所引措施中"))
            elif month is not None and (year, month) not in source_dates:
                problems.append(Problem("date", f"{year}年{month}月不在所引措施中"))
        source_quantities = quantities_in(source.text)
        source_values = {q.value for q in source_quantities} | {float(y) for y in source_years}
        introduces_list = text.rstrip().endswith(("：", ":"))
        for q in quantities_in(text):
            if self._counts_its_list(text, q) or (introduces_list and q.word == "项" and q.value == listed):
                continue      # "自治区政府各部门（24项）：" counts the citations that follow it
            same = [s for s in source_quantities if s.value == q.value and _same_word(q.word, s.word)]
            if q.value not in source_values or (q.word and not same and not english):
                problems.append(Problem("number", f"{q.value:g}{q.word}不在所引措施中"))
                continue
            directions = {s.direction for s in (same or source_quantities) if s.value == q.value and s.direction}
            if q.direction and directions and q.direction not in directions:
                problems.append(Problem("bound", f"{q.value:g}{q.word}的上下限方向与原文不符"))
            elif q.direction and not directions and self._opposes_exact(q):
                problems.append(Problem("bound", f"{q.value:g}{q.word}的上下限方向与原文不符"))
        if structural:
            problems += self._unit_problems(text, source)
        if structural:
            problems += self._polarity_problems(text, source.text, english, [m.number for m in source.measures])
        return problems

    @staticmethod
    def _counts_its_list(text: str, q: Quantity) -> bool:
        """"牵头单位有四个：A、B、C和D" -- a count of the list that follows it."""
        cn = {1: "一", 2: "两", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九", 10: "十"}
        for spelled in {f"{q.value:g}{q.word}", f"{cn.get(int(q.value), '')}{q.word}"}:
            at = text.find(spelled + "：")
            if at == -1:
                at = text.find(spelled + ":")
            if at != -1 and q.word in ("个", "项", "家", ""):
                rest = re.split(r"[。；]", text[at + len(spelled) + 1:])[0]
                if len([x for x in re.split(r"[、，,]|和|及|以及", rest) if x.strip()]) == int(q.value):
                    return True
        return False

    @staticmethod
    def _opposes_exact(q: Quantity) -> bool:
        # "100%" stated as a ceiling ("不超过100%") turns a full target into a cap.
        return q.direction == "max" and q.word == "%"

    def _unit_problems(self, text: str, source: _Source) -> list[Problem]:
        problems = []
        roles: dict[str, set[Role]] = {}
        for m in source.measures:
            for u in m.units:
                roles.setdefault(u.name, set()).add(u.role)
        for claim in unit_claims(text):
            if claim.unit not in roles:
                if claim.role is None and not claim.any_of and self._mentioned_in_text(claim.unit, source.text):
                    continue
                problems.append(Problem("unit", f"{claim.unit}不是所引措施的单位"))
                continue
            if claim.role is not None and claim.role not in roles[claim.unit]:
                problems.append(Problem("role", f"{claim.unit}在所引措施中不是{claim.role.label}"))
            elif claim.any_of and not (set(claim.any_of) & roles[claim.unit]):
                problems.append(Problem("role", f"{claim.unit}在所引措施中不负责牵头或承担责任"))
        return problems

    @staticmethod
    def _mentioned_in_text(unit: str, text: str) -> bool:
        from .units import all_aliases
        return any(alias in text for alias, name in all_aliases().items() if name == unit and len(alias) >= 3)

    def _aligned_clause(self, claim: str, source_text: str, english: bool, numbers: list[int]) -> tuple[str, float]:
        candidates = clauses(source_text)
        if not candidates:
            return "", 0.0
        if english:
            if self.embed is None or not numbers:
                return "", 0.0
            return self._embedded_alignment(claim, numbers)
        best = max(candidates, key=lambda c: overlap(claim, c))
        return best, overlap(claim, best)

    def _embedded_alignment(self, claim: str, numbers: list[int]) -> tuple[str, float]:
        import numpy as np
        best, best_score = "", 0.0
        query = np.asarray(self.embed([claim])[0])
        for n in numbers:
            if n not in self._clause_vectors:
                # fine clauses (split at 、 too): an English sentence often restates one of a pair
                texts = [c for c in re.split(r"[，。；、]", self.plan.measure(n).text) if len(c) >= 4]
                self._clause_vectors[n] = (texts, np.asarray(self.embed(texts)))
            texts, vectors = self._clause_vectors[n]
            scores = vectors @ query
            i = int(np.argmax(scores))
            if scores[i] > best_score:
                best, best_score = texts[i], float(scores[i])
        return best, best_score

    def _polarity_problems(self, text: str, source_text: str, english: bool, numbers: list[int]) -> list[Problem]:
        problems: list[Problem] = []
        pieces = [text] if english else (clauses(text) or [text])
        sentence_negated = negated(text)
        for piece in pieces:
            if not english and _DUTY_LIFT.search(piece) and not _DUTY_LIFT.search(source_text):
                problems.append(Problem("negation", "原文是必须履行的要求，没有免除"))
                continue
            if not english and _PARTIAL.search(piece) and not _PARTIAL.search(source_text):
                problems.append(Problem("scope", "原文没有限定范围"))
                continue
            aligned, score = self._aligned_clause(piece, source_text, english, numbers)
            if not aligned or score < (0.80 if english else 0.3):
                continue
            claim_neg, source_neg = negated(piece), negated(aligned)
            permissive = (_EN_PERMISSIVE if english else _PERMISSIVE).search(piece)
            if claim_neg and not source_neg and not (not english and _negations_quoted(piece, source_text)):
                problems.append(Problem("negation", f"原文“{aligned}”没有否定"))
            elif prohibits(aligned) and (not sentence_negated or (permissive and not prohibits(piece))):
                problems.append(Problem("negation", f"原文“{aligned}”是禁止或否定性要求"))
            elif not english and claim_neg and _negates_affirmed(piece, source_text):
                problems.append(Problem("negation", f"原文肯定的内容被否定：“{aligned}”"))
            partial = _EN_PARTIAL if english else _PARTIAL
            if partial.search(piece) and not _PARTIAL.search(aligned):
                problems.append(Problem("scope", f"原文“{aligned}”没有限定范围"))
            if not english and _IMMEDIATE.search(piece) and _GRADUAL.search(aligned):
                problems.append(Problem("scope", f"原文“{aligned}”要求逐步推进"))
        if not english:
            for match in _LEVEL_BOUND.finditer(text):
                head, word = match.groups()
                for k in range(len(head)):
                    stem = head[k:]
                    if stem + _OPPOSITE[word] in source_text and stem + word not in source_text:
                        problems.append(Problem("bound", f"原文是“{stem}{_OPPOSITE[word]}”"))
                        break
        frequencies = _EN_FREQUENCY.findall(text) if english else _FREQUENCY.findall(text)
        for freq in frequencies:
            if english or freq not in source_text:
                if english and not re.search(r"每(?:两|二|三|半)年|每季度|每月|每周", source_text):
                    problems.append(Problem("frequency", f"“{freq}”与原文频次不符"))
                elif not english:
                    problems.append(Problem("frequency", f"“{freq}”与原文频次不符"))
        return problems


def _negation_spans(text: str) -> list[tuple[str, str]]:
    """(negation marker, the words it negates) for each negation in the text."""
    for word in _NOT_NEGATION:
        text = text.replace(word, "#" * len(word))
    return [(m.group(0), text[m.end():m.end() + 4]) for m in _NEGATION.finditer(text)]


def _negations_quoted(piece: str, source: str) -> bool:
    """Every negation in the piece is worded as in the source ("防止政出多门")."""
    folded = fold_for_match(source)
    spans = _negation_spans(piece)
    return bool(spans) and all(fold_for_match(marker + obj[:2]) in folded for marker, obj in spans)


def _negates_affirmed(piece: str, source: str) -> bool:
    """The piece negates words that the source states without negation, and the source never
    negates them ("以不公开为常态" against "以公开为常态、不公开为例外")."""
    fine = [c for c in re.split(r"[，。；、,;]", source) if c]
    for marker, obj in _negation_spans(piece):
        obj = fold_for_match(obj)
        if len(obj) < 3 or not re.fullmatch(r"[\u4e00-\u9fff]+", obj):
            continue
        in_source = [c for c in fine if obj in fold_for_match(c)]
        if in_source and all(not negated(c) for c in in_source):
            return True
    return False


__all__ = ["CITE", "CitedSentence", "FactChecker", "Problem", "SentenceCheck", "cited_sentences",
           "dates_in", "negated", "plain", "quantities_in", "unit_claims"]
