"""Exports of a unit's duties (CSV, Excel, Markdown), their folders and the unit tab's download
buttons and picker. Every expectation is read from the parsed plan, never written out by hand."""
import csv
import dataclasses
import os
import re
import stat
import tempfile
import time

import gradio as gr
import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from assistant import duties, exports
from assistant.records import Role
from assistant.text import split_sentences
from assistant.units import UNITS

COL = {name: i for i, name in enumerate(duties.COLUMNS)}
CLAUSE_MARKS = "，；。！？："
DAY = 24 * 3600


@pytest.fixture
def temp_root(tmp_path, monkeypatch):
    """tempfile.gettempdir() points into the test's own folder (Gradio's cache stays where it is)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(exports, "_fallback_root", None)
    return tmp_path / "tmp" / exports.ROOT_NAME


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def by_measure(table):
    return {int(re.search(r"\d+", row[COL["项号"]]).group()): row for row in table[1:]}


# ------------------------------------------------------------ row contents
def test_rows_carry_full_text_and_structure(plan):
    unit = "自治区审计厅"
    rows = duties.duty_rows(plan, unit)
    assert {r.measure for r in rows} == {m.number for m in plan.measures if duties.measure_role(m, unit)}
    for row in rows:
        m = plan.measure(row.measure)
        assert row.full_text == m.text
        assert row.part == plan.part(m.part_number).label
        assert row.section == plan.section(m.section_number).label
        assert row.deadline == "；".join(d.phrase for d in m.deadlines)
        assert row.targets == "；".join(dict.fromkeys(t.clause for t in m.targets))
        for other in m.units:
            if other.name != unit:
                assert f"{other.role.label}：" in row.others and other.name in row.others
        assert unit not in row.others
    audit75 = next(r for r in rows if r.measure == 75)
    assert "审计" in audit75.full_text and audit75.direct
    assert audit75.role == "、".join(dict.fromkeys(u.role.value for u in plan.measure(75).units if u.name == unit))


def test_summaries_are_whole_opening_clauses(plan):
    longer_than_old_cut = 0
    for m in plan.measures:
        summary = duties.clause_summary(m)
        core = summary.removesuffix("…")
        assert core and m.body.startswith(core), m.number
        # never cut inside a clause: the summary ends at a clause mark or at the end of the text
        assert core == m.body or core[-1] in CLAUSE_MARKS or m.body[len(core)] in CLAUSE_MARKS, m.number
        first = split_sentences(m.body)[0]
        if len(first) <= duties.SUMMARY_CHARS:
            assert summary == first, m.number                   # a short first sentence is kept whole
        if "，" not in first:                                   # one clause: whole, however long
            assert summary == first, m.number
        longer_than_old_cut += len(summary) > duties.SUMMARY_CHARS
    assert longer_than_old_cut, "some first clause is longer than 60 characters and must stay whole"


# ------------------------------------------------------------ Excel
def test_xlsx_layout_and_full_text(plan, tmp_path):
    unit = "自治区审计厅"
    rows = duties.duty_rows(plan, unit)
    path = duties.export_duties(rows, unit, "xlsx", tmp_path)
    book = openpyxl.load_workbook(path)
    sheet = book[duties.SHEET]
    values = list(sheet.iter_rows(values_only=True))
    assert tuple(values[0]) == duties.COLUMNS and len(values) == len(rows) + 1
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(duties.COLUMNS))}{len(rows) + 1}"
    assert all(cell.font.bold for cell in sheet[1])
    body = [cell for line in sheet.iter_rows(min_row=2) for cell in line]
    assert body and all(cell.alignment.wrap_text for cell in body)
    widths = {name: sheet.column_dimensions[get_column_letter(i + 1)].width for name, i in COL.items()}
    assert widths["全文"] == max(widths.values()) and widths["项号"] == min(widths.values())

    table = by_measure([list(v) for v in values])
    assert set(table) == {r.measure for r in rows}
    for number, cells in table.items():
        m = plan.measure(number)
        assert cells[COL["全文"]] == m.text                      # the complete text, not a cut
        assert cells[COL["节"]] == plan.section(m.section_number).label
        assert cells[COL["部分"]] == plan.part(m.part_number).label
    assert "审计" in table[75][COL["全文"]]
    assert table[75][COL["角色"]] == Role.RESPONSIBLE.value
    assert unit not in table[75][COL["其他单位"]]
    notes = dict(book["说明"].iter_rows(values_only=True))
    assert notes["单位"] == unit and str(len(rows) - sum(r.direct for r in rows)) in notes["统计"]


def test_xlsx_stores_formula_like_text_as_text(plan, tmp_path):
    row = duties.duty_rows(plan, "自治区发展改革委")[0]
    hostile = dataclasses.replace(row, summary='=HYPERLINK("http://x","点我")', others="@SUM(1)")
    path = duties.export_duties([hostile], "自治区发展改革委", "xlsx", tmp_path)
    sheet = openpyxl.load_workbook(path)[duties.SHEET]
    cell = sheet.cell(2, COL["摘要"] + 1)
    assert cell.value == hostile.summary and cell.data_type == "s"     # shown as text, never evaluated
    assert sheet.cell(2, COL["其他单位"] + 1).data_type == "s"


# ------------------------------------------------------------ CSV
def test_csv_has_bom_and_every_column(plan, tmp_path):
    unit = "自治区发展改革委"
    rows = duties.duty_rows(plan, unit)
    path = duties.export_duties(rows, unit, "csv", tmp_path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    table = read_csv(path)
    assert tuple(table[0]) == duties.COLUMNS and len(table) == len(rows) + 1
    assert [row[COL["项号"]] for row in table[1:]] == [f"第{r.measure}项" for r in rows]
    for number, cells in by_measure(table).items():
        m = plan.measure(number)
        assert cells[COL["全文"]] == m.text
        assert cells[COL["摘要"]] == duties.clause_summary(m)
        assert not any(cell.startswith("'") for cell in cells)          # plan text is left as written


def test_csv_neutralises_formulas(plan, tmp_path):
    row = duties.duty_rows(plan, "自治区审计厅")[0]
    payloads = {"摘要": "=1+1", "角色": "+cmd|' /C calc'!A0", "时限": "-2+3", "其他单位": "@SUM(A1)",
                "指标": "\t=1", "全文": "  =HYPERLINK(\"http://x\")", "部分": "＝1+1"}
    fields = {"摘要": "summary", "角色": "role", "时限": "deadline", "其他单位": "others", "指标": "targets",
              "全文": "full_text", "部分": "part"}
    hostile = dataclasses.replace(row, **{fields[c]: v for c, v in payloads.items()})
    cells = read_csv(duties.export_duties([hostile], "自治区审计厅", "csv", tmp_path))[1]
    for column, payload in payloads.items():
        assert cells[COL[column]] == "'" + payload, column
    assert cells[COL["项号"]] == f"第{row.measure}项"
    for safe in ("第1项", "2022年6月前", "—", "a=b", "100%"):
        assert exports.neutralize(safe) == safe


# ------------------------------------------------------------ Markdown
def test_markdown_table(plan, tmp_path):
    unit = "自治区司法厅"
    rows = duties.duty_rows(plan, unit)
    text = duties.export_duties(rows, unit, "md", tmp_path).read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == f"# {unit} 职责清单"
    header = "| " + " | ".join(duties.COLUMNS) + " |"
    assert header in lines
    table = lines[lines.index(header) + 2:]
    assert len(table) == len(rows) and text.count("【第") == len(rows)
    assert all(line.count(" | ") == len(duties.COLUMNS) - 1 for line in table)
    row69 = next(line for line in table if line.startswith("| 【第69项】"))
    assert plan.measure(69).text in row69


# ------------------------------------------------------------ folders
def _age(path, seconds, now):
    os.utime(path, (now - seconds, now - seconds), follow_symlinks=False)


def test_cleanup_removes_only_old_session_folders(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "keep.txt").write_text("x")
    now = time.time()
    old, fresh, stray = root / "a", root / "b", root / "stray.txt"
    for folder in (old, fresh):
        folder.mkdir()
        (folder / "职责清单.csv").write_text("x")
    stray.write_text("x")
    link = root / "link"
    link.symlink_to(outside, target_is_directory=True)
    _age(old, 2 * DAY, now)
    _age(fresh, DAY / 2, now)
    _age(stray, 3 * DAY, now)
    _age(link, 3 * DAY, now)
    _age(outside, 3 * DAY, now)

    assert exports.cleanup(max_age=10 * DAY, root=root, now=now) == []       # max_age is honoured
    assert exports.cleanup(max_age=DAY, root=root, now=now) == [old]
    assert not old.exists() and fresh.is_dir() and stray.exists() and link.is_symlink()
    assert (outside / "keep.txt").exists()                                  # a symlink is never followed
    assert exports.cleanup(max_age=DAY / 4, root=root, now=now) == [fresh]
    assert exports.cleanup(root=tmp_path / "missing") == []


def test_session_folders(temp_root):
    root = exports.export_root()
    assert root == temp_root and stat.S_IMODE(root.stat().st_mode) == 0o700
    sid = exports.new_session_id()
    first = exports.session_dir(sid)
    assert first == root / sid and exports.session_dir(sid) == first
    other = exports.session_dir(exports.new_session_id())
    assert other != first and other.parent == root
    for bad in ("../../etc", "/etc", "..", "", None, "ABC", "x" * 100):
        folder = exports.session_dir(bad)
        assert folder.parent == root and re.fullmatch(r"[0-9a-f]{16}", folder.name)
    now = time.time()
    _age(first, 2 * DAY, now)
    stale = root / exports.new_session_id()
    stale.mkdir()
    _age(stale, 2 * DAY, now)
    assert exports.prepare(sid) == first and first.is_dir()                  # in use again: kept
    assert not stale.exists()                                               # removed on export


def test_root_that_is_not_ours_is_not_used(temp_root, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    temp_root.symlink_to(elsewhere, target_is_directory=True)
    root = exports.export_root()
    assert root != temp_root and elsewhere not in root.parents and root.is_dir()
    assert exports.session_dir(exports.new_session_id()).parent == root


HOSTILE = ["../../etc/passwd", "..\\..\\windows\\system32", "a/b\\c:d*e?f\"g<h>i|j", "审计厅\n# 注入",
           "=cmd|' /C calc'!A0", "\x00\x01\x1f", "\u202etxt.exe", "", "..", "CON", " " * 5, "单位" * 300,
           "自治区党校（行政学院）"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_unit_names_give_safe_short_files(plan, tmp_path, name):
    rows = duties.duty_rows(plan, "自治区审计厅")
    folder = tmp_path / "out"
    for fmt in duties.EXPORTERS:
        path = duties.export_duties(rows, name, fmt, folder)
        assert path.parent == folder and path.is_file()
        assert not set(path.name) & set("/\\:*?\"<>|\n\r\x00") and ".." not in path.name
        assert not path.name.startswith(".") and path.name.endswith(f".{fmt}")
        assert len(path.stem) <= len("职责清单_") + exports.NAME_CHARS and len(path.name.encode()) < 255
    assert {p.parent for p in tmp_path.rglob("*") if p.is_file()} == {folder}    # nothing written elsewhere
    assert not [p for p in folder.iterdir() if ".tmp" in p.name]                 # no leftovers
    heading = (folder / duties.export_filename(name, "md")).read_text(encoding="utf-8").splitlines()
    assert heading[0].startswith("# ") and heading[1] == ""                    # the name cannot add lines
    assert "<" not in heading[0]


def test_export_rejects_unknown_format(plan, tmp_path):
    with pytest.raises(ValueError):
        duties.export_duties([], "自治区审计厅", "../x", tmp_path)


# ------------------------------------------------------------ the unit tab
def test_unit_export_writes_to_the_session_folder(plan, temp_root):
    from assistant import app
    sid = exports.new_session_id()
    for fmt in duties.EXPORTERS:
        button = app._unit_export(plan, "审计厅", fmt, sid)
        assert isinstance(button, gr.DownloadButton) and button.interactive is True
        assert button.value["orig_name"] == duties.export_filename("自治区审计厅", fmt)
        written = temp_root / sid / duties.export_filename("自治区审计厅", fmt)
        assert written.is_file()
    table = by_measure(read_csv(temp_root / sid / duties.export_filename("自治区审计厅", "csv")))
    assert set(table) == {r.measure for r in duties.duty_rows(plan, "自治区审计厅")}
    assert app._unit_export(plan, "不存在的单位", "csv", sid).interactive is False
    assert app._export_dir(sid) == temp_root / sid
    assert app._export_dir().parent == temp_root                             # quiz / handout exports


def test_unit_picker_lists_names_and_aliases():
    choices = duties.unit_picker_choices()
    values = {value for _, value in choices}
    assert values == {u.name for u in UNITS}
    assert all((u.name, u.name) in choices for u in UNITS)
    for label, value in choices:
        typed = label.split(" → ")[0]
        assert duties.resolve_unit(typed) == value, label
    unit = next(u for u in UNITS if "发改委" in u.aliases)
    assert (f"发改委 → {unit.name}", unit.name) in choices
    narrowed = {value for label, value in choices if "发改" in label}       # what the filter shows
    assert narrowed == {unit.name}


def test_unit_tab_downloads_and_typing(plan, temp_root):
    from assistant import app
    temp_root.mkdir(parents=True)
    leftover = temp_root / exports.new_session_id()
    leftover.mkdir()
    _age(leftover, 2 * DAY, time.time())
    with gr.Blocks() as demo:
        app._unit_tab(plan)
    assert not leftover.exists()                                           # cleaned at start-up

    blocks = list(demo.blocks.values())
    pick = next(b for b in blocks if getattr(b, "elem_id", None) == "unit-pick")
    assert isinstance(pick, gr.Dropdown) and pick.allow_custom_value and pick.filterable
    assert [tuple(c) for c in pick.choices] == duties.unit_picker_choices()
    buttons = [b for b in blocks if isinstance(b, gr.DownloadButton)]
    assert len(buttons) == 3 and not any(b.interactive for b in buttons)
    assert not any(isinstance(b, gr.File) and not isinstance(b, gr.DownloadButton) for b in blocks)

    events = {(fn.name, trigger) for fn in demo.fns.values() for _, trigger in fn.targets}
    assert {("refresh", "change"), ("refresh", "click"), ("typed", "key_up")} <= events
    typed = next(fn for fn in demo.fns.values() if fn.name == "typed").fn
    sid = exports.new_session_id()

    out = typed(sid, None, gr.KeyUpData(None, {"key": "委", "input_value": "发改委"}))
    note, frame, *files, shown, kept = out
    assert kept == sid and shown == "自治区发展改革委" and "自治区发展改革委" in note
    assert list(frame.iloc[:, 0]) == [f"第{r.measure}项" for r in duties.duty_rows(plan, shown)]
    assert all(f.interactive for f in files)
    assert sorted(p.name for p in (temp_root / sid).iterdir()) == sorted(
        duties.export_filename(shown, fmt) for fmt in duties.EXPORTERS)
    unchanged = typed(sid, shown, gr.KeyUpData(None, {"key": "x", "input_value": "发改委"}))
    assert all(isinstance(item, type(gr.skip())) for item in unchanged)    # same unit: nothing redone
    partial = typed(sid, None, gr.KeyUpData(None, {"key": "审", "input_value": "审"}))
    assert all(isinstance(item, type(gr.skip())) for item in partial)

    refresh = next(fn for fn in demo.fns.values() if fn.name == "refresh").fn
    note, frame, *files, shown, kept = refresh("<b>无此单位</b>", sid)
    assert "没有找到" in note and "<b>" not in note and frame.empty and shown is None and kept == sid
    assert not any(f.interactive for f in files)
    *_, shown, first = refresh("审计厅", None)                # a new browser session gets its own folder
    assert shown == "自治区审计厅" and re.fullmatch(r"[0-9a-f]{16}", first)
    assert (temp_root / first / duties.export_filename(shown, "xlsx")).is_file()
    *_, second = refresh("审计厅", None)
    assert second != first and (temp_root / second).is_dir()
