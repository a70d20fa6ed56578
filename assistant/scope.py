"""Is a question covered by the plan at all? Decided from evidence, not hope.

Signals: the question names another region (the plan covers Ningxia only); the share of its
content words that occur anywhere in the plan; and the best dense similarity. Thresholds
are in one place (``ScopeThresholds``) and were set on the development questions in
``evals/scope_dev.jsonl`` (written for calibration, separate from the evaluation sets).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .bilingual import MIN_ENGLISH_COVERAGE
from .lexicon import Tokenizer, is_english, translate_english
from .query import topic_words
from .slots import QUOTED
from .records import Plan
from .text import fold_for_match

OTHER_REGIONS = (
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽", "福建",
    "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏",
    "陕西", "甘肃", "青海", "新疆", "香港", "澳门", "台湾", "深圳", "广州", "杭州", "南京", "武汉", "成都",
    "西安", "兰州", "美国", "日本", "英国", "欧盟", "俄罗斯", "韩国",
    "Beijing", "Shanghai", "Guangdong", "Shenzhen", "Gansu", "Xinjiang", "Tibet", "Hong Kong", "Taiwan",
    "United States", "USA", "Japan", "Europe",
)


# Kinds of answer the plan never contains, whatever the subject: prices and sums of money,
# people's names, contact details, sign-up arrangements.
# How much money: the plan sets funding duties but no sums ("经费每年给多少钱" is about funding).
AMOUNT_ASK = re.compile(r"多少钱|拨了?多少|金额是(?:多少)?")
UNANSWERABLE = re.compile(
    r"多少钱|价格|单价|价钱|票价|工资|薪资|薪水|拨了?多少|金额是|报名|电话|地址|办公时间|几点上班|"
    r"(厅长|局长|书记|主任|主席|院长|市长|县长)(是谁|叫什么)|姓名|"
    r"how much (money|does .* cost)|\bprice\b|\bsalary\b|phone number|\baddress\b|"
    r"who(?:'s| is| was)(?: currently)?(?: the)?(?: current| present)? (director|head|minister|governor|chief|mayor|secretary)",
    re.I)


@dataclass(frozen=True)
class ScopeThresholds:
    min_dense: float = 0.84          # below this the question is refused whatever the words say
    weak_dense: float = 0.87         # below this, low word coverage (<= min_coverage) also refuses
    min_coverage: float = 0.5        # share of topic words found in the plan
    unknown_noun_dense: float = 0.86 # below this, a noun the plan never uses also refuses
    min_lexical: float = 18.0        # best BM25 score below this is weak word evidence...
    strong_dense: float = 0.89       # ...which refuses unless the dense match is at least this
    # Weak word evidence (the two rules above) is overruled when the answer-type classifier gives
    # the question at most this probability of being a kind the plan never answers: colloquial
    # paraphrases of measures share few words with them, questions about weather or housing do not
    # read like questions about duties. Set on the development sets (evals/*.jsonl).
    plan_kind_max: float = 0.15
    # ...and at most this, a noun the plan never uses does not veto that reading when most of the
    # topic words (> min_coverage) are the plan's: a colloquial word (囤货, 拍板) then names one of
    # its subjects in other words, while a question mostly about other things (办护照要带的材料,
    # 无人机飞行管理) stays refused. Set on the development sets.
    plan_kind_sure: float = 0.10
    # English questions are searched through their glossary terms, which e5 matches less closely
    # than Chinese: strong word evidence from those terms stands in for the dense threshold.
    english_lexical: float = 25.0
    english_min_dense: float = 0.80
    # English questions read through the bilingual lexicon: below this share of content words
    # that reach the plan (wage, visa, tax rate, weather) the question is about something else
    english_min_coverage: float = MIN_ENGLISH_COVERAGE


@dataclass(frozen=True)
class ScopeVerdict:
    covered: bool
    reason: str                  # "" | "region" | "unanswerable": a template key for the composer
    region: str = ""
    coverage: float = 1.0
    dense_top: float = 0.0
    unknown_words: tuple[str, ...] = ()


class ScopeGuard:
    def __init__(self, plan: Plan, tokenizer: Tokenizer, thresholds: ScopeThresholds = ScopeThresholds(),
                 english_reader=None):
        self.tokenizer = tokenizer
        self.english_reader = english_reader     # slots.EnglishReader: what English words reach
        self.thresholds = thresholds
        pieces = [m.text for m in plan.measures] + [s.title for s in plan.sections] + \
                 [p.title for p in plan.parts] + list(vars(plan.document).values())
        self._plan_text = fold_for_match("".join(str(p) for p in pieces))

    def other_region(self, text: str) -> str | None:
        for region in OTHER_REGIONS:
            if re.search(rf"(?<![A-Za-z]){re.escape(region)}(?![A-Za-z])", text, re.I):
                return region
        return None

    def quotes_plan(self, text: str) -> bool:
        """The question quotes a phrase of the plan's own ("“一网通办”指的什么"): it asks
        about the plan, whatever else its words are. Short quotes of one or two characters are
        common words, not quotations."""
        return any(len(q) >= 3 and fold_for_match(q) in self._plan_text for q in QUOTED.findall(text))

    def coverage(self, text: str) -> tuple[float, tuple[str, ...]]:
        """Share of the question's topic words (unit names and framing removed) found in the plan."""
        if is_english(text):
            if self.english_reader is not None:
                # the share of its English content words that reach a word of the plan
                reading = self.english_reader.read(text)
                return (reading.coverage if reading.terms else 0.0), reading.unknown
            translated = translate_english(text)
            text = translated[len(text):]          # only the Chinese terms the glossary found
            if not text.strip():
                return 0.0, ()
        words = [w for w in topic_words(text, self.tokenizer) if len(w) >= 2 or w.isdigit()]
        if not words:
            return 1.0, ()
        unknown = tuple(w for w in words if fold_for_match(w) not in self._plan_text)
        return 1.0 - len(unknown) / len(words), unknown

    def judge(self, text: str, dense_top: float, names_units: bool = False,
              lexical_top: float | None = None, outside_kind: float | None = None,
              english: bool = False, paraphrased: bool = False) -> ScopeVerdict:
        """Refuse on another region, a weak best match, or topic words the plan never uses.

        A question that names the plan's units is about the plan unless none of its topic
        words occur in the plan ("司法厅厅长是谁"). `outside_kind`: the classifier's probability
        that the question is of a kind the plan never answers (None: not known)."""
        region = self.other_region(text)
        coverage, unknown = self.coverage(text)
        t = self.thresholds

        def verdict(covered: bool, reason: str = "") -> ScopeVerdict:
            return ScopeVerdict(covered, reason, region or "", coverage, dense_top, unknown)

        if region:
            return verdict(False, "region")
        if UNANSWERABLE.search(text):
            return verdict(False, "unanswerable")
        if self.quotes_plan(text):
            return verdict(True)
        if paraphrased:
            # it surely matches one of a measure's everyday questions (assistant.paraphrases,
            # retrieval.sure_paraphrase): it asks about that measure in other words, whatever its
            # own words. (A bare similarity of 0.925, without the margin, refused as many
            # paraphrases as it let through on the development sets.)
            return verdict(True)
        if coverage == 0.0:
            return verdict(False)
        if english and self.english_reader is not None:
            return verdict(self._english_covered(coverage, dense_top, names_units, lexical_top))
        if names_units:
            return verdict(True)
        if english and lexical_top is not None and lexical_top >= t.english_lexical \
                and dense_top >= t.english_min_dense:
            return verdict(True)
        if dense_top < t.min_dense:
            return verdict(False)
        # ...but not when it names a thing the plan never mentions ("身份证", "无人机")
        reads_like_plan = outside_kind is not None and (
            outside_kind <= t.plan_kind_sure and coverage > t.min_coverage
            or outside_kind <= t.plan_kind_max
            and not self._unknown_noun(unknown, flags=("n", "eng", "l", "j", "i")))
        if coverage <= t.min_coverage and dense_top < t.weak_dense and not reads_like_plan:
            return verdict(False)
        if self._unknown_noun(unknown) and dense_top < t.unknown_noun_dense:
            return verdict(False)
        if lexical_top is not None and lexical_top < t.min_lexical and dense_top < t.strong_dense \
                and not reads_like_plan:
            return verdict(False)
        return verdict(True)

    def _english_covered(self, coverage: float, dense_top: float, names_units: bool,
                         lexical_top: float | None) -> bool:
        """English: most content words must reach the plan, or else the words that do must match
        strongly; then the plan's units, or a dense match, with word evidence when some words
        reach nothing."""
        t = self.thresholds
        strong_words = lexical_top is not None and lexical_top >= t.english_lexical
        if coverage < t.english_min_coverage and not strong_words:
            return False
        if names_units:
            return True
        if dense_top < t.english_min_dense:
            return False
        weak_words = lexical_top is not None and lexical_top < t.min_lexical
        return not (coverage < 1.0 and weak_words and dense_top < t.strong_dense)

    def judge_topic(self, text: str, dense_top: float, names_units: bool = False,
                    lexical_top: float | None = None, outside_kind: float | None = None) -> ScopeVerdict:
        """`judge` on what the question is about, without the words that ask for a sum
        ("…经费每年给多少钱" is about 经费); prices, salaries and contacts still refuse."""
        return self.judge(AMOUNT_ASK.sub(" ", text), dense_top, names_units, lexical_top, outside_kind)

    def _unknown_noun(self, unknown: tuple[str, ...], flags: tuple[str, ...] = ("n", "eng")) -> bool:
        """A noun the plan never uses names a topic outside it (护照, GDP, 资金); `flags`: the
        jieba tags counted as nouns (set phrases such as 无人机 are tagged l)."""
        for word in unknown:
            if any(flag.startswith(flags) and w == word for w, flag in self.tokenizer.tagged(word)):
                return True
        return False
