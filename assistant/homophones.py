"""Homophone typo repair against the plan's own vocabulary (pypinyin).

Users type with pinyin input methods, so a typo is usually a character with the same
sound: 行政服议 for 行政复议, 司发厅 for 司法厅, 法工未 for 法工委. A run of characters that
the plan does not contain, but that sounds exactly like a word of the plan (or a unit
name) and differs from it in one character, is replaced by that word. Words shorter than
three characters are left alone: too many of them share a sound.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

MIN_LENGTH = 3
MAX_LENGTH = 8


def _pinyin(text: str) -> tuple[str, ...]:
    from pypinyin import lazy_pinyin
    return tuple(lazy_pinyin(text))


@dataclass
class HomophoneIndex:
    """Words of the plan keyed by their toneless pinyin."""
    corpus: str                                  # text a correct run must be found in
    by_sound: dict[tuple[str, ...], list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, words: Iterable[str], corpus: str) -> "HomophoneIndex":
        index = cls(corpus)
        for word in set(words):
            if MIN_LENGTH <= len(word) <= MAX_LENGTH and re.fullmatch(r"[\u4e00-\u9fff]+", word):
                index.by_sound.setdefault(_pinyin(word), []).append(word)
        return index

    def correct(self, text: str) -> str:
        """Replace each unknown run that sounds like exactly one plan word (one character off)."""
        if not self.by_sound:
            return text
        sounds = [_pinyin(ch)[0] if "\u4e00" <= ch <= "\u9fff" else None for ch in text]
        out = list(text)
        i = 0
        while i < len(text):
            replaced = False
            for length in range(min(MAX_LENGTH, len(text) - i), MIN_LENGTH - 1, -1):
                window = text[i:i + length]
                key = tuple(sounds[i:i + length])
                if None in key or window in self.corpus:
                    continue
                candidates = [w for w in self.by_sound.get(key, ())
                              if sum(a != b for a, b in zip(w, window)) == 1]
                if len(set(candidates)) == 1:
                    out[i:i + length] = list(candidates[0])
                    i += length
                    replaced = True
                    break
            if not replaced:
                i += 1
        return "".join(out)


__all__ = ["HomophoneIndex"]
