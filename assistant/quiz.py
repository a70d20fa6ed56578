"""Training material generated from the plan's structure: quizzes and 讲解 handouts.

Four kinds of multiple-choice question, each with four options whose distractors come from
the same field of other measures: a deadline, a numeric target, the lead unit, and the part a
measure belongs to. Generation is deterministic for a given seed. Every answer cites its
measure as 【第N项】.
"""
from __future__ import annotations

import html
import random
import re
from dataclasses import dataclass
from typing import Sequence

from .duties import deadline_text, summary_of, units_by_role
from .records import DeadlineKind, Measure, Plan, Role
from .text import split_sentences

LETTERS = "ABCD"
KINDS = ("deadline", "target", "lead", "part")
KIND_NAMES = {"deadline": "完成时限", "target": "量化指标", "lead": "牵头单位", "part": "所属部分"}
MAX_QUESTIONS = 20
BLANK = "____"
STEM_CHARS = 70


@dataclass(frozen=True)
class Question:
    number: int                 # 1-based position in the quiz
    kind: str                   # one of KINDS
    prompt: str
    options: tuple[str, ...]    # four options
    answer: int                 # index of the correct option
    measure: int                # the measure the answer comes from
    basis: str                  # the sentence of the plan that answers it

    @property
    def letter(self) -> str:
        return LETTERS[self.answer]

    @property
    def correct(self) -> str:
        return self.options[self.answer]

    def choices(self) -> list[tuple[str, str]]:
        """(label, value) pairs for a radio group: ("A. 2022年底前", "A")."""
        return [(f"{LETTERS[i]}. {option}", LETTERS[i]) for i, option in enumerate(self.options)]


@dataclass(frozen=True)
class Quiz:
    seed: int
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class QuizResult:
    correct: int
    total: int
    marks: tuple[bool, ...]
    responses: tuple[str | None, ...]

    @property
    def percent(self) -> int:
        return round(100 * self.correct / self.total) if self.total else 0


# ------------------------------------------------------------ question makers
def _sentence_with(body: str, phrase: str) -> str:
    return next((s for s in split_sentences(body) if phrase in s), phrase)


def _blanked(sentence: str, phrase: str) -> str:
    """The sentence with `phrase` replaced by a blank, shortened around the blank."""
    start = sentence.find(phrase)
    text = sentence.replace(phrase, BLANK, 1)
    if len(text) <= STEM_CHARS:
        return text
    begin = max(0, min(start - 20, len(text) - STEM_CHARS))
    return ("…" if begin else "") + text[begin:begin + STEM_CHARS - 1] + "…"


def _pick_distinct(rng: random.Random, pool: Sequence[str], exclude: set[str], count: int = 3,
                   preferred: Sequence[str] = ()) -> list[str] | None:
    """`count` distinct values, preferred ones first, none in `exclude`; None if too few."""
    chosen: list[str] = []
    for group in (list(preferred), list(pool)):
        group = [v for v in dict.fromkeys(group) if v not in exclude and v not in chosen]
        rng.shuffle(group)
        chosen.extend(group[:count - len(chosen)])
        if len(chosen) == count:
            return chosen
    return None


def _options(rng: random.Random, correct: str, distractors: list[str]) -> tuple[tuple[str, ...], int]:
    options = [correct, *distractors]
    rng.shuffle(options)
    return tuple(options), options.index(correct)


def _deadline_question(rng, plan: Plan, item) -> tuple | None:
    m, d = item
    others = {x.label: x.phrase for o in plan.measures for x in o.deadlines
              if x.kind != DeadlineKind.ANNUAL and x.year is not None and x.label != d.label}
    picked = _pick_distinct(rng, sorted(others), exclude={d.label})
    if picked is None:
        return None
    sentence = _sentence_with(m.body, d.phrase)
    prompt = f"按照方案，“{_blanked(sentence, d.phrase)}”中空白处的时限是？"
    return prompt, d.phrase, [others[label] for label in picked], sentence


# Target units that measure the same kind of thing, for plausible distractors.
UNIT_FAMILIES = ({"日", "个工作日", "小时", "学时"}, {"次", "期", "项"}, {"%"})


def _family(unit: str) -> set[str]:
    return next((family for family in UNIT_FAMILIES if unit in family), {unit})


def _target_question(rng, plan: Plan, item) -> tuple | None:
    m, t = item
    pool = [x for o in plan.measures for x in o.targets]
    similar = [x.value for x in pool if x.unit == t.unit] + [x.value for x in pool if x.unit in _family(t.unit)]
    picked = _pick_distinct(rng, [x.value for x in pool], exclude={t.value}, preferred=similar)
    sentence = _sentence_with(m.body, t.clause)
    if picked is None or t.value not in sentence:
        return None
    prompt = f"按照方案，“{_blanked(sentence, t.value)}”中空白处应填？"
    return prompt, t.value, picked, sentence


def _lead_question(rng, plan: Plan, m: Measure) -> tuple | None:
    leads = [u.name for u in m.units_with_role(Role.LEAD) if not u.is_designation]
    if not leads:
        return None
    correct = rng.choice(leads)
    pool = [u.name for o in plan.measures for u in o.units_with_role(Role.LEAD) if not u.is_designation]
    picked = _pick_distinct(rng, pool, exclude=set(m.unit_names))
    if picked is None:
        return None
    ask = "牵头单位之一" if len(leads) > 1 else "牵头单位"
    prompt = f"“{summary_of(m, STEM_CHARS)}”这项措施的{ask}是？"
    return prompt, correct, picked, f"{'、'.join(leads)}牵头"


def _part_question(rng, plan: Plan, m: Measure) -> tuple | None:
    correct = plan.part(m.part_number).label
    pool = [plan.part(o.part_number).label for o in plan.measures]
    picked = _pick_distinct(rng, pool, exclude={correct})
    if picked is None:
        return None
    prompt = f"“{summary_of(m, STEM_CHARS)}”这项措施属于方案的哪一部分？"
    return prompt, correct, picked, f"{correct} / {plan.section(m.section_number).label}"


MAKERS = {"deadline": _deadline_question, "target": _target_question,
          "lead": _lead_question, "part": _part_question}


def _candidates(plan: Plan) -> dict[str, list]:
    return {
        "deadline": [(m, d) for m in plan.measures for d in m.deadlines
                     if d.kind != DeadlineKind.ANNUAL and d.year is not None],
        "target": [(m, t) for m in plan.measures for t in m.targets],
        "lead": [m for m in plan.measures if m.units_with_role(Role.LEAD)],
        "part": list(plan.measures),
    }


def _measure_of(item) -> Measure:
    return item[0] if isinstance(item, tuple) else item


# ------------------------------------------------------------ quiz
def generate_quiz(plan: Plan, n: int = 5, seed: int = 0, kinds: Sequence[str] = KINDS) -> Quiz:
    """`n` questions (at most MAX_QUESTIONS), kinds in turn, no measure asked twice."""
    rng = random.Random(seed)
    n = max(1, min(int(n), MAX_QUESTIONS))
    pools = _candidates(plan)
    for pool in pools.values():
        rng.shuffle(pool)
    order = [k for k in kinds if k in MAKERS]
    rng.shuffle(order)
    questions: list[Question] = []
    used: set[int] = set()
    turn = 0
    while len(questions) < n and any(pools[k] for k in order):
        kind = order[turn % len(order)]
        turn += 1
        question = _next_question(rng, plan, kind, pools[kind], used, len(questions) + 1)
        if question is not None:
            questions.append(question)
            used.add(question.measure)
    return Quiz(seed, tuple(questions))


def _next_question(rng, plan: Plan, kind: str, pool: list, used: set[int], number: int) -> Question | None:
    while pool:
        item = pool.pop()
        m = _measure_of(item)
        if m.number in used:
            continue
        made = MAKERS[kind](rng, plan, item)
        if made is None:
            continue
        prompt, correct, distractors, basis = made
        options, answer = _options(rng, correct, distractors)
        return Question(number, kind, prompt, options, answer, m.number, basis)
    return None


def _letter(response, question: Question) -> str | None:
    """Accept a letter, an index, an option text or a radio label ("B. …")."""
    if response is None or response == "":
        return None
    if isinstance(response, int):
        return LETTERS[response] if 0 <= response < len(question.options) else None
    text = str(response).strip()
    if text[:1] in LETTERS and (len(text) == 1 or text[1:3] == ". "):
        return text[0]
    if text in question.options:
        return LETTERS[question.options.index(text)]
    return None


def score_quiz(quiz: Quiz, responses: Sequence) -> QuizResult:
    letters = [_letter(r, q) for q, r in zip(quiz.questions, list(responses) + [None] * len(quiz.questions))]
    marks = tuple(letter == q.letter for q, letter in zip(quiz.questions, letters))
    return QuizResult(sum(marks), len(quiz.questions), marks, tuple(letters))


def answer_key(quiz: Quiz, result: QuizResult | None = None) -> str:
    """Markdown answer key: the correct option, the plan's wording and its citation."""
    lines = []
    for i, q in enumerate(quiz.questions):
        mark = ""
        if result is not None:
            given = result.responses[i]
            mark = "✓ 正确" if result.marks[i] else (f"✗ 错误（你的答案：{given}）" if given else "✗ 未作答")
        lines.append(f"{q.number}. **{q.letter}. {q.correct}**{' ' + mark if mark else ''}  \n"
                     f"   依据：{q.basis}【第{q.measure}项】")
    return "\n".join(lines)


def result_markdown(quiz: Quiz, result: QuizResult) -> str:
    head = f"### 得分：{result.correct} / {result.total}（{result.percent} 分）"
    return f"{head}\n\n**参考答案**\n\n{answer_key(quiz, result)}"


# ------------------------------------------------------------ printable sheets
TITLE = "《宁夏回族自治区法治政府建设实施方案（2021—2025年）》学习测验"


def quiz_markdown(quiz: Quiz, with_key: bool = True) -> str:
    lines = [f"# {TITLE}", "", "姓名：__________　单位：__________　得分：______", ""]
    for q in quiz.questions:
        lines.append(f"**{q.number}. （{KIND_NAMES[q.kind]}）{q.prompt}**")
        lines.append("")
        lines.extend(f"- {LETTERS[i]}. {option}" for i, option in enumerate(q.options))
        lines.append("")
    if with_key:
        lines += ["---", "", f"## 参考答案（随机种子 {quiz.seed}）", "", answer_key(quiz)]
    return "\n".join(lines) + "\n"


SHEET_CSS = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; max-width: 780px;
       margin: 2em auto; line-height: 1.6; color: #222; }
h1 { font-size: 1.35em; text-align: center; } h2 { font-size: 1.15em; }
.meta { text-align: center; margin-bottom: 1.5em; }
.q { margin: 1em 0; page-break-inside: avoid; } .q ol { list-style: upper-alpha; margin: .3em 0; }
.key { page-break-before: always; } .basis { color: #555; font-size: .92em; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #999; padding: 4px 6px; }
@media print { body { margin: 0; } }
"""


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{SHEET_CSS}</style></head>\n<body>\n{body}\n</body></html>\n")


def quiz_html(quiz: Quiz, with_key: bool = True) -> str:
    e = html.escape
    parts = [f"<h1>{e(TITLE)}</h1>", "<p class=\"meta\">姓名：__________　单位：__________　得分：______</p>"]
    for q in quiz.questions:
        options = "".join(f"<li>{e(o)}</li>" for o in q.options)
        parts.append(f"<div class=\"q\"><p><b>{q.number}. （{e(KIND_NAMES[q.kind])}）{e(q.prompt)}</b></p>"
                     f"<ol>{options}</ol></div>")
    if with_key:
        items = "".join(f"<li><b>{q.letter}. {e(q.correct)}</b><br><span class=\"basis\">依据：{e(q.basis)}"
                        f"【第{q.measure}项】</span></li>" for q in quiz.questions)
        parts.append(f"<div class=\"key\"><h2>参考答案（随机种子 {quiz.seed}）</h2><ol>{items}</ol></div>")
    return _page(TITLE, "\n".join(parts))


# ------------------------------------------------------------ 讲解 handout
def handout_choices(plan: Plan) -> list[tuple[str, str]]:
    """(label, value) for every part ("part:N") and section ("section:N")."""
    choices = []
    for part in plan.parts:
        choices.append((f"第{part.numeral}部分　{part.label}", f"part:{part.number}"))
        for sn in part.section_numbers:
            choices.append((f"　　{plan.section(sn).label}", f"section:{sn}"))
    return choices


def _scope(plan: Plan, value: str) -> tuple[str, list, list[Measure]]:
    """(title, sections, measures) for "part:N" or "section:N"."""
    match = re.fullmatch(r"(part|section):(\d+)", value or "")
    if not match:
        raise ValueError(f"无法识别的讲解范围：{value}")
    kind, number = match.group(1), int(match.group(2))
    if kind == "part" and plan.part(number):
        part = plan.part(number)
        sections = [plan.section(sn) for sn in part.section_numbers]
        return part.label, sections, plan.measures_in_part(number)
    if kind == "section" and plan.section(number):
        section = plan.section(number)
        title = f"{section.label}（{plan.part(section.part_number).label}）"
        return title, [section], plan.measures_in_section(number)
    raise ValueError(f"方案中没有这个{'部分' if kind == 'part' else '小节'}：{number}")


def _unit_table(measures: list[Measure]) -> list[str]:
    involvement: dict[str, dict[Role, list[int]]] = {}
    for m in measures:
        for role, names in units_by_role(m).items():
            for name in names:
                involvement.setdefault(name, {}).setdefault(role, []).append(m.number)
    lines = ["| 单位 | 牵头 | 参加 | 责任 |", "|---|---|---|---|"]
    for name, roles in sorted(involvement.items(), key=lambda kv: -sum(len(v) for v in kv[1].values())):
        cells = ["".join(f"【第{n}项】" for n in roles.get(role, [])) or "—" for role in Role]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def handout_markdown(plan: Plan, value: str) -> str:
    """One page: the measures of a part or section, the units by role and the deadlines."""
    title, sections, measures = _scope(plan, value)
    dated = [m for m in measures if m.deadlines]
    scope = f"本部分共 {len(sections)} 个小节、" if value.startswith("part") else "本小节共 "
    lines = [f"# 讲解：{title}", "", f"{scope}{len(measures)} 项措施，其中 {len(dated)} 项写明了时限。", ""]
    for section in sections:
        lines += [f"## {section.label}", ""]
        if section.text:
            lines += [f"> {section.text}", ""]
        for m in plan.measures_in_section(section.number):
            roles = "；".join(f"{role.label}：{'、'.join(names)}" for role, names in units_by_role(m).items())
            lines += [f"**第{m.number}项** {m.body}【第{m.number}项】", ""]
            lines += [f"- {roles or '未列单位'}"]
            if m.deadlines:
                lines += [f"- 时限：{deadline_text(m)}"]
            lines.append("")
    lines += ["## 时限一览", ""]
    lines += [f"- {d.phrase}【第{m.number}项】" for m in dated for d in m.deadlines] or ["- 本范围内没有写明时限的措施。"]
    if measures:
        lines += ["", "## 涉及单位", ""] + _unit_table(measures)
    return "\n".join(lines) + "\n"


def handout_html(plan: Plan, value: str) -> str:
    """The handout as a printable page (the Markdown rendered with a small converter)."""
    title, _, _ = _scope(plan, value)
    return _page(f"讲解：{title}", markdown_to_html(handout_markdown(plan, value)))


def markdown_to_html(text: str) -> str:
    """Enough Markdown for handouts: headings, quotes, bullets, tables, bold; all text escaped."""
    out, in_list, table = [], False, []

    def inline(s: str) -> str:
        return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(s))

    def flush():
        nonlocal in_list, table
        if in_list:
            out.append("</ul>")
            in_list = False
        if table:
            rows = [r for r in table if not re.fullmatch(r"\|[-|\s]+\|", r)]
            cells = [[inline(c.strip()) for c in r.strip("|").split("|")] for r in rows]
            head = "".join(f"<th>{c}</th>" for c in cells[0])
            body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in cells[1:])
            out.append(f"<table><tr>{head}</tr>{body}</table>")
            table = []

    for line in text.splitlines():
        if line.startswith("|"):
            table.append(line)
            continue
        if line.startswith("- "):
            if not in_list:
                flush()
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{inline(line[2:])}</li>")
            continue
        flush()
        heading = re.match(r"(#{1,3}) (.*)", line)
        if heading:
            level = len(heading.group(1))
            out.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
        elif line.startswith("> "):
            out.append(f"<blockquote>{inline(line[2:])}</blockquote>")
        elif line.strip():
            out.append(f"<p>{inline(line)}</p>")
    flush()
    return "\n".join(out)


__all__ = ["Question", "Quiz", "QuizResult", "generate_quiz", "score_quiz", "answer_key", "result_markdown",
           "quiz_markdown", "quiz_html", "handout_choices", "handout_markdown", "handout_html", "MAX_QUESTIONS"]
