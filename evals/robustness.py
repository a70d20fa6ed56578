"""CheckList-style behavioural robustness tests (Ribeiro et al., 2020) over the gold set.

    python -m evals.robustness [--limit N] [--out DIR] [--seed S] [--quiet]

Two kinds of test, both derived from ``evals/gold.jsonl`` without any new hand-written data:

* **Invariance (INV)**: a perturbation that should not change the answer. Each generator
  ``NAME(item, rng, **resources) -> list[dict]`` returns perturbed copies of a gold item
  (new ``id`` = ``<id>~<kind>[~k]``, new ``question``, the same expected-answer fields, plus
  ``perturbation``, ``source_id`` and a ``detail`` dict saying what was changed). A
  perturbation is *invariant* when the set of measures the answer cites and its refusal
  decision equal those of the system's own answer to the unperturbed question, so the
  test measures consistency, not correctness.

  ============== ===========================================================================
  kind           perturbation
  ============== ===========================================================================
  traditional    simplified → traditional characters (OpenCC ``s2t``)
  homophone      one character of a key term (a jieba word of ≥ 2 characters that the plan
                 also uses) → a common character with the same toneless pinyin
  politeness     politeness / filler at the start and/or end (请问一下，… ……谢谢 / ？？)
  width          full-width ↔ half-width punctuation and digits, plus stray spaces
  alias          the unit mention → each of its other names (canonical ↔ alias), ≤ 3
  role_synonym   role words → synonyms (牵头→主抓/带头/牵总, 参加→参与/配合, 负责→承担)
  order_swap     "<clause A>，<clause B>" → "<clause B>，<clause A>" when the question names
                 a unit and a time or role condition; also "<unit><date>…" → "<date>，<unit>…"
  ============== ===========================================================================

  Only items with a clear answer are perturbed: not refused, non-empty ``expected``, empty
  ``history``. A generator returns ``[]`` when its kind does not apply to an item (no role
  word, no unit, …); every kind except ``width`` skips English questions.

* **Directional (DIR)**: adding a condition to a list question must narrow the answer, never
  widen it or change its kind. ``directional_items`` pairs a gold unit/deadline list
  question with a narrowed question (a role ``作为牵头单位``, another unit, or a year
  ``2022年底前``). A pair passes when the narrowed answer's cited set is a subset of (or
  equal to) the base answer's, its ``intent`` is the same and it is not refused unless the
  base was refused.

``run_robustness(assistant, items)`` asks every base question, perturbation and narrowed
question once (a tqdm bar) and returns a ``RobustnessReport`` (``to_markdown()``,
``to_dict()``).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

EVALS_DIR = Path(__file__).resolve().parent
DEFAULT_OUT = EVALS_DIR / "reports"
GOLD_PATH = EVALS_DIR / "gold.jsonl"
CORPUS_PATH = EVALS_DIR.parent / "corpus" / "ningxia-rule-of-law-government-plan-2021-2025.txt"
MAX_EXAMPLES = 5
MAX_ALIASES = 3
HOMOPHONE_CHOICES = 5          # pick the replacement among this many most frequent homophones

CJK_RE = re.compile(r"[\u4e00-\u9fff]")
# Answer fields a perturbation must carry over unchanged.
EXPECTED_FIELDS = ("category", "history", "expected", "match", "refused", "key_facts", "unit", "role")


# ------------------------------------------------------------------ helpers
def load_gold(path: Path = GOLD_PATH) -> list[dict]:
    from .run import load_gold as load
    return load(path)


def is_cjk(char: str) -> bool:
    return len(char) == 1 and bool(CJK_RE.match(char))


def is_english(text: str) -> bool:
    """A question with no CJK character at all."""
    return not CJK_RE.search(text)


def is_answerable(item: Mapping) -> bool:
    """Items with a clear answer: not refused, something expected, no conversation history."""
    return (not item.get("refused")) and bool(item.get("expected")) and not item.get("history")


def variant(item: Mapping, kind: str, question: str, k: int | None = None, **detail) -> dict:
    """A perturbed copy of ``item``: same expected-answer fields, new id and question."""
    out = dict(item)
    out["id"] = f"{item['id']}~{kind}" + (f"~{k}" if k is not None else "")
    out["question"] = question
    out["perturbation"] = kind
    out["source_id"] = item["id"]
    out["detail"] = detail
    return out


def _question(item: Mapping, chinese_only: bool = True) -> str | None:
    """The question to perturb, or None when the item must be skipped."""
    if not is_answerable(item):
        return None
    question = item.get("question") or ""
    if chinese_only and is_english(question):
        return None
    return question


# ------------------------------------------------------------------ resources (cached)
@lru_cache(maxsize=1)
def s2t_converter():
    import opencc
    return opencc.OpenCC("s2t")


@lru_cache(maxsize=1)
def plan_text(path: str = str(CORPUS_PATH)) -> str:
    """The plan text with all whitespace removed (key terms may straddle a line break)."""
    return re.sub(r"\s+", "", Path(path).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _jieba():
    import logging

    import jieba
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba.dt


def toneless(text: str) -> list[str]:
    """Toneless pinyin of an all-CJK string, one syllable per character (in context)."""
    from pypinyin import lazy_pinyin
    return lazy_pinyin(text)


@lru_cache(maxsize=1)
def homophone_table() -> dict[str, tuple[str, ...]]:
    """Toneless pinyin → CJK characters with that (default) reading, most frequent first.

    Characters and their frequencies come from jieba's own dictionary: a character counts
    the summed frequency of the dictionary words that contain it."""
    counts: Counter = Counter()
    for word, freq in _jieba().FREQ.items():
        if freq:
            for char in word:
                counts[char] += freq
    table: dict[str, list[str]] = {}
    for char, _ in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])):
        if not is_cjk(char) or char.isdigit():
            continue
        reading = toneless(char)[0]
        if reading and reading != char:
            table.setdefault(reading, []).append(char)
    return {reading: tuple(chars) for reading, chars in table.items()}


def key_terms(question: str, text: str | None = None) -> list[tuple[int, str]]:
    """(start, word) of the jieba words of ≥ 2 CJK characters in ``question`` that also
    occur in the plan text, in order."""
    text = plan_text() if text is None else text
    out, start = [], 0
    for word in _jieba().lcut(question):
        if len(word) >= 2 and all(is_cjk(c) for c in word) and word in text:
            out.append((start, word))
        start += len(word)
    return out


def unit_mentions(question: str) -> list[tuple[int, int, str]]:
    """(start, end, canonical name) of each unit name or alias in the question, longest
    first, without overlaps, in order of position. The pseudo-unit for city and county
    governments is left out: its aliases (银川市, 市县 …) are not interchangeable."""
    from assistant.units import UNITS, UnitKind
    pairs = sorted(((alias, unit.name) for unit in UNITS if unit.kind != UnitKind.LOCAL
                    for alias in (unit.name, *unit.aliases) if len(alias) >= 2),
                   key=lambda pair: -len(pair[0]))
    taken = [False] * len(question)
    found = []
    for alias, name in pairs:
        start = question.find(alias)
        while start != -1:
            end = start + len(alias)
            if not any(taken[start:end]):
                taken[start:end] = [True] * len(alias)
                found.append((start, end, name))
            start = question.find(alias, start + 1)
    return sorted(found)


def unit_names(canonical: str) -> list[str]:
    """The canonical name and every alias of a unit, distinct after bracket folding."""
    from assistant.units import canonical_form, units_by_name
    unit = units_by_name()[canonical]
    seen, out = set(), []
    for name in (unit.name, *unit.aliases):
        if canonical_form(name) not in seen:
            seen.add(canonical_form(name))
            out.append(name)
    return out


# ------------------------------------------------------------------ generators
def traditional(item: dict, rng: random.Random, **resources) -> list[dict]:
    """Simplified → traditional characters with OpenCC (``s2t``)."""
    question = _question(item)
    if question is None:
        return []
    converter = resources.get("converter") or s2t_converter()
    converted = converter.convert(question)
    return [variant(item, "traditional", converted)] if converted != question else []


def homophone(item: dict, rng: random.Random, **resources) -> list[dict]:
    """Replace one character of one key term with a common homophone (same toneless pinyin)."""
    question = _question(item)
    if question is None:
        return []
    table = resources.get("homophones") or homophone_table()
    options = []
    for start, term in key_terms(question, resources.get("plan_text")):
        readings = toneless(term)
        if len(readings) != len(term):
            continue
        chars = []
        for offset, (char, reading) in enumerate(zip(term, readings)):
            candidates = [c for c in table.get(reading, ()) if c != char][:HOMOPHONE_CHOICES]
            if candidates:
                chars.append((offset, char, reading, candidates))
        if chars:
            options.append((start, term, chars))
    if not options:
        return []
    start, term, chars = rng.choice(options)
    offset, char, reading, candidates = rng.choice(chars)
    new = rng.choice(candidates)
    position = start + offset
    changed = question[:position] + new + question[position + 1:]
    return [variant(item, "homophone", changed, term=term, term_start=start, position=position, original=char,
                    replacement=new, pinyin=reading)]


POLITE_PREFIXES = ("请问一下，", "麻烦问下，", "嗯，")
POLITE_SUFFIXES = ("……谢谢", "？？")


def politeness(item: dict, rng: random.Random, **resources) -> list[dict]:
    """Politeness and filler at the start, the end, or both."""
    question = _question(item)
    if question is None:
        return []
    where = rng.choice(("start", "end", "both"))
    prefix = rng.choice(POLITE_PREFIXES) if where in ("start", "both") else ""
    suffix = rng.choice(POLITE_SUFFIXES) if where in ("end", "both") else ""
    body = question
    if suffix == "？？":
        body = question.rstrip("？?")
    return [variant(item, "politeness", f"{prefix}{body}{suffix}", prefix=prefix, suffix=suffix)]


def _swap_width(char: str) -> str:
    code = ord(char)
    if 0xFF01 <= code <= 0xFF5E and not chr(code - 0xFEE0).isalpha():
        return chr(code - 0xFEE0)                       # full-width → half-width
    if 0x21 <= code <= 0x7E and not char.isalpha():
        return chr(code + 0xFEE0)                       # half-width digit/punct → full-width
    return char


def width(item: dict, rng: random.Random, **resources) -> list[dict]:
    """Swap full-width and half-width punctuation and digits; add 1–3 stray spaces."""
    question = _question(item, chinese_only=False)
    if question is None:
        return []
    swapped = "".join(_swap_width(c) for c in question)
    if is_english(question):
        gaps = [i for i in range(1, len(swapped)) if swapped[i - 1] == " "]
    else:
        gaps = [i for i in range(1, len(swapped)) if is_cjk(swapped[i - 1]) and is_cjk(swapped[i])]
    chosen = sorted(rng.sample(gaps, min(len(gaps), rng.randint(1, 3))))
    for i in reversed(chosen):
        swapped = swapped[:i] + " " + swapped[i:]
    return [variant(item, "width", swapped, spaces=len(chosen))] if swapped != question else []


def alias(item: dict, rng: random.Random, **resources) -> list[dict]:
    """The unit mention → each of the unit's other names (canonical ↔ alias), at most 3."""
    from assistant.units import canonical_form
    question = _question(item)
    if question is None:
        return []
    mentions = unit_mentions(question)
    wanted = item.get("unit")
    mention = next((m for m in mentions if m[2] == wanted), None) if wanted else None
    mention = mention or (mentions[0] if mentions else None)
    if mention is None:
        return []
    start, end, name = mention
    said = question[start:end]
    others = [n for n in unit_names(name) if canonical_form(n) != canonical_form(said)]
    # the canonical name first when an alias was used, then a random choice of aliases
    head = [name] if name in others else []
    rest = [n for n in others if n != name]
    picked = head + rng.sample(rest, min(len(rest), MAX_ALIASES - len(head)))
    return [variant(item, "alias", question[:start] + other + question[end:], k, unit=name,
                    original=said, replacement=other)
            for k, other in enumerate(picked, start=1)]


ROLE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "牵头": ("主抓", "带头", "牵总"),
    "参加": ("参与", "配合"),
    "负责": ("承担",),
}
# 负责人 / 负责同志 are persons, not the role.
ROLE_WORD_RE = {"牵头": re.compile("牵头"), "参加": re.compile("参加"),
                "负责": re.compile("负责(?!人|同志)")}


def role_synonym(item: dict, rng: random.Random, **resources) -> list[dict]:
    """Each role word present → each of its synonyms (every occurrence of that word)."""
    question = _question(item)
    if question is None:
        return []
    out = []
    for word, synonyms in ROLE_SYNONYMS.items():
        pattern = ROLE_WORD_RE[word]
        if pattern.search(question):
            for synonym in synonyms:
                changed = pattern.sub(synonym, question)
                out.append(variant(item, "role_synonym", changed, len(out) + 1, original=word, replacement=synonym))
    return out


TIME_CUE = re.compile(r"20\d{2}\s*年|年底|底前|之前|以前|每年|什么时候|何时|啥时候|时间|期限|时限|截止")
ROLE_CUE = re.compile(r"牵头|参加|参与|配合|负责|责任单位|主抓")
DATE_PHRASE = re.compile(r"20\d{2}\s*年\s*(?:\d{1,2}\s*月)?\s*(?:底前|底|之前|以前|前)?")
_END_PUNCT = "？?。！!"


def order_swap(item: dict, rng: random.Random, **resources) -> list[dict]:
    """Swap a unit clause and a time/role clause.

    ``A，B？`` (two clauses, the question names a unit and has a time or role condition)
    becomes ``B，A？``; a question that opens with a unit directly followed by a date
    (``司法厅2022年底前要完成哪些事？``) becomes ``2022年底前，司法厅要完成哪些事？``."""
    question = _question(item)
    if question is None:
        return []
    mentions = unit_mentions(question)
    if not mentions or not (TIME_CUE.search(question) or ROLE_CUE.search(question)):
        return []
    body = question.rstrip(_END_PUNCT)
    end = question[len(body):]
    clauses = body.split("，")
    if len(clauses) == 2 and all(c.strip() for c in clauses):
        first, second = clauses
        return [variant(item, "order_swap", f"{second}，{first}{end or '？'}", form="clauses")]
    start, stop, _ = mentions[0]
    date = DATE_PHRASE.match(question, stop)
    if len(clauses) == 1 and date and date.group(0).strip():
        moved = f"{date.group(0)}，{question[:stop]}{question[date.end():]}"
        return [variant(item, "order_swap", moved, form="date_first")]
    return []


GENERATORS: dict[str, Callable[..., list[dict]]] = {
    "traditional": traditional,
    "homophone": homophone,
    "politeness": politeness,
    "width": width,
    "alias": alias,
    "role_synonym": role_synonym,
    "order_swap": order_swap,
}
KINDS: tuple[str, ...] = tuple(GENERATORS)


def item_rng(seed: int, item_id: str, kind: str) -> random.Random:
    """A deterministic generator per (seed, item, kind), independent of item order."""
    return random.Random(f"{seed}:{item_id}:{kind}")


def perturb(items: Iterable[dict], kinds: Sequence[str] = KINDS, seed: int = 0, **resources) -> list[dict]:
    """Every perturbation of every item, item by item, kinds in the given order."""
    out = []
    for item in items:
        for kind in kinds:
            out.extend(GENERATORS[kind](item, item_rng(seed, item["id"], kind), **resources))
    return out


# ------------------------------------------------------------------ directional
NARROW_ROLE = "作为牵头单位"
NARROW_YEAR = "2022年底前"
_ANY_ROLE = re.compile(r"牵头|参加|参与|配合|责任|不管|无论|都算")


def _short_name(canonical: str) -> str:
    """The name used when a unit is added to a question: its first alias, else the name."""
    from assistant.units import units_by_name
    unit = units_by_name()[canonical]
    return unit.aliases[0] if unit.aliases else unit.name


def _unit_to_add(expected: Sequence[int], plan) -> str | None:
    """The unit named (any role) by the most expected measures, preferring one that does not
    cover them all, so the narrowed list is smaller but not empty."""
    from assistant.units import UnitKind, units_by_name
    known = units_by_name()
    counts: Counter = Counter()
    by_number = {m.number: m for m in plan.measures}
    for number in expected:
        measure = by_number.get(number)
        if measure is None:
            continue
        for name in set(measure.unit_names):
            if name in known and known[name].kind != UnitKind.LOCAL:
                counts[name] += 1
    if not counts:
        return None
    ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    proper = [name for name, count in ranked if count < len(set(expected))]
    return (proper or [ranked[0][0]])[0]


def directional_items(items: Iterable[dict], plan) -> list[dict]:
    """(base, narrowed) question pairs: a condition added to a unit or deadline list question.

    * ``role``: a unit/deadline list question that names a unit and no role gets
      ``作为牵头单位`` right after the unit (``司法厅作为牵头单位要做什么？``).
    * ``unit``: a deadline list question that names no unit gets the unit that the most of
      its expected measures name, in front (``司法厅2022年底前要完成哪些任务？``).
    * ``year``: a deadline list question with no year and no 每年 gets ``2022年底前`` in
      front. Unit questions get no year: a dated unit question is a deadline question by
      design, so its answer kind would legitimately change.
    """
    pairs = []
    for item in items:
        if item.get("category") not in ("unit", "deadline") or not is_answerable(item):
            continue
        question = item["question"]
        if is_english(question):
            continue
        mentions = unit_mentions(question)

        def pair(kind: str, narrowed: str, condition: str) -> None:
            pairs.append({"id": f"{item['id']}~dir-{kind}", "source_id": item["id"], "kind": kind,
                          "condition": condition, "category": item["category"],
                          "base": question, "narrowed": narrowed})

        if mentions and not _ANY_ROLE.search(question):
            _, end, _ = mentions[0]
            if question[end:end + 1] not in ("的", "，", ","):
                pair("role", question[:end] + NARROW_ROLE + question[end:], "牵头")
        if item["category"] == "deadline" and len(item["expected"]) > 1:
            if not mentions:
                unit = _unit_to_add(item["expected"], plan)
                if unit:
                    pair("unit", _short_name(unit) + question, unit)
            if not re.search(r"20\d{2}|每年|年度", question):
                pair("year", NARROW_YEAR + question, NARROW_YEAR)
    return pairs


# ------------------------------------------------------------------ running
@dataclass
class Outcome:
    """What the report keeps of one answer."""
    citations: list[int]
    refused: bool
    intent: str
    error: str = ""

    @property
    def cited(self) -> set[int]:
        return set(self.citations)

    def to_dict(self) -> dict:
        return {"citations": self.citations, "refused": self.refused, "intent": self.intent,
                "error": self.error}


def _ask(assistant, question: str) -> Outcome:
    try:
        answer = assistant.ask(question, [])
    except Exception as exc:  # one broken answer must not stop the run
        return Outcome([], False, "error", f"{type(exc).__name__}: {exc}")
    return Outcome(list(answer.citations or []), bool(answer.refused), str(answer.intent or ""),
                   str(getattr(answer, "error", "") or ""))


@dataclass
class KindResult:
    kind: str
    n: int = 0
    invariant: int = 0
    failures: list[dict] = field(default_factory=list)     # up to MAX_EXAMPLES
    patterns: Counter = field(default_factory=Counter)

    @property
    def rate(self) -> float | None:
        return self.invariant / self.n if self.n else None

    def to_dict(self) -> dict:
        return {"kind": self.kind, "n": self.n, "invariant": self.invariant, "rate": self.rate,
                "failure_patterns": dict(self.patterns.most_common()), "examples": self.failures}


@dataclass
class DirectionalResult:
    n: int = 0
    passed: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)   # kind -> [n, passed]
    empty_narrowed: int = 0                                       # passed with nothing cited
    failures: list[dict] = field(default_factory=list)
    patterns: Counter = field(default_factory=Counter)

    @property
    def rate(self) -> float | None:
        return self.passed / self.n if self.n else None

    def to_dict(self) -> dict:
        return {"n": self.n, "passed": self.passed, "rate": self.rate,
                "by_kind": {k: {"n": v[0], "passed": v[1], "rate": v[1] / v[0] if v[0] else None}
                            for k, v in self.by_kind.items()},
                "empty_narrowed": self.empty_narrowed,
                "failure_patterns": dict(self.patterns.most_common()), "examples": self.failures}


@dataclass
class RobustnessReport:
    kinds: dict[str, KindResult]
    directional: DirectionalResult
    base_items: int
    questions_asked: int
    seconds: float
    seed: int = 0
    cases: list[dict] = field(default_factory=list)        # every perturbation and pair
    info: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return sum(k.n for k in self.kinds.values())

    @property
    def invariant(self) -> int:
        return sum(k.invariant for k in self.kinds.values())

    @property
    def rate(self) -> float | None:
        return self.invariant / self.n if self.n else None

    def to_dict(self) -> dict:
        return {"overall": {"n": self.n, "invariant": self.invariant, "rate": self.rate},
                "kinds": {name: k.to_dict() for name, k in self.kinds.items()},
                "directional": self.directional.to_dict(),
                "base_items": self.base_items, "questions_asked": self.questions_asked,
                "seconds": round(self.seconds, 2), "seed": self.seed, "info": self.info,
                "cases": self.cases}

    def table(self) -> list[str]:
        rows = [[name, str(k.n), str(k.invariant), _fmt(k.rate)] for name, k in self.kinds.items()]
        rows.append(["**overall**", str(self.n), str(self.invariant), _fmt(self.rate)])
        d = self.directional
        rows.append(["directional (DIR)", str(d.n), str(d.passed), _fmt(d.rate)])
        return _table(["kind", "n", "invariant / passed", "rate"], rows)

    def to_markdown(self) -> str:
        lines = ["# Robustness (CheckList-style behavioural tests)", "",
                 f"{self.base_items} gold items with a clear answer, {self.n} perturbations, "
                 f"{self.directional.n} directional pairs; {self.questions_asked} questions asked "
                 f"in {self.seconds:.1f} s (seed {self.seed}).", "",
                 "Invariance: the perturbed answer cites the same set of measures and makes the same "
                 "refusal decision as the system's answer to the unperturbed question. Directional: "
                 "the narrowed answer cites a subset of the base answer's measures, keeps its intent "
                 "and is not refused unless the base was.", "", "## Summary", "", *self.table(), ""]
        d = self.directional
        if d.by_kind:
            lines += ["## Directional tests by condition", "",
                      *_table(["condition", "n", "passed", "rate"],
                              [[k, str(v[0]), str(v[1]), _fmt(v[1] / v[0] if v[0] else None)]
                               for k, v in d.by_kind.items()]),
                      "", f"Narrowed answers citing nothing (passed trivially): {d.empty_narrowed}.", ""]
        lines += ["## Failure patterns", ""]
        for name, k in self.kinds.items():
            if k.patterns:
                lines.append(f"- **{name}**: " + ", ".join(f"{p} ×{c}" for p, c in k.patterns.most_common()))
        if d.patterns:
            lines.append("- **directional**: " + ", ".join(f"{p} ×{c}" for p, c in d.patterns.most_common()))
        lines += ["", "## Example failures", ""]
        for name, k in self.kinds.items():
            if not k.failures:
                continue
            lines += [f"### {name}", ""]
            for f in k.failures:
                lines += [f"- `{f['id']}` ({f['pattern']})",
                          f"  - base: {f['base_question']} → {_answer_line(f['base'])}",
                          f"  - perturbed: {f['question']} → {_answer_line(f['perturbed'])}"]
            lines.append("")
        if d.failures:
            lines += ["### directional", ""]
            for f in d.failures:
                lines += [f"- `{f['id']}` ({f['pattern']})",
                          f"  - base: {f['base_question']} → {_answer_line(f['base'])}",
                          f"  - narrowed: {f['question']} → {_answer_line(f['narrowed'])}"]
            lines.append("")
        return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _answer_line(outcome: Mapping, limit: int = 12) -> str:
    cited = outcome["citations"]
    shown = ", ".join(map(str, cited[:limit])) + (f", … ({len(cited)})" if len(cited) > limit else "")
    flags = " refused" if outcome["refused"] else ""
    return f"[{shown}]{flags} ({outcome['intent']})"


def invariance_pattern(base: Outcome, got: Outcome) -> str | None:
    """None when invariant, else a short label of how the answer changed."""
    if got.refused != base.refused:
        return "newly refused" if got.refused else "no longer refused"
    if got.cited == base.cited:
        return None
    if not got.cited:
        return "cites nothing"
    if got.intent != base.intent:
        return f"intent {base.intent}→{got.intent}"
    if got.cited < base.cited:
        return "fewer measures"
    if got.cited > base.cited:
        return "more measures"
    return "disjoint measures" if not (got.cited & base.cited) else "different measures"


def directional_pattern(base: Outcome, narrowed: Outcome) -> str | None:
    """None when the pair passes, else a short label."""
    if narrowed.refused and not base.refused:
        return "narrowed refused"
    if narrowed.intent != base.intent:
        return f"intent {base.intent}→{narrowed.intent}"
    if not narrowed.cited <= base.cited:
        return "not a subset"
    return None


def run_robustness(assistant, items: Sequence[dict], progress: bool = True, seed: int = 0,
                   kinds: Sequence[str] = KINDS, directional: bool = True, plan=None) -> RobustnessReport:
    """Ask every base question, perturbation and directional pair; count invariance."""
    from tqdm import tqdm
    started = time.perf_counter()
    base_items = [item for item in items if is_answerable(item)]
    perturbed = perturb(base_items, kinds, seed)
    pairs = []
    if directional:
        plan = plan if plan is not None else getattr(assistant, "plan", None)
        if plan is None:
            from assistant.plan import load_plan
            plan = load_plan(CORPUS_PATH)
        pairs = directional_items(base_items, plan)
    questions = list(dict.fromkeys([*(i["question"] for i in base_items), *(p["question"] for p in perturbed),
                                    *(p["base"] for p in pairs), *(p["narrowed"] for p in pairs)]))
    answers = {q: _ask(assistant, q)
               for q in tqdm(questions, desc="robustness", unit="q", disable=not progress)}
    by_id = {item["id"]: item for item in base_items}
    results = {kind: KindResult(kind) for kind in kinds}
    cases = []
    for case in perturbed:
        source = by_id[case["source_id"]]
        base, got = answers[source["question"]], answers[case["question"]]
        pattern = invariance_pattern(base, got)
        result = results[case["perturbation"]]
        result.n += 1
        result.invariant += pattern is None
        record = {"id": case["id"], "kind": case["perturbation"], "source_id": source["id"],
                  "category": source.get("category"), "base_question": source["question"],
                  "question": case["question"], "invariant": pattern is None, "pattern": pattern,
                  "detail": case.get("detail", {}), "base": base.to_dict(), "perturbed": got.to_dict()}
        cases.append(record)
        if pattern is not None:
            result.patterns[pattern] += 1
            if len(result.failures) < MAX_EXAMPLES:
                result.failures.append(record)
    d = DirectionalResult()
    for p in pairs:
        base, narrowed = answers[p["base"]], answers[p["narrowed"]]
        pattern = directional_pattern(base, narrowed)
        d.n += 1
        d.passed += pattern is None
        counts = d.by_kind.setdefault(p["kind"], [0, 0])
        counts[0] += 1
        counts[1] += pattern is None
        d.empty_narrowed += pattern is None and not narrowed.cited
        record = {"id": p["id"], "kind": "directional", "condition": p["kind"], "source_id": p["source_id"],
                  "category": p["category"], "base_question": p["base"], "question": p["narrowed"],
                  "passed": pattern is None, "pattern": pattern, "base": base.to_dict(),
                  "narrowed": narrowed.to_dict()}
        cases.append(record)
        if pattern is not None:
            d.patterns[f"{p['kind']}: {pattern}"] += 1
            if len(d.failures) < MAX_EXAMPLES:
                d.failures.append(record)
    return RobustnessReport(results, d, len(base_items), len(questions), time.perf_counter() - started,
                            seed, cases)


def write_reports(report: RobustnessReport, folder: Path) -> dict[str, Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"md": folder / "robustness.md", "json": folder / "robustness.json"}
    paths["md"].write_text(report.to_markdown() + "\n", encoding="utf-8")
    paths["json"].write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    return paths


# ------------------------------------------------------------------ CLI
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evals.robustness",
                                     description="CheckList-style robustness tests over the gold set.")
    parser.add_argument("--limit", type=int, default=None, help="use the first N gold items")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    parser.add_argument("--seed", type=int, default=0, help="perturbation seed (default 0)")
    parser.add_argument("--gold", type=Path, default=GOLD_PATH, help=argparse.SUPPRESS)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    from assistant.service import Assistant
    started = time.perf_counter()
    items = load_gold(args.gold)
    items = items[: args.limit] if args.limit else items
    assistant = Assistant(progress=not args.quiet)
    load_seconds = time.perf_counter() - started
    report = run_robustness(assistant, items, progress=not args.quiet, seed=args.seed)
    report.info["assistant_load_seconds"] = round(load_seconds, 2)
    paths = write_reports(report, args.out)
    print("\n".join(report.table()))
    print(f"{report.questions_asked} questions in {report.seconds:.1f} s "
          f"(assistant load {load_seconds:.1f} s)")
    print("reports: " + ", ".join(str(p) for p in paths.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
