"""Quizzes and 讲解 handouts for trainers, checked against the parsed records (never against fixed answers).

Scopes (whole plan / part / section / unit), balanced answer letters, distractors of the same kind
and magnitude, the three newer question types, the printable sheets, and handouts that are short
enough for one A4 page per section and two per part, with deadlines in date order.
"""
import math
import re
from collections import Counter

import pytest

from assistant import quiz
from assistant.plan import DEADLINE_RE
from assistant.records import DeadlineKind, Role
from assistant.text import chinese_to_int
from assistant.units import UnitKind, units_by_name

SEEDS = range(40)
SIZES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 16, 20)


def _scope_measures(plan, value: str) -> set[int]:
    """The measures of a scope, computed from the records independently of the quiz module."""
    if value == quiz.WHOLE_PLAN:
        return {m.number for m in plan.measures}
    kind, key = value.split(":", 1)
    if kind == "part":
        return {m.number for m in plan.measures if m.part_number == int(key)}
    if kind == "section":
        return {m.number for m in plan.measures if m.section_number == int(key)}
    return {m.number for m in plan.measures if key in m.unit_names}


def _questions(plan, kinds=None, seeds=SEEDS, scope=quiz.WHOLE_PLAN, n=quiz.MAX_QUESTIONS):
    for seed in seeds:
        for q in quiz.generate_quiz(plan, n, seed=seed, scope=scope).questions:
            if kinds is None or q.kind in kinds:
                yield q


def _leads(m) -> list[str]:
    return [u.name for u in m.units_with_role(Role.LEAD) if not u.is_designation]


def _option_measure(plan, option: str):
    match = re.match(r"第(\d+)项　(.+)$", option)
    assert match, option
    return plan.measure(int(match.group(1))), match.group(2).rstrip("…")


# ------------------------------------------------------------ balance and scope
@pytest.mark.parametrize("scope", [quiz.WHOLE_PLAN, "part:10", "part:2", "unit:自治区司法厅"])
def test_correct_letters_are_balanced_for_every_size(plan, scope):
    sequences = set()
    for n in SIZES:
        for seed in range(25):
            made = quiz.generate_quiz(plan, n, seed=seed, scope=scope)
            assert len(made.questions) == n
            counts = Counter(q.letter for q in made.questions)
            assert all(counts.get(letter, 0) in (n // 4, math.ceil(n / 4)) for letter in "ABCD"), (n, seed, counts)
            if n == 8:
                sequences.add("".join(q.letter for q in made.questions))
    assert len(sequences) > 10          # shuffled, not one fixed pattern such as ABCDABCD


def test_default_quiz_is_not_all_one_letter(plan):
    for seed in range(100):
        letters = [q.letter for q in quiz.generate_quiz(plan, 5, seed=seed).questions]
        assert len(set(letters)) >= 3 and max(Counter(letters).values()) <= 2


def test_every_scope_choice_only_asks_about_its_measures(plan):
    choices = quiz.quiz_scope_choices(plan)
    values = [value for _, value in choices]
    assert values[0] == quiz.WHOLE_PLAN
    assert {f"part:{p.number}" for p in plan.parts if plan.measures_in_part(p.number)} <= set(values)
    assert {f"section:{s.number}" for s in plan.sections if s.measure_numbers} <= set(values)
    assert any(v.startswith("unit:") for v in values)
    for value in values:
        expected = _scope_measures(plan, value)
        assert expected, value
        for seed in (0, 1):
            made = quiz.generate_quiz(plan, 8, seed=seed, scope=value)
            assert made.questions and made.scope == value
            assert {q.measure for q in made.questions} <= expected, value
            pairs = [(q.kind, q.measure) for q in made.questions]
            assert len(pairs) == len(set(pairs))                     # nothing asked twice
            assert len({q.prompt for q in made.questions}) == len(made.questions)
            if len(expected) >= 8:                                   # a measure repeats only in small scopes
                assert len({q.measure for q in made.questions}) == len(made.questions)
            if value.startswith(("part:", "section:")):
                assert all(q.kind != "part" for q in made.questions)  # the scope would give it away


def test_unit_scope_accepts_aliases_and_rejects_unknown_scopes(plan):
    made = quiz.generate_quiz(plan, 6, seed=3, scope="unit:审计厅")
    assert made.scope == "unit:自治区审计厅"
    assert all("自治区审计厅" in plan.measure(q.measure).unit_names for q in made.questions)
    led = [q for q in quiz.generate_quiz(plan, 20, seed=3, scope="unit:自治区司法厅").questions if q.kind == "led_by"]
    assert led and all("自治区司法厅" in q.prompt for q in led)         # the unit's own measures are asked about
    for bad in ("part:1", "part:99", "section:2", "unit:不存在的单位", "nonsense"):
        with pytest.raises(ValueError):
            quiz.generate_quiz(plan, 5, seed=1, scope=bad)


def test_quiz_is_deterministic_per_seed_and_covers_all_kinds(plan):
    assert quiz.generate_quiz(plan, 10, seed=9, scope="part:5") == quiz.generate_quiz(plan, 10, seed=9, scope="part:5")
    assert quiz.generate_quiz(plan, 10, seed=9) != quiz.generate_quiz(plan, 10, seed=10)
    kinds = Counter(q.kind for q in _questions(plan, seeds=range(10)))
    assert set(kinds) == set(quiz.KINDS)
    assert 100000 <= quiz.new_seed() < 1000000


# ------------------------------------------------------------ distractors
def test_options_are_distinct_and_only_the_key_is_correct(plan):
    for q in _questions(plan):
        assert len(q.options) == 4 and len(set(q.options)) == 4
        assert 0 <= q.answer < 4 and q.correct == q.options[q.answer]


def _month(phrase: str) -> tuple[int, int, str]:
    match = DEADLINE_RE.fullmatch(phrase)
    assert match, phrase
    return int(match.group(1)), int(match.group(2) or 12), match.group(3)


def test_deadline_distractors_are_nearby_dates_of_the_plan_period(plan):
    period = plan.period
    seen = 0
    for q in _questions(plan, {"deadline"}):
        m = plan.measure(q.measure)
        assert q.correct in {d.phrase for d in m.deadlines} and quiz.BLANK in q.prompt
        year, month, _ = _month(q.correct)
        taken = {(d.year, d.month or 12) for d in m.deadlines if d.year}
        for option in q.options:
            if option == q.correct:
                continue
            y, mo, _ = _month(option)                           # every option is a date
            assert period.start <= y <= period.end
            assert (y, mo) not in taken                         # not also a date of this measure
            assert abs((y * 12 + mo) - (year * 12 + month)) <= 24, (q.correct, option)
        seen += 1
    assert seen >= 40


def _quantity(option: str, unit: str) -> tuple[float, str]:
    assert option.endswith(unit), (option, unit)
    text = option[:-len(unit)]
    span = re.fullmatch(r"(\d+)[—\-～~](\d+)", text)
    if span:
        return (int(span.group(1)) + int(span.group(2))) / 2, "range"
    if text.isdigit():
        return float(text), "digits"
    value = chinese_to_int(text)
    assert value is not None, option
    return float(value), "chinese"


def test_target_distractors_have_the_same_measure_word_and_magnitude(plan):
    seen = set()
    for q in _questions(plan, {"target"}):
        m = plan.measure(q.measure)
        target = next(t for t in m.targets if t.value == q.correct)
        value, style = _quantity(q.correct, target.unit)
        taken = {_quantity(t.value, t.unit)[0] for t in m.targets if t.unit == target.unit}
        for option in q.options:
            if option == q.correct:
                continue
            # 1小时 never against 30日: same measure word, written the same way, same order of magnitude
            v, s = _quantity(option, target.unit)
            assert s == style and v not in taken, (q.correct, option)
            assert 0.1 <= v / value <= 10, (q.correct, option)
            if target.unit == "%":
                assert v <= 100
        seen.add(target.unit)
    assert {"%", "日", "学时", "小时"} <= seen


def test_lead_questions_key_is_a_lead_and_distractors_are_units_of_the_same_kind(plan):
    seen = 0
    for q in _questions(plan, {"lead"}):
        m = plan.measure(q.measure)
        assert q.correct in _leads(m)
        kind = units_by_name()[q.correct].kind
        for option in q.options:
            if option == q.correct:
                continue
            assert option in units_by_name() and option not in m.unit_names
            assert units_by_name()[option].kind != UnitKind.LOCAL
            if kind == UnitKind.GOVERNMENT:                      # departments against departments
                assert units_by_name()[option].kind == UnitKind.GOVERNMENT, (q.correct, option)
        seen += 1
    assert seen >= 40


# ------------------------------------------------------------ the newer question types
def test_led_by_question_key_is_led_by_the_unit_and_distractors_are_not(plan):
    seen = 0
    for q in _questions(plan, {"led_by"}):
        unit = re.fullmatch(r"下列哪一项措施由(.+)牵头？", q.prompt).group(1)
        for option in q.options:
            o, first_words = _option_measure(plan, option)
            assert o.body.startswith(first_words)                # number with its own first words
            if option == q.correct:
                assert o.number == q.measure and unit in _leads(o)
            else:
                assert unit not in o.unit_names
        seen += 1
    assert seen >= 40


def test_quote_question_key_is_the_measure_that_says_it(plan):
    seen = 0
    for q in _questions(plan, {"quote"}):
        quoted = re.fullmatch(r"“(.+)”出自哪一项措施？", q.prompt).group(1).strip("…")
        assert len(quoted) >= 12
        for option in q.options:
            o, first_words = _option_measure(plan, option)
            assert o.body.startswith(first_words)
            if option == q.correct:
                assert o.number == q.measure and quoted in o.body
                assert first_words not in quoted                 # the options do not give it away
            else:
                assert quoted not in o.body
        seen += 1
    assert seen >= 40


def _statement(q) -> tuple[str, Role, list[str]]:
    """The quoted excerpt, the role named and the units named in a true/false statement."""
    assert q.prompt.startswith(quiz.TF_PROMPT)
    statement = q.prompt[len(quiz.TF_PROMPT):]
    role, at = max(((r, statement.rfind(f"（{r.label}：")) for r in Role), key=lambda pair: pair[1])
    assert at > 0 and statement.endswith("）")
    names = statement[at + len(role.label) + 2:-1].removesuffix("等").split("、")
    return statement[:at].strip("…"), role, names


def test_true_false_key_matches_whether_a_detail_was_changed(plan):
    outcomes = Counter()
    for q in _questions(plan, {"truefalse"}, seeds=range(80)):
        m = plan.measure(q.measure)
        excerpt, role, names = _statement(q)
        role_names = [u.name for u in m.units_with_role(role)]
        text_same = excerpt in m.body
        units_same = all(name in role_names for name in names)
        assert set(q.options) == set(quiz.TF_OPTIONS.values())
        key = next(k for k, v in quiz.TF_OPTIONS.items() if v == q.correct)
        outcomes[key] += 1
        if key == "none":
            assert text_same and units_same, q.prompt
        elif key == "unit":
            assert text_same and not units_same, q.prompt
            assert sum(name not in role_names for name in names) == 1
        else:
            assert units_same and not text_same, q.prompt
            if key == "date":                                       # a date the measure does not have
                phrases = {d.phrase for d in m.deadlines}
                assert any(x.group(0) not in phrases for x in DEADLINE_RE.finditer(excerpt)), q.prompt
        assert f"【第{m.number}项】" in quiz.answer_key(quiz.Quiz(0, (q,)))
        assert ("原文：" in q.basis) and (("改成了" in q.basis) == (key != "none"))
    assert set(outcomes) == set(quiz.TF_OPTIONS)                    # every outcome occurs


# ------------------------------------------------------------ key and sheets
def test_key_cites_every_question_and_sheets_carry_the_paper_number(plan):
    made = quiz.generate_quiz(plan, 12, seed=424242, scope="part:7")
    key = quiz.answer_key(made)
    assert all(f"【第{q.measure}项】" in line for q, line in zip(made.questions, key.split("\n")[1::2]))
    md = quiz.quiz_markdown(made)
    assert md.count("424242") == 2 and made.scope_label in md      # sheet and key carry the same number
    assert all(q.prompt in md for q in made.questions)
    assert "参考答案" not in quiz.quiz_markdown(made, with_key=False)
    page = quiz.quiz_html(made)
    assert page.startswith("<!DOCTYPE html>") and "@page" in page and page.count("424242") == 2
    assert all(f"【第{q.measure}项】" in page for q in made.questions)
    result = quiz.score_quiz(made, [q.letter for q in made.questions])
    assert result.correct == 12


def test_app_quiz_handlers_keep_the_seed_and_export(plan):
    from assistant import app
    made, note, _, *radios = app._quiz_generate(plan, 4, None, "section:21")
    assert made.scope == "section:21" and str(made.seed) in note
    assert sum(r.visible is True for r in radios) == len(made.questions) == 4
    again, *_ = app._quiz_generate(plan, 4, made.seed, "section:21")
    assert again == made                                             # "生成测验" keeps the paper
    exported = app._quiz_export(made, "html")
    path = exported.value["path"] if isinstance(exported.value, dict) else exported.value
    text = open(path, encoding="utf-8").read()
    assert str(made.seed) in path and text.count(str(made.seed)) == 2
    assert "得分：4 / 4" in app._quiz_submit(made, *[q.letter for q in made.questions])


# ------------------------------------------------------------ handout
def _section(text: str, heading: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(heading) + 2
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def _deadline_order(line: str) -> tuple:
    body = line[2:]
    if body.startswith("每年"):
        return (9999, 99, 9)
    match = DEADLINE_RE.match(body)
    assert match, line
    tail_rank = {"前": 0, "底前": 1, "底": 2}[match.group(3)]
    return int(match.group(1)), int(match.group(2) or 12), tail_rank


def _handout_values(plan):
    return [value for _, value in quiz.handout_choices(plan)]


def test_handout_deadlines_are_in_date_order_and_complete(plan):
    checked = 0
    for value in _handout_values(plan):
        measures = [plan.measure(n) for n in sorted(_scope_measures(plan, value))]
        text = quiz.handout_markdown(plan, value)
        if not measures:
            continue
        lines = _section(text, "## 时限（按时间先后）")
        expected = sum(len(m.deadlines) for m in measures)
        if not expected:
            continue
        assert len(lines) == expected, value
        order = [_deadline_order(line) for line in lines]
        assert order == sorted(order), (value, lines)               # 2022年6月底前 before 2022年底前; 每年 last
        checked += 1
    assert checked >= 10
    whole = [(d.sort_key, d.kind) for m in plan.measures for d in m.deadlines]
    assert any(k == (2022, 6) for k, _ in whole) and any(kind == DeadlineKind.ANNUAL for _, kind in whole)


def test_handout_content_is_concise_and_from_the_records(plan):
    for value in _handout_values(plan):
        measures = [plan.measure(n) for n in sorted(_scope_measures(plan, value))]
        text = quiz.handout_markdown(plan, value)
        for m in measures:
            lines = [line for line in text.splitlines() if line.startswith(f"- 【第{m.number}项】")]
            assert len(lines) == 1                                  # one line per measure
            clause = lines[0][len(f"- 【第{m.number}项】"):].split("（")[0].rstrip("…")
            assert m.body.startswith(clause) and len(clause) <= quiz.HANDOUT_LINE_CHARS
            assert len(m.body) <= quiz.HANDOUT_LINE_CHARS or m.body not in text   # never the full text
        for m in measures:                                          # key numeric targets
            assert all(t.value in text for t in m.targets), value
        leads = {u.name for m in measures for u in m.units_with_role(Role.LEAD) if not u.is_designation}
        assert all(f"| {name} |" in text for name in leads), value
        if measures:
            questions = _section(text, "## 讨论题")
            answers = _section(text, "## 讲解要点（讨论题参考答案）")
            assert questions and len(questions) == len(answers)
            for question, answer in zip(questions, answers):
                asked = re.search(r"哪些措施由(.+)牵头？", question)
                if asked:                                           # the answer is exactly that unit's measures
                    cited = {int(n) for n in re.findall(r"【第(\d+)项】", answer)}
                    assert cited == {m.number for m in measures if asked.group(1) in _leads(m)}


# The print budget. @page A4 with 12 mm top/bottom and 14 mm side margins leaves 273 x 182 mm;
# 10.5 pt text at line-height 1.4 is 5.19 mm a line, so 52 lines a page, and a CJK character is
# 3.7 mm wide, so 49 characters a line (digits and Latin letters count half). Headings are larger
# and spaced, so they count double. A section must fit 52 estimated lines, a part 104.
LINES_PER_PAGE = 52
CHARS_PER_LINE = 49


def _printed_lines(page: str) -> float:
    total = 0.0
    for tag, inner in re.findall(r"<(h1|h2|li|p|tr|blockquote)>(.*?)</\1>", page, flags=re.S):
        text = re.sub(r"<[^>]+>", "", inner)
        width = sum(0.5 if ord(ch) < 128 else 1 for ch in text)
        lines = max(1, math.ceil(width / CHARS_PER_LINE))
        total += 2 * lines if tag in ("h1", "h2") else lines
    return total


def test_handout_fits_a4_pages_by_estimate(plan):
    largest = max(plan.parts, key=lambda p: len(plan.measures_in_part(p.number)))
    page = quiz.handout_html(plan, f"part:{largest.number}")
    assert "size: A4" in page and "10.5pt" in page
    assert _printed_lines(page) <= 2 * LINES_PER_PAGE, _printed_lines(page)
    for section in plan.sections:
        estimate = _printed_lines(quiz.handout_html(plan, f"section:{section.number}"))
        assert estimate <= LINES_PER_PAGE, (section.label, estimate)


@pytest.mark.browser
def test_handout_prints_on_one_page_per_section_and_two_per_part(plan, tmp_path):
    """The real check: Chromium prints each handout to PDF and the pages are counted."""
    from pathlib import Path
    from playwright.sync_api import sync_playwright
    chromium = "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail("Chromium not found: run scripts/install-browser.sh")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            for value in _handout_values(plan):
                page.set_content(quiz.handout_html(plan, value))
                pdf = page.pdf(prefer_css_page_size=True)
                pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
                assert 1 <= pages <= (2 if value.startswith("part") else 1), (value, pages)
        finally:
            browser.close()
