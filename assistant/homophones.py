"""Homophone typo repair against the plan's own vocabulary (pypinyin).

Users type with pinyin input methods, so a typo is usually a character with the same
sound: 行政服议 for 行政复议, 司发厅 for 司法厅, 法工未 for 法工委. A run of characters that
the plan does not contain, but that sounds exactly like a word of the plan (or a unit
name) and differs from it in one character, is replaced by that word. Words shorter than
three characters are left alone: too many of them share a sound.

Building the index takes about two seconds (jieba over the plan, pypinyin and its phrase
dictionary), so `load_or_build` keeps it on disk; with the sound of every CJK character stored
alongside, answering a question needs neither jieba's global dictionary nor pypinyin.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

CJK_RANGE = range(0x4E00, 0xA000)

MIN_LENGTH = 3
MAX_LENGTH = 8
SHAPE_MIN_LENGTH = 5     # a look-alike is repaired only inside a long run (short words differ by one character legitimately)


def _pinyin(text: str) -> tuple[str, ...]:
    from pypinyin import lazy_pinyin
    return tuple(lazy_pinyin(text))


@dataclass
class HomophoneIndex:
    """Words of the plan keyed by their toneless pinyin."""
    corpus: str                                  # text a correct run must be found in
    by_sound: dict[tuple[str, ...], list[str]] = field(default_factory=dict)
    char_sounds: dict[str, str] = field(default_factory=dict)   # 字 -> zi, every CJK character
    words: frozenset[str] = frozenset()          # every word of two characters or more

    @classmethod
    def build(cls, words: Iterable[str], corpus: str) -> "HomophoneIndex":
        index = cls(corpus, words=frozenset(w for w in words if len(w) >= 2))
        for word in sorted(set(words)):
            if MIN_LENGTH <= len(word) <= MAX_LENGTH and re.fullmatch(r"[\u4e00-\u9fff]+", word):
                index.by_sound.setdefault(_pinyin(word), []).append(word)
        from pypinyin import lazy_pinyin
        index.char_sounds = {chr(cp): lazy_pinyin(chr(cp))[0] for cp in CJK_RANGE}
        return index

    def _sound(self, ch: str) -> str | None:
        if not "\u4e00" <= ch <= "\u9fff":
            return None
        sound = self.char_sounds.get(ch)
        return sound if sound is not None else _pinyin(ch)[0]

    def correct(self, text: str) -> str:
        """Replace each unknown run that sounds like exactly one plan word (one character off),
        then each long run that is one inner character off exactly one long plan word."""
        return self._correct_shape(self._correct_sound(text))

    def _correct_shape(self, text: str) -> str:
        """"行政执法监督平合" is 行政执法监督平台: a wrong character that does not sound the same (a
        look-alike, a slip of the stroke input) inside a run of five characters or more that
        the plan does not contain, when one run of the plan's text differs only there."""
        patterns = self._patterns()

        def repair(window: str, start: int) -> str | None:
            if window in self.corpus or not re.fullmatch(r"[\u4e00-\u9fff]+", window):
                return None
            candidates = {(w, k) for k in range(1, len(window) - 1)
                          for w in patterns.get(window[:k] + "\0" + window[k + 1:], ())}
            # ...and the repaired character sits inside a plan word of three characters or more
            if len({w for w, _ in candidates}) == 1 and self._inside_word(*next(iter(candidates))):
                return next(iter(candidates))[0]
            return None
        return _repair_runs(text, SHAPE_MIN_LENGTH, repair)

    def _inside_word(self, run: str, k: int) -> bool:
        return any(run[a:b] in self.words for a in range(0, k + 1) for b in range(max(k + 1, a + 3), len(run) + 1))

    def _patterns(self) -> dict[str, set[str]]:
        """Every run of the plan's text of five to eight Chinese characters, keyed with one inner
        character left out (built on first use)."""
        cached = self.__dict__.get("_by_pattern")
        if cached is None:
            cached = {}
            for run in re.findall(r"[\u4e00-\u9fff]+", self.corpus):
                for length in range(SHAPE_MIN_LENGTH, MAX_LENGTH + 1):
                    for start in range(0, len(run) - length + 1):
                        piece = run[start:start + length]
                        for k in range(1, length - 1):
                            cached.setdefault(piece[:k] + "\0" + piece[k + 1:], set()).add(piece)
            self.__dict__["_by_pattern"] = cached
        return cached

    def _correct_sound(self, text: str) -> str:
        if not self.by_sound:
            return text
        sounds = [self._sound(ch) for ch in text]

        def repair(window: str, start: int) -> str | None:
            key = tuple(sounds[start:start + len(window)])
            if None in key or window in self.corpus:
                return None
            candidates = [w for w in self.by_sound.get(key, ())
                          if sum(a != b for a, b in zip(w, window)) == 1
                          and not self._edge_only(w, text, start, len(window))]
            return candidates[0] if len(set(candidates)) == 1 else None
        return _repair_runs(text, MIN_LENGTH, repair)

    def _edge_only(self, word: str, text: str, start: int, length: int) -> bool:
        """The one different character is at the window's edge, and the other characters begin
        (or end) a longer word of the plan that runs on past the window: "是政府办公厅" is 是 then
        政府办公厅, not a typo of 市政府; "是场监管厅" and "司法听" stay typos."""
        end = start + length
        if word[0] != text[start]:
            return any(text[start + 1:k] in self.words for k in range(end + 1, min(len(text), start + 1 + MAX_LENGTH) + 1))
        if word[-1] != text[end - 1]:
            return any(text[k:end - 1] in self.words for k in range(max(0, end - 1 - MAX_LENGTH), start))
        return False


def _repair_runs(text: str, min_length: int, repair: Callable[[str, int], "str | None"]) -> str:
    """Left to right, the longest run at each place that `repair` replaces (by a run of the
    same length); a replaced run is not looked at again."""
    out, i = list(text), 0
    while i < len(text):
        for length in range(min(MAX_LENGTH, len(text) - i), min_length - 1, -1):
            replacement = repair(text[i:i + length], i)
            if replacement is not None:
                out[i:i + length] = list(replacement)
                i += length
                break
        else:
            i += 1
    return "".join(out)


def cache_key(*parts: str) -> str:
    """A key over what the index is built from, this module's code and the libraries' versions."""
    from importlib.metadata import version
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for part in (*parts, version("jieba"), version("pypinyin")):
        digest.update(b"\0" + part.encode("utf-8"))
    return digest.hexdigest()[:20]


def load_or_build(key: str, build: Callable[[], HomophoneIndex], cache_dir: Path | None) -> HomophoneIndex:
    """The index stored under `cache_dir` for `key`, else `build()` (see `artifacts.load_or_build_at`)."""
    from .artifacts import load_or_build_at
    path = Path(cache_dir) / f"homophones-{key}.pkl" if cache_dir else None
    return load_or_build_at(path, build, HomophoneIndex, valid=lambda index: bool(index.char_sounds))


__all__ = ["HomophoneIndex", "cache_key", "load_or_build"]
