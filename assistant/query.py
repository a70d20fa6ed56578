"""Understanding a question before retrieval: what it refers to and what it asks for.

Pure functions over the question text and the plan's records; no retrieval happens here.
"""
from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, field, replace
from enum import Enum

from .lexicon import EN_UNIT_NAMES, STOPWORDS, is_english, translate_english
from .records import Plan, Role
from .homophones import HomophoneIndex
from .normalize import normalize_question
from .text import chinese_to_int, fold_for_match
from .units import all_aliases, find_units_in_text

_CN = "零〇一二两三四五六七八九十百"


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
    # units the plan does not name, placed by the organ catalog: (name, kind, level)
    unlisted: tuple[tuple[str, object, str], ...] = ()
    terms: tuple[str, ...] = ()        # the plan's own words a list question asks about

    def kind_of(self, unit: str):
        return next((kind for name, kind, _ in self.unlisted if name == unit), None)

    def level_of(self, unit: str) -> str:
        return next((level for name, _, level in self.unlisted if name == unit), "")

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
                              r"(时间|日期|什么时候|哪天|何时|哪一天)|(什么时候|哪天|哪一天|何时|哪年|几月几日)(印发|发布|出台|下发|发)的?)|"
                              r"印发日期|发文日期|"
                              r"when was (the|this) (plan|document) (issued|published)|issue date", re.I)),
    ("issuers", re.compile(r"发文机关|发文单位|(谁|哪个部门|哪些部门|哪个单位)(印发|发布|发)的?(方案|文件|这个)|"
                           r"(哪|哪两|哪几)个?(办公厅|部门|单位|机关)(联合)?(印发|发布|发)|"
                           r"(方案|文件)是?(谁|哪个部门|哪些部门|哪个单位)(印发|发布|发)的|who issued", re.I)),
    ("recipients", re.compile(r"(印发|发|下发|发送)给(了)?(哪些|谁|哪个)|主送|发送范围|发给谁|who (was|is) it sent to",
                              re.I)),
    ("publication", re.compile(r"(能|可以|是否|能不能|可不可以)(对外)?公开|公开发布|保密|密级|publicly available",
                               re.I)),
    ("guiding_thought", re.compile(r"指导思想|guiding (thought|ideology|principle)", re.I)),
    ("overall_goals", re.compile(r"总体目标|总目标|主要目标|2035年|到2025年.*(目标|实现)|overall goals?|main goals?|"
                                 r"2035", re.I)),
    ("title", re.compile(r"(文件|方案)的?(全称|标题|名称|名字)|title of", re.I)),
    ("preamble", re.compile(r"前言|开头|制定依据|为什么制定|依据什么制定|依据(中央|国家)?哪个文件|根据(中央|国家)?哪个文件|"
                            r"(贯彻|落实|依据|根据)[^，。？]{0,8}(哪个|哪份|什么)(文件|纲要|精神)|"
                            r"上位(文件|依据)|纲要|why was (the|this) plan", re.I)),
    ("closing", re.compile(r"结尾|最后一段|(方案|实施方案)的?(落实|督促检查)|谁(来|负责)?督促(检查)?(方案|落实)|"
                           r"落实要求", re.I)),
)
COUNT_RE = re.compile(r"(一共|总共|共有|共|多少|几)\s*(个|大|项|条)?\s*(措施|任务|部分|节|小节|举措|项|条|章|板块)|"
                      r"how many (measures|parts|sections)", re.I)
DEADLINE_ASK = re.compile(r"什么时候|何时|哪年|几月|截止|时限|时间节点|底前|完成时间|啥时候|"
                          r"\bwhen\b|deadline|by when", re.I)
UNITS_ASK = re.compile(r"谁(牵头|负责|来|参加|参与)|牵头单位|参加单位|责任单位|哪个单位|哪些单位|哪些部门|哪个部门|"
                       r"谁是|由谁|是谁|是不是.{0,8}(牵头|负责)|\bwho\b|which (unit|department)s?", re.I)
TARGET_ASK = re.compile(r"多少|多长|多久|期限|几(个|次|期|天|日|小时|学时|项)|百分之|比例|出庭率|答复率|不少于|至少|"
                        r"\bhow (many|much|long)\b", re.I)
DUTY_CUE = re.compile(r"做什么|干什么|干啥|做啥|要做|要干|职责|任务|负责|承担|牵头|参加|参与|工作|涉及|哪些|哪几|"
                      r"角色|作用|扮演|分工|"
                      r"哪些事|what (must|should|does)|duties|responsib|tasks?|involved", re.I)
# 参与 is read as "involved in any role"; only the plan's own role words filter by role.
ROLE_CUES = ((Role.LEAD, re.compile(r"牵头|\blead", re.I)),
             (Role.PARTICIPANT, re.compile(r"参加|配合|participat", re.I)),
             (Role.RESPONSIBLE, re.compile(r"责任单位|responsible unit", re.I)))
DEADLINE_LIST_CUE = re.compile(r"哪些|什么任务|什么工作|什么事|哪件事|哪几|要完成|完成什么|干成|做完|办成|到期|任务|工作|清单|"
                               r"列表|时间表|所有|全部|\bwhich\b|what (tasks|measures|must)|\blist\b", re.I)
TIMELINE_RE = re.compile(r"时间表|时间节点有哪些|所有.{0,4}(期限|截止)|全部.{0,4}(期限|截止)|(带|有)(截止|完成)?(时间|期限|时限)的|"
                         r"截止时间的|timeline", re.I)
EXTREME_RE = re.compile(r"(最早|最先|最晚|最迟|最后)[^，。？]{0,5}(截止|到期|完成|期限|时限|时间|节点)|"
                        r"(截止|到期|期限|时限)[^，。？]{0,3}(最早|最晚|最迟)|最急|最紧急|最紧迫|最着急|"
                        r"(earliest|latest|last) deadline", re.I)
ANNUAL_RE = re.compile(r"每年|年度|annual|every year|each year", re.I)
TARGET_LIST_RE = re.compile(r"(量化|数字|数量|百分比|具体)(指标|要求|目标)|指标有哪些|哪些指标|(达到|达)\s*\d+%|numeric targets?",
                            re.I)
LAST_RE = re.compile(r"最后一(个)?(部分|章|节|小节|项|条)|last (part|section|measure)", re.I)
STRUCTURE_CUE = re.compile(r"部分|章|节|板块|section|part", re.I)
LAW_ARTICLE = re.compile(r"(》|法|条例|规定|办法|纲要)\s*第\s*[0-9零〇一二两三四五六七八九十百]+\s*条")
# Words that frame a question without naming its topic (removed when looking for a topic).
_FRAMING = re.compile(
    r"方案|实施方案|措施|任务|举措|工作|单位|部门|自治区|宁夏|我们|我是|我在|咱们|请问|一下|哪些|哪个|什么|怎么|"
    r"要做|要干|做什么|干什么|干啥|做啥|职责|负责|承担|牵头|参加|参与|配合|涉及|的|了|吗|呢|啊|是|有|要|都|还|"
    r"单位|办公室|具体|主要|内容|事情|事|条|项|些|吧|么|一共|总共|共有|多少|几|分成|分为|包括|包含|讲|说|"
    r"全部|所有|列出|列举|列一下|列|汇总|梳理|这个|那个|作为|身份|情况|大部分|小节|一起|共同|同时|都|"
    r"责任单位|参加单位|牵头单位|责任|角色|完成|时候|多久|"
    r"\bwhat\b|\bmust\b|\bdo\b|\bdoes\b|\bthe\b|\bshould\b|"
    r"\b(duties|tasks?|responsib\w*|involved|in|of|for|is|are)\b", re.I)
_TOPIC_FLAGS = frozenset("nvaijlez")   # n*, v*/vn, a*, i, j, l, eng, nz (first letter of jieba flags)
_EN_ORG_WORDS = re.compile(r"\b(department|office|bureau|commission|committee|unit|units|autonomous|region|"
                           r"regional|ningxia|government|people's|my|we|our|us|i|am|from|work|at|have|has|to)\b", re.I)


ANY_ROLE_RE = re.compile(r"不管|无论|不论|都算|都列|列全|所有角色|任何角色|各种角色|或者|或是|还是|以及|"
                         r"any role|all roles|\bor\b", re.I)


def _single_role(text: str) -> Role | None:
    """The role a question filters by, when it names exactly one (牵头的参加的都算上 names none)."""
    named = [r for r, cue in ROLE_CUES if cue.search(text)]
    return named[0] if len(named) == 1 and not ANY_ROLE_RE.search(text) else None


def _find(patterns, text: str) -> list[int]:
    found = []
    for pattern in patterns:
        for match in pattern.finditer(text):
            value = _number(match.group(1))
            if value is not None and value not in found:
                found.append(value)
    return found


def topic_words(text: str, tokenizer) -> list[str]:
    """Content words beyond unit names and question framing: what the question is about."""
    stripped = text
    for alias in sorted(all_aliases(), key=len, reverse=True):
        if len(alias) >= 2:
            stripped = stripped.replace(alias, " ")
    for english in sorted(EN_UNIT_NAMES, key=len, reverse=True):
        stripped = re.sub(rf"\b{re.escape(english)}\b", " ", stripped, flags=re.I)
    stripped = _EN_ORG_WORDS.sub(" ", stripped)
    stripped = _FRAMING.sub(" ", stripped)
    if tokenizer is None:
        return re.findall(r"[\u4e00-\u9fff]{2,}|[A-Za-z]{3,}", stripped)
    # Only substantive words name a topic: nouns, verbal nouns, adjectives, idioms, Latin words.
    return [w for w, flag in tokenizer.tagged(stripped)
            if len(w) >= 2 and flag[:1] in _TOPIC_FLAGS and w not in STOPWORDS]


def _title_match(text: str, plan: Plan) -> tuple[int | None, int | None]:
    """A part or section named by its title ("“放管服”改革那一节")."""
    grams = _bigrams(text)
    best, best_score = (None, None), 0.0
    for section in plan.sections:
        title = _bigrams(section.title)
        score = len(title & grams) / max(len(title), 1)
        if score > best_score:
            best, best_score = (None, section.number), score
    for part in plan.parts:
        title = _bigrams(part.title)
        score = len(title & grams) / max(len(title), 1)
        if score > best_score:
            best, best_score = (part.number, None), score
    return best if best_score >= 0.5 else (None, None)


def _bigrams(text: str) -> set[str]:
    chars = re.sub(r"[^\u4e00-\u9fff]", "", text)
    return {chars[i:i + 2] for i in range(len(chars) - 1)}


@lru_cache(maxsize=4)
def homophone_index(plan: Plan) -> HomophoneIndex:
    """The plan's words and unit names, for repairing same-sound typos."""
    import jieba
    words = set(all_aliases())
    for m in plan.measures:
        words.update(jieba.lcut(m.text))
    for s in plan.sections:
        words.update(jieba.lcut(s.title))
    corpus = "\n".join([*(m.text for m in plan.measures), *(s.title for s in plan.sections), *all_aliases()])
    return HomophoneIndex.build(words, corpus)


# Colloquial role words after a unit or 谁 mean the plan's own role words.
_ROLE_SYNONYMS = (
    (re.compile(r"(?<=[谁厅委局办部院会组行校])(?:主抓|带头|牵总|挑头|领头|抓总)"), "牵头"),
    (re.compile(r"(?:参与|配合|协办)单位"), "参加单位"),
    (re.compile(r"(?:主责|负责)单位"), "责任单位"),
)


def canonical_roles(text: str) -> str:
    for pattern, word in _ROLE_SYNONYMS:
        text = pattern.sub(word, text)
    return text


def _link_units(text: str, english: bool, catalog) -> tuple[tuple[str, ...], tuple, tuple[str, ...]]:
    """Plan units named in the text; failing those, a unit from the organ catalog. Also the
    words that named or described a catalog unit (they are not the question's topic)."""
    units = tuple(find_units_in_text(text)) + (_english_units(text) if english else ())
    linked = catalog.link(text) if catalog is not None and not english else []
    local = [u for u in linked if u.how == "local"]
    if local:
        # a city, county or township body outranks the plan's generic 市县政府 reading
        units = tuple(u for u in units if u not in _PSEUDO_UNITS)
    if units and not local:
        return units, (), ()
    extra = [u for u in linked if not u.named_in_plan]
    named = tuple(u.plan_name for u in linked if u.named_in_plan)
    spans = tuple(w for u in linked for w in u.span.split("|") if w)
    return (units + named + tuple(u.name for u in extra), tuple((u.name, u.kind, u.level) for u in extra), spans)


_PSEUDO_UNITS = {"市、县（区）人民政府"}


DUTY_LIST_MIN = 0.5   # how sure the answer-type classifier must be that a unit question wants the duty list


def understand(question: str, plan: Plan, tokenizer=None, catalog=None, answer_types=None) -> Query:
    """Classify a (cleaned) question and pull out the entities it names. ``answer_types``
    (the classifiers of ``assistant.answer_type``) decides, when given, whether a question
    naming a unit wants that unit's duty list, whatever other words it uses."""
    if catalog is None:
        from .catalog import default_catalog
        catalog = default_catalog()
    text = normalize_question(question)
    if not is_english(text):
        text = canonical_roles(homophone_index(plan).correct(text))
    english = is_english(text)
    asks = set()
    if DEADLINE_ASK.search(text):
        asks.add(Asks.DEADLINE)
    if UNITS_ASK.search(text):
        asks.add(Asks.UNITS)
    if TARGET_ASK.search(text):
        asks.add(Asks.TARGET)
    units, unlisted, unit_words = _link_units(text, english, catalog)
    role = _single_role(text)
    base = Query(question, text, Intent.SEARCH, english=english, units=units, role=role,
                 asks=frozenset(asks), unlisted=unlisted)
    total = len(plan.measures)

    measures = _find(MEASURE_PATTERNS, LAW_ARTICLE.sub(" ", text))
    if LAST_RE.search(text) and re.search(r"项|条|measure", LAST_RE.search(text).group(0)):
        measures = measures or [total]
    if measures:
        valid = tuple(n for n in measures if 1 <= n <= total)
        if not valid:
            return base.but(intent=Intent.OUT_OF_RANGE, out_of_range=measures[0])
        return base.but(intent=Intent.MEASURE, measures=valid)

    for name, pattern in DOC_FIELDS:
        if pattern.search(text):
            return base.but(intent=Intent.DOCUMENT, doc_field=name)

    years = [int(y) for y in re.findall(r"(20[0-9]{2})\s*年?", text)]
    if any(not plan.period.covers(y) for y in years):
        return base.but(intent=Intent.OUT_OF_RANGE, out_of_range=None, year=years[0])

    without_units = text
    for word in sorted(unit_words, key=len, reverse=True):
        without_units = without_units.replace(word, " ")
    topic = topic_words(without_units, tokenizer)
    structure = _structure(text, plan, base, topic)
    year_in_text = YEAR_RE.search(text)
    if structure is not None and structure.intent == Intent.STRUCTURE and year_in_text and \
            (structure.part or structure.section) and DEADLINE_LIST_CUE.search(text):
        # "第七部分里哪些措施要求2022年完成": the deadline list, within that part
        return structure.but(intent=Intent.DEADLINES, year=int(year_in_text.group(1)),
                             month=int(year_in_text.group(2)) if year_in_text.group(2) else None)
    if structure is not None:
        return structure

    year_match = YEAR_RE.search(text)
    annual = bool(ANNUAL_RE.search(text))
    extreme = EXTREME_RE.search(text)
    if extreme:
        latest = bool(re.search(r"最晚|最迟|最后|latest|last", extreme.group(0), re.I))
        # a unit or part named with the extreme narrows the list it is taken from
        return base.but(intent=Intent.DEADLINES, doc_field="latest" if latest else "earliest")
    dated = re.search(r"20[0-9]{2}\s*年\s*(\d{1,2}\s*月)?\s*(底前|底|前|以前|之前)", text)
    if (year_match and DEADLINE_LIST_CUE.search(text)) or TIMELINE_RE.search(text) or \
            (annual and DEADLINE_LIST_CUE.search(text) and not topic) or \
            (dated and not _nouns(topic, tokenizer)):
        year = int(year_match.group(1)) if year_match else None
        month = int(year_match.group(2)) if year_match and year_match.group(2) else None
        return base.but(intent=Intent.DEADLINES, year=year, month=month,
                        annual=annual and year is None, units=units)
    if TARGET_LIST_RE.search(text) and DEADLINE_LIST_CUE.search(text):
        value = re.search(r"\d+(?:\.\d+)?\s*(%|学时|小时|日|天|个工作日)", text)
        kind = "%" if re.search(r"百分比|百分之|比例|percentage", text, re.I) else None
        return base.but(intent=Intent.TARGETS, doc_field=value.group(0).replace(" ", "") if value else kind)

    narrowing = _narrowing(topic, plan)
    if LIST_CUE.search(text) and not units and not base.english:
        terms = plan_terms_in(without_units, plan, tokenizer)
        if terms:
            return base.but(intent=Intent.LIST, terms=terms)
    if len(units) >= 2 and JOINT_RE.search(text) and not narrowing:
        shared = tuple(m.number for m in plan.measures
                       if all(_names_unit(m, u, role) for u in units))
        if shared:
            return base.but(intent=Intent.MEASURE, measures=shared)
    unknown = [w for w in topic if _document_frequency(w, plan) == 0]
    if units and not narrowing and (DUTY_CUE.search(text) or (_mostly_unit(text, units) and not unknown)):
        return base.but(intent=Intent.UNIT)
    specific = [t for t in plan_terms_in(without_units, plan, tokenizer) if len(t) >= 3]
    if units and answer_types is not None and not english and not specific:
        # no subject of the plan's own beyond the unit: the classifier reads what is wanted
        wanted = answer_types["type"].predict(text)
        if wanted.label == "duty_list" and wanted.probability >= DUTY_LIST_MIN:
            return base.but(intent=Intent.UNIT)
    return base


def _nouns(words: list[str], tokenizer) -> list[str]:
    """The nouns among `words` (all of them when no tagger is available)."""
    if tokenizer is None:
        return words
    return [w for w in words if any(flag.startswith(("n", "eng")) for _, flag in tokenizer.tagged(w))]


def _document_frequency(word: str, plan: Plan) -> int:
    folded = fold_for_match(word)
    return sum(1 for text in _folded_measures(plan) if folded in text)


@lru_cache(maxsize=4)
def _folded_measures(plan: Plan) -> tuple[str, ...]:
    return tuple(fold_for_match(m.text) for m in plan.measures)


def _narrowing(topic: list[str], plan: Plan) -> list[str]:
    """Topic words that pick out a subject within the plan: used by it, but not everywhere.

    Words the plan never uses cannot narrow a unit's duties ("被点名", "活儿"), and words in
    more than a sixth of the measures are generic ("落实", "推进")."""
    limit = len(plan.measures) / 6
    return [w for w in topic if 0 < _document_frequency(w, plan) <= limit]


# Wording that asks for every matching measure rather than the best one.
LIST_CUE = re.compile(r"哪些措施|哪几条|哪几项|哪些条|都有哪些|都有啥|都有什么|全部列|全列|列出|列一下|列全|列个|"
                      r"一个(?:都)?不(?:能)?(?:漏|少)|一条(?:都)?(?:别|不)(?:落下|漏)|不要遗漏|所有|全部|"
                      r"(?:涉及|提到|讲到|说到|写到|关于|有关|相关)[^，。？]{1,16}(?:的措施|的条|的有|的内容|的任务)|"
                      r"all measures|every measure|list (?:all|every)", re.I)


_FUNCTION_WORDS = frozenset("或者 或 和 及 与 以及 还是 或是 并 并且 的 了 都 有关 相关 方面 提到 涉及 关于 讲到 写到 "
                            "说到 跟 同 里 中 有 哪 哪些 条 项 措施 内容 一条 一个".split())


def plan_terms_in(text: str, plan: Plan, tokenizer=None) -> tuple[str, ...]:
    """The plan's own terms in the text, for exact list matching (案例指导, 法律顾问, 听证):
    the longest runs of whole words that the plan uses, skipping function words. Runs that
    occur in a third of the measures or more are too general to list by."""
    import jieba
    words = [w for w, _ in tokenizer.tagged(text)] if tokenizer is not None else jieba.lcut(text)
    corpus = _folded_corpus(plan)
    limit = len(plan.measures) / 3
    found: list[str] = []
    i = 0
    while i < len(words):
        taken = 0
        for j in range(min(len(words), i + 4), i, -1):
            run = words[i:j]
            piece = "".join(run)
            if any(w in _FUNCTION_WORDS for w in run) or not re.fullmatch(r"[\u4e00-\u9fff]{2,12}", piece):
                continue
            if piece in corpus and 0 < _document_frequency(piece, plan) <= limit:
                found.append(piece)
                taken = j - i
                break
        i += taken or 1
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=4)
def _folded_corpus(plan: Plan) -> str:
    return "\n".join(_folded_measures(plan))


JOINT_RE = re.compile(r"一起|共同|同时|都|联合|together|jointly|both", re.I)


def _names_unit(measure, unit: str, role: Role | None) -> bool:
    return any(u.name == unit and (role is None or u.role == role) for u in measure.units)


def _structure(text: str, plan: Plan, base: Query, topic: list[str]) -> Query | None:
    explicit = PART_PATTERNS[0].search(text) or SECTION_PATTERNS[1].search(text)
    locating = re.search(r"第几|哪一?(条|项)", text)      # "是第几条" asks where, not how many
    if COUNT_RE.search(text) and not locating and not explicit and not base.units and \
            (base.english or not [w for w in topic if not COUNT_RE.search(w)]):
        return base.but(intent=Intent.STRUCTURE, doc_field="counts")
    parts = _find(PART_PATTERNS, text)
    sections = _find(SECTION_PATTERNS, text)
    last = LAST_RE.search(text)
    if last and not parts and not sections:
        if re.search(r"节|section", last.group(0), re.I):
            sections = [len(plan.sections)]
        elif re.search(r"部分|章|part", last.group(0), re.I):
            parts = [len(plan.parts)]
    if not parts and not sections and STRUCTURE_CUE.search(text):
        part, section = _title_match(text, plan)
        parts, sections = ([part] if part else []), ([section] if section else [])
    if parts or sections:
        part = parts[0] if parts else None
        section = sections[0] if sections else None
        if (part and part > len(plan.parts)) or (section and section > len(plan.sections)):
            return base.but(intent=Intent.OUT_OF_RANGE, out_of_range=None, part=part, section=section)
        return base.but(intent=Intent.STRUCTURE, part=part, section=section)
    return None


def _mostly_unit(text: str, units: tuple[str, ...]) -> bool:
    """'统计局？' or '审计厅的职责' – a question that is little more than a unit's name."""
    rest = re.sub(r"[\W_]+", "", text)
    for alias, name in sorted(all_aliases().items(), key=lambda pair: -len(pair[0])):
        if name in units:
            rest = rest.replace(alias, "")
    return len(rest) <= 6


def _english_units(text: str) -> tuple[str, ...]:
    lowered = text.lower()
    found = []
    for english, chinese in EN_UNIT_NAMES.items():
        if re.search(rf"\b{re.escape(english)}\b", lowered):
            found.extend(u for u in find_units_in_text(chinese) if u not in found)
    return tuple(found)
