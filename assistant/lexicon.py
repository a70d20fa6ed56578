"""Tokenization for lexical search: jieba with a user dictionary of units and plan terms,
plus a small English glossary so English questions reach the Chinese text."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from .records import Plan
from .units import DESIGNATIONS, UNITS

STOPWORDS = frozenset(
    "的 了 和 与 及 是 在 有 要 把 对 为 等 就 都 也 还 又 并 或 而 被 从 以 于 之 其 该 这 那 哪 些 个 吗 呢 吧 啊 呀 嘛 么 "
    "什么 怎么 怎样 如何 哪些 哪个 哪里 多少 几 是否 是不是 有没有 能否 可以 需要 应该 应当 请问 请 一下 一些 "
    "我 我们 你 你们 他 他们 它 它们 咱们 单位 方面 问题 工作 相关 有关 关于 方案 实施方案 规定 提到 提出 说 讲 "
    "内容 具体 主要 一 二 三 谁 做 干 搞 负责 任务 措施 条 项 第 吗 里 中 上 下 去 来 到 让 给 会 能 得 着 过 "
    "多长 多长时间 长时间 多久 时候 什么时候 啥时候 何时 怎么样 怎么办 达到 要求 规定 说说 讲讲 介绍 解释 一下子 "
    "呢 吗 么 啥 咋 咋办 哪 为啥 为什么 能不能 不能 可不可以 会不会 行不行 要不要 有没有 是什么 干什么 做什么 "
    # the whole of the document ("整篇文件当中"), not a subject in it
    "整份 整个 通篇 全篇 整篇".split())

ENGLISH_GLOSSARY: dict[str, str] = {
    "administrative reconsideration": "行政复议", "reconsideration committee": "行政复议委员会",
    "reconsideration": "行政复议", "law enforcement": "行政执法", "enforcement": "执法",
    "administrative litigation": "行政诉讼", "appear in court": "出庭应诉", "court": "法院",
    "legislation": "立法", "regulation": "规章", "normative document": "规范性文件",
    "decision-making": "决策", "major administrative decision": "重大行政决策", "decision": "决策",
    "business environment": "营商环境", "market access": "市场准入", "negative list": "负面清单",
    "fair competition": "公平竞争", "supervision": "监管", "oversight": "监督",
    "emergency": "突发事件", "emergencies": "突发事件", "public opinion": "舆情", "press conference": "新闻发布会",
    "mediation": "调解", "adjudication": "行政裁决", "government affairs": "政务", "open government": "政务公开",
    "information disclosure": "信息公开", "credibility": "诚信", "integrity": "诚信",
    "digital": "数字", "platform": "平台", "data sharing": "数据共享", "data": "数据", "app": "APP",
    "training": "培训", "training hours": "学时", "class hours": "学时", "hours": "小时", "hour": "小时",
    "authoritative information": "权威信息", "release": "发布", "released": "发布", "publish": "发布",
    "days": "日", "working days": "工作日", "legal advisers": "法律顾问", "legal adviser": "法律顾问",
    "public lawyers": "公职律师", "annual report": "年度报告", "assessment": "考核", "evaluation": "评估",
    "guiding ideology": "指导思想", "guiding thought": "指导思想", "overall goal": "总体目标", "goals": "总体目标",
    "document number": "文号", "issued": "印发", "issue date": "印发日期", "measures": "措施",
    "deadline": "底前", "power list": "权责清单", "responsibility list": "权责清单",
    "certification": "证明事项", "notification and commitment": "告知承诺", "complaints": "投诉举报",
    "penalty": "处罚", "punitive damages": "惩罚性赔偿", "case guidance": "案例指导",
    "rule of law": "法治", "law-based government": "法治政府", "inspection": "督察", "supervisors": "监督员",
    "public hearing": "听证", "comments": "征求意见", "public comment": "征求意见",
    "set up": "建立", "establish": "建立", "build": "建设", "review": "审查", "officers": "人员", "personnel": "人员",
    "staff": "工作人员", "draft": "草案", "regulations": "规章", "rules": "规章", "period": "期限",
    "committee": "委员会", "head": "负责人", "heads": "负责人", "leaders": "领导干部", "officials": "领导干部",
    "appearance rate": "出庭率", "appear": "出庭", "lawsuit": "诉讼", "litigation": "诉讼", "procuratorial": "检察",
    "accountability": "问责", "audit": "审计", "budget": "预算", "funding": "经费", "examination": "考试",
    "certificate": "证件", "uniform": "制式服装", "equipment": "装备", "case": "案件", "cases": "案例",
    "archive": "归档", "files": "案卷", "risk": "风险", "hazard": "危险源", "disaster": "灾害",
    "epidemic": "疫情", "public health": "公共卫生", "personal information": "个人信息", "price gouging": "哄抬物价",
    "volunteers": "志愿者", "villages": "村", "communities": "社区", "township": "乡镇", "towns": "乡镇",
    "county": "县", "counties": "县", "city": "市", "cities": "市", "grassroots": "基层",
    "reform": "改革", "approval": "审批", "license": "许可", "licenses": "许可", "permit": "许可",
    "investment": "投资", "foreign investment": "外商投资", "monopoly": "垄断", "anti-monopoly": "反垄断",
    "unfair competition": "不正当竞争", "enterprises": "企业", "companies": "企业", "private": "民营",
    "property rights": "产权", "hotline": "热线", "online": "网上", "mobile": "掌上", "smart": "智慧",
    "big data": "大数据", "artificial intelligence": "人工智能", "cloud": "云计算", "e-government": "政务服务",
    "government services": "政务服务", "one-stop": "一网通办", "cross-province": "跨省通办",
    "discretion": "裁量", "discretionary": "裁量", "fines": "罚款", "penalties": "处罚", "punishment": "处罚",
    "minor violations": "轻微违法", "report": "报告", "annual": "每年", "every year": "每年", "per year": "每年", "each year": "每年", "a year": "每年",
    "study": "学法", "lectures": "讲座", "theory": "理论研究", "research": "研究", "publicity": "宣传",
    "commendation": "表彰", "rewards": "奖励", "awards": "表彰", "demonstration": "示范创建",
    "civil code": "民法典", "constitution": "宪法", "bond": "债务", "debt": "债务", "contracts": "违约",
    "dispute": "纠纷", "disputes": "纠纷", "petition": "信访", "administrative": "行政", "law": "法律",
}

EN_UNIT_NAMES: dict[str, str] = {
    "audit": "审计厅", "justice": "司法厅", "judicial": "司法厅", "finance": "财政厅", "public security": "公安厅",
    "police": "公安厅", "education": "教育厅", "civil affairs": "民政厅", "statistics": "统计局",
    "market regulation": "市场监管厅", "market supervision": "市场监管厅", "development and reform": "发展改革委",
    "general office": "政府办公厅", "emergency management": "应急厅", "health commission": "卫生健康委",
    "health": "卫生健康委", "natural resources": "自然资源厅", "ecology": "生态环境厅", "environment": "生态环境厅",
    "housing": "住房城乡建设厅", "transport": "交通运输厅", "water resources": "水利厅", "agriculture": "农业农村厅",
    "commerce": "商务厅", "culture and tourism": "文化和旅游厅", "human resources": "人力资源社会保障厅",
    "industry and information": "工业和信息化厅", "drug administration": "药监局", "organization department": "党委组织部",
    "publicity department": "党委宣传部", "people's bank": "人民银行银川中心支行", "high court": "高级法院",
    "higher people's court": "高级法院", "procuratorate": "检察院", "discipline inspection": "纪委监委",
    "legislative affairs": "人大常委会法工委", "cyberspace": "党委网信办", "political and legal": "党委政法委",
    "establishment": "党委编办", "party school": "党校",
}


@dataclass(frozen=True)
class EnglishReading:
    """What an English question's words reach in the plan: its Chinese terms, and the content
    words that reach nothing (``unknown``) out of how many content words it has (``content``)."""
    terms: tuple[str, ...]
    unknown: tuple[str, ...] = ()
    content: int = 0

    @property
    def coverage(self) -> float:
        return 1.0 - len(self.unknown) / self.content if self.content else 0.0


def read_english(question: str, lexicon=None) -> EnglishReading:
    """The glossary's terms (written for the plan's subjects), then what the bilingual lexicon
    (``bilingual.EnglishLexicon``) finds for the words the glossary does not know. The glossary
    compares inflected forms ("appearing" meets "appear"), the lexicon stems ("sued" meets "sue")."""
    from .bilingual import english_words, same_words
    words = english_words(question)
    taken = [False] * len(words)
    extra, known = [], 0
    for en, zh in _glossary_words():
        size = len(en)
        for i in range(len(words) - size + 1):
            if same_words(words[i:i + size], list(en)):
                extra.append(zh)
                if not any(taken[i:i + size]):
                    known += 1
                    taken[i:i + size] = [True] * size
    unknown: list[str] = []
    if lexicon is not None:
        # the words the glossary left, each run looked up on its own
        runs, run = [], []
        for word, used in zip(words, taken):
            if used:
                runs.append(run)
                run = []
            else:
                run.append(word)
        for part in [*runs, run]:
            if part:
                found, missing, reached = lexicon.lookup_words(part)
                extra += found
                unknown += missing
                known += reached
    # Chinese the asker wrote into the English question ("committee (行政复议委员会)") is the
    # plan's own term: it leads the terms
    extra = re.findall(r"[\u4e00-\u9fff]{2,}", question) + extra
    return EnglishReading(tuple(dict.fromkeys(extra)), tuple(unknown), known + len(unknown))


@lru_cache(maxsize=1)
def _glossary_words() -> tuple[tuple[tuple[str, ...], str], ...]:
    """The glossary's English phrases as words, longest first (unit names among them)."""
    from .bilingual import english_words
    pairs = [(tuple(english_words(en)), zh) for en, zh in {**EN_UNIT_NAMES, **ENGLISH_GLOSSARY}.items()]
    return tuple(sorted((p for p in pairs if p[0]), key=lambda pair: -len(pair[0])))


def translate_english(question: str, lexicon=None) -> str:
    """Append Chinese equivalents of the question's English terms so search can match."""
    terms = read_english(question, lexicon).terms
    return question + (" " + " ".join(terms) if terms else "")


def is_english(text: str) -> bool:
    # markup and links are not language: "<b>粗体</b>" is a Chinese question
    text = re.sub(r"<[^>]*>|https?://\S+|&\w+;", " ", text)
    # a Chinese term glossed in brackets or quotes ("… committee (行政复议委员会)?") is cited, not
    # the language the question is written in
    glossed = re.sub(r"[（(“\"「『]\s*[\u4e00-\u9fff]+\s*[）)”\"」』]", " ", text)
    if glossed != text and not re.search(r"[\u4e00-\u9fff]", glossed):
        text = glossed
    letters = sum(ch.isascii() and ch.isalpha() for ch in text)
    cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
    # a Chinese question with an English tail ("…什么时候建立 please answer in detail") is Chinese:
    # what it asks about is written in Chinese
    if cjk >= 6:
        return False
    return letters >= 6 and letters > 2 * cjk


def plan_terms(plan: Plan) -> set[str]:
    """Terms worth keeping whole: quoted phrases, section titles' key words, document names."""
    terms: set[str] = set()
    for m in plan.measures:
        terms.update(t for t in re.findall(r"“([^”]{2,12})”", m.text))
        terms.update(t for t in re.findall(r"《([^》]{2,30})》", m.text))
    for s in plan.sections:
        terms.update(w for w in re.split(r"[，、“”]", s.title) if 2 <= len(w) <= 8)
    return terms


# Terms of the plan that jieba's dictionary splits but that name one thing.
KEY_TERMS = frozenset({"行政复议委员会", "告知承诺制", "出庭应诉", "法治政府", "行政裁决", "行政执法", "规范性文件",
                       "重大行政决策", "合法性审查", "法律顾问", "公职律师", "政务公开", "政务诚信", "营商环境"})


def key_terms(plan: Plan) -> set[str]:
    """The plan's terms kept whole by the tokenizer: its quoted phrases, document names and
    section-title words (``plan_terms``) and ``KEY_TERMS``."""
    return plan_terms(plan) | KEY_TERMS


def _pos_tokenizer(tokenizer):
    """jieba's part-of-speech tagger over `tokenizer`. Its word-tag table comes from the same
    dictionary file that ``jieba.posseg`` already read when imported (reading it again costs
    half a second at every start), so it is copied when the files are the same."""
    import jieba.posseg

    class SharedTagTable(jieba.posseg.POSTokenizer):
        def load_word_tag(self, f):
            shared = jieba.posseg.dt
            if self.tokenizer.dictionary == shared.tokenizer.dictionary and hasattr(shared, "word_tag_tab"):
                f.close()
                self.word_tag_tab = dict(shared.word_tag_tab)
            else:
                super().load_word_tag(f)

    return SharedTagTable(tokenizer)


class Tokenizer:
    """jieba, with the plan's units and terms in a private user dictionary."""

    _lock = threading.Lock()

    def __init__(self, plan: Plan):
        import jieba
        import logging
        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        names = {a for u in UNITS for a in (u.name, *u.aliases)}
        names |= {a for d in DESIGNATIONS for a in (d.name, *d.aliases)}
        terms = key_terms(plan) - names
        self._pos = _pos_tokenizer(self._jieba)
        with self._lock:
            self._jieba.initialize()
            for word in names:
                if len(word) >= 2:
                    self._jieba.add_word(word, freq=50000)
            # the plan's own terms are what its questions are about: tagged as proper nouns, so
            # that topic detection and the scope check count them (jieba tags words added
            # without a tag "x", which neither counts)
            for word in terms:
                if len(word) >= 2:
                    self._jieba.add_word(word, freq=50000, tag="nz")

    def tagged(self, text: str) -> list[tuple[str, str]]:
        """(word, part-of-speech flag) pairs from jieba's tagger over the same dictionary."""
        with self._lock:
            return [(p.word, p.flag) for p in self._pos.lcut(text) if p.word.strip()]

    def words(self, text: str) -> list[str]:
        with self._lock:
            return [w for w in self._jieba.lcut_for_search(text) if w.strip()]

    def content_words(self, text: str) -> list[str]:
        return [w for w in self.words(text)
                if w not in STOPWORDS and re.search(r"[\w%]", w) and not re.fullmatch(r"[\W_]+", w)]

    def tokens(self, text: str) -> list[str]:
        """BM25 tokens: content words plus CJK character bigrams (robust to paraphrase and typos)."""
        tokens = [w.lower() for w in self.content_words(text)]
        for run in re.findall(r"[\u4e00-\u9fff]{2,}", text):
            tokens.extend(run[i:i + 2] for i in range(len(run) - 1))
        return tokens


@lru_cache(maxsize=2)
def tokenizer_for(plan: Plan) -> Tokenizer:
    return Tokenizer(plan)
