"""Entity linking: every slot a question fills, found independently of the others.

``link`` reads a normalized question and returns a :class:`Slots` record: measure numbers,
parts and sections (by number or title), years and months (今年/明年 read against today's
date), yearly duties, deadline ranking (最早/最晚), roles, units (plan names, aliases, the organ
catalog, descriptions of a unit's work), the plan's own terms, a numeric-target kind, the
document paragraph named, and which fields (deadline, units, target) are asked about. No slot
decides what kind of answer is wanted: that is the answer-type classifier's job, and the
planner (``assistant.query``) combines both.
"""
from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from .bilingual import MIN_ENGLISH_COVERAGE
from .homophones import HomophoneIndex, cache_key, load_or_build
from .lexicon import EN_UNIT_NAMES, STOPWORDS, EnglishReading, is_english, key_terms, read_english, translate_english
from .normalize import normalize_question
from .records import Plan, Role
from .text import LAW_NAME_END, chinese_to_int, fold_for_match
from .units import DESIGNATIONS, all_aliases, find_designations_in_text, find_units_in_text

_CN = "零〇一二两三四五六七八九十百"

MEASURE_PATTERNS = (
    re.compile(rf"第\s*([0-9]{{1,4}}|[{_CN}]{{1,6}})\s*(?:项|条|个措施|号措施|个任务|项措施|项任务)"),
    re.compile(r"(?:措施|任务|举措)\s*(?:第|编号|序号|No\.?|#)?\s*([0-9]{1,4})(?![0-9]|\s*[年月日%])"),
    re.compile(r"\bmeasures?\s*(?:no\.?|number|#)?\s*([0-9]{1,4})\b", re.I),
    re.compile(r"(?:^|\s)#\s*([0-9]{1,4})\b"),
)
PART_PATTERNS = (
    re.compile(rf"第\s*([0-9]{{1,2}}|[{_CN}]{{1,3}})\s*(?:部分|章|大部分|大项)"),
    re.compile(r"\bpart\s+([0-9]{1,2})\b", re.I),
)
SECTION_PATTERNS = (
    re.compile(rf"[（(]\s*([{_CN}]{{1,4}})\s*[）)]"),
    re.compile(rf"第\s*([0-9]{{1,2}}|[{_CN}]{{1,4}})\s*个?\s*(?:节|小节|小标题)"),
    re.compile(r"\bsection\s+([0-9]{1,2})\b", re.I),
)
# "第十部分的第二个小节", "它下属的第二节": a section counted within a part
SECTION_ORDINAL = re.compile(rf"第\s*([0-9]{{1,2}}|[{_CN}]{{1,3}})\s*个?\s*(?:节|小节|小标题)")
_PART_THEN_SECTION = re.compile(rf"第\s*([0-9]{{1,2}}|[{_CN}]{{1,3}})\s*(?:部分|章|大部分|大项)[^，。？；]{{0,6}}?"
                                + SECTION_ORDINAL.pattern)


def section_in_part(plan: Plan, part: int, ordinal: int) -> int | None:
    """The number of the part's `ordinal`-th section (None when it has fewer)."""
    if not 1 <= part <= len(plan.parts):
        return None
    numbers = plan.parts[part - 1].section_numbers
    return numbers[ordinal - 1] if 1 <= ordinal <= len(numbers) else None


# "2023至2024年间", "2023—2024年": a span of years (the plan's own period names the plan)
YEAR_SPAN = re.compile(r"(20[0-9]{2})\s*年?\s*(?:到|至|—|–|-|~|～)\s*(20[0-9]{2})(?!\s*[0-9])")
_ONWARD = re.compile(r"20[0-9]{2}\s*年?\s*(?:底)?\s*(?:及|以及|和|或)?\s*(?:以后|之后|往后|后|起|开始|以来)(?![^，。？]{0,2}前)")
YEAR_RE = re.compile(r"(20[0-9]{2})\s*年?(?:\s*([0-9]{1,2})\s*月|(上半年|年中))?")
# 今年/明年/去年/前年/后年, read against today's date
RELATIVE_YEARS = {"前年": -2, "去年": -1, "今年": 0, "本年度": 0, "明年": 1, "后年": 2}
_RELATIVE_RE = re.compile("|".join(RELATIVE_YEARS))
LAW_ARTICLE = re.compile(LAW_NAME_END + r"\s*第\s*[0-9零〇一二两三四五六七八九十百]+\s*条")
LAST_RE = re.compile(r"最后(?:那)?一(个)?(部分|章|节|小节|项|条)|最后(?:那|这)(个)?(部分|章|节|小节|项|条)|last (part|section|measure)", re.I)
# "部分", or 章/节/块 as a noun after a determiner ("那一节", "这章", "小节"), not inside
# "规章", "环节", "时间节点"
STRUCTURE_CUE = re.compile(r"部分|板块|(?:这|那|哪|本|该|每|一|几|小)(?:一)?(?:个)?(?:章|节|块)|section|part", re.I)

# Issuers of other documents than the plan (宁党厅字 is the regional party office): "国务院…通知的文号"
# asks for the number of a document the plan cites.
OTHER_ISSUER = re.compile(r"国务院|国办|中共中央|党中央|中央|国家|State Council", re.I)
# The document's own paragraphs and header fields, each named by the words people use for it.
DOC_FIELDS = (
    ("approval", re.compile(r"(谁|哪个|哪些|哪级|什么)[^，。？]{0,8}(同意|批准|审定|审议通过)|approved by|"
                            r"who approved", re.I)),
    # (also the number's own form: "“X厅字”后面的号码")
    ("doc_number", re.compile(r"文号|字号|发文号|文件号|[\u4e00-\u9fff]{1,4}厅字|document number|reference number", re.I)),
    ("issue_date", re.compile(r"(方案|文件|通知|本方案|这份|它)[^，。？]{0,8}((印发|发布|发文|出台|下发).{0,6}"
                              r"(时间|日期|什么时候|哪天|何时|哪一天)|(什么时候|哪天|哪一天|何时|哪年|几月几日)(印发|发布|出台|下发|发)的?)|"
                              r"印发日期|发文日期|落款(?:日期|时间)?|成文日期|"
                              r"when was (the|this) (plan|document) (issued|published)|issue date|"
                              r"(date|when)\b[^?]{0,40}\b(issued|signed|published)\b", re.I)),
    ("issuers", re.compile(r"发文机关|发文单位|发文的(?:是|为|有)|以(?:哪|谁)[^，。？]{0,4}(?:名义|的名义)|(谁|哪个部门|哪些部门|哪个单位)(印发|发布|发)的?(方案|文件|这个)|"
                           r"(哪|哪两|哪几)个?(办公厅|部门|单位|机关)(联合)?(印发|发布|发)|"
                           r"(方案|文件|这个文|这份文|此文|本文|它)是?由?(谁|哪个部门|哪些部门|哪个单位|哪家|哪些单位|"
                           r"哪个(?:[（(]些[)）])?机关|哪些机关)(联合)?(印发|发布|下发|发)的|who issued|"
                           r"\b(?:which|what) (?:offices?|departments?|organs?|bodies|units?|authorit(?:y|ies))\b[^?]{0,20}\bissued|"
                           r"\bissued by (?:whom|which|what)", re.I)),
    ("recipients", re.compile(r"(印发|发|下发|发送)给(了)?(哪些|谁|哪个)|主送|发送范围|发给谁|who (was|is) it sent to",
                              re.I)),
    ("publication", re.compile(r"(能|可以|是否|能不能|可不可以)(对外)?公开|公开发布|保密|密级|publicly available",
                               re.I)),
    ("period", re.compile(r"实施期(?!限)|执行期|规划期|时间跨度|起止(年份|年限|时间)|"
                          r"(方案|文件|它)[^，。？]{0,6}(管|覆盖|适用|执行|实施)[^，。？]{0,3}(哪几年|哪一?年|几年|哪些年|多少年|多长时间|多久)|"
                          r"\b(which|what) (years|period)\b[^?]{0,30}\b(plan|cover)|\bplan period\b", re.I)),
    ("guiding_thought", re.compile(r"指导思想|guiding (thought|ideology|principle)", re.I)),
    ("overall_goals", re.compile(r"总体目标|总目标|主要目标|2035年|到2025年.*(目标|实现|达到|样子|程度)|overall goals?|main goals?|"
                                 r"2035", re.I)),
    ("title", re.compile(r"(文件|方案)的?(全称|标题|名称|名字)|title of", re.I)),
    ("preamble", re.compile(r"前言|开头|制定依据|为什么制定|依据什么制定|依据(中央|国家)?哪个文件|根据(中央|国家)?哪个文件|"
                            r"(贯彻|落实|依据|根据)[^，。？]{0,8}(哪一?个|哪一?份|哪一?部|什么)[^，。？]{0,4}(文件|纲要|精神)|"
                            r"上位(文件|依据)|纲要|why was (the|this) plan|"
                            r"\b(implement|carry out|based on|follow)s?\b[^?]{0,30}\b(central|national)? ?(document|outline|guideline)s?\b|"
                            r"\b(which|what) (central |national )?(document|outline)s?\b[^?]{0,45}\b(implement|carry out|base)", re.I)),
    ("closing", re.compile(r"结尾|末尾|最后一段|(方案|实施方案|文件)(的)?最后[^，。？]{0,6}(说|讲|写|提|要求|强调)|(方案|实施方案)的?落实|(方案|实施方案)[^，。？]{0,6}督促检查|"
                           r"谁(来|负责)?督促(检查)?(方案|落实)|"
                           r"落实要求", re.I)),
)

# Which fields of a measure a question asks about (several may be asked at once).
DEADLINE_ASK = re.compile(r"什么时候|何时|哪一?年|几时|多会儿|啥时候?|哪天|几月|时间节点|时间点|节点|时点|(?:截止|完成)?(?:时间|日期)|截止|时限|底前|啥时候|期限|"
                          # English "when" asks for a time only as a question word, not as "…when the
                          # government drafts rules"
                          r"\bwhen\s+(?:is|are|was|were|must|should|will|would|do|does|did|shall|can|has|have)\b|"
                          r"(?:^|[,.;:!?]\s*)when\b|\bwhen\s*\?|deadline|by when|what date|which year|how soon", re.I)
UNITS_ASK = re.compile(r"谁(牵头|负责|来|参加|参与)|牵头单位|参加单位|责任单位|哪(?:个|些|几个)(?:单位|部门)|"
                       r"谁是|由谁|是谁|是不是.{0,8}(牵头|负责)|\bwho\b|which (unit|department)s?", re.I)
TARGET_ASK = re.compile(r"多少|多长|多久|期限|(?<![哪那这第])几(?:个(?!(?:牵头|参加|责任|配合)?(?:单位|部门))|次|期|天|日|小时|学时|项|名|人|位)|百分之|比例|出庭率|答复率|不少于|至少|"
                        r"\bhow (many|much|long)\b", re.I)
# 参与 is read as "involved in any role"; only the plan's own role words filter by role.
ROLE_CUES = ((Role.LEAD, re.compile(r"牵头|\blead", re.I)),
             (Role.PARTICIPANT, re.compile(r"参加|配合|participat", re.I)),
             (Role.RESPONSIBLE, re.compile(r"责任单位|responsible unit", re.I)))
_ROLE_WORD = r"(?:牵头|参加|参与|配合|负责|协办|承担|主办|协助)"
# ("全部列上", "列全" ask for the whole list of the role named, not for every role)
ANY_ROLE_RE = re.compile(r"不管|无论|不论|都算|所有角色|任何角色|各种角色|或者|或是|还是|以及|"
                         rf"{_ROLE_WORD}(?:的)?\s*(?:或|和|及|与|跟|、|/)\s*{_ROLE_WORD}|"   # "牵头或参与", "牵头、配合"
                         r"any role|all roles|\bor\b", re.I)
# A clause that sets something aside ("总体目标那句不算"): what it names is no constraint.
SET_ASIDE_CLAUSE = re.compile(r"(?:(?<!算)不算|不包括|不含|不计|排除|除去)[^，。？！；）)]{0,30}|"
                              r"[^，。？！；（(]{0,30}?(?<!算)(?:不算|除外|不计|不包括在内)(?=[，。？！；）)]|$)")
# Both ends named together ("最早和最晚的截止时间", "earliest and latest").
BOTH_EXTREMES = re.compile(r"(?:最早|最先|最靠前)(?:的)?\s*(?:和|与|跟|及|、|以及|还有|/)\s*(?:最晚|最迟|最后|最靠后)|"
                           r"(?:最晚|最迟|最靠后)(?:的)?\s*(?:和|与|跟|及|、|以及|还有|/)\s*(?:最早|最先|最靠前)|"
                           r"\bearliest\b.{0,20}\blatest\b|\blatest\b.{0,20}\bearliest\b", re.I)
# Ranking by deadline: the earliest or the latest.
EXTREME_RE = re.compile(r"(最早|最先|最晚|最迟|最后|最靠前|最靠后)[^，。？]{0,5}(截止|到期|完成|期限|时限|时间|节点)|"
                        r"(截止|到期|期限|时限|时间|节点|日期)[^，。？]{0,3}(最早|最晚|最迟|最靠前|最靠后)|最急|最紧急|最紧迫|最着急|"
                        r"(earliest|latest|last) deadline", re.I)
# A filter on measures that carry a deadline at all ("带截止时间的任务", "规定了完成时限的措施").
HAS_DEADLINE_RE = re.compile(r"(?:带|有|规定了?|设定了?|明确了?|写了|写明了?|标了|注明了?)[^，。？]{0,4}(?:截止|完成)?"
                             r"(?:时间|期限|时限|时间节点|日期|年份|年限)的|"
                             # "多少条写了截止时间？" (not "有没有写截止时间", which asks about each)
                             r"(?<!没)(?<!有无)(?<!是否)(?:写了|写明了|标了|注明了|规定了|设定了)[^，。？没]{0,4}(?:截止|完成)?"
                             r"(?:时间|期限|时限|时间节点|日期)(?=[？?，,。；;]|$)|"
                             r"with (?:a )?deadlines?", re.I)
# A number asked for in a measure word ("赔几倍", "有效期几年", "提前多少天"): the plan answers it
# only where a measure states a number in that word. "几月"/"哪年" ask for a date, "几项" for a list.
ASKED_QUANTITY = re.compile(r"(?<![这那前近头后好十百千])(?:几|多少)(?:个)?(倍|年|天|日|工作日|小时|学时|课时|期|次|周|人|名|公里|平方米|套|台|辆|件)|"
                            # "每个市设几个": a count of things left unnamed, at the end of a clause
                            r"(?<![这那前近头后好十百千哪])(?:几|多少)(个)(?=[？?，,。；;！!]|$)")
# "是什么颜色/哪种款式": the attribute asked for right after the question word
ASKED_ATTRIBUTE = re.compile(r"(?:什么|啥|哪种|哪样|怎样的|哪一种)([\u4e00-\u9fff]{2})")
# "什么意思/什么情况" asks for an explanation, not an attribute of the subject
_EXPLAINING = frozenset("意思 含义 意义 概念 情况 东西 样子 作用 目的 区别 原因 道理 用意 背景 来历 名堂".split())
# ("年年" reduplicated means every year; "2022年年底" is a year and its end)
ANNUAL_RE = re.compile(r"每年|每一年|年度|(?<![0-9〇零一二两三四五六七八九十])年年(?![底初中末])|annual|every year|each year", re.I)
# A year that ends a span rather than names one: "到2023年底为止", "（含之前）", "截至2023年", "累计".
UNTIL_RE = re.compile(r"为止|(?:含|包括|连同)(?:之前|以前|此前|更早)|(?:及|和|或)(?:以前|之前|更早)|累计|"
                      r"(?:之前|以前)(?:的)?(?:所有|全部)|截[至止]到?\s*(?=20\d\d)")
DATED_RE = re.compile(r"20[0-9]{2}\s*年\s*(\d{1,2}\s*月)?\s*(底前|底|前|以前|之前)")
# A kind of numeric target: a value ("100%", "60学时") or a kind ("百分比").
TARGET_VALUE_RE = re.compile(r"\d+(?:\.\d+)?\s*(%|学时|小时|日|天|个工作日)")
TARGET_KIND_RE = re.compile(r"百分比|百分之|比例|percentage", re.I)
TARGET_WORD_RE = re.compile(r"(量化|数字|数量|百分比|数值)(指标|要求|目标)|指标|numeric targets?", re.I)
COUNT_RE = re.compile(r"(一共|总共|共有|共|多少|几)\s*(个|大|项|条)?\s*(措施|任务|部分|节|小节|举措|项|条|章|板块)|"
                      r"how many (measures|parts|sections)", re.I)
# Asks for several measures at once ("哪些条款提到…", "有哪几项", "列出…", "which measures"): the
# plural interrogative or a request to enumerate, in any phrasing of the question.
# Where in the plan ("方案哪些地方要求…", "在方案里出现在哪里"): every place, so a list.
_WHERE_IN_PLAN = (r"(?:方案|文件|文中|原文|里|中)[^，。？]{0,5}(?:哪里|哪儿|何处|哪些地方|什么地方|哪几处|哪几个地方)|"
                  r"(?:哪里|哪儿|哪些地方|什么地方|哪几处|哪几个地方)[^，。？]{0,3}(?:提到|要求|规定|写|说|讲|出现|涉及)")
PLURAL_RE = re.compile(_WHERE_IN_PLAN + r"|哪些|哪几|有几(条|项|处)|所有(?:提到|提及|涉及|讲到|写到|出现)|"
                       r"(?:都|全|全部|统统)(?:找|挑|翻|列)出来|找出(?:所有|全部)|几个(?:时间)?(?:节点|时限|期限|截止时间|任务|措施|事项)|都有(什么|啥|哪)|都(是|包括)(什么|哪)|列出|列举|罗列|列一下|都列|凡是|"
                       r"所有(的)?(措施|条|项|任务)|全部(的)?(措施|条|项|任务)|"
                       r"\b(which|what) (measures|tasks|items|clauses)\b|^\s*list\b|\blist (all|every|each|the)\b|\ball (the )?measures\b", re.I)
# Asks where the plan mentions something ("…出现在哪些地方", "哪几条提到…", "which measures mention").
MENTION_RE = re.compile(_WHERE_IN_PLAN + r"|出现|提到|提及|提了|提过|涉及|说到|讲到|写到|写了|包含|含有|\bmention|\bappear|\brefer", re.I)
_OCCURRENCES = re.compile(r"(?:出现|提到|提及|提|说到|讲到|写到|用到|涉及)(?:了|过)*(?:几|多少)(?:次|回|处)|"
                          r"(?:几|多少)(?:次|回|处)(?:出现|提到|提及)|\bhow (?:many times|often)\b")
JOINT_RE = re.compile(r"一起|共同|同时|都|联合|together|jointly|both", re.I)

# Words that frame a question without naming its topic (removed when looking for a topic).
_FRAMING = re.compile(
    r"方案|实施方案|措施|任务|举措|工作|单位|部门|自治区|宁夏|我们|我是|我在|咱们|请问|一下|哪些|哪个|什么|怎么|"
    r"要做|要干|做什么|干什么|干啥|做啥|职责|负责|承担|牵头|参加|参与|配合|涉及|的|了|吗|呢|啊|是|有|要|都|还|"
    r"单位|办公室|具体|主要|内容|事情|事|活儿|活计|条|项|些|吧|么|一共|总共|共有|多少|几|分成|分为|包括|包含|讲|说|"
    r"全部|所有|列出|列举|列一下|列|汇总|梳理|这个|那个|作为|身份|情况|大部分|小节|一起|共同|同时|都|"
    r"责任单位|参加单位|牵头单位|责任|角色|完成|时候|多久|要求|规定|部分|板块|有关系|关系|意思|含义|概念|"
    r"\bwhat\b|\bmust\b|\bdo\b|\bdoes\b|\bthe\b|\bshould\b|"
    r"\b(duties|tasks?|responsib\w*|involved|in|of|for|is|are)\b", re.I)
# "除了经费那项之外", "除第102项外": what the question sets aside
EXCLUSION = re.compile(r"除(?:了|去|开)?([^，。？！；,?!;]{2,24}?)(?:的)?(?:那一?条|那一?项|这一?条|这一?项|那些|这些)?(?:措施|任务)?(?:以外|之外|外)")
# A unit the question sets aside: a negation right before its name ("不列审计厅的", "没有
# 财政厅参与") or a verb of naming negated right after it ("司法厅没被点名").
_NEGATION_BEFORE_UNIT = re.compile(r"(?:(?:(?<![有是])(?:没有?|不)|未|并未|无|并无)(?:被|把|将)?(?:点|写|列|提|涉及|包括|包含|含|带|让|需要|要求|算|计入|计|出现)?"
                                   r"(?:到|上|进|及)?(?:过)?(?:名)?|(?:排除|除去|去掉|刨去|刨除)(?:掉)?)$")
# (a collective designation set aside after it is named: "“各部门”这类统称带上的不计")
_NEGATION_AFTER_UNIT = re.compile(r"^(?:都|也|并|根本)?(?:没有?|未|不)(?:被)?(?:点名|点到|写到|写进|列入|列进|列名|提到|涉及|参与|在内|在其中)|"
                                  r"^[”\"」』]?[^，。？！；]{0,6}?(?:统称|说法|表述|写法|字样|这种|那种|这类|那类|这样的?|那样的?|之类的?)"
                                  r"[^，。？！；]{0,6}?(?:不算|不计|别算|除外|不包括|不含|排除)")
# Only the measures that name a unit outright ("点名的", "单位栏里直写其名的", "统称带上的不计").
DESIGNATIONS_SET_ASIDE = re.compile(r"(?:统称|集合性表述|泛称|笼统的?说法)[^，。？！）)]{0,12}?(?:不算|不计|不要|除外|不包括|不含)|"
                                    r"(?:不算|不计|不含|不包括|排除)[^，。？！]{0,12}?(?:统称|集合性表述|泛称)")
NAMED_ONLY = re.compile(r"点名|点了[^，。？！]{0,8}名|直接(?:写|点|列|提|出现)|" + DESIGNATIONS_SET_ASIDE.pattern)


def _without_set_aside_designations(text: str) -> str:
    """The text without a clause that sets collective designations aside: the designations it
    quotes are not the question's subject."""
    return "".join(c for c in re.split(r"(?<=[，。；？！,;?!（）()])", text) if not DESIGNATIONS_SET_ASIDE.search(c))
# The shape of a measure's unit clause: "只写了牵头单位", "没有参加单位", "参加单位一个也没写".
_ROLE_NAMES = {"牵头": Role.LEAD, "参加": Role.PARTICIPANT, "责任": Role.RESPONSIBLE}
_SOLE_UNIT = re.compile(r"(?:单独|独自|独家|一家|一个单位)(?:就)?(?:负责|牵头|承担|完成|来做|来干|做|干|扛)|"
                        r"(?:没|没有|不带|无)(?:别的|其他|其它|另外的|合作|配合)(?:的)?(?:单位|部门|参加单位)|"
                        r"只(?:有|列了?|写了?)(?:它|他|这|一)(?:一)?(?:家|个)(?:单位|部门)?|"
                        # "责任单位就司法厅一个的", "只有审计厅一家"
                        r"(?:只有|只|就|仅有?|唯独)[\u4e00-\u9fff〔〕（）]{2,16}?(?:一家|一个)(?:单位|部门)?(?=的|[，。？,?]|$)")
_ONLY_ROLE = re.compile(r"只(?:写|列|有|设|标|规定)?(?:了|明)?(牵头|参加|责任)单位")
_LACKING_ROLE = re.compile(r"(?:没有?|未|无|不)(?:写|列|设|标|带|规定)?(?:明|出|上)?(?:任何)?(?:一个)?(牵头|参加|责任)单位|"
                           r"(牵头|参加|责任)单位(?:一个)?都?(?:没有|没写|没列|为空|空着)")
# A filter on measures that set no completion date ("没定截止日期的是哪几项", "期限空着的"):
# the complement of HAS_DEADLINE_RE ("有没有定了期限的" asks whether any has one).
_UNDATED = re.compile(r"(?<![有是])(?:没有?|未|无|不带|并未|并没有?)(?:写|给|给出|规定|设定|设|明确|标|标明|注明|写明|提|带)?(?:出|明|上)?"
                      r"(?:任何)?(?:具体|明确)?(?:的)?(?:完成|截止|办结)?(?:时间|期限|时限|日期|时间节点|时间要求)(?!表)|"
                      r"(?:完成|截止)?(?:时间|期限|时限|日期|时间要求)都?(?:没写|没有写|没给|没有给|没规定|没有规定|没定|为空|空着|没标)")
_BEYOND_PLACE = re.compile(r"(?:除了?|除去)?第\s*[0-9零〇一二两三四五六七八九十（）()]{1,6}\s*(?:部分|大部分|节|小节)"
                           r"(?:以外|之外|外(?!部))")
# A unit clause with both roles ("写了责任单位又列了参加单位"): both kinds of unit are listed.
_BOTH_ROLES = re.compile(r"(牵头|参加|责任)单位[」”\"]?[^。？]{0,8}?(?:又|同时|也|还|另外|并且|并)[^。？]{0,6}?"
                         r"(?:写|列|有|设|跟|接|带|附)[^，。？]{0,3}?[「“\"]?(牵头|参加|责任)单位|"
                         # "“牵头单位”与“责任单位”都有"
                         r"[「“\"]?(牵头|参加|责任)单位[」”\"]?\s*(?:和|与|跟|及|、)\s*[「“\"]?(牵头|参加|责任)单位[」”\"]?"
                         r"\s*(?:都|同时|一起|均)(?:有|出现|列|写|存在)")
_UNIT_DESCRIPTION = re.compile(r"[^，。？！；,?!;：:]{1,24}?的(?:那个|那家|这个|这家|那一个|那一家)"
                               r"(?:党委|政府|人大|政协)?(?:工作)?(?:委员会|工作机构|办事机构|部门|单位|机关|机构|办公室|"
                               r"法院|检察院|[厅委局办院部])?")
_TASK_MODIFIER = re.compile(r"([\u4e00-\u9fff]{2})(?=任务|措施|活儿|事项|(?:时间)?要求|时限|期限|节点|指标|规定)")
# Why the asker wants the answer, in a clause of its own ("备课用：", "，做台账用。"): not the topic.
_PURPOSE = re.compile(r"(?:^|(?<=[，。；！？,.;!?]))\s*(?:我|我们)?(?:要|想)?(?:做|作|当|拿来|用来|用于|用作|给|出|备|写|讲)"
                      r"(?:(?!什么|啥|何|哪)[\u4e00-\u9fff]){0,6}用(?:的)?\s*(?=[：:，。；！？,.;!?]|$)|"
                      # ...or who asked for it ("处长让整理下：", "领导让我整理…的条目")
                      r"(?:^|(?<=[，。；！？：:,.;!?]))\s*(?:领导|上级|上面|主任|处长|局长|科长|同事|老师)"
                      r"(?:让|要|叫|要求|交代|安排|布置)(?:我|我们|咱们)?(?:帮忙|帮着)?"
                      r"(?:整理|梳理|汇总|统计|列|查|找|问|看)(?:一下|下)?(?=[\u4e00-\u9fff]{4})|"
                      r"(?:^|(?<=[，。；！？：:,.;!?]))\s*(?:领导|上级|上面|主任|处长|局长|科长|同事|老师)"
                      r"(?:让|要|叫|要求|交代|安排|布置)(?:我|我们|咱们)?(?:(?!什么|啥|何|哪)[\u4e00-\u9fff]){1,6}?"
                      r"(?:一下|一遍)?\s*(?=[：:，。；！？,.;!?])|"
                      # ...or says what the asker is doing before a colon ("汇总材料：", "准备讲课："):
                      # the question follows it
                      # (not who is asking: "某局的同事问：" names the asker's unit and work)
                      r"^\s*(?:(?!什么|啥|何|哪|谁|几|多少|吗|呢)[^：:？?。！!，,]){2,16}(?<![问说映询道])[：:](?=.*[\u4e00-\u9fff]{4})")
# (also before a headless "的" that stands for the tasks: "必须办完的是哪些")
_MODAL_PREDICATE = re.compile(r"(?:要|得|需|须|该|应|待)([\u4e00-\u9fff]{2})(?=的(?:任务|事情?|活儿?|工作|措施|事项|是|有|都|还有|[，。？！?,!]|$))")
# "对应哪条", "归哪一项": a verb right before asking which measure relates the answer to a
# measure; it names no subject
_RELATING_VERB = re.compile(r"([\u4e00-\u9fff]{2})(?=(?:的是|是|在)?(?:哪|第几)(?:一|几)?(?:条|项|个措施|些措施|个条目))")
# Words of a date or period ("6月份", "上半年", "年底"): the time slot reads them.
_TIME_WORDS = re.compile(r"(?:[0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*月份|[上下]半年|[一二三四1-4]\s*季度|季度|"
                         r"年底|年初|年中|年内|月底|月初|月中|月份|年份")
_TOPIC_FLAGS = frozenset("nvaijlez")   # n*, v*/vn, a*, i, j, l, eng, nz (first letter of jieba flags)
_EN_ORG_WORDS = re.compile(r"\b(department|office|bureau|commission|committee|unit|units|autonomous|region|"
                           r"regional|ningxia|government|people's|my|we|our|us|i|am|from|work|at|have|has|to)\b", re.I)
_FUNCTION_WORDS = frozenset("或者 或 和 及 与 以及 还是 或是 并 并且 的 了 都 有关 相关 方面 提到 涉及 关于 讲到 写到 "
                            "说到 跟 同 里 中 有 哪 哪些 条 项 措施 内容 一条 一个".split())
_PSEUDO_UNITS = {"市、县（区）人民政府"}
ROLE_CLAUSE_WORDS = re.compile(r"牵头单位|参加单位|责任单位")
# Two things set side by side ("A和B，哪个先到期", "讲的是A还是B", "A与B有什么区别"): each is
# looked up on its own, so that the answer holds both.
COMPARISON_CUE = re.compile(r"哪(?:一)?(?:个|项|条|种)|还是|区别|不同|差别|差异|一样|相同|相比|对比|比较|分别|各是|各自|"
                            r"前者|后者|两者|二者|"
                            r"\b(which|difference|differ|compared?|versus|vs)\b", re.I)
# conjunctions, not the same characters inside words (参与, 涉及, 跟踪, 不同, 和谐)
_ALTERNATIVE_JOIN = re.compile(r"还是|(?<![平温调])和(?![谐解])|(?<![参给赋授])与(?![会])|跟(?![踪进随])|以及|或者|"
                               r"(?<![涉以普危顾企波])及(?![时格早])")
_ALTERNATIVE_LEAD = re.compile(r"^(?:请问|到底|究竟|说的是|讲的是|指的是|是|针对的是|对的是|管的是|属于)+")
_BOTH_NAMED = re.compile(r"前者|后者|两者|二者|这两个|两个都|哪个")
# The contents of a list or document the plan names ("告知承诺清单里具体有哪些证明", "具体是哪几份
# 文件", "那部办法的原文"): the plan names such things, it does not reproduce them.
_CONTAINER = r"清单|目录|台账|名单|文件|细则|条例|办法|规定|标准(?!化)|指标体系"
CONTENTS_ASK = re.compile(
    rf"({_CONTAINER})[》”\"]?(?:里|中|当中|里面|上)?(?:(?<=[里中面上])，)?[^，。？！]{{0,6}}?(?:具体|到底|究竟|都)(?:是|有|包括|包含|列了|列有|规定了|写了|写的|讲了|说了)?"
    rf"(?:哪些|哪几|哪[0-9一二三四五六七八九十]+|什么|啥)|"
    rf"(?:具体|到底|究竟)(?:是|有)?哪[0-9一二三四五六七八九十]+(?:个|份|部|项)({_CONTAINER})|"
    # "《…条例》共几条？里面都写了哪些内容": what another document holds, asked in a
    # later clause
    rf"《[^》]{{2,40}}?({_CONTAINER})》.{{0,24}}?(?:具体|到底|究竟|都)(?:是|有|包括|包含|列了|规定了|写了|讲了|说了)"
    rf"(?:哪些|什么|啥)|"
    # "那两份究竟是哪几份办法", "这三个文件分别叫啥": the members of a set the question counts
    rf"(?<![第每])(?:[0-9]+|[二两三四五六七八九十]+)(?:个|份|部)[\u4e00-\u9fff]{{0,4}}?({_CONTAINER})(?:具体|到底|究竟|分别)(?:是|有|指|叫)?(?:哪些|哪几个|什么)|"
    rf"(?<![第每])(?:[0-9]+|[二两三四五六七八九十]+)(?:个|份|部)(?:具体|到底|究竟|分别)(?:是|有|指|叫)?(?:哪些|哪几个)({_CONTAINER})|"
    # "三类重点领域具体是哪三类": which members of a set the plan only counts
    rf"(?:都|具体|到底|究竟|分别)(?:是|有|包括|指|搞的是|干的是)?"
    rf"(哪(?:[0-9]+|[二两三四五六七八九十]+)(?:个|份|部|项|类|种|大|家))"
    rf"(?!措施|任务|举措|条款|部分|小节|单位|部门|机关|厅|局|委|办|年|月|天|日)|"
    rf"({_CONTAINER})[》”\"]?(?:的)?(?:原文|条文|全文|具体条款)|"
    # "“N大X”是哪N个": the members of a set the plan names by its count
    r"((?<!第)[一二两三四五六七八九十]+(?:大|类|种)[\u4e00-\u9fff]{1,8})[”\"]?(?:是|指|包括|有)"
    r"哪(?:[0-9]+|[二两三四五六七八九十]+|几|些)(?:个|类|种|项|大)?")
# The members of a thing the plan names, asked with the grammar of asking for members
# ("那个库里收了哪些人", "这类事项到底指哪几件", "外观长什么样", "修订后到底变了哪些"): whatever the thing, the
# plan holds its members only where it enumerates them (`enumerating_measure`).
_SET_NUMBER = r"(?:[0-9]+|[一二两三四五六七八九十]+)"
MEMBERS_ASK = re.compile(
    rf"(?:具体|到底|究竟|都|分别|各)(?:是|有|包括|包含|指|叫|列了?|写了?|规定了?|改了?|含)?(?:哪些|哪几|哪{_SET_NUMBER}|谁)|"
    r"(?:分别|各|具体|都)(?:叫|包括|列了?|写了?|规定了?|改了?)(?:什么|啥)|"
    r"都有谁|有哪些人|长什么样|什么样子|啥样")
# ...unless what follows asks for the plan's own records (measures, units, times)
_RECORDS_ASKED_AFTER = re.compile(r"^(?:个|类|种)?(?:措施|任务|举措|要求|工作|单位|部门|机关|时候|时间|年|期限|部分|方面|地方|"
                                  r"事情|事儿|活|牵头|负责|参加|参与)|^(?:条|项)(?!款)")
_PERSON_RECORDS_AFTER = re.compile(r"^(?:牵头|负责|参加|参与|来|去|管|抓|主抓)")
# ...or the thing is framed as a topic of the plan ("涉及X的", "关于X")
_TOPIC_FRAME_BEFORE = re.compile(r"(?:涉及|提到|讲到|说到|写到|关于|有关|包含|含有|围绕|针对|对)$")
_BETWEEN_THING_AND_ASK = re.compile(r"[”\"》]?(?:里|中|当中|里面|之中|内|上)?(?:的[\u4e00-\u9fff]{1,4})?")
_RECORD_NOUNS = re.compile(r"单位|部门|机关|措施|任务|条|项|要求")
# a thing whose "members" are the plan's own requirements, not a list it leaves out
_ABSTRACT_HEADS = ("范围", "内容", "要求", "情况", "方面", "工作")
_GENERIC_THINGS = frozenset("工作 任务 措施 举措 事情 事项 内容 方面 情况 要求 范围 条目 条款 通知 方案 文件".split())


def enumerating_measure(term: str, plan: Plan, member: str = "") -> int | None:
    """The measure that lists the members of `term` where it uses it: "X包括A、B…", "X（A、B…）"
    or "A、B等X" (Enumeration commas and brackets matter here, so quotes and spaces alone are
    dropped.)"""
    term = _without_quotes(term)
    for measure, body in zip(plan.measures, _unquoted_measures(plan)):
        at = body.find(term)
        # ...or, where it uses the term, lists the kind of member asked for ("哪些环节": "A、B等环节")
        if at >= 0 and len(member) >= 2 and re.search(rf"、[^，。；]{{1,20}}等{re.escape(member)}", body):
            return measure.number
        while at >= 0:
            after, before = body[at + len(term):at + len(term) + 40], body[max(0, at - 40):at]
            if re.match(r"(?:\(|包括|主要包括|包含|即|分别是|:|为)", after) and "、" in after[:30]:
                return measure.number
            if re.search(r"、[^，。；]{1,20}等[^，。；、]{0,12}$", before):     # "A、B等关系群众利益的X"
                return measure.number
            at = body.find(term, at + 1)
    return None


def _without_quotes(text: str) -> str:
    return re.sub(r"[\s“”\"‘’'《》「」]", "", unicodedata.normalize("NFKC", text))


@lru_cache(maxsize=4)
def _unquoted_measures(plan: Plan) -> tuple[str, ...]:
    return tuple(_without_quotes(m.text) for m in plan.measures)


def _asks_contents(text: str, match: re.Match) -> bool:
    """A CONTENTS_ASK match asks for what a list holds unless the plan's own records are asked
    for in it ("写了“目录”的措施有哪些") or the list is framed as a topic ("涉及目录的")."""
    before = re.sub(r"[“\"「『]$", "", text[:match.start()])
    return not (re.search(r"的(?:措施|任务|举措|条目|条款|要求|工作)", match.group(0)) or _TOPIC_FRAME_BEFORE.search(before))


def asked_members(text: str, plan: Plan, tokenizer=None) -> tuple[str, int | None]:
    """The thing the plan names whose members the question asks for, and the measure that
    enumerates them (None: the plan names the thing without listing its members)."""
    corpus = _folded_corpus(plan)
    for ask in MEMBERS_ASK.finditer(text):
        after = text[ask.end():]
        if _RECORDS_ASKED_AFTER.match(after) or ask.group(0).endswith("谁") and _PERSON_RECORDS_AFTER.match(after):
            continue
        clauses = re.split(r"[，。？！；,?!;：:、]", text[:ask.start()])
        clause = re.sub(r"(?:具体|到底|究竟|都|分别|各)+$", "", clauses[-1])     # "具体都有谁"
        if not clause.strip() and len(clauses) > 1 and re.search(r"(?:里|中|当中|里面|之中|内|上)$", clauses[-2]):
            clause = clauses[-2]        # "X里，具体哪些…": a pause between the thing and the ask
        terms = plan_terms_in(clause, plan, tokenizer)
        if not terms:
            continue
        thing = terms[-1]
        at = clause.rfind(thing)
        # the tokenizer may cut a name short ("…库里" read as … + 库里): extend it while the
        # plan still uses the longer string
        while at + len(thing) < len(clause) and fold_for_match(thing + clause[at + len(thing)]) != fold_for_match(thing) \
                and fold_for_match(thing + clause[at + len(thing)]) in corpus:
            thing += clause[at + len(thing)]
        between = clause[at + len(thing):]
        if not _BETWEEN_THING_AND_ASK.fullmatch(between) or _RECORD_NOUNS.search(between) \
                or _TOPIC_FRAME_BEFORE.search(clause[:at]):
            continue
        if thing in _GENERIC_THINGS or thing.endswith(_ABSTRACT_HEADS):
            continue
        member = re.match(r"(?:个|位|家|类|种|名|大)?([\u4e00-\u9fff]{0,4})", after).group(1)
        member = re.sub(r"(?:是|呢|吗|啊|的|可以|能|要|需要|不让|没有).*$", "", member)
        return thing, enumerating_measure(thing, plan, member)
    return "", None


_QUESTION_WORDS = re.compile(r"(?:有|是|为)?(?:什么|啥|何|哪|谁|多少|几)|是否|是不是|[吗呢么啊呀]")
_GUESSED_YEAR = re.compile(r"(?:是|在|就是)(?:不是)?\s*20\d\d\s*年?(?:底|年底)?(?:前)?\s*(?:吗|吧|嘛|么|对吗|对吧|是吧|？|\?)")
_CLAUSE_SPLIT = re.compile(r"[，。？！；,?!;：:]+")
QUOTED = re.compile(r"[“\"「『‘']([^”\"」』’'\n]{2,20})[”\"」』’']")
# The asker introducing themself, up to the end of that clause ("我是司法厅法规处的干部，"), also
# as a supposition ("假设我是…的工作人员，").
_SELF_INTRO = re.compile(r"^\W*(?:(?:假设|假如|如果|要是|比如|比方)说?)?(?:我们?|本人|咱们?)(?:单位)?"
                         r"(?:是|在|来自|作为|属于)[^，。？！,.?!；;]{1,30}[，。！,.!；;]")
# Head nouns that add nothing to the word before them ("行政复议工作", "普法任务").
_GENERIC_HEADS = frozenset("工作 任务 措施 举措 事情 内容 方面 情况".split())
_FRAMING_ONLY = re.compile(rf"(?:{_FRAMING.pattern})+", re.I)


# A point in time named as such ("以2022年底为节点", "这个时间点"): it frames a date, not a topic.
TIME_POINT_RE = re.compile(r"(?:时间|截止|完成)?(?:节点|时点|时间点)")
# Spans that fill a slot of their own and so do not name the question's topic.
# A clause that says what else counts ("即使只是捎带提到的也算", "配合的也算上"): how to count,
# not what the question is about.
_INCLUDED_CLAUSE = re.compile(r"(?:哪怕|即使|就算|即便|不管|无论|不论)[^，。？！；]{0,30}?(?:也算|都算|也列|也要)(?:上|进来|进去)?|"
                              r"(?:^|(?<=[，。？！；]))[^，。？！；]{0,12}?(?:也算|都算)(?:上|进来|进去)?(?=[，。？！；]|$)")
_DONE_THINGS = re.compile(r"(?:干|做|办|搞|弄|完成|落实|执行|推进|办结)(?:完|好|成|掉)?的(?:那种|那些|这些|这种|那类)?"
                          r"([\u4e00-\u9fff]{2,4}?)(?=[，。？！；,?!;]|有|是|都|还|$)")
_SLOT_SPANS = (_INCLUDED_CLAUSE, _ONLY_ROLE, _SOLE_UNIT, _LACKING_ROLE, _UNDATED, _BOTH_ROLES, _BEYOND_PLACE, TIME_POINT_RE, HAS_DEADLINE_RE, DATED_RE, TARGET_VALUE_RE, TARGET_WORD_RE, TARGET_KIND_RE, YEAR_RE, _RELATIVE_RE, EXTREME_RE,
               ANNUAL_RE, COUNT_RE, DEADLINE_ASK, UNITS_ASK)


@dataclass(frozen=True)
class Slots:
    """Everything a question names. Empty tuples and None mean "not named"."""
    text: str                                   # normalized, homophones repaired, roles canonical
    english: bool = False
    english_terms: tuple[str, ...] = ()         # the plan's Chinese words an English question reaches
    measures: tuple[int, ...] = ()              # valid measure numbers
    bad_measure: int | None = None              # a measure number outside 1..N
    span: tuple[int, ...] = ()                  # "第80到第84条": every measure of a range
    excluded: tuple[int, ...] = ()              # "除了经费那项之外": measures the question sets aside
    excluded_units: tuple[str, ...] = ()        # "不列审计厅的": units whose measures are set aside
    named_only: bool = False                    # "只算点名的": no measure that reaches a unit by designation
    only_roles: tuple = ()                      # "只写了牵头单位": the unit clause has only these roles
    sole_unit: bool = False                     # "只由它一个单位负责的": the unit clause names one unit only
    lacking_roles: tuple = ()                   # "没有参加单位": ...and none of these
    undated: bool = False                       # "哪几条没写完成时间": only measures that set no date
    having_roles: tuple = ()                    # "写了责任单位又列了参加单位": ...and all of these
    parts: tuple[int, ...] = ()
    sections: tuple[int, ...] = ()
    bad_structure: bool = False                 # a part or section number beyond the plan's
    year: int | None = None
    since_month: int | None = None              # "晚于2022年6月": after that month of the since year
    also_years: tuple[int, ...] = ()            # "2022年和2023年各有哪些": further years, any of which
    month: int | None = None
    until: bool = False         # the year bounds a span that starts with the plan ("到2023年底为止")
    since: int | None = None    # the first year of a span the question names ("2023至2024年间")
    bad_year: int | None = None                 # a year outside the plan period
    relative_year: bool = False                 # ...read from 今年/明年 against today, not written out
    annual: bool = False
    dated: bool = False                         # "2022年底前" written as a deadline
    extreme: str | None = None                  # "earliest" / "latest"
    role: Role | None = None
    units: tuple[str, ...] = ()
    unlisted: tuple[tuple[str, object, str], ...] = ()
    unit_words: tuple[str, ...] = ()            # the words that named a catalog unit
    joint: bool = False                         # "一起/共同": measures shared by the units
    terms: tuple[str, ...] = ()                 # the plan's own terms in the question
    topic: tuple[str, ...] = ()                 # content words beyond units and framing
    narrowing: tuple[str, ...] = ()             # topic words that pick out a subject of the plan
    unknown: tuple[str, ...] = ()               # topic words the plan never uses
    doc_field: str | None = None
    target: str | None = None                   # "100%", "60学时", "%" or "" (any target)
    count: bool = False                         # asks how many
    plural: bool = False                        # asks which (several) measures
    mentions: bool = False                      # asks where the plan mentions something
    has_deadline: bool = False                  # only measures that carry a deadline
    asks: frozenset = frozenset()               # {"deadline", "units", "target"}
    quantity_word: str = ""                     # "几倍" asks for a number of 倍, "有效期几年" of 年
    attribute: str = ""                         # "什么颜色": an attribute named by a noun the plan never uses
    alternatives: tuple[str, ...] = ()          # two things compared, each with the shared context
    contents: str = ""                          # a list or document whose contents are asked for
    members_in: int | None = None               # the measure that lists the members asked for

    @property
    def time(self) -> bool:
        return self.year is not None or self.annual or self.extreme is not None

    def indicators(self) -> dict[str, float]:
        """Slot presence as classifier features: what the question names, not its words."""
        return {"measure": float(bool(self.measures)), "part": float(bool(self.parts)),
                "section": float(bool(self.sections)), "year": float(self.year is not None),
                "month": float(self.month is not None), "annual": float(self.annual),
                "extreme": float(self.extreme is not None), "role": float(self.role is not None),
                "unit": float(bool(self.units)), "terms": float(bool(self.terms)),
                "narrowing": float(bool(self.narrowing)), "unknown": float(bool(self.unknown)),
                "doc": float(self.doc_field is not None), "target": float(self.target is not None),
                "count": float(self.count), "ask_deadline": float("deadline" in self.asks),
                "ask_units": float("units" in self.asks), "ask_target": float("target" in self.asks),
                "english": float(self.english), "plural": float(self.plural)}


def _number(token: str) -> int | None:
    token = token.strip()
    return int(token) if token.isdigit() else chinese_to_int(token)


def find_numbers(patterns, text: str) -> list[int]:
    found = []
    for pattern in patterns:
        for match in pattern.finditer(text):
            value = _number(match.group(1))
            if value is not None and value not in found:
                found.append(value)
    return found


# A measure the question rules out ("…是哪一条？不是第7条吧"): it does not name that measure.
_MEASURE_REF = r"第\s*[0-9一二三四五六七八九十百两]{1,5}\s*[条项]"
MEASURE_RANGE = re.compile(rf"第\s*([0-9]{{1,3}}|[{_CN}]{{1,6}})\s*(?:项|条)?\s*(?:到|至|~|～|-|—|–)\s*"
                           rf"第?\s*([0-9]{{1,3}}|[{_CN}]{{1,6}})\s*(?:项|条)")


def _excluded_measures(text: str, plan: Plan, tokenizer=None) -> tuple[int, ...]:
    """The measures an exclusion clause sets aside: those it numbers, else those using its
    plan terms ("除了经费那项之外" sets aside the measures about 经费)."""
    found: list[int] = []
    for match in EXCLUSION.finditer(text):
        clause = match.group(1)
        numbers = [n for n in find_numbers(MEASURE_PATTERNS, clause) if plan.measure(n) is not None]
        if not numbers:
            # the clause's most specific term picks what it sets aside ("经费", not "保障")
            terms = [t for t in plan_terms_in(clause, plan, tokenizer) if not _FRAMING_ONLY.fullmatch(t)]
            using = [[m.number for m in plan.measures if fold_for_match(t) in fold_for_match(m.body)] for t in terms]
            numbers = min((u for u in using if u), key=len, default=[])
        found += [n for n in numbers if n not in found]
    return tuple(found) if len(found) < len(plan.measures) / 3 else ()


def _measure_span(text: str, total: int) -> tuple[int, ...]:
    """The measures of a range the question names ("第80到第84条", "第1-3项"), in order."""
    found: list[int] = []
    for match in MEASURE_RANGE.finditer(text):
        low, high = (_number(g) for g in match.groups())
        if low is not None and high is not None and 1 <= low < high <= total:
            found += [n for n in range(low, high + 1) if n not in found]
    return tuple(found)


NEGATED_MEASURE = re.compile(r"(?:(?<!是)不是|并非|而不是|而非|不要|别)(?:[跟和对给]我)?(?:说|讲|指|当成|理解成)?(?:是|成)?\s*"
                             + _MEASURE_REF + r"(?:\s*(?:和|与|、|或者?|跟)\s*第?\s*[0-9一二三四五六七八九十百两]{1,5}\s*[条项]?)*")
# A role the question excludes ("只是参加单位（不牵头）", "不是牵头单位"): it does not name that role.
NEGATED_ROLE = re.compile(r"(?:不是|并非|而非|不|非|没有?)(?:由)?(?:它|他们|她|他|我们|咱们|我|其|该单位|本单位)?(?:来)?"
                          r"(?:作为|当|担任)?(?:牵头|参加|配合|责任)(?:单位)?|"
                          r"\b(?:not|non)[- ](?:as )?(?:the )?(?:lead\w*|participat\w*|responsible)", re.I)


# Roles set aside after the fact ("牵头或责任的都别列", "参加的别算", "lead roles don't count").
_ROLE_TERM = r"(?:牵头|参加|配合|责任|lead\w*|participat\w*|responsible)(?:单位| units?| roles?)?"
EXCLUDED_ROLE = re.compile(
    rf"{_ROLE_TERM}(?:\s*(?:或者?|或是|和|及|与|跟|、|/|还是|\bor\b|\band\b)\s*{_ROLE_TERM})*\s*(?:的|身份的?)?\s*"
    r"(?:那几条|那几项|那些|这几条|这些|几条)?(?:就|都|统统|一律|也)?(?:不用|不要|不必|无需|别|不|甭)(?:再)?(?:列|算|管|要|看|写|显示|提|考虑|计入|包括)|"
    rf"(?:不算|不含|不包括|除去|去掉|排除)(?:掉)?{_ROLE_TERM}(?:\s*(?:或者?|和|及|与|跟|、|/)\s*{_ROLE_TERM})*|"
    rf"{_ROLE_TERM}(?:\s*(?:or|and)\s*{_ROLE_TERM})*\s*(?:do not|don't|doesn't|does not|are not|aren't)\s*(?:count|matter|needed|included)|"
    rf"(?:excluding|except|not counting|without)\s+(?:the\s+)?{_ROLE_TERM}",
    re.I)


_TOTAL_THEN_PART = re.compile(r"(?:一共|总共|共|合计|总计)[^？?。]{0,12}(?:几|多少)[^？?。]{0,6}[？?。，,；;]\s*(?:其中|这里面|当中)")


def _without_excluded_clauses(text: str) -> str:
    """The text without the clauses that set a role aside ("它单独当责任单位的那些别算")."""
    return "".join(c for c in re.split(r"(?<=[，。；？！,;?!])", text) if not EXCLUDED_ROLE.search(c))


def single_role(text: str) -> Role | None:
    """The role a question filters by, when it names exactly one (牵头的参加的都算上 names none);
    a role it excludes does not count."""
    if _TOTAL_THEN_PART.search(text):
        return None     # "总共涉及几项？其中牵头的几项": every role, with the count per role
    kept = NEGATED_ROLE.sub(" ", EXCLUDED_ROLE.sub(" ", text))
    named = [r for r, cue in ROLE_CUES if cue.search(kept)]
    return named[0] if len(named) == 1 and not ANY_ROLE_RE.search(kept) else None


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


@lru_cache(maxsize=4)
def homophone_index(plan: Plan) -> HomophoneIndex:
    """The plan's words and unit names, for repairing same-sound typos (kept on disk: see
    `homophones.load_or_build`)."""
    from .config import get_settings

    def build() -> HomophoneIndex:
        import jieba
        words = set(all_aliases()) | key_terms(plan)      # terms jieba's own dictionary would split
        for m in plan.measures:
            words.update(jieba.lcut(m.text))
        for s in plan.sections:
            words.update(jieba.lcut(s.title))
        corpus = "\n".join([*(m.text for m in plan.measures), *(s.title for s in plan.sections), *all_aliases()])
        return HomophoneIndex.build(words, corpus)

    key = cache_key(plan.source_sha256, "\n".join(sorted(all_aliases())), _source_of(homophone_index))
    return load_or_build(key, build, get_settings().model_cache_dir)


def _source_of(function) -> str:
    import inspect
    try:
        return inspect.getsource(function)
    except OSError:
        return function.__qualname__


def clean_text(question: str, plan: Plan) -> str:
    """Normalized text with same-sound typos repaired and colloquial role words made canonical."""
    text = normalize_question(question)
    if not is_english(text):
        text = canonical_roles(homophone_index(plan).correct(text))
    return text


def topic_words(text: str, tokenizer) -> list[str]:
    """Content words beyond unit names and question framing: what the question is about."""
    stripped = text
    for alias in sorted(all_aliases(), key=len, reverse=True):
        if len(alias) >= 2:
            stripped = stripped.replace(alias, " ")
    for english in sorted(EN_UNIT_NAMES, key=len, reverse=True):
        stripped = re.sub(rf"\b{re.escape(english)}\b", " ", stripped, flags=re.I)
    stripped = _EN_ORG_WORDS.sub(" ", stripped)
    stripped = _TIME_WORDS.sub(" ", stripped)      # when is a constraint of its own, not a topic
    # a common noun with a framing word only as its modifier ("身份证", "工作日") names a thing of
    # its own; one headed by a framing word ("硬任务", "保护措施") is still framing
    kept = [w for w, flag in tokenizer.tagged(stripped)
            if flag == "n" and len(w) >= 3 and _FRAMING.match(w) and not _FRAMING_ONLY.fullmatch(w)
            and not re.search(rf"(?:{_FRAMING.pattern})$", w)] \
        if tokenizer is not None else []
    for number, word in enumerate(kept):
        stripped = stripped.replace(word, f"\0{number}\0", 1)
    stripped = _FRAMING.sub(" ", stripped)
    for number, word in enumerate(kept):
        stripped = stripped.replace(f"\0{number}\0", f" {word} ")
    if tokenizer is None:
        return re.findall(r"[\u4e00-\u9fff]{2,}|[A-Za-z]{3,}", stripped)
    # Only substantive words name a topic: nouns, verbal nouns, adjectives, idioms, Latin words.
    return [w for w, flag in tokenizer.tagged(stripped)
            if len(w) >= 2 and flag[:1] in _TOPIC_FLAGS and w not in STOPWORDS]


def _bigrams(text: str) -> set[str]:
    chars = re.sub(r"[^\u4e00-\u9fff]", "", text)
    return {chars[i:i + 2] for i in range(len(chars) - 1)}


_CUE_BEFORE = re.compile(r"([\u4e00-\u9fff“”\"+]{2,16}?)(?:(?:这|那)?(?:一)?(?:大|小)?(?:个)?(?:部分|板块)|"
                         r"(?:这|那|一)(?:一)?(?:大|小)?(?:个)?(?:章|节|块))")


def title_match(text: str, plan: Plan) -> tuple[int | None, int | None]:
    """A part or section named by its title ("“放管服”改革那一节", "数字法治政府这一部分",
    "行政复议那一节"). "节" asks for a section and "部分"/"章" for a part.

    Titles are two clauses ("健全…体系，全面建设数字法治政府") and people name one clause or a
    short name, so a title matches when the question uses most of one clause's character pairs,
    or when the words just before "部分/节" occur in that title alone."""
    sections = [((None, s.number), s.title) for s in plan.sections]
    parts = [((p.number, None), p.title) for p in plan.parts]
    if re.search(r"节|section", text, re.I):
        preferred = sections
    elif re.search(r"部分|章|\bpart", text, re.I):
        preferred = parts
    else:
        preferred = sections + parts
    # the kind the question names first; people do mix up 部分 and 节
    found = _title_among(text, preferred)
    return found if found != (None, None) or len(preferred) == len(sections) + len(parts) else \
        _title_among(text, sections + parts)


def _title_among(text: str, candidates: list) -> tuple[int | None, int | None]:
    grams = _bigrams(text)
    best, best_score = (None, None), 0.0
    for key, title in candidates:
        for clause in [title, *re.split(r"[，,；;]", title)]:
            pairs = _bigrams(clause)
            shared = len(pairs & grams)
            score = shared / max(len(pairs), 1) if shared >= 3 else 0.0
            if score > best_score:
                best, best_score = key, score
    if best_score >= 0.5:
        return best
    named = _CUE_BEFORE.search(text)
    if named:
        # the words right before "那一节": the longest run ending there that one title holds
        # ("…出了事想看看应急预案那一节" names the section by 应急预案)
        before = re.sub(r"^.*?(?:在|看看|讲讲|说说|关于)", "", named.group(1))
        # "信访这块" is the subject (which spans sections), not the section whose title
        # holds the words: only 部分/节/章 name a place this way
        structural = not named.group(0).endswith("块") or named.group(0).endswith("板块")
        for start in range(len(before) if structural else 0):
            phrase = _bigrams(before[start:])
            if len(phrase) < 3:
                break
            whole = [key for key, title in candidates if phrase <= _bigrams(title)]
            if len(whole) == 1:
                return whole[0]
            if whole:
                break       # several titles hold it: shorter runs cannot say which
    return (None, None)


def document_frequency(word: str, plan: Plan) -> int:
    folded = fold_for_match(word)
    return sum(1 for text in _folded_measures(plan) if folded in text)


@lru_cache(maxsize=4)
def _folded_measures(plan: Plan) -> tuple[str, ...]:
    return tuple(fold_for_match(m.text) for m in plan.measures)


@lru_cache(maxsize=4)
def _unquote_non_plan(text: str, plan: Plan) -> str:
    """Quotation marks around words the plan never uses only stress them ("那个“管审计查账”的厅"):
    dropped, so that a description of a unit reads as one."""
    return QUOTED_SPAN.sub(lambda m: m.group(0) if fold_for_match(m.group(1)) in _folded_corpus(plan) else m.group(1), text)


QUOTED_SPAN = re.compile(r"[“\"「『]([^“”\"「」『』]{1,12})[”\"」』]")


def _folded_corpus(plan: Plan) -> str:
    return "\n".join(_folded_measures(plan))


def narrowing_words(topic, plan: Plan) -> list[str]:
    """Topic words that pick out a subject within the plan: used by it, but not everywhere.

    Words the plan never uses cannot narrow a unit's duties ("被点名", "活儿"), and words in
    more than a sixth of the measures are generic ("落实", "推进")."""
    limit = len(plan.measures) / 6
    return [w for w in topic if 0 < document_frequency(w, plan) <= limit]


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
            if any(w in _FUNCTION_WORDS for w in run) or not re.fullmatch(r"[\u4e00-\u9fff]{2,12}|[A-Za-z]{2,12}", piece):
                continue
            if len(run) > 1 and run[-1] in _GENERIC_HEADS:
                continue        # "行政复议工作" names 行政复议; a generic head noun only narrows by accident
            if fold_for_match(piece) in corpus and 0 < document_frequency(piece, plan) <= limit:
                found.append(piece)
                taken = j - i
                break
        i += taken or 1
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=4)
def plan_name_pattern(plan: Plan) -> re.Pattern:
    """The ways people name the plan itself, from its title: "宁夏回族自治区法治政府建设实施方案
    （2021—2025年）" is also "法治政府建设方案", "自治区法治政府建设实施方案" and the like."""
    title = re.sub(r"[（(][^）)]*[）)]", "", plan.document.title)
    subject = re.sub(r"^(?:宁夏回族自治区|宁夏|自治区)", "", title)
    subject = re.sub(r"(?:实施)?(?:方案|规划|纲要|意见)$", "", subject)
    kind = re.search(r"(方案|规划|纲要|意见)$", title)
    if not subject or not kind:
        return re.compile(r"(?!)")
    # the plan's subject heading its framing words ("法治政府建设工作", "法治政府这块") is the
    # whole plan too, not a topic within it
    core = re.sub(r"建设$", "", subject)
    return re.compile(rf"(?:在)?(?:宁夏回族自治区|宁夏|自治区|咱们|我区|全区)?{re.escape(core)}(?:建设)?"
                      rf"(?:(?:实施)?{kind.group(1)}|的?(?:任务|工作|方面|措施|举措|这块))")


def _without_title_words(text: str, title: str) -> str:
    """Drop the runs of text (two characters or more) that also occur in a title."""
    out, i = [], 0
    while i < len(text):
        j = i
        while j < len(text) and text[i:j + 1] in title:
            j += 1
        if j - i >= 2:
            out.append(" ")
            i = j
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


@lru_cache(maxsize=1)
def _aliases_longest_first() -> tuple[str, ...]:
    return tuple(a for a in sorted(all_aliases(), key=len, reverse=True) if len(a) >= 2)


def _english_units(text: str, lexicon=None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Units an English question names by a short English name ("commerce"), unless the name is
    part of a longer phrase that means something else ("chambers of commerce" is 商会, "public
    health" 公共卫生); also the text that named them (it is not the question's topic)."""
    from .bilingual import english_words, same_words
    words = english_words(text)
    other_phrases = [(start, end) for start, end, chinese in (lexicon.phrases(words) if lexicon is not None else ())
                     if not any(find_units_in_text(c) for c in chinese)]
    found, spans = [], []
    for english, chinese in EN_UNIT_NAMES.items():
        key = english_words(english)
        at = [i for i in range(len(words) - len(key) + 1) if same_words(words[i:i + len(key)], key)
              and not any(start <= i and i + len(key) <= end and end - start > len(key) for start, end in other_phrases)]
        if at:
            found.extend(u for u in find_units_in_text(chinese) if u not in found)
            for i in at:
                said = re.search(r"(?i)\b" + r"[^a-z]+".join(re.escape(w) for w in words[i:i + len(key)]), text)
                if said:
                    spans.append(said.group(0))
    return tuple(found), tuple(spans)


def link_units(text: str, english: bool, catalog, lexicon=None) -> tuple[tuple[str, ...], tuple, tuple[str, ...]]:
    """Plan units named in the text; failing those, a unit from the organ catalog. Also the
    words that named or described a catalog unit (they are not the question's topic).
    The one unit-linking function used everywhere."""
    designations, text = ((), text) if english else find_designations_in_text(text)
    if designations:
        # a designation named outright ("列了各市县〔区〕的措施") is what is asked about: the measures
        # that list it, whichever unit the asker works for
        named = tuple(u for u in find_units_in_text(text) if u not in _PSEUDO_UNITS)
        return tuple(designations) + named, (), ()
    english_named, english_spans = _english_units(text, lexicon) if english else ((), ())
    units = tuple(find_units_in_text(text)) + english_named
    linked = [] if catalog is None else catalog.link_english(text) if english else catalog.link(text)
    local = [u for u in linked if u.how == "local"]
    if local:
        # a city, county or township body outranks the plan's generic 市县政府 reading, and a
        # regional organ's short name said of a local place ("县政府办") is that place's organ
        units = tuple(u for u in units if u not in _PSEUDO_UNITS and not _said_of_local_place(text, u))
    if units and not local and catalog is not None and len(units) == 1:
        # "管舆情的那家党委办": a unit's short name after "那个" heads a description of
        # another organ of that kind; the described organ is meant
        forms = [a for a, name in all_aliases().items() if name == units[0] and a in text] or [units[0]]
        heads = [f for f in forms if re.search(r"(?:那个|那家|那一个)" + re.escape(f), text)]
        linked = catalog.described_with_head(text, heads) if heads else None
        if linked is not None and linked.name != units[0]:
            return (linked.name,), (() if linked.named_in_plan else ((linked.name, linked.kind, linked.level),)), \
                tuple(w for w in linked.span.split("|") if w)
    if units and not local:
        # the words of its line of work outside its names ("纪检监察那边（纪委）") describe it too
        outside_names = text
        for alias in _aliases_longest_first():
            outside_names = outside_names.replace(alias, " ")
        described = () if catalog is None else \
            tuple(w for u in units for w in catalog.work_words_in(outside_names, u))
        return units, (), described + english_spans
    extra = [u for u in linked if not u.named_in_plan]
    named = tuple(u.plan_name for u in linked if u.named_in_plan)
    spans = tuple(w for u in linked for w in u.span.split("|") if w)
    return (units + named + tuple(u.name for u in extra), tuple((u.name, u.kind, u.level) for u in extra),
            spans + english_spans)


def _said_of_local_place(text: str, unit: str) -> bool:
    """Every mention of the unit follows a local level word ("县政府办", "市司法局")."""
    forms = {a for a, name in all_aliases().items() if name == unit and a in text} | ({unit} if unit in text else set())
    starts = [m.start() for form in forms for m in re.finditer(re.escape(form), text)]
    return bool(starts) and all(text[max(0, s - 1):s] in _LOCAL_LEVEL_CHARS for s in starts)


_LOCAL_LEVEL_CHARS = ("市", "县", "乡", "镇")


@lru_cache(maxsize=4)
def english_lexicon_for(plan: Plan, tokenizer, catalog) -> "EnglishReader":
    """How English questions reach this plan: the glossary, then the bilingual lexicon (none
    without a tokenizer to read the plan's words)."""
    if tokenizer is None:
        return EnglishReader(None)
    from .bilingual import english_lexicon
    places = tuple(catalog.cities + catalog.counties) if catalog is not None else ()
    return EnglishReader(english_lexicon(plan, tokenizer, places))


@dataclass(frozen=True)
class EnglishReader:
    lexicon: object

    def read(self, text: str) -> EnglishReading:
        return read_english(text, self.lexicon)


# A bracket of examples or a gloss after a phrase ("（包括…）", "（比如…）", "（即…）").
_ELABORATION = re.compile(r"[（(](?:包括|包含|含|如|比如|例如|譬如|诸如|像|即|也就是|涵盖)[^）)]*[）)]")
# "早于2023年", "2023年以前（不含2023年）" (a plain "2023年之前" is read as 2023's deadlines, as people
# use it) and "晚于2022年6月".
_BEFORE_YEAR = re.compile(r"(?:早于|先于)\s*(20\d\d)\s*年(?!\s*[0-9]{1,2}\s*月)|"
                          r"(20\d\d)\s*年\s*(?:以前|之前)(?=\s*[（(]?\s*(?:不含|不包括|不算|含|包括|包含))")
_AFTER_DATE = re.compile(r"(?:晚于|迟于)\s*(20\d\d)\s*年\s*(?:([0-9]{1,2})\s*月)?")
_YEARS_JOINED = re.compile(r"20\d\d\s*年[^，。？！]{0,8}?(?:和|与|及|以及|或|或者|、|还有|跟)\s*20\d\d\s*年")


def _counts_another_document(text: str, plan: Plan) -> bool:
    """"《…办法》有几章": the articles of another document are counted, not
    the plan's measures."""
    for found in re.finditer(r"《([^》]{2,40})》", text):
        if not plan_name_pattern(plan).search(found.group(0)) and \
                re.match(r"[^，。？！]{0,6}?(?:一共|总共|共有|共|有)?\s*(?:多少|几)", text[found.end():]):
            return True
    return False


_ENGLISH_SUBJECT = re.compile(r"[\"“'‘]([^\"”'’]{3,60})[\"”'’]|\b(?:mentions?|mentioning|mentioned|refers? to|talks? about|"
                              r"deals? with|concerns?|covers?)\s+(?:the |a |an )?([a-z][a-z \-]{2,50}?)(?=[?.!,;]|$| and | or )",
                              re.I)


def _english_subject_terms(text: str, plan: Plan, reader) -> tuple[str, ...]:
    """The plan's words for what an English list question says the measures mention: a quoted
    phrase or the words after "mention", when all of them reach the plan ("“fair competition”" is
    公平竞争)."""
    if reader is None:
        return ()
    found = []
    for match in _ENGLISH_SUBJECT.finditer(text):
        phrase = match.group(1) or match.group(2)
        subject = reader.read(phrase)
        if subject.terms and not subject.unknown:
            # the longest of its words that the plan uses: the phrase's own term
            used = [t for t in subject.terms if fold_for_match(t) in _folded_corpus(plan)]
            if used:
                found.append(max(used, key=len))
    return tuple(found)


_COUNTED = re.compile(r"(?:几|多少)个([\u4e00-\u9fff]{3,12})")


def _counted_thing(text: str, plan: Plan) -> str | None:
    """"要设几个调解中心": how many of a thing the plan names (the longest run after
    几个 that the plan uses, three characters or more); a measure answers it only by stating a
    number of them."""
    for found in _COUNTED.finditer(text):
        run = found.group(1)
        for end in range(len(run), 2, -1):
            if ROLE_CLAUSE_WORDS.search(run[:end]):
                break       # "一共有几个牵头单位" asks which units, read from the unit clause
            if fold_for_match(run[:end]) in _folded_corpus(plan):
                return run[:end]
    return None


def _years(text: str, today: _dt.date) -> list[tuple[int, int | None]]:
    """Every (year, month) the text names, relative years read against `today`."""
    # "上半年"/"年中" is the end of June
    found = [(int(m.group(1)), int(m.group(2)) if m.group(2) else 6 if m.group(3) else None)
             for m in YEAR_RE.finditer(text)]
    if not found:       # "今年（2022年）": a year written out wins over today's
        found = [(today.year + RELATIVE_YEARS[m.group(0)], None) for m in _RELATIVE_RE.finditer(text)]
    return found


_CLAUSE_SPLIT = re.compile(r"[？?；;。，,]|\band\b|还有|另外|以及")


def document_fields(text: str) -> list[str]:
    """The document fields a question names, in the order it names them. The number of a
    document the plan cites ("中央那份纲要的文号") is not this plan's: the preamble that cites
    it, or else the measures, hold it."""
    named = sorted((m.end(), name) for name, pattern in DOC_FIELDS for m in [pattern.search(text)] if m)
    if named:
        # "文号多少？何时发的？": a later clause without a subject asks about the same document
        first_end = named[0][0]
        offset = first_end
        for clause in _CLAUSE_SPLIT.split(text[first_end:]):
            carried = ("this document " if re.search(r"[a-z]", clause, re.I) and not re.search(r"[\u4e00-\u9fff]", clause)
                       else "文件") + clause
            named += [(offset, name) for name, pattern in DOC_FIELDS if pattern.search(carried)]
            offset += len(clause) + 1
        named.sort()
    fields = list(dict.fromkeys(name for _, name in named))
    if OTHER_ISSUER.search(text):
        fields = [f for f in fields if f != "doc_number"]
    return fields


def _inside_plan_phrase(text: str, unit: str, plan: Plan) -> bool:
    """A unit's short name used inside one of the plan's own phrases ("区市县乡村五级" holds
    市县): the phrase, not the unit, is meant."""
    corpus = _folded_corpus(plan)
    forms = sorted((a for a, name in all_aliases().items() if name == unit and a in text), key=len, reverse=True)
    for form in forms[:1]:
        for found in re.finditer(re.escape(form), text):
            window = fold_for_match(text[max(0, found.start() - 1):found.end() + 1])
            if len(window) > len(form) + 1 and window in corpus:
                return True
    return False


def negated_units(text: str, units: tuple[str, ...]) -> tuple[str, ...]:
    """The named units the question sets aside ("带时限的任务中哪些不列审计厅")."""
    forms = [(alias, unit) for alias, unit in all_aliases().items() if unit in units] + [(u, u) for u in units]
    negated = []
    for alias, unit in sorted(forms, key=lambda pair: -len(pair[0])):
        for found in re.finditer(re.escape(alias), text):
            before, after = text[max(0, found.start() - 8):found.start()], text[found.end():found.end() + 10]
            before = re.sub(r"[“”\"「」『』‘’《]+$", "", before)      # "没有“各市县〔区〕”"
            if _NEGATION_BEFORE_UNIT.search(re.sub(r"(?:的|各|全部|所有)$", "", before)) \
                    or _NEGATION_AFTER_UNIT.search(after):
                negated.append(unit)
    return tuple(dict.fromkeys(negated))


def compared_alternatives(text: str) -> tuple[str, ...]:
    """The two things a comparison sets side by side, each followed by the clauses both share
    ("“不少于7个工作日”，是合法性审查还是征求意见" → "合法性审查 不少于7个工作日", "征求意见
    不少于7个工作日").
    Empty when the question compares nothing, or when a side is too short to name a subject."""
    if not COMPARISON_CUE.search(text):
        return ()
    clauses = [c.strip("“”\"「」 ") for c in _CLAUSE_SPLIT.split(text) if c.strip("“”\"「」 ")]
    for i, clause in enumerate(clauses):
        joins = list(_ALTERNATIVE_JOIN.finditer(clause))
        if len(joins) != 1:
            continue
        join = joins[0]
        # the two come first, then the comparison ("哪个单位负责A和B" asks who, not which of two)
        if not (join.group(0) == "还是" or COMPARISON_CUE.search(clause[join.end():])
                or any(COMPARISON_CUE.search(c) for c in clauses[i + 1:])):
            continue
        left = _ALTERNATIVE_LEAD.sub("", clause[:join.start()].strip())
        right = _QUESTION_WORDS.split(COMPARISON_CUE.split(clause[join.end():].strip())[0])[0].strip()
        if min(len(re.findall(r"[\u4e00-\u9fff]|[A-Za-z]+|[0-9]+%?", side)) for side in (left, right)) < 2:
            continue
        shared = " ".join(c for j, c in enumerate(clauses) if j != i and not COMPARISON_CUE.search(c))
        return tuple(f"{side} {shared}".strip() for side in (left, right))
    # "A要求6月前，B要求年底前，前者更早吧": the two clauses before the one that compares them
    cue = next((i for i, c in enumerate(clauses) if _BOTH_NAMED.search(c)), None)
    if cue is not None and cue >= 2:
        left, right = clauses[cue - 2], clauses[cue - 1]
        if min(len(re.findall(r"[\u4e00-\u9fff]", side)) for side in (left, right)) >= 4:
            return left, right
    return ()


def link(question: str, plan: Plan, tokenizer=None, catalog=None, today: _dt.date | None = None) -> Slots:
    """Fill every slot of the question; no slot depends on another's presence."""
    if catalog is None:
        from .catalog import default_catalog
        catalog = default_catalog()
    today = today or _dt.date.today()
    text = clean_text(question, plan)
    english = is_english(text)
    total = len(plan.measures)

    span = _measure_span(text, total)
    excluded = _excluded_measures(text, plan, tokenizer)
    text_for_numbers = EXCLUSION.sub(" ", text)
    numbers = find_numbers(MEASURE_PATTERNS, NEGATED_MEASURE.sub(" ", LAW_ARTICLE.sub(" ", MEASURE_RANGE.sub(" ", text_for_numbers))))
    last = LAST_RE.search(text)
    if last and re.search(r"项|条|measure", last.group(0)) and not numbers:
        numbers = [total]
    measures = tuple(n for n in numbers if 1 <= n <= total)
    bad_measure = next((n for n in numbers if not 1 <= n <= total), None) if not measures else None

    # "第九部分之外": a part or section set aside, not the one asked about
    beyond = _BEYOND_PLACE.search(text)
    if beyond:
        outside_parts = find_numbers(PART_PATTERNS, beyond.group(0))
        outside_sections = find_numbers(SECTION_PATTERNS, beyond.group(0))
        excluded = tuple(sorted({*excluded, *(m.number for m in plan.measures
                                              if m.part_number in outside_parts or m.section_number in outside_sections)}))
        text_for_places = text.replace(beyond.group(0), " ")
    else:
        text_for_places = text
    parts, sections = find_numbers(PART_PATTERNS, text_for_places), find_numbers(SECTION_PATTERNS, text_for_places)
    nested = _PART_THEN_SECTION.search(text_for_places)
    if nested:
        inner = section_in_part(plan, *(_number(g) or 0 for g in nested.groups()))
        if inner is not None:
            parts, sections = [], [inner]
    if last and not parts and not sections:
        if re.search(r"节|section", last.group(0), re.I):
            sections = [len(plan.sections)]
        elif re.search(r"部分|章|part", last.group(0), re.I):
            parts = [len(plan.parts)]
    title_named = ""
    if not parts and not sections and STRUCTURE_CUE.search(text):
        part, section = title_match(text, plan)
        parts, sections = ([part] if part else []), ([section] if section else [])
        named = _CUE_BEFORE.search(text) if part or section else None
        title_named = named.group(0) if named else ""      # "政府机构职能和营商环境那部分" names the part
    bad_structure = any(p > len(plan.parts) for p in parts) or any(s > len(plan.sections) for s in sections)

    period = plan.period
    spanned = YEAR_SPAN.search(text)
    low, high = (int(spanned.group(1)), int(spanned.group(2))) if spanned else (None, None)
    # "2021—2025年的方案" names the plan by its period, it sets no time constraint
    names_period = spanned is not None and (low, high) == (period.start, period.end)
    # a year only in a clause that sets something aside ("总体目标那句不算") sets no time
    years = _years(SET_ASIDE_CLAUSE.sub(" ", YEAR_SPAN.sub(" ", text) if names_period else text), today)
    bad_year = next((y for y, _ in years if not period.covers(y)), None)
    year, month = years[0] if years else (None, None)
    # several years joined as alternatives ("2022年和2023年各有哪些"): any of them
    also_years = tuple(dict.fromkeys(y for y, _ in years[1:] if y != year and period.covers(y))) \
        if len(years) > 1 and _YEARS_JOINED.search(text) else ()
    since = None
    until_before = False
    if spanned and not names_period and low < high and period.covers(low) and period.covers(high):
        since, year, month = low, high, None

    before = _BEFORE_YEAR.search(text)
    if before and since is None:
        # "2023年以前（不含2023年）", "早于2023年": up to the year before, unless that year is included
        bound = int(before.group(1) or before.group(2))
        inclusive = re.search(rf"(?<!不)(?:含|包括|包含)\s*(?:{bound}\s*年|当年|该年|本年)", text)
        if period.covers(bound - (0 if inclusive else 1)):
            year, month, until_before = bound - (0 if inclusive else 1), None, True
    after = _AFTER_DATE.search(text)
    since_month = None
    if after and since is None and not before:
        # "晚于2022年6月": what falls due after that month (after a year alone: from the next year)
        bound, bound_month = int(after.group(1)), int(after.group(2)) if after.group(2) else None
        if bound_month is None and period.covers(bound + 1):
            since, year, month = bound + 1, period.end, None
        elif bound_month is not None and period.covers(bound):
            since, since_month, year, month = bound, bound_month, period.end, None
    onward = _ONWARD.search(text)
    if onward and since is None and year is not None and period.covers(year) and year < period.end:
        # "2022年以后": from that year to the end of the plan period
        since, year, month = year, period.end, None

    extreme = EXTREME_RE.search(text) or BOTH_EXTREMES.search(text)
    if extreme and year is not None and _GUESSED_YEAR.search(text):
        # "最迟的期限在哪一年？是2024年吧？": the year is the asker's guess, checked by the answer
        year, month, since = None, None, None
    if extreme and extreme.re is EXTREME_RE and extreme.group(1) and re.match(r"(?:要|得|在|需|须|应|必须|需要|应当){0,2}(?:多长|多久|几|多少)",
                                                 text[extreme.end(1):]):
        extreme = None      # "最迟多长时间内": how long, not which deadline comes last
    extreme_kind = None
    if extreme:
        kinds = {"latest" if re.search(r"最晚|最迟|最后|靠后|latest|last", m.group(0), re.I) else "earliest"
                 for m in EXTREME_RE.finditer(text)}
        if BOTH_EXTREMES.search(text):
            kinds = {"earliest", "latest"}
        # "最早和最晚的期限各是哪项": both ends
        extreme_kind = "both" if len(kinds) == 2 else kinds.pop()

    reader = english_lexicon_for(plan, tokenizer, catalog) if english else None
    reading = reader.read(text) if reader is not None else None
    units, unlisted, unit_words = link_units(_unquote_non_plan(text, plan), english, catalog,
                                             reader.lexicon if reader is not None else None)
    units = tuple(u for u in units if not (u in _PSEUDO_UNITS and _inside_plan_phrase(text, u, plan)))
    set_aside = negated_units(text, units) if not english else ()
    named_only = bool(NAMED_ONLY.search(text))
    collective = {d.name for d in DESIGNATIONS}
    if set_aside and set(set_aside) <= collective and set(units) - set(set_aside):
        # "财政厅牵头的，“自治区政府各部门”那样的不算": the named unit's own listed measures, none
        # that reaches it only through the designation set aside
        named_only = True
        units = tuple(u for u in units if u not in set_aside)
    elif set_aside:
        # the measures that name a unit set aside are left out, and it constrains nothing else
        # (市县 governments are named through the designation 各市县〔区〕)
        names = set(set_aside) | ({"各市县〔区〕"} if set(set_aside) & _PSEUDO_UNITS else set())
        excluded = tuple(sorted({*excluded, *(m.number for m in plan.measures if names & set(m.unit_names))}))
        units = tuple(u for u in units if u not in set_aside)
    only_roles = tuple(dict.fromkeys(_ROLE_NAMES[r] for r in _ONLY_ROLE.findall(text)))
    lacking_roles = tuple(dict.fromkeys(_ROLE_NAMES[a or b] for a, b in _LACKING_ROLE.findall(text)))
    undated = bool(_UNDATED.search(text))
    having_roles = tuple(dict.fromkeys(_ROLE_NAMES[r] for pair in _BOTH_ROLES.findall(text) for r in pair if r))
    # what the other slots consumed (the unit's words, years, target kinds …) is not the topic,
    # nor is the clause in which the asker introduces themself ("我是司法厅的工作人员，…")
    rest = _unquote_non_plan(_SELF_INTRO.sub(" ", text) if units else text, plan)
    rest = _PURPOSE.sub(" ", rest)
    if units:   # "管审计监督的那个厅": the clause describes the unit, it is not a topic (read
        # before the unit's own words go, which would take the "的那个" that marks the clause)
        rest = _UNIT_DESCRIPTION.sub(" ", rest)
    for word in sorted(unit_words, key=len, reverse=True):
        # "负责预算执行审计的审计机关": the clause before "的" + the unit's words
        # describes the unit it names
        rest = re.sub(rf"[^，。？！；,?!;：:\s]{{1,24}}的(?={re.escape(word)})", " ", rest) if len(word) >= 3 else rest
        rest = rest.replace(word, " ")
    if excluded:
        rest = EXCLUSION.sub(" ", rest)
    rest = NAMED_ONLY.sub(" ", _without_set_aside_designations(rest))
    for pattern in _SLOT_SPANS:
        rest = pattern.sub(" ", rest)
    for alias in _aliases_longest_first():
        rest = rest.replace(alias, " ")
    if title_named:
        rest = rest.replace(title_named, " ")
    rest = plan_name_pattern(plan).sub(" ", rest)   # "在法治政府建设方案里" is where, not what
    for number in parts:                    # a part or section named by number and title
        if 1 <= number <= len(plan.parts):
            rest = _without_title_words(rest, plan.part(number).title)
    for number in sections:
        if 1 <= number <= len(plan.sections):
            rest = _without_title_words(rest, plan.section(number).title)
    if english:     # English words name the plan's subjects through their glossary translations
        rest = " ".join(translate_english(rest).split(" ")[len(rest.split(" ")):]) or rest
    topic = topic_words(rest, tokenizer)
    # only names of things narrow a question to a subject (nouns, verbal nouns, idioms, Latin words)
    nouns = {w for w, flag in tokenizer.tagged(rest) if flag[:1] in "nijl" or flag in ("vn", "eng")} \
        if tokenizer is not None and not english else set(topic)   # glossary words name subjects
    # "要办结的活儿": between a modal and 的 + a word for tasks stands what is done with them, a
    # verb even when jieba tags a colloquial one as a noun; it names no subject
    nouns -= set(_MODAL_PREDICATE.findall(rest))
    if tokenizer is not None:
        verbal = {w for w, flag in tokenizer.tagged(rest) if flag[:1] == "v"}
        nouns -= {w for w in _RELATING_VERB.findall(rest) if w in verbal and document_frequency(w, plan) == 0}
    # "要紧任务": a word the plan never uses, right before a word for tasks, says what kind of
    # task, not what it is about
    nouns -= {w for w in (*_TASK_MODIFIER.findall(rest), *_TASK_MODIFIER.findall(text)) if document_frequency(w, plan) == 0}
    terms = tuple(t for t in plan_terms_in(rest, plan, tokenizer) if not _FRAMING_ONLY.fullmatch(t)) \
        if not english else \
        tuple(t for t in (*re.findall(r"[\u4e00-\u9fff“”+]{2,}", text), *_english_subject_terms(text, plan, reader))
              if fold_for_match(t) in _folded_corpus(plan)
              and t not in all_aliases() and not ROLE_CLAUSE_WORDS.search(t) and t not in _ROLE_NAMES)
    # (Chinese written into an English question, "the “My Ningxia” (我的宁夏) app", is the plan's own term)
    # a phrase the asker put in quotes and the plan uses is a term as written ("互联网+监管")
    quoted = tuple(q for q in QUOTED.findall(_without_set_aside_designations(text)) if fold_for_match(q) in _folded_corpus(plan)
                   and not _FRAMING_ONLY.fullmatch(q) and not ROLE_CLAUSE_WORDS.search(q)
                   and not any(q in w for w in unit_words) and not any(a in q for a in _aliases_longest_first()))
    terms = tuple(dict.fromkeys((*quoted, *(t for t in terms if not any(t in q for q in quoted)))))
    outside = _ELABORATION.sub(" ", text)
    if outside != text and any(q in outside for q in quoted):
        # "提到“公开”的条目（比如政务公开、信息公开）": the bracket gives examples of the quoted
        # term, it does not add subjects of its own
        terms = tuple(t for t in terms if t in outside)

    doc_field = next(iter(document_fields(SET_ASIDE_CLAUSE.sub(" ", text))), None)
    value = TARGET_VALUE_RE.search(text)
    target = value.group(0).replace(" ", "") if value else (
        "%" if TARGET_KIND_RE.search(text) else ("" if TARGET_WORD_RE.search(text) else None))

    asks = set()
    if DEADLINE_ASK.search(text):
        asks.add("deadline")
    if UNITS_ASK.search(text):
        asks.add("units")
    if TARGET_ASK.search(text) and not re.search(r"(?:文号|字号|编号|号码)[^，。？]{0,4}(?:是)?多少", text):
        asks.add("target")      # "文号是多少" asks for an identifier, not a quantity
    locating = re.search(r"第几|哪一?(条|项)|哪几", text)      # "是第几条/哪几条" asks which, not how many
    if english:
        # an English question mostly about things the plan never names ("unemployment in 2022")
        # is not about the records its year or unit would select
        unknown = reading.unknown if reading.content and reading.coverage < MIN_ENGLISH_COVERAGE else ()
    else:
        # "每年都要办的常规事": what is done, named after a verb of doing, is the plan's tasks in
        # the asker's word, not a subject the plan lacks
        done = [m.group(1) for m in _DONE_THINGS.finditer(text)]
        unknown = tuple(w for w in topic if w in nouns and document_frequency(w, plan) == 0
                        and not any(w in head for head in done))
    # "方案里提到X几回": how often the plan uses a word is a count of measures, not a
    # number the plan states
    occurrences = bool(_OCCURRENCES.search(text))
    quantity = None if occurrences else ASKED_QUANTITY.search(text)
    quantity_word = next((g for g in quantity.groups() if g), "") if quantity else ""
    if occurrences and not TARGET_ASK.search(_OCCURRENCES.sub(" ", text)):
        asks.discard("target")
    counted = None if quantity else _counted_thing(text, plan)
    members = asked_members(text, plan, tokenizer)
    attribute = "、".join(dict.fromkeys(m.group(1) for m in ASKED_ATTRIBUTE.finditer(text)
                                       if m.group(1) in unknown and m.group(1) not in _EXPLAINING))
    return Slots(
        text=text, english=english, english_terms=reading.terms if english else (), measures=measures, bad_measure=bad_measure, span=span, excluded=excluded,
        parts=tuple(parts), sections=tuple(sections), bad_structure=bad_structure,
        year=year, also_years=also_years if since is None else (), month=month if not also_years else None,
        bad_year=bad_year, relative_year=bool(years) and not YEAR_RE.search(text), annual=bool(ANNUAL_RE.search(text)),
        until=year is not None and (bool(UNTIL_RE.search(text)) or since is not None or until_before), since=since,
        since_month=since_month,
        dated=bool(DATED_RE.search(text)), extreme=extreme_kind, role=single_role(text),
        units=units, unlisted=unlisted, unit_words=unit_words, joint=bool(JOINT_RE.search(text)),
        terms=terms, topic=tuple(topic), narrowing=tuple(w for w in narrowing_words(topic, plan) if w in nouns),
        unknown=unknown, quantity_word=quantity_word or counted or "", attribute=attribute,
        doc_field=doc_field, target=target, count=bool(COUNT_RE.search(text)) and not locating and not _counts_another_document(text, plan),
        has_deadline=not undated and any(not text[m.end():].lstrip().startswith("也") for m in HAS_DEADLINE_RE.finditer(text)),
        undated=undated,
        plural=bool(PLURAL_RE.search(text)) or occurrences,
        mentions=bool(MENTION_RE.search(text)), alternatives=() if english else compared_alternatives(text),
        excluded_units=() if named_only and set(set_aside) <= collective else set_aside, named_only=named_only,
        only_roles=only_roles, sole_unit=bool(_SOLE_UNIT.search(_without_excluded_clauses(text))), lacking_roles=lacking_roles, having_roles=having_roles,
        contents=(next((g for m in CONTENTS_ASK.finditer(text) for g in m.groups() if g and _asks_contents(text, m)), "")
                  or ("" if members[1] else members[0])) if not english else "",
        members_in=members[1] if not english else None,
        asks=frozenset(asks))


@lru_cache(maxsize=1)
def slots_version() -> str:
    """A fingerprint of the linking code and its data, for caches of linked slots."""
    import hashlib
    from pathlib import Path
    here = Path(__file__).resolve().parent
    sources = [here / "slots.py", here / "catalog.py", here / "units.py", here / "lexicon.py", here / "homophones.py",
               here / "bilingual.py",
               here / "data" / "organs.json"]
    return hashlib.sha256(b"".join(p.read_bytes() for p in sources if p.exists())).hexdigest()[:16]
