"""Question normalization, the first stage of understanding.

Traditional characters become simplified (OpenCC), full-width letters and digits become
half-width, stray spaces and half-width punctuation are repaired, and politeness or filler
around the question is removed. The result is what every later stage reads; the user's
own text is kept for display.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .text import normalize as repair

# Full-width ASCII letters and digits (Ａ, １) and the ideographic space; Chinese
# punctuation stays full-width, as the plan writes it.
_WIDE_ASCII = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF5B) if chr(code).isalnum()}
_WIDE_ASCII[0x3000] = 0x20
_WIDE_ASCII[0xFF05] = 0x25          # ％ -> %

# Politeness and filler that frame a question without changing it.
_LEADING_FILLER = re.compile(
    r"^(?:(?:您好|你好|嗨|hi|hello)[，,！!。\s]*|(?:请问|麻烦|劳驾|打扰|想问|我想问|想请教|请教|问一下|问下|咨询|"
    r"那个|嗯+|哦+|额+|呃+|啊)(?:一下|下|您|你)?[，,：:\s]*)+", re.I)
_TRAILING_FILLER = re.compile(
    r"(?:[，,。\s]*(?:谢谢|多谢|感谢|thanks?|thank you|please)(?:您|你|啦|了|哈)?[！!。.~～\s]*|[…\.]{2,}|[～~]+)+$",
    re.I)
# How the answer should look ("不用解释，直接列：", "，简单说一下"): said about the answer, not the plan.
_FORMAT_WORDS = (r"(?:请)?(?:不用|不要|无需|不必|别)(?:多|过多)?(?:解释|啰嗦|废话)|直接(?:列|说|回答|给|告诉我)(?:出来|出|一下)?|"
                 r"简单(?:说|讲|回答|列)(?:一下|下)?|简要(?:回答|说明|列出)|只要结果|只说结论|长话短说|一句话(?:回答|说|讲)?")
_LEADING_FORMAT = re.compile(rf"^(?:(?:{_FORMAT_WORDS})[，,：:；;。\s]+)+")
_TRAILING_FORMAT = re.compile(rf"(?:[，,；;。\s（(]+(?:{_FORMAT_WORDS})[）)]?)+[。！!]?$")
_REPEATED_MARKS = re.compile(r"([？?！!。，,])[？?！!。，,]+")


def _is_symbol(ch: str) -> bool:
    """Emoji and pictographs carry no content for the plan."""
    return unicodedata.category(ch) in ("So", "Sk", "Cs") or 0x1F000 <= ord(ch) <= 0x1FAFF


@lru_cache(maxsize=1)
def _converter():
    import opencc
    # Characters only: the phrase-level Taiwan converter would also rewrite mainland words
    # that simplified text already uses correctly (文件 -> 文档, 建立 -> 创建).
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _converter().convert(text).replace("甚么", "什么")


def fold_width(text: str) -> str:
    return text.translate(_WIDE_ASCII)


def strip_filler(text: str) -> str:
    stripped = _TRAILING_FILLER.sub("", _LEADING_FILLER.sub("", text)).strip()
    stripped = _TRAILING_FORMAT.sub("", _LEADING_FORMAT.sub("", stripped)).strip()
    return stripped or text


# An English request wrapped around a Chinese question ("…什么时候建立 please answer in detail").
_LATIN_TAIL = re.compile(r"[\s,.，。!?！？]*[A-Za-z][A-Za-z\s,.'!?;:-]*$")
_LATIN_HEAD = re.compile(r"^[A-Za-z][A-Za-z\s,.'!?;:-]*[,:：，]\s*(?=[\u4e00-\u9fff])")


def strip_latin_wrapping(text: str) -> str:
    """A Chinese question keeps its Chinese: the language is decided by what it asks about."""
    if sum("\u4e00" <= ch <= "\u9fff" for ch in text) < 6:
        return text
    tail = _LATIN_TAIL.search(text)
    # one Latin word written onto the Chinese ("说到app") is a term, not a request around it
    if tail and (len(re.findall(r"[A-Za-z]+", tail.group(0))) >= 2 or not tail.group(0)[0].isalpha()):
        text = text[:tail.start()]
    return _LATIN_HEAD.sub("", text).strip() or text


# Years and percentages written in Chinese numerals ("二〇二四年", "百分之百"), as the plan writes
# them in Arabic digits.
_DIGIT = {ch: str(i) for i, ch in enumerate("〇一二三四五六七八九")} | {"零": "0", "○": "0", "Ｏ": "0"}
_CHINESE_YEAR = re.compile(r"(?<![〇○Ｏ零一二三四五六七八九])(二[〇○Ｏ零][〇○Ｏ零一二三四五六七八九]{2})(?=\s*年)")
_CHINESE_PERCENT = re.compile(r"百分之([一二三四五六七八九十百零两]+)")


# "哪个（哪些）部门": a bracketed alternative form of the word before it
_ALTERNATIVE_FORM = re.compile(r"(?<=[哪这那])(个|些)[（(](?:哪|这|那)?(?:些|个)[)）]")


def arabic_numbers(text: str) -> str:
    from .text import chinese_to_int
    text = _CHINESE_YEAR.sub(lambda m: "".join(_DIGIT[ch] for ch in m.group(1)), text)

    def percent(m):
        value = chinese_to_int(m.group(1).replace("两", "二")) if m.group(1) != "百" else 100
        return f"{value}%" if value else m.group(0)
    return _CHINESE_PERCENT.sub(percent, text)


# A space between two Chinese phrases in a question is a pause typed or dictated instead of a comma
# ("只列了责任单位 没列参加单位"): it separates clauses. A stray space inside a word ("行政 复议") or
# beside a short piece ("监管 的频次", "行 政 复 议") is nothing. A pause sits between words, with at
# least four characters on each side.
_WIDE_GAP = re.compile(r"(?<=[\u4e00-\u9fff][\u4e00-\u9fff][\u4e00-\u9fff][\u4e00-\u9fff])[ \t]+"
                       r"(?=[\u4e00-\u9fff]{4})")


def _pauses_as_commas(text: str) -> str:
    def replace(match: re.Match) -> str:
        before, after = text[max(0, match.start() - 6):match.start()], text[match.end():match.end() + 6]
        return "，" if _word_boundary(before, after) else match.group(0)
    return _WIDE_GAP.sub(replace, text)


def _word_boundary(before: str, after: str) -> bool:
    """Does the tokenizer put a word boundary where the two pieces meet?"""
    import jieba
    position, joined = 0, before + after
    for word in jieba.lcut(joined, HMM=False):
        position += len(word)
        if position >= len(before):
            return position == len(before)
    return True


def normalize_question(text: str) -> str:
    """The text every understanding stage reads."""
    text = _pauses_as_commas(fold_width(text))
    text = "".join(ch for ch in text if not _is_symbol(ch))
    text = to_simplified(text)
    text = _ALTERNATIVE_FORM.sub(r"\1", arabic_numbers(repair(text)))
    text = _REPEATED_MARKS.sub(r"\1", text)
    return strip_latin_wrapping(strip_filler(text))


__all__ = ["arabic_numbers", "fold_width", "normalize_question", "strip_filler", "to_simplified"]
