"""Feedback: one vote per answer, limits, failing soft, CSV export, command line, admin view."""
import csv
import html
import io
import os
import sqlite3

import gradio as gr
import pytest
from markdown_it import MarkdownIt

from assistant import feedback as fb
from assistant.answer import Answer
from assistant.cli import main as cli_main
from assistant.config import get_settings
from assistant.feedback import (CSV_COLUMNS, DB_NAME, MAX_ANSWER_CHARS, MAX_COMMENT_CHARS, MAX_QUESTION_CHARS,
                                FeedbackStore, FeedbackUnavailable)

DISK_FULL = "反馈暂时无法保存（磁盘空间不足），回答不受影响。"
UNWRITABLE = "反馈暂时无法保存（数据目录不可写），回答不受影响。"
HOSTILE = ("<img src=x onerror=alert(1)> ![pic](http://evil.example/x.png) [点我](https://evil.example) "
           "<script>alert(2)</script> **粗体** # 标题 | 表格 | www.evil.example user@evil.example `code`")


class FakeAssistant:
    """Just enough of Assistant for the UI: the real plan, a canned answer per question."""

    def __init__(self, plan, settings, fail_on=()):
        from assistant.service import Status
        self.plan, self.settings, self.fail_on = plan, settings, set(fail_on)
        self.status = Status("fake-model", "default（离线，无LLM）", "2025-01-01 00:00:00", True, 115, 0.0)

    def ask(self, question, history=None):
        return Answer(question=question, answer=f"**回答：{question[:10]}**【第69项】", citations=[69],
                      refused=False, intent="search", measures=[69], composer="default")

    def stream(self, question, history=None):
        if question in self.fail_on:
            raise RuntimeError("模拟的回答错误")
        yield "部分回答"
        yield self.ask(question, history)


def _chat(plan, data_dir):
    from assistant.app import Chat
    fake = FakeAssistant(plan, get_settings().with_overrides(data_dir=data_dir), fail_on={"会出错的问题"})
    return Chat(fake, FeedbackStore(data_dir))


def _ask(chat, question, messages=None, history=None, turns=None):
    """Run the real streaming handler; returns (messages, history, turns) after the last step."""
    steps = list(chat.respond(question, messages or [], history or [], turns or []))
    last = steps[-1]
    new_messages = last[0]
    new_history = last[2] if isinstance(last[2], list) else list(history or [])
    new_turns = last[3] if isinstance(last[3], list) else list(turns or [])
    return new_messages, new_history, new_turns


def _like(chat, messages, turns, votes, index, liked, comment=""):
    data = gr.LikeData(None, {"index": index, "value": [messages[index]["content"]], "liked": liked})
    return chat.like(turns, comment, votes, data)


def _read_csv(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                      # BOM for Excel
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


# ------------------------------------------------------------ limits
def test_texts_are_cut_to_the_documented_limits(tmp_path):
    store = FeedbackStore(tmp_path)
    megabyte = "问" * 1_000_000
    feedback_id = store.add("up", megabyte, "答" * 50_000, list(range(1, 1000)) + ["x", None],
                            comment="评" * 5_000, composer="c" * 500)
    item = store.get(feedback_id)
    assert len(item.question) == MAX_QUESTION_CHARS == 2_000
    assert len(item.answer) == MAX_ANSWER_CHARS == 20_000
    assert len(item.comment) == MAX_COMMENT_CHARS == 1_000
    assert item.question.endswith("…（已截断，原文共 1000000 字）") and item.question.startswith("问问")
    assert item.comment.endswith("…（已截断，原文共 5000 字）")
    assert len(item.citations) == fb.MAX_CITATIONS and len(item.composer) == fb.MAX_COMPOSER_CHARS
    for _ in range(3):                                             # appended comments stay within the limit
        store.update(feedback_id, comment="再" * 600, append=True)
    assert len(store.get(feedback_id).comment) <= MAX_COMMENT_CHARS
    short = store.add("down", "短问题", "短回答", [69], comment="  刚好  ")
    assert (store.get(short).question, store.get(short).comment) == ("短问题", "刚好")
    odd = store.add("down", "坏字符\ud800\x00\x1b[2J", "回答")         # lone surrogate, NUL, terminal escape
    assert store.get(odd).question == "坏字符?[2J"


def test_a_one_megabyte_question_click_stores_at_most_the_limit(plan, tmp_path):
    chat = _chat(plan, tmp_path)
    messages, _, turns = _ask(chat, "审" * 1_000_000)
    note, box, votes = _like(chat, messages, turns, None, 1, True, comment="意" * 1_000_000)
    assert note.startswith("已记录") and box == ""
    (item,) = chat.store.list_feedback()
    assert len(item.question) <= MAX_QUESTION_CHARS and len(item.comment) <= MAX_COMMENT_CHARS
    assert len(item.answer) <= MAX_ANSWER_CHARS
    assert os.path.getsize(tmp_path / DB_NAME) < 200_000


def test_size_cap_refuses_new_feedback_and_keeps_the_old(tmp_path, monkeypatch):
    monkeypatch.setattr(fb, "MAX_DB_BYTES", 96 * 1024)             # real SQLITE_FULL from max_page_count
    store = FeedbackStore(tmp_path)
    stored = []
    with pytest.raises(FeedbackUnavailable) as caught:
        for i in range(100):
            stored.append(store.add("up", f"问题{i}", "回答" * 5_000, [i]))
    assert caught.value.message == "反馈暂时无法保存（反馈库已达容量上限），回答不受影响。"
    assert stored and {f.id for f in store.list_feedback()} == set(stored)
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# ------------------------------------------------------------ one vote per answer
def test_one_vote_per_answer_changed_withdrawn_and_commented(plan, tmp_path):
    chat = _chat(plan, tmp_path)
    store = chat.store
    messages, history, turns = _ask(chat, "行政复议委员会什么时候建立")
    messages, history, turns = _ask(chat, "审计厅要做什么", messages, history, turns)
    votes = fb.new_votes()

    note, box, votes = _like(chat, messages, turns, votes, 1, True)          # first answer: 👍
    assert "已记录" in note and "第1条回答" in note and "有帮助" in note and box == ""
    assert [(f.rating, f.question) for f in store.list_feedback()] == [("up", "行政复议委员会什么时候建立")]

    note, _, votes = _like(chat, messages, turns, votes, 1, False, comment="不够具体")   # same answer: 👎
    assert "没帮助" in note and "不够具体" in note
    (only,) = store.list_feedback()                                      # changed, not a second row
    assert (only.rating, only.comment, only.citations) == ("down", "不够具体", [69])

    note, box, votes = _like(chat, messages, turns, votes, 3, True)          # second answer
    assert "第2条回答" in note
    note, box, votes = fb.attach_comment(store, votes, "  <b>补充</b>意见 ", turns)  # attaches to the latest vote
    assert note.startswith("已将意见附在您对第2条回答") and box == ""
    assert "<b>" not in note                                             # the note is escaped Markdown
    latest = store.list_feedback()[0]
    assert (latest.question, latest.rating, latest.comment) == ("审计厅要做什么", "up", "<b>补充</b>意见")

    note, box, votes = _like(chat, messages, turns, votes, 3, "")            # clicked again: withdrawn
    assert note.startswith("已撤回") and box == gr.skip()                # the comment box is left alone
    assert [f.question for f in store.list_feedback()] == ["行政复议委员会什么时候建立"]
    note, box, _ = fb.attach_comment(store, votes, "还有意见", turns)
    assert note.startswith("请先点回答下方的") and box == "还有意见"


def test_votes_follow_the_answer_not_the_message_position(plan, tmp_path):
    chat = _chat(plan, tmp_path)
    messages, history, turns = _ask(chat, "会出错的问题")                 # an error reply: no turn
    assert "出错" in messages[-1]["content"] and turns == []
    messages, history, turns = _ask(chat, "审计厅要做什么", messages, history, turns)
    note, _, _ = _like(chat, messages, turns, None, 1, True)               # the error message
    assert note == "只能评价已经完成的回答。" and chat.store.list_feedback() == []
    note, _, _ = _like(chat, messages, turns, None, 3, False)              # message 3 is turn 0
    assert "已记录" in note
    assert [(f.question, f.rating) for f in chat.store.list_feedback()] == [("审计厅要做什么", "down")]


def test_chat_feedback_keeps_its_contract(plan, tmp_path):
    chat = _chat(plan, tmp_path)
    _, _, turns = _ask(chat, "行政复议委员会什么时候建立")
    note, box = chat.feedback("down", turns, "不够具体")
    assert "已记录" in note and "没帮助" in note and box == ""
    assert chat.feedback("up", [], "x")[0].startswith("请先提问")


def test_ui_has_one_vote_control(plan, tmp_path):
    from assistant.app import build_app
    demo = build_app(FakeAssistant(plan, get_settings().with_overrides(data_dir=tmp_path)))
    ids = {getattr(block, "elem_id", None) for block in demo.blocks.values()}
    assert {"comment", "comment-send", "feedback-note", "chatbot"} <= ids
    assert not ids & {"thumb-up", "thumb-down"}                         # the duplicate buttons are gone
    buttons = {block.value for block in demo.blocks.values() if isinstance(block, gr.Button)}
    assert not buttons & {"有帮助", "没帮助"}
    assert not (tmp_path / DB_NAME).exists()                            # nothing opened at start-up


# ------------------------------------------------------------ failing soft
def test_a_data_dir_that_is_a_file_does_not_stop_answers(plan, tmp_path):
    from assistant.app import build_app
    blocker = tmp_path / "data"
    blocker.write_text("not a folder")
    fake = FakeAssistant(plan, get_settings().with_overrides(data_dir=blocker))
    build_app(fake)                                                      # the server still starts
    chat = _chat(plan, blocker)
    messages, _, turns = _ask(chat, "行政复议委员会什么时候建立")           # and answers
    assert "[【第69项】](#m69)" in messages[-1]["content"]
    note, box, votes = _like(chat, messages, turns, None, 1, True, comment="我的意见")
    assert note == UNWRITABLE and box == "我的意见" and votes["last"] is None   # the comment is not lost
    with pytest.raises(FeedbackUnavailable) as caught:
        chat.store.add("up", "q", "a")
    assert str(caught.value) == UNWRITABLE
    assert fb.render_recent(chat.store) == "反馈暂时无法读取（数据目录不可用）。"
    nested = FeedbackStore(blocker / "sub")
    with pytest.raises(FeedbackUnavailable):
        nested.add("down", "q", "a")


def test_a_read_only_data_dir_fails_soft(plan, tmp_path, monkeypatch):
    store = FeedbackStore(tmp_path)
    store.add("up", "已有的问题", "回答")
    real_connect = sqlite3.connect
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if not os.access(folder, os.W_OK):                             # a real read-only folder (not root)
            with pytest.raises(FeedbackUnavailable) as caught:
                FeedbackStore(folder).add("up", "q", "a")
            assert caught.value.message == UNWRITABLE
    finally:
        folder.chmod(0o755)
    # read-only database file (works as root too): sqlite's own "attempt to write a readonly database"
    monkeypatch.setattr(sqlite3, "connect",
                        lambda path, **kw: real_connect(f"file:{path}?mode=ro", uri=True, **kw))
    fresh = FeedbackStore(tmp_path)
    with pytest.raises(FeedbackUnavailable) as caught:
        fresh.add("down", "新问题", "回答")
    assert caught.value.message == UNWRITABLE
    assert [f.question for f in fresh.list_feedback()] == ["已有的问题"]       # reading still works
    chat = _chat(plan, tmp_path)
    messages, _, turns = _ask(chat, "审计厅要做什么")
    assert "【第69项】" in messages[-1]["content"]
    assert chat.feedback("up", turns, "")[0] == UNWRITABLE


class DiskFullConnection:
    """A real connection whose writes fail as SQLite does when the disk is full."""

    def __init__(self, conn):
        self._conn = conn

    def execute(self, sql, *args):
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "CREATE")):
            raise sqlite3.OperationalError("database or disk is full")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def __enter__(self):
        return self._conn.__enter__()

    def __exit__(self, *exc):
        return self._conn.__exit__(*exc)


def test_disk_full_is_a_clear_message_and_answers_go_on(plan, tmp_path, monkeypatch):
    chat = _chat(plan, tmp_path)
    messages, history, turns = _ask(chat, "行政复议委员会什么时候建立")
    opened = FeedbackStore(tmp_path / "opened")                          # already open: the INSERT fails
    opened.add("up", "之前的反馈", "回答")
    real_connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **kw: DiskFullConnection(real_connect(*a, **kw)))
    with pytest.raises(FeedbackUnavailable) as caught:
        opened.add("down", "新反馈", "回答")
    assert caught.value.message == DISK_FULL
    assert [f.question for f in opened.list_feedback()] == ["之前的反馈"]
    note, box, votes = _like(chat, messages, turns, None, 1, True, comment="很好")
    assert note == DISK_FULL and box == "很好"
    assert chat.feedback("down", turns, "x") == (DISK_FULL, "x")
    with pytest.raises(FeedbackUnavailable) as caught:
        chat.store.add("up", "q", "a")
    assert caught.value.reason == "磁盘空间不足"
    messages, history, turns = _ask(chat, "审计厅要做什么", messages, history, turns)   # answering still works
    assert "【第69项】" in messages[-1]["content"] and len(turns) == 2
    monkeypatch.setattr(sqlite3, "connect", real_connect)               # space again: the store recovers
    note, _, _ = _like(chat, messages, turns, votes, 3, True)
    assert note.startswith("已记录")
    assert [f.question for f in chat.store.list_feedback()] == ["审计厅要做什么"]


def test_no_space_to_create_the_folder(tmp_path, monkeypatch):
    import errno
    from pathlib import Path

    def no_space(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(self))
    monkeypatch.setattr(Path, "mkdir", no_space)
    with pytest.raises(FeedbackUnavailable) as caught:
        FeedbackStore(tmp_path / "new").add("up", "q", "a")
    assert caught.value.message == DISK_FULL


# ------------------------------------------------------------ CSV export
def _seed(store):
    store.add("up", "=SUM(A1:A3)", "回答，含逗号\n和换行【第69项】", [69, 70], comment='说"好"', composer="default")
    store.add("down", "+1 是什么", "-负号开头", [], comment="@cmd|' /C calc'!A0", composer="llm")
    store.add("up", "正常问题", "\t制表符开头", [1], comment="-1 分")


def test_export_csv_round_trip(tmp_path):
    store = FeedbackStore(tmp_path / "data")
    _seed(store)
    out = tmp_path / "feedback.csv"
    assert fb.export_csv(store, out) == 3
    rows = _read_csv(out)
    assert tuple(rows[0]) == CSV_COLUMNS == ("时间", "评价", "问题", "回答", "引用", "评论", "回答方式")
    first, second, third = (dict(zip(rows[0], row)) for row in rows[1:])
    assert first["问题"] == "'=SUM(A1:A3)" and first["评价"] == "有帮助"
    assert first["回答"] == "回答，含逗号\n和换行【第69项】" and first["引用"] == "第69项、第70项"
    assert first["评论"] == '说"好"' and first["回答方式"] == "default"
    assert first["时间"].endswith("+00:00")
    assert (second["问题"], second["回答"], second["评论"], second["评价"]) == (
        "'+1 是什么", "'-负号开头", "'@cmd|' /C calc'!A0", "没帮助")
    assert (third["回答"], third["评论"], third["问题"]) == ("'\t制表符开头", "'-1 分", "正常问题")
    for row in rows[1:]:
        assert not any(cell[:1] in ("=", "+", "-", "@") for cell in row)


def test_export_since_filters_by_day(tmp_path):
    store = FeedbackStore(tmp_path)
    _seed(store)
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE feedback SET created_at = '2024-03-01T10:00:00+00:00' WHERE question = '正常问题'")
    out = tmp_path / "old.csv"
    assert fb.export_csv(store, out, since="2024-03-01") == 3
    assert fb.export_csv(store, out, since="2024-03-02") == 2
    assert all(row[2] != "正常问题" for row in _read_csv(out))


# ------------------------------------------------------------ command line
@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(folder))
    return folder


def test_cli_export_list_stats(data_dir, tmp_path, capsys):
    assert cli_main(["feedback", "list"]) == 0
    assert "还没有反馈" in capsys.readouterr().out
    assert not data_dir.exists()                                         # reading creates nothing
    store = FeedbackStore(data_dir)
    _seed(store)
    store.add("down", "终端\x1b[31m转义", "回答", [5])

    out = tmp_path / "out" / "fb.csv"
    out.parent.mkdir()
    assert cli_main(["feedback", "export", "--out", str(out)]) == 0
    assert "已导出 4 条反馈" in capsys.readouterr().err
    rows = _read_csv(out)
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 5 and rows[1][2] == "'=SUM(A1:A3)"

    assert cli_main(["feedback", "export"]) == 0                         # to standard output
    text = capsys.readouterr().out
    assert text.startswith("\ufeff时间,评价,问题")
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))[1:] == rows[1:]

    assert cli_main(["feedback", "list", "--limit", "2"]) == 0
    listing = capsys.readouterr().out
    assert "编号" in listing and "终端[31m转义" in listing and "\x1b" not in listing
    assert "正常问题" in listing and "+1 是什么" not in listing             # newest first
    assert "共 4 条（有帮助 2，没帮助 2），以上为最新 2 条" in listing

    assert cli_main(["feedback", "stats"]) == 0
    stats = capsys.readouterr().out
    assert "反馈总数：4" in stats and "有帮助：2（50.0%）" in stats and "附有意见：3" in stats

    assert cli_main(["feedback", "stats", "--since", "2999-01-01"]) == 0
    assert "反馈总数：0" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli_main(["feedback", "export", "--since", "昨天"])
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_cli_reports_an_unusable_data_dir(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(blocker))
    assert cli_main(["feedback", "stats"]) == 1
    assert "反馈暂时无法读取" in capsys.readouterr().err
    assert cli_main(["feedback", "export", "--out", str(tmp_path / "x.csv")]) == 1
    assert not (tmp_path / "x.csv").exists()


# ------------------------------------------------------------ admin view
def test_admin_render_escapes_markup(tmp_path):
    store = FeedbackStore(tmp_path)
    store.add("down", HOSTILE, HOSTILE + "【第69项】", [69], comment=HOSTILE)
    store.add("up", "普通问题", "普通回答", [1])
    text = fb.render_recent(store, limit=10)
    assert "反馈共 2 条" in text and "有帮助 1" in text and "没帮助 1" in text
    for raw in ("<", "](", "![", "http://", "https://", "www.", "**粗体**", "`"):
        assert raw not in text.split("\n", 1)[1]
    rendered = MarkdownIt("commonmark").enable("table").render(text)
    for tag in ("<img", "<a ", "<script", "<strong>粗体", "<code", "<h1"):
        assert tag not in rendered
    assert rendered.count("<tr>") == 3 and rendered.count("<td>") == 14     # the pipes did not split cells
    assert html.unescape(fb.escape_markdown(HOSTILE)) == HOSTILE              # still readable as text
    assert "暂无反馈" in fb.render_recent(FeedbackStore(tmp_path / "empty"))
    assert len(fb.render_recent(store, limit=1).strip().splitlines()) == 7     # summary, title, table of 1


def test_admin_panel_only_with_a_token(tmp_path):
    from assistant.feedback_view import WRONG_TOKEN, admin_enabled, admin_export, admin_view, feedback_admin_panel
    store = FeedbackStore(tmp_path)
    store.add("up", "<b>问题</b>", "回答", [3], comment="[链接](http://x)")
    off = get_settings().with_overrides(admin_token="")
    on = get_settings().with_overrides(admin_token="s3cret-口令")
    assert not admin_enabled(off) and admin_enabled(on)
    assert "s3cret" not in repr(on)
    with gr.Blocks() as demo:
        assert feedback_admin_panel(store, off) is None
    assert len(demo.blocks) == 0 and not demo.fns
    with gr.Blocks() as demo:
        panel = feedback_admin_panel(store, on)
    assert panel is not None and {"admin-token", "admin-view", "admin-show"} <= {
        getattr(b, "elem_id", None) for b in demo.blocks.values()}
    assert demo.fns and all(fn.api_visibility == "private" for fn in demo.fns.values())
    assert admin_view(store, "s3cret-口令", "wrong") == WRONG_TOKEN
    assert admin_view(store, "", "") == WRONG_TOKEN                    # no token configured: never matches
    view = admin_view(store, "s3cret-口令", "s3cret-口令", 5)
    assert "反馈共 1 条" in view and "<b>" not in view and "](" not in view
    note, path = admin_export(store, "s3cret-口令", "s3cret-口令")
    assert note.startswith("已导出 1 条") and _read_csv(__import__("pathlib").Path(path))[1][2] == "<b>问题</b>"
    assert admin_export(store, "s3cret-口令", None) == (WRONG_TOKEN, None)


# ------------------------------------------------------------ durability of the new writes
VOTER = """
import sys
from assistant.feedback import FeedbackStore
store = FeedbackStore(sys.argv[1])
i = 0
while True:
    feedback_id = store.add("up", f"问题{i}", "回答" * 200, [i % 110 + 1])
    store.update(feedback_id, rating="down", comment=f"意见{i}", append=True)
    print(i, flush=True)
    i += 1
"""


def test_votes_and_comments_survive_a_kill(tmp_path):
    import signal
    import subprocess
    import sys
    import time
    from assistant.config import PROJECT_ROOT
    process = subprocess.Popen([sys.executable, "-c", VOTER, str(tmp_path)], cwd=PROJECT_ROOT,
                               stdout=subprocess.PIPE, text=True)
    acknowledged, deadline = -1, time.monotonic() + 60
    while acknowledged < 30 and time.monotonic() < deadline:
        acknowledged = int(process.stdout.readline())
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    assert acknowledged >= 30
    store = FeedbackStore(tmp_path)
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    by_question = {f.question: f for f in store.list_feedback()}
    for i in range(acknowledged + 1):
        item = by_question[f"问题{i}"]
        assert (item.rating, item.comment) == ("down", f"意见{i}")
