"""The 时间表 tab: Chinese chart labels, a unit's own deadlines vs those reaching it through a
collective designation, expired / pending relative to a fixed "today", and titles that follow
the filter. Expected values are derived from the parsed plan, never written down."""
from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta

import gradio as gr
import pytest

from assistant import app, duties, timeline
from assistant.records import DeadlineKind
from assistant.units import DESIGNATIONS, involvement

ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
MID_2022 = date(2022, 7, 1)        # the day after 2022年6月底前, before 2022年底前
AFTER_PLAN = date(2026, 11, 28)    # after the plan period (2021—2025年)


def _english(texts) -> list[str]:
    return [t for t in texts if isinstance(t, str) and ENGLISH_WORD.search(t)]


def _views(plan):
    units = [None, "自治区司法厅", "自治区审计厅"]
    return [timeline.timeline_view(plan, unit, status, today)
            for unit in units for status in timeline.STATUS_CHOICES for today in (MID_2022, AFTER_PLAN)]


def _deadline_kind(plan, row):
    return next(d.kind for d in plan.measure(row.measure).deadlines if d.phrase == row.phrase)


@pytest.fixture(scope="module")
def units_with_deadlines(plan):
    """Every catalog unit that takes part in at least one measure with a deadline."""
    return [u for u in duties.unit_choices() if timeline.timeline_rows(plan, u)]


# ------------------------------------------------------------ labels in Chinese
def test_chart_config_and_data_have_no_english(plan):
    for view in _views(plan):
        config = view.chart_config()
        labels = [config[k] for k in ("title", "x_title", "y_title", "color_title", "caption", "x", "y", "color")]
        labels += config["tooltip"] + config["colors_in_legend"] + list(config["color_map"]) + (config["sort"] or [])
        assert not _english(labels), labels
        frame = view.plot_value()
        assert not _english(frame.columns)
        # the measure text itself may quote Latin letters (“APP”); everything else is ours
        for column in (timeline.CHART_X, timeline.CHART_SERIES, timeline.CHART_MEASURE, timeline.CHART_PHRASE):
            assert not _english(frame[column]), column
        assert not _english(view.frame().columns) and not _english([view.title, view.summary])
        assert {config["x_title"], config["y_title"]} == {"年月", "到期措施数"}


def test_ui_plot_is_an_interactive_chinese_bar_chart(plan):
    plot, note, table = app._timeline_view(plan, "司法厅", timeline.STATUS_ALL, MID_2022)
    assert isinstance(plot, gr.BarPlot)
    shown = [plot.title, plot.x_title, plot.y_title, plot.color_title, plot.caption, plot.x, plot.y, plot.color,
             *plot.tooltip, *plot.colors_in_legend]
    assert all(shown) and not _english(shown)
    assert plot.color_title == "涉及方式" and "措施" in plot.tooltip and "内容" in plot.tooltip
    # Gradio can serialise the data: the series column is categorical, the count numeric
    data = plot.value
    assert data["mark"] == "bar"
    assert data["datatypes"][timeline.CHART_SERIES] == "nominal"
    assert data["datatypes"][timeline.CHART_Y] == "quantitative"
    assert not _english(data["columns"])


def test_static_figure_is_chinese(plan):
    fig = timeline.timeline_figure(timeline.timeline_rows(plan))
    ax = fig.axes[0]
    texts = [ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), *(t.get_text() for t in ax.texts),
             *(t.get_text() for t in ax.get_xticklabels())]
    assert not _english(texts) and "到期措施数" in texts
    empty = timeline.timeline_figure([])
    assert not _english(t.get_text() for t in empty.axes[0].texts)


# ------------------------------------------------------------ own deadlines vs designations
def test_own_and_designation_rows_follow_involvement(plan, units_with_deadlines):
    own_order = [r.value for r in timeline.OWN_ROLES]
    for unit in units_with_deadlines:
        rows = timeline.timeline_rows(plan, unit)
        expected = {m.number for m in plan.measures if m.deadlines and any(involvement(m, unit))}
        assert {r.measure for r in rows} == expected, unit
        frame = timeline.timeline_frame(rows, with_involvement=True, today=MID_2022)
        for row, how in zip(rows, frame["涉及方式"]):
            roles, via = involvement(plan.measure(row.measure), unit)
            assert row.direct is bool(roles)
            if roles:
                first = min((r.value for r in roles), key=own_order.index)
                assert row.series == f"本单位{first}" and how.startswith("本单位")
                assert all(r.value in how for r in roles)
            else:
                assert via and row.series == f"通过「{via[0][0]}」涉及"
                assert how.startswith("通过") and all(f"「{name}」" in how for name, _ in via)
                assert all(role.label in how for _, role in via)


def test_chart_and_summary_separate_own_from_designation(plan, units_with_deadlines):
    mixed = [u for u in units_with_deadlines
             if {r.direct for r in timeline.timeline_rows(plan, u)} == {True, False}]
    assert mixed, "some unit has both its own deadlines and designation ones"
    for unit in mixed + [u for u in units_with_deadlines if u not in mixed][:3]:
        view = timeline.timeline_view(plan, unit, timeline.STATUS_ALL, MID_2022)
        chart = view.chart()
        by_measure = {f"第{r.measure}项": r for r in view.rows if r.dated}
        assert len(chart) == len({(r.month_label, r.measure) for r in by_measure.values()})
        for _, point in chart.iterrows():
            row = by_measure[point[timeline.CHART_MEASURE]]
            assert point[timeline.CHART_SERIES] == row.series
        config = view.chart_config()
        colours = config["color_map"]
        own = {s for s in chart[timeline.CHART_SERIES] if s.startswith("本单位")}
        via = set(chart[timeline.CHART_SERIES]) - own
        assert not {colours[s] for s in own} & {colours[s] for s in via}
        assert set(config["colors_in_legend"]) == own | via
        n_own = sum(1 for r in view.scope if r.direct)
        n_via = sum(1 for r in view.scope if r.direct is False)
        assert f"被点名（牵头、参加或责任）的 {n_own} 个" in view.summary
        if n_via:
            assert f"集合性表述涉及的 {n_via} 个" in view.summary


def test_every_designation_has_its_own_colour():
    via = [timeline.via_series(d.name) for d in DESIGNATIONS]
    assert all(name in timeline.SERIES_COLOURS for name in via)
    assert len({timeline.SERIES_COLOURS[name] for name in via}) == len(via)


# ------------------------------------------------------------ expired / pending
def test_month_end_deadlines_expire_the_day_after(plan):
    rows = timeline.timeline_rows(plan)
    june_end = next(r for r in rows if _deadline_kind(plan, r) == DeadlineKind.BY_END_OF and r.month == 6)
    year_end = next(r for r in rows if r.year == june_end.year and _deadline_kind(plan, r) == DeadlineKind.BY_END_OF
                    and r.month == 12)
    assert june_end.phrase == f"{june_end.year}年6月底前" and year_end.phrase == f"{year_end.year}年底前"
    day_after = date(june_end.year, 7, 1)
    assert june_end.status(day_after - timedelta(days=1)) == timeline.PENDING
    assert june_end.status(day_after) == timeline.EXPIRED
    assert year_end.status(day_after) == timeline.PENDING
    assert year_end.status(date(year_end.year + 1, 1, 1)) == timeline.EXPIRED


def test_expired_and_pending_split_on_a_fixed_day(plan):
    rows = timeline.timeline_rows(plan)
    expired = timeline.filter_rows(rows, timeline.EXPIRED, MID_2022)
    pending = timeline.filter_rows(rows, timeline.PENDING, MID_2022)
    recurring = [r for r in rows if not r.dated]
    assert expired and pending and recurring
    assert all((r.year, r.month) < (2022, 7) for r in expired)
    assert all((r.year, r.month) >= (2022, 7) for r in pending)
    assert len(expired) + len(pending) + len(recurring) == len(rows)
    assert timeline.filter_rows(rows, timeline.STATUS_ALL, MID_2022) == rows
    # recurring (每年…) deadlines are never expired or pending, whatever the day
    for today in (MID_2022, AFTER_PLAN, date(2100, 1, 1)):
        assert all(r.status(today) == timeline.RECURRING for r in recurring)
        assert not set(timeline.filter_rows(rows, timeline.EXPIRED, today)) & set(recurring)
    frame = timeline.timeline_frame(rows, today=MID_2022)
    assert list(frame["状态"]) == [r.status(MID_2022) for r in rows]
    summary = timeline.timeline_view(plan, None, timeline.STATUS_ALL, MID_2022).summary
    assert f"已过期 {len(expired)} 个，未到期 {len(pending)} 个" in summary and "2022年7月1日" in summary
    assert "已结束" not in summary


def test_after_the_plan_period_everything_dated_has_expired(plan):
    period = plan.period
    assert AFTER_PLAN.year > period.end
    label = f"方案实施期（{period.start}—{period.end}年）已结束"
    for unit in (None, "自治区司法厅"):
        rows = timeline.timeline_rows(plan, unit)
        assert all(r.status(AFTER_PLAN) == timeline.EXPIRED for r in rows if r.dated)
        assert not timeline.filter_rows(rows, timeline.PENDING, AFTER_PLAN)
        for status in timeline.STATUS_CHOICES:
            summary = timeline.timeline_view(plan, unit, status, AFTER_PLAN).summary
            assert label in summary and "均已过期" in summary
            assert "每年重复的要求" in summary
    assert timeline.period_ended(plan, date(period.end + 1, 1, 1))
    assert not timeline.period_ended(plan, date(period.end, 12, 31))


def test_all_deadlines_passed_but_period_running(plan):
    rows = timeline.timeline_rows(plan)
    last = max(r.due for r in rows if r.dated)
    day = last + timedelta(days=1)
    if day > date(plan.period.end, 12, 31):
        pytest.skip("the last deadline is the end of the plan period")
    summary = timeline.timeline_view(plan, None, timeline.STATUS_ALL, day).summary
    assert "均已过期" in summary and "尚未结束" in summary and "已结束" not in summary


def test_period_is_read_from_the_plan_record(plan):
    longer = dataclasses.replace(plan, document=dataclasses.replace(
        plan.document, title=plan.document.title.replace(str(plan.period.end), "2030")), _by_number={})
    assert longer.period.end == 2030
    assert not timeline.period_ended(longer, AFTER_PLAN)
    summary = timeline.timeline_view(longer, None, timeline.STATUS_ALL, AFTER_PLAN).summary
    assert "已结束" not in summary and "尚未结束" in summary


# ------------------------------------------------------------ titles follow the filter
def test_table_title_follows_unit_and_status(plan):
    for unit in (None, "自治区审计厅", "自治区司法厅"):
        scope = timeline.timeline_rows(plan, unit)
        for status in timeline.STATUS_CHOICES:
            for today in (MID_2022, AFTER_PLAN):
                view = timeline.timeline_view(plan, unit, status, today)
                n = len(timeline.filter_rows(scope, status, today))
                head = {timeline.STATUS_ALL: f"{unit}的时限" if unit else "全部时限",
                        timeline.EXPIRED: f"{unit or ''}已过期的时限",
                        timeline.PENDING: f"{unit or ''}未到期的时限"}[status]
                assert view.title == f"{head}（{n} 个）"
                assert len(view.frame()) == n


def test_ui_view_titles_and_today(plan):
    _, note, table = app._timeline_view(plan, app.ALL_UNITS, timeline.STATUS_ALL, MID_2022)
    assert note.startswith("方案中") and table.label == f"全部时限（{len(timeline.timeline_rows(plan))} 个）"
    assert "2022年7月1日" in note
    audit = timeline.timeline_rows(plan, "自治区审计厅")
    n = sum(1 for r in audit if r.dated and r.due < AFTER_PLAN)
    plot, note, table = app._timeline_view(plan, "审计厅", timeline.EXPIRED, AFTER_PLAN)
    assert table.label == f"自治区审计厅已过期的时限（{n} 个）" and len(table.value["data"]) == n
    assert "涉及方式" in table.value["headers"] and "状态" in table.value["headers"]
    assert plot.title.startswith("自治区审计厅已过期")
    _, note, table = app._timeline_view(plan, "审计厅", timeline.PENDING, AFTER_PLAN)
    assert table.label == "自治区审计厅未到期的时限（0 个）" and "已结束" in note
    _, note, table = app._timeline_view(plan, "<b>无此单位</b>", timeline.PENDING, MID_2022)
    assert "没有找到" in note and "<b>" not in note and table.label.startswith("未到期的时限")
    # without a date the view uses today's
    _, note, _ = app._timeline_view(plan, app.ALL_UNITS)
    today = date.today()
    assert f"{today.year}年{today.month}月{today.day}日" in note


# ------------------------------------------------------------ hover data
def test_chart_points_carry_measure_and_short_clause(plan):
    view = timeline.timeline_view(plan, None, timeline.STATUS_ALL, MID_2022)
    chart = view.chart()
    groups = timeline.by_month(view.rows)
    assert len(chart) == sum(len(v) for v in groups.values())
    assert set(chart[timeline.CHART_Y]) == {1}
    for _, point in chart.iterrows():
        number = int(point[timeline.CHART_MEASURE][1:-1])
        body = plan.measure(number).body
        brief = point[timeline.CHART_BRIEF]
        assert brief and len(brief) <= timeline.BRIEF_CHARS and brief.rstrip("…") in body
        assert point[timeline.CHART_PHRASE] not in brief
    assert view.chart_config()["sort"] == view.months == sorted(
        view.months, key=lambda s: tuple(int(x) for x in re.findall(r"\d+", s)))


def test_plot_value_keeps_every_series_and_month(plan):
    for view in _views(plan):
        chart, padded = view.chart(), view.plot_value()
        assert padded[timeline.CHART_Y].sum() == len(chart)
        extra = padded.iloc[len(chart):]
        assert (extra[timeline.CHART_Y] == 0).all()
        assert set(timeline.SERIES_COLOURS) <= set(padded[timeline.CHART_SERIES])
        assert set(view.months) <= set(padded[timeline.CHART_X])


def test_every_unit_status_and_day_renders(plan):
    for unit in [None, *duties.unit_choices()]:
        for status in timeline.STATUS_CHOICES:
            for today in (date(2021, 1, 1), MID_2022, AFTER_PLAN):
                view = timeline.timeline_view(plan, unit, status, today)
                plot = gr.BarPlot(value=view.plot_value(), **view.chart_config())
                assert plot.value["columns"] and view.title.endswith(f"（{len(view.rows)} 个）")
                assert view.summary
