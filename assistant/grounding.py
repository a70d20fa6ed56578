"""Deterministic support test: is a sentence's content contained in the measures it cites?

A sentence is split from the answer together with the citations 【第N项】 that close it.
Its content is the CJK and digit text left after removing citations, Markdown, and a short
leading label ("时间要求：", "牵头单位："-style labels are kept when the measure contains them).
Support is the share of the content's character bigrams found in the cited measures' text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .text import fold_for_match

CITE = re.compile(r"【第\s*(\d+)\s*项】")
SUPPORT_THRESHOLD = 0.8
_LABEL = re.compile(r"^[^：:]{1,8}[：:]")
_MARKDOWN = re.compile(r"[*_>#`]|^\s*-\s+", re.M)


@dataclass(frozen=True)
class CitedSentence:
    text: str
    citations: tuple[int, ...]


def cited_sentences(answer: str) -> list[CitedSentence]:
    """Split an answer into sentences, each with the citations that directly follow it.

    A sentence ends at 。！？； or at a run of citations; citations right after a
    terminator belong to the sentence before it."""
    out: list[CitedSentence] = []
    for line in answer.splitlines():
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
            closed = line[i] in "。！？；"
            i += 1
        _emit(out, buf, cites)
    return out


def _emit(out: list[CitedSentence], text: str, cites: list[int]) -> None:
    if text.strip():
        out.append(CitedSentence(text.strip(), tuple(dict.fromkeys(cites))))


def content_of(sentence: str) -> str:
    text = CITE.sub("", sentence)
    text = _MARKDOWN.sub("", text).strip()
    return fold_for_match(text)


def _bigrams(text: str) -> list[str]:
    cjk = re.sub(r"[a-z]+", "", text)          # English framing carries no plan claims
    return [cjk[i:i + 2] for i in range(len(cjk) - 1)]


def support(sentence: str, sources: list[str]) -> float:
    """Share of the sentence's content bigrams contained in the source texts (1.0 if none)."""
    content = content_of(sentence)
    grams = _bigrams(content)
    if not grams:
        return 1.0
    haystack = fold_for_match("".join(sources))
    labelled = _LABEL.match(CITE.sub("", _MARKDOWN.sub("", sentence)).strip())
    found = sum(1 for g in grams if g in haystack)
    score = found / len(grams)
    if labelled and score < SUPPORT_THRESHOLD:
        # a short framing label ("时间要求：") is not a claim; judge what follows it
        rest = content_of(sentence.split(labelled.group(0)[-1], 1)[1])
        grams = _bigrams(rest)
        score = (sum(1 for g in grams if g in haystack) / len(grams)) if grams else 1.0
    return score


def is_supported(sentence: str, sources: list[str], threshold: float = SUPPORT_THRESHOLD) -> bool:
    return support(sentence, sources) >= threshold
