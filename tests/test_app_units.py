"""Logic behind the web UI, without a browser: duties, timeline, quiz, feedback and app helpers."""
import csv
import json
import re
import sqlite3
import subprocess
import sys
import threading
import time

import openpyxl
import pytest

from assistant import duties, quiz, timeline
from assistant.answer import Answer, DefaultComposer
from assistant.config import PROJECT_ROOT
from assistant.feedback import DB_NAME, FeedbackStore
from assistant.query import Intent, Query
from assistant.records import DeadlineKind, Role


# ------------------------------------------------------------ duties
@pytest.mark.parametrize("typed,canonical", [
    ("发改委", "自治区发展改革委"), ("审计厅", "自治区审计厅"), ("自治区司法厅", "自治区司法厅"),
    ("人社厅", "自治区人力资源社会保障厅"), ("党校", "自治区党校（行政学院）"), (" 卫健委 ", "自治区卫生健康委"),
    ("我们是统计局", "自治区统计局"), ("各市县〔区〕", "市、县（区）人民政府"),   # local governments
])
def test_resolve_unit_accepts_aliases(typed, canonical):
    assert duties.resolve_unit(typed) == canonical


@pytest.mark.parametrize("typed", ["", None, "不存在的单位", "自治区政府各部门", "政府有关部门"])
def test_resolve_unit_rejects_unknown_names_and_designations(typed):
    assert duties.resolve_unit(typed) is None


@pytest.mark.parametrize("unit", ["自治区审计厅", "自治区司法厅", "自治区发展改革委", "自治区党委组织部",
                                  "市、县（区）人民政府", "自治区高级法院"])
def test_duty_rows_are_complete(plan, unit):
    """Direct rows are the measures naming the unit; the rest are those a designation reaches
    (the same set as the default composer's unit answer)."""
    rows = duties.duty_rows(plan, unit)
    direct = {r.measure for r in rows if r.direct}
    via = {r.measure for r in rows if not r.direct}
    assert direct == {m.number for m in plan.measures if unit in m.unit_names}
    _, expected = DefaultComposer(plan, PROJECT_ROOT / "prompts").unit_duties(
        unit, Query(original=unit, text=unit, intent=Intent.UNIT))
    assert direct == set(expected["all_named"])
    assert via == {n for numbers in expected["via_designation"].values() for n in numbers}
    assert not direct & via
    assert [r.direct for r in rows] == sorted((r.direct for r in rows), reverse=True)   # direct first


def test_duty_rows_fields(plan):
    rows = {r.measure: r for r in duties.duty_rows(plan, "自治区司法厅")}
    assert rows[69].role == "牵头" and rows[69].deadline == "2022年6月前" and rows[69].direct
    assert rows[69].part.startswith("七、")
    audit = {r.measure: r for r in duties.duty_rows(plan, "自治区审计厅")}
    assert audit[30].role == "责任"
    assert audit[69].role == "通过「自治区政府其他有关部门」涉及（参加单位）" and not audit[69].direct
    assert all(len(r.summary) <= duties.SUMMARY_CHARS for r in audit.values())


def test_excluding_designation_does_not_reach_named_unit(plan):
    # 第69项 names 自治区司法厅 as lead and lists 自治区政府其他有关部门: the lead is not "other".
    assert duties.measure_role(plan.measure(69), "自治区司法厅") == ("牵头", True)


def test_duty_summary_counts(plan):
    rows = duties.duty_rows(plan, "自治区审计厅")
    text = duties.duty_summary("自治区审计厅", rows)
    assert "直接点名 2 项" in text and f"另有 {len(rows) - 2} 项" in text


def test_exports(plan, tmp_path):
    rows = duties.duty_rows(plan, "自治区发展改革委")
    csv_path = duties.export_duties(rows, "自治区发展改革委", "csv", tmp_path)
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")          # BOM for Excel
    with open(csv_path, encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    assert tuple(table[0]) == duties.COLUMNS and len(table) == len(rows) + 1
    assert table[1][0] == f"第{rows[0].measure}项"

    xlsx_path = duties.export_duties(rows, "自治区发展改革委", "xlsx", tmp_path)
    sheet = openpyxl.load_workbook(xlsx_path)["职责清单"]
    values = list(sheet.iter_rows(values_only=True))
    assert tuple(values[0]) == duties.COLUMNS and len(values) == len(rows) + 1

    md_path = duties.export_duties(rows, "自治区发展改革委", "md", tmp_path)
    text = md_path.read_text(encoding="utf-8")
    assert text.startswith("# 自治区发展改革委 职责清单")
    assert text.count("【第") == len(rows) and "| 项号 | 部分 | 节 | 角色 |" in text


def test_measure_card(plan):
    card = duties.measure_card(plan, 69)
    assert "### 第69项" in card and "县级以上各级政府建立行政复议委员会" in card
    assert "**牵头单位**：自治区司法厅" in card and "2022年6月前" in card
    assert "七、健全社会矛盾纠纷" in card and "（二十一）" in card
    assert "没有第999项" in duties.measure_card(plan, 999)


# ------------------------------------------------------------ timeline
def test_timeline_rows_cover_every_deadline(plan):
    rows = timeline.timeline_rows(plan)
    assert len(rows) == sum(len(m.deadlines) for m in plan.measures)
    dated = [r for r in rows if r.dated]
    assert [(r.year, r.month) for r in dated] == sorted((r.year, r.month) for r in dated)
    assert all(not r.dated for r in rows[len(dated):])                  # recurring ones last
    assert len(rows) - len(dated) == sum(d.kind == DeadlineKind.ANNUAL for m in plan.measures for d in m.deadlines)
    row69 = next(r for r in rows if r.measure == 69)
    assert (row69.year, row69.month, row69.phrase) == (2022, 6, "2022年6月前")
    assert "行政复议委员会" in row69.clause and row69.lead == "自治区司法厅"
    year_end = next(r for r in rows if r.phrase == "2023年底前")
    assert year_end.month == 12


def test_timeline_unit_filter(plan):
    rows = timeline.timeline_rows(plan, "自治区司法厅")
    measures = {r.measure for r in rows}
    assert 69 in measures
    assert all(duties.measure_role(plan.measure(n), "自治区司法厅") for n in measures)
    assert next(r for r in rows if r.measure == 69).involvement == "牵头"
    frame = timeline.timeline_frame(rows, with_involvement=True)
    assert list(frame.columns) == list(timeline.COLUMNS) and len(frame) == len(rows)


def test_timeline_figure(plan):
    rows = timeline.timeline_rows(plan)
    groups = timeline.by_month(rows)
    assert (2022, 6) in groups and 69 in groups[(2022, 6)]
    fig = timeline.timeline_figure(rows)
    assert len(fig.axes[0].patches) == len(groups)
    empty = timeline.timeline_figure([])
    assert not empty.axes[0].patches


# ------------------------------------------------------------ quiz
def test_quiz_is_deterministic_and_balanced(plan):
    first = quiz.generate_quiz(plan, 8, seed=7)
    assert first == quiz.generate_quiz(plan, 8, seed=7)
    assert first != quiz.generate_quiz(plan, 8, seed=8)
    assert len(first.questions) == 8
    assert {q.kind for q in first.questions} == set(quiz.KINDS)
    assert len({q.measure for q in first.questions}) == 8               # no measure asked twice
    assert len(quiz.generate_quiz(plan, 500, seed=1).questions) == quiz.MAX_QUESTIONS


@pytest.mark.parametrize("seed", range(6))
def test_quiz_answers_are_right_and_distractors_wrong(plan, seed):
    for q in quiz.generate_quiz(plan, quiz.MAX_QUESTIONS, seed=seed).questions:
        m = plan.measure(q.measure)
        assert len(q.options) == 4 and len(set(q.options)) == 4
        distractors = [o for i, o in enumerate(q.options) if i != q.answer]
        if q.kind == "deadline":
            assert q.correct in {d.phrase for d in m.deadlines}
            assert quiz.BLANK in q.prompt and q.correct not in q.prompt
            labels = {d.label for o in plan.measures for d in o.deadlines if d.phrase in distractors}
            assert not labels & {d.label for d in m.deadlines if d.phrase == q.correct}
        elif q.kind == "target":
            assert q.correct in {t.value for t in m.targets}
        elif q.kind == "lead":
            assert q.correct in [u.name for u in m.units_with_role(Role.LEAD)]
            assert not set(distractors) & set(m.unit_names)
        elif q.kind == "part":
            assert q.correct == plan.part(m.part_number).label
        assert q.correct not in distractors


def test_quiz_scoring(plan):
    made = quiz.generate_quiz(plan, 5, seed=3)
    letters = [q.letter for q in made.questions]
    assert quiz.score_quiz(made, letters).correct == 5
    labels = [q.choices()[q.answer][0] for q in made.questions]         # "B. …" radio labels
    assert quiz.score_quiz(made, labels).percent == 100
    assert quiz.score_quiz(made, [q.answer for q in made.questions]).correct == 5
    assert quiz.score_quiz(made, [q.correct for q in made.questions]).correct == 5
    result = quiz.score_quiz(made, [None] * 5)
    assert (result.correct, result.total, result.percent) == (0, 5, 0)
    wrong = [next(x for x in "ABCD" if x != q.letter) for q in made.questions]
    partial = quiz.score_quiz(made, letters[:2] + wrong[2:])
    assert partial.correct == 2 and partial.marks == (True, True, False, False, False)
    text = quiz.result_markdown(made, partial)
    assert "得分：2 / 5（40 分）" in text and "✗ 错误（你的答案：" in text
    for q in made.questions:
        assert f"【第{q.measure}项】" in text


def test_quiz_sheets(plan):
    made = quiz.generate_quiz(plan, 4, seed=11)
    md = quiz.quiz_markdown(made)
    assert md.startswith("# 《宁夏回族自治区法治政府建设实施方案") and "## 参考答案" in md
    assert all(q.prompt in md for q in made.questions)
    assert "参考答案" not in quiz.quiz_markdown(made, with_key=False)
    page = quiz.quiz_html(made)
    assert page.startswith("<!DOCTYPE html>") and "page-break-before" in page
    assert all(f"【第{q.measure}项】" in page for q in made.questions)
    assert page.count("<li>") >= 4 * 4


def test_handout(plan):
    text = quiz.handout_markdown(plan, "part:7")
    assert text.startswith("# 讲解：七、")
    for number in range(63, 75):
        assert f"【第{number}项】" in text
    assert "2022年6月前【第69项】" in text and "| 自治区司法厅 |" in text
    section = quiz.handout_markdown(plan, "section:21")
    assert "本小节共 3 项措施" in section and "第63项" not in section
    assert "指导思想" in quiz.handout_markdown(plan, "part:1")
    with pytest.raises(ValueError):
        quiz.handout_markdown(plan, "part:99")
    page = quiz.handout_html(plan, "section:21")
    assert "<h1>讲解：" in page and "<table>" in page
    assert quiz.markdown_to_html("<script>x</script> **b**") == "<p>&lt;script&gt;x&lt;/script&gt; <b>b</b></p>"
    values = [value for _, value in quiz.handout_choices(plan)]
    assert len(values) == len(plan.parts) + len(plan.sections)


# ------------------------------------------------------------ feedback
def test_feedback_roundtrip(tmp_path):
    store = FeedbackStore(tmp_path)
    first = store.add("up", "问题一", "回答【第69项】", [69], comment="  很好  ", composer="default")
    second = store.add("down", "问题二", "回答", [], comment="")
    assert second > first
    items = store.list_feedback()
    assert [i.id for i in items] == [second, first]                       # newest first
    assert (items[1].rating, items[1].comment, items[1].citations) == ("up", "很好", [69])
    assert items[1].question == "问题一" and items[1].created_at.endswith("+00:00")
    assert store.counts() == {"up": 1, "down": 1}
    assert len(store.list_feedback(limit=1)) == 1
    with pytest.raises(ValueError):
        store.add("meh", "q", "a")
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_feedback_from_threads(tmp_path):
    store = FeedbackStore(tmp_path)
    threads = [threading.Thread(target=lambda i=i: [store.add("up", f"q{i}-{k}", "a") for k in range(10)])
               for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.list_feedback()) == 60


WRITER = """
import sys
from assistant.feedback import FeedbackStore
store = FeedbackStore(sys.argv[1])
for i in range(100000):
    store.add("up", f"问题{i}", "回答" * 200, [i % 110 + 1], comment="压力测试")
    print(i, flush=True)
"""


def test_feedback_survives_a_kill_mid_write(tmp_path):
    """Every write the writer reported as committed is there after SIGKILL, and the file is sound."""
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                            cwd=PROJECT_ROOT)
    committed = -1
    deadline = time.monotonic() + 30
    while committed < 40 and time.monotonic() < deadline:
        committed = int(proc.stdout.readline())
    proc.kill()
    proc.wait()
    assert committed >= 40
    store = FeedbackStore(tmp_path)
    questions = {f.question for f in store.list_feedback()}
    assert {f"问题{i}" for i in range(committed + 1)} <= questions
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# ------------------------------------------------------------ app helpers (no server, no model)
def test_linkify_and_escaping():
    from assistant.app import escape_user, linkify, parse_history
    assert linkify("见【第69项】与【第 7 项】") == "见[【第69项】](#m69)与[【第7项】](#m7)"
    assert "<" not in linkify("<script>alert(1)</script>【第1项】")
    assert escape_user("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert parse_history(["a", "", 3, "b"]) == ["a", "b"]
    assert parse_history('["审计厅要做什么"]') == ["审计厅要做什么"]
    assert parse_history("不是JSON") == ["不是JSON"]
    assert parse_history(None) == [] and parse_history("") == [] and parse_history({"a": 1}) == []


class FakeAssistant:
    """Just enough of Assistant for building the UI: the real plan, canned answers."""

    def __init__(self, plan, settings):
        from assistant.service import Status
        self.plan, self.settings = plan, settings
        self.status = Status("fake-model", "default（离线，无LLM）", "2025-01-01 00:00:00", True, 115, 0.0)
        self.calls = []

    def ask(self, question, history=None):
        self.calls.append((question, history))
        return Answer(question=question, answer="**时间要求：2022年6月前**【第69项】", citations=[69],
                      refused=False, intent="search", measures=[69])

    def stream(self, question, history=None):
        yield "部分回答"
        yield self.ask(question, history)


def test_build_app_and_api_endpoint(plan, tmp_path):
    from assistant.app import build_app
    from assistant.config import get_settings
    fake = FakeAssistant(plan, get_settings().with_overrides(data_dir=tmp_path))
    demo = build_app(fake)
    api = [fn for fn in demo.fns.values() if fn.api_name == "ask"]
    assert len(api) == 1 and api[0].concurrency_id == "qa"
    result = api[0].fn("行政复议委员会什么时候建立", '["之前的问题"]')
    assert result["citations"] == [69] and set(result) >= {"question", "answer", "refused", "latency_ms", "intent"}
    assert fake.calls[-1] == ("行政复议委员会什么时候建立", ["之前的问题"])


def test_chat_handler_streams_and_records(plan, tmp_path):
    from assistant.app import THINKING, Chat
    from assistant.config import get_settings
    fake = FakeAssistant(plan, get_settings().with_overrides(data_dir=tmp_path))
    store = FeedbackStore(tmp_path)
    chat = Chat(fake, store)
    steps = list(chat.respond("<b>问题</b>", [], ["上一问"], []))
    assert steps[0][0][-1]["content"] == THINKING
    assert steps[0][0][0]["content"] == "&lt;b&gt;问题&lt;/b&gt;"
    assert steps[1][0][-1]["content"] == "部分回答"
    messages, _, history, turns, _, card = steps[-1]
    assert "[【第69项】](#m69)" in messages[-1]["content"]
    assert history == ["上一问", "<b>问题</b>"] and turns[-1]["citations"] == [69]
    assert "引用了 1 项" in card
    note, comment = chat.feedback("down", turns, "不够具体")
    assert "已记录" in note and comment == ""
    stored = store.list_feedback()[0]
    assert (stored.rating, stored.comment, stored.citations) == ("down", "不够具体", [69])
    assert chat.feedback("up", [], "x")[0].startswith("请先提问")
    assert re.search(r"第69项", chat.card("69"))
    assert json.loads(json.dumps(turns))                                 # turns stay JSON-serializable


def test_ui_view_functions(plan, tmp_path):
    from assistant import app
    note, frame = app._unit_view(plan, "发改委")
    assert "自治区发展改革委" in note and frame.iloc[0, 0] == "第8项"
    note, frame = app._unit_view(plan, "<b>无此单位</b>")
    assert "没有找到" in note and "<b>" not in note and frame.empty
    figure, note, table = app._timeline_view(plan, "司法厅")
    assert "自治区司法厅" in note and "涉及方式" in table.value["headers"]
    _, note, table = app._timeline_view(plan, app.ALL_UNITS)
    assert note.startswith("方案中") and len(table.value["data"]) == len(timeline.timeline_rows(plan))
    exported = app._unit_export(plan, "审计厅", "xlsx")
    assert exported.value["path"].endswith(".xlsx")
    rows = app._browse_rows(plan, app.ALL_PARTS, "行政复议委员会")
    assert list(rows["措施"]) == ["第69项"]
    assert len(app._browse_rows(plan, plan.part(7).label, "")) == 12
    assert app._tree_markdown(plan).count("](#m") == len(plan.measures)
    made, note, _, *radios = app._quiz_generate(plan, 3, 5)
    assert len(made.questions) == 3 and sum(r.visible is True for r in radios) == 3
    assert "得分：3 / 3" in app._quiz_submit(made, *[q.letter for q in made.questions])
    assert app._quiz_submit(None) == "请先生成测验。"
