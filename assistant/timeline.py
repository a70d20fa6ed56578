"""Every deadline in the plan by year and month: table rows, an interactive chart, and whether each
deadline has passed.

Dated deadlines (2022年6月前, 2023年底前 …) are placed at their month (a year-end deadline at
December) and fall due at the end of that month: 2022年6月底前 has expired from 2022-07-01 on.
Recurring ones (每年…) are listed after them and are never expired or pending.

Rows can be limited to the measures that involve one unit; each row then says whether the unit is
named in the measure (本单位牵头/参加/责任) or reached through a collective designation
(通过「自治区政府各部门」涉及), as decided by ``assistant.units.involvement``.

Today's date is always a parameter (the web app passes ``datetime.date.today()``), and the plan
period comes from the parsed plan record (``Plan.period``).
"""
from __future__ import annotations

import calendar
import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .records import DeadlineKind, Measure, Plan, Role
from .text import split_sentences
from .units import DESIGNATIONS
from .units import involvement as unit_involvement

COLUMNS = ("年份", "月份", "时限", "状态", "措施", "内容", "牵头（或责任）单位", "涉及方式")
CLAUSE_CHARS = 80
BRIEF_CHARS = 30

# The status filter and the status of one row.
STATUS_ALL = "全部"
EXPIRED = "已过期"
PENDING = "未到期"
RECURRING = "每年重复"
STATUS_CHOICES = (STATUS_ALL, EXPIRED, PENDING)

# Chart columns (the DataFrame behind gr.BarPlot); every label the chart shows is one of these
# or a value in them.
CHART_X = "年月"
CHART_Y = "到期措施数"
CHART_SERIES = "类别"          # the colour column; its legend title says what it holds:
CHART_STATUS = "到期情况"       # 已过期 / 未到期 (all units)
CHART_INVOLVEMENT = "涉及方式"  # 本单位牵头 … / 通过「…」涉及 (one unit)
CHART_MEASURE = "措施"
CHART_PHRASE = "时限"
CHART_BRIEF = "内容"
OWN_PREFIX = "本单位"

OWN_ROLES = (Role.LEAD, Role.RESPONSIBLE, Role.PARTICIPANT)   # a unit with two roles is coloured by the first


def via_series(designation: str) -> str:
    return f"通过「{designation}」涉及"


# Every colour series the chart can show, in legend order, with its colour. The set is fixed so
# that the browser's chart keeps one colour scale when the data changes (see `plot_frame`).
SERIES_COLOURS = {
    EXPIRED: "#9aa0a6", PENDING: "#3b6fb6",
    OWN_PREFIX + Role.LEAD.value: "#1f4e9c", OWN_PREFIX + Role.RESPONSIBLE.value: "#2e8b57",
    OWN_PREFIX + Role.PARTICIPANT.value: "#6fa8dc",
    **dict(zip((via_series(d.name) for d in DESIGNATIONS), itertools.cycle(
               # designations of cities and counties, then of departments (warm tones)
               ("#8e6bb8", "#7f6a4d", "#b07aa1", "#e08a2e", "#c0504d", "#d4a017", "#cc6677", "#a0522d",
                "#b5882c")))),
}


@dataclass(frozen=True)
class TimelineRow:
    year: int | None        # None for recurring (每年) deadlines
    month: int              # 12 when the deadline is a year end; 0 for recurring ones
    phrase: str
    measure: int
    clause: str
    lead: str               # lead units, or the responsible units when a measure has no lead
    involvement: str = ""   # the unit's role when filtered by unit: "牵头" / "通过「…」涉及（参加单位）"
    direct: bool | None = None   # named in the measure (True), through a designation (False), no unit (None)
    series: str = ""        # chart series when filtered by unit: "本单位牵头" / "通过「自治区政府各部门」涉及"
    brief: str = ""         # a short clause saying what is due (for the chart's tooltip)

    @property
    def dated(self) -> bool:
        return self.year is not None

    @property
    def due(self) -> date | None:
        """The last day on which the deadline is still met (end of its month), None if recurring."""
        if not self.dated:
            return None
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def month_label(self) -> str:
        return f"{self.year}年{self.month}月" if self.dated else "每年"

    def status(self, today: date) -> str:
        """已过期 once `today` is after the due date, 未到期 until then, 每年重复 for recurring ones."""
        if not self.dated:
            return RECURRING
        return EXPIRED if today > self.due else PENDING

    def cells(self, today: date | None = None) -> list[str]:
        today = today or date.today()
        year = f"{self.year}年" if self.dated else "每年"
        month = f"{self.month}月" if self.dated else "—"
        how = (OWN_PREFIX + self.involvement if self.direct else self.involvement) or "—"
        return [year, month, self.phrase, self.status(today), f"第{self.measure}项", self.clause, self.lead or "—",
                how]


def _clause(body: str, phrase: str) -> str:
    """The sentence that states the deadline, shortened."""
    sentence = next((s for s in split_sentences(body) if phrase in s), phrase)
    return sentence if len(sentence) <= CLAUSE_CHARS else sentence[:CLAUSE_CHARS - 1] + "…"


def _brief(body: str, phrase: str) -> str:
    """What is due: the clause that holds the deadline without the deadline itself, else the first
    clause of that sentence; shortened."""
    sentence = next((s for s in split_sentences(body) if phrase in s), body)
    clauses = [c.strip() for c in re.split(r"[，；。：！？]", sentence) if c.strip()]
    own = next((c for c in clauses if phrase in c), "")
    rest = re.sub(rf"[到在于]?{re.escape(phrase)}", "", own, count=1).strip("，、 ")
    text = rest if len(rest) >= 6 else (clauses[0] if clauses else phrase)
    return text if len(text) <= BRIEF_CHARS else text[:BRIEF_CHARS - 1] + "…"


def _leading_units(m: Measure) -> str:
    for role in (Role.LEAD, Role.RESPONSIBLE):
        names = [u.name for u in m.units_with_role(role)]
        if names:
            return "、".join(names)
    return ""


def _unit_part(m: Measure, unit: str) -> tuple[str, bool, str] | None:
    """(role text, direct, chart series) for `unit` in `m`, or None when it does not take part."""
    roles, via = unit_involvement(m, unit)
    if roles:
        main = next(role for role in OWN_ROLES if role in roles)
        return "、".join(role.value for role in roles), True, OWN_PREFIX + main.value
    if not via:
        return None
    names = "".join(dict.fromkeys(f"「{name}」" for name, _ in via))
    labels = "、".join(dict.fromkeys(role.label for _, role in via))
    return f"通过{names}涉及（{labels}）", False, via_series(via[0][0])


def timeline_rows(plan: Plan, unit: str | None = None) -> list[TimelineRow]:
    """All deadlines sorted by date (recurring ones last), optionally for one unit."""
    rows = []
    for m in plan.measures:
        how, direct, series = "", None, ""
        if unit:
            found = _unit_part(m, unit)
            if found is None:
                continue
            how, direct, series = found
        lead = _leading_units(m)
        for d in m.deadlines:
            dated = d.kind != DeadlineKind.ANNUAL and d.year is not None
            rows.append(TimelineRow(d.year if dated else None, (d.month or 12) if dated else 0,
                                    d.phrase, m.number, _clause(m.body, d.phrase), lead, how, direct, series,
                                    _brief(m.body, d.phrase)))
    return sorted(rows, key=lambda r: (not r.dated, r.year or 0, r.month, r.direct is False, r.measure))


def filter_rows(rows: list[TimelineRow], status: str, today: date) -> list[TimelineRow]:
    """全部: every row; 已过期 / 未到期: the dated rows with that status (recurring ones never)."""
    if status not in (EXPIRED, PENDING):
        return list(rows)
    return [r for r in rows if r.status(today) == status]


def timeline_frame(rows: list[TimelineRow], with_involvement: bool = False,
                   today: date | None = None) -> pd.DataFrame:
    columns = list(COLUMNS) if with_involvement else list(COLUMNS[:-1])
    return pd.DataFrame([row.cells(today)[:len(columns)] for row in rows], columns=columns)


def by_month(rows: list[TimelineRow]) -> dict[tuple[int, int], list[int]]:
    """(year, month) -> measure numbers, for dated rows."""
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for row in rows:
        if row.dated and row.measure not in groups[(row.year, row.month)]:
            groups[(row.year, row.month)].append(row.measure)
    return dict(sorted(groups.items()))


# ------------------------------------------------------------ texts
def _day(today: date) -> str:
    return f"{today.year}年{today.month}月{today.day}日"


def period_label(plan: Plan) -> str:
    period = plan.period
    return f"{period.start}—{period.end}年"


def period_ended(plan: Plan, today: date) -> bool:
    """Whether `today` is after the last day of the plan period (from the plan's title)."""
    end = plan.period.end
    return bool(end) and today > date(end, 12, 31)


def table_title(unit: str | None, status: str, count: int) -> str:
    """"全部时限（32 个）", "自治区审计厅的时限（12 个）", "已过期的时限（5 个）", "自治区审计厅未到期的时限（0 个）"."""
    if status in (EXPIRED, PENDING):
        head = f"{unit}{status}的时限" if unit else f"{status}的时限"
    else:
        head = f"{unit}的时限" if unit else "全部时限"
    return f"{head}（{count} 个）"


def timeline_summary(plan: Plan, rows: list[TimelineRow], unit: str | None, status: str, today: date) -> str:
    """Markdown: what the scope holds, where `today` stands against the deadlines and the plan
    period, and what the filter shows. `rows` are all rows of the scope (all units or one)."""
    dated = [r for r in rows if r.dated]
    annual = [r for r in rows if not r.dated]
    who = f"**{unit}**涉及的措施中，" if unit else "方案中"
    lines = [f"{who}共有 {len(dated)} 个具体时限（{len({r.measure for r in dated})} 项措施），"
             f"另有 {len(annual)} 项每年重复的要求。"]
    if unit and not rows:
        lines = [f"**{unit}**涉及的措施都没有写明时限（具体时限或每年重复的要求）。"]
    elif unit:
        own = [r for r in rows if r.direct]
        via = [r for r in rows if r.direct is False]
        names = "".join(dict.fromkeys(re.findall(r"「[^」]+」", "".join(r.series for r in via))))
        line = f"上述 {len(rows)} 个时限中，本单位被点名（牵头、参加或责任）的 {len(own)} 个"
        line += f"，通过{names}等集合性表述涉及的 {len(via)} 个。" if via else "，没有通过集合性表述涉及的。"
        lines.append(line)

    expired = [r for r in dated if r.status(today) == EXPIRED]
    pending = [r for r in dated if r.status(today) == PENDING]
    span = f"方案实施期（{period_label(plan)}）" if plan.period.end else "方案实施期"
    if period_ended(plan, today) and not pending:
        shown = "下表中的" if status != PENDING else ""
        lines.append(f"**{span}已结束，{shown}具体时限均已过期**（截至{_day(today)}）；"
                     "每年重复的要求不按过期计。" if dated else f"**{span}已结束**（截至{_day(today)}）。")
    elif dated and not pending:
        last = max(dated, key=lambda r: (r.due, r.measure))
        lines.append(f"截至{_day(today)}，**具体时限均已过期**（最晚的是第{last.measure}项的“{last.phrase}”），"
                     f"{span}尚未结束。")
    elif dated:
        nxt = min(pending, key=lambda r: (r.due, r.measure))
        line = (f"截至{_day(today)}，已过期 {len(expired)} 个，未到期 {len(pending)} 个；"
                f"最近一个到期的是第{nxt.measure}项的“{nxt.phrase}”。")
        if period_ended(plan, today):
            line = f"{span}已结束，但" + line
        lines.append(line)

    if status in (EXPIRED, PENDING):
        count = len(expired if status == EXPIRED else pending)
        line = f"当前只显示{status}的时限（{count} 个）"
        line += f"；每年重复的要求（{len(annual)} 项）不计入已过期或未到期，选择“全部”可查看。" if annual else "。"
        lines.append(line)
    return "\n\n".join(lines)


# ------------------------------------------------------------ interactive chart (gr.BarPlot)
def chart_frame(rows: list[TimelineRow], today: date, by_unit: bool = False) -> pd.DataFrame:
    """One row per measure and month with a dated deadline: the bar segment a user hovers over.

    The colour column 类别 holds 已过期/未到期, or for one unit 本单位牵头 … / 通过「…」涉及. Its name stays
    the same in both views, so that the browser's chart can switch between them."""
    colour = CHART_SERIES
    merged: dict[tuple[int, int, int], dict] = {}
    for row in rows:
        if not row.dated:
            continue
        key = (row.year, row.month, row.measure)
        if key in merged:
            merged[key][CHART_PHRASE] += "；" + row.phrase
            continue
        merged[key] = {CHART_X: row.month_label, CHART_Y: 1,
                       colour: row.series if by_unit else row.status(today),
                       CHART_MEASURE: f"第{row.measure}项", CHART_PHRASE: row.phrase, CHART_BRIEF: row.brief}
    columns = [CHART_X, CHART_Y, colour, CHART_MEASURE, CHART_PHRASE, CHART_BRIEF]
    frame = pd.DataFrame([merged[k] for k in sorted(merged)], columns=columns)
    frame[CHART_Y] = frame[CHART_Y].astype("int64")
    for column in columns:
        if column != CHART_Y:
            frame[column] = frame[column].astype(str)
    return frame


def plot_frame(frame: pd.DataFrame, months: list[str]) -> pd.DataFrame:
    """`frame` with zero-height rows added, for the browser's chart: one per month of `months` that
    has no deadline left after filtering (the time axis stays the same under every filter), and one
    per series that does not occur. Gradio's chart swaps new data into the colour scale it built
    from the first data it was given, so every series must occur from the start."""
    anchor = months[0] if months else "—"
    padding = [{CHART_X: month, CHART_Y: 0, CHART_SERIES: EXPIRED} for month in months
               if month not in set(frame[CHART_X])]
    padding += [{CHART_X: anchor, CHART_Y: 0, CHART_SERIES: name} for name in SERIES_COLOURS
                if name not in set(frame[CHART_SERIES])]
    blank = dict.fromkeys(frame.columns, "")
    extra = pd.DataFrame([{**blank, **row} for row in padding], columns=frame.columns)
    out = pd.concat([frame, extra], ignore_index=True) if padding else frame.copy()
    return out.astype({column: ("int64" if column == CHART_Y else str) for column in out.columns})


def chart_config(frame: pd.DataFrame, unit: str | None = None, status: str = STATUS_ALL,
                 months: list[str] | None = None) -> dict:
    """Keyword arguments for gr.BarPlot: every visible label in Chinese."""
    shown = [name for name in SERIES_COLOURS if name in set(frame[CHART_SERIES])]
    order = months if months is not None else list(dict.fromkeys(frame[CHART_X]))
    head = unit or "方案"
    title = f"{head}{status}的时限（按年月）" if status in (EXPIRED, PENDING) else f"{head}的时限分布（按年月）"
    return {
        "x": CHART_X, "y": CHART_Y, "color": CHART_SERIES, "title": title,
        "x_title": CHART_X, "y_title": CHART_Y, "color_title": CHART_INVOLVEMENT if unit else CHART_STATUS,
        "color_map": dict(SERIES_COLOURS), "colors_in_legend": shown, "y_lim": [0, None],
        "sort": order or None,
        "tooltip": [CHART_MEASURE, CHART_PHRASE, CHART_BRIEF],
        "y_axis_format": "d",
        "caption": ("把鼠标移到柱上可查看到期的措施编号和内容；每年重复的要求不在图中，见下表。" if len(frame)
                    else "没有符合条件的具体时限。"),
    }


# ------------------------------------------------------------ one view of the tab
@dataclass
class TimelineView:
    """Everything the 时间表 tab shows for one unit (or all) and one status filter on one day."""
    plan: Plan
    unit: str | None
    status: str
    today: date
    scope: list[TimelineRow]                       # all rows of the unit (or of the plan)
    rows: list[TimelineRow] = field(default_factory=list)   # the rows the filter keeps

    @property
    def title(self) -> str:
        return table_title(self.unit, self.status, len(self.rows))

    @property
    def summary(self) -> str:
        return timeline_summary(self.plan, self.scope, self.unit, self.status, self.today)

    def frame(self) -> pd.DataFrame:
        return timeline_frame(self.rows, with_involvement=self.unit is not None, today=self.today)

    @property
    def months(self) -> list[str]:
        """The months of the scope with a dated deadline, in order: the chart's time axis."""
        return list(dict.fromkeys(r.month_label for r in self.scope if r.dated))

    def chart(self) -> pd.DataFrame:
        """One row per measure and month (the filtered rows): what the chart shows."""
        return chart_frame(self.rows, self.today, by_unit=self.unit is not None)

    def plot_value(self) -> pd.DataFrame:
        """`chart()` with the zero-height rows the browser's chart needs."""
        return plot_frame(self.chart(), self.months)

    def chart_config(self) -> dict:
        return chart_config(self.chart(), self.unit, self.status, self.months)


def timeline_view(plan: Plan, unit: str | None, status: str, today: date) -> TimelineView:
    status = status if status in STATUS_CHOICES else STATUS_ALL
    scope = timeline_rows(plan, unit)
    return TimelineView(plan, unit, status, today, scope, filter_rows(scope, status, today))


# ------------------------------------------------------------ static chart (matplotlib, for print)
@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """A font installed on this machine that can draw Chinese, if there is one."""
    from matplotlib import font_manager
    wanted = ("Noto Sans CJK", "Noto Serif CJK", "Source Han", "WenQuanYi", "SimHei", "Microsoft YaHei",
              "PingFang", "Heiti", "AR PL", "Droid Sans Fallback")
    for font in font_manager.fontManager.ttflist:
        if any(name in font.name for name in wanted):
            return font.name
    # Matplotlib's font cache may predate a font installed later: look at the files too.
    hints = ("wqy", "notosanscjk", "notoserifcjk", "sourcehan", "droidsansfallback", "simhei", "msyh")
    for path in font_manager.findSystemFonts():
        if any(hint in Path(path).name.lower().replace("-", "") for hint in hints):
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
    return None


FIGURE_LABELS = {"title": "方案时限分布（按年月）", "y": CHART_Y, "x": CHART_X, "item": "第{n}项",
                 "empty": "没有符合条件的时限", "annual": "另有{n}项每年重复的要求", "tick": "{y}年{m}月"}


def timeline_figure(rows: list[TimelineRow]):
    """A static bar per month with a deadline, each bar labelled with its measure numbers
    (the web app uses the interactive chart above)."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    font = cjk_font()
    text = FIGURE_LABELS
    fig = Figure(figsize=(9, 3.6), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    groups = by_month(rows)
    if not groups:
        ax.text(0.5, 0.5, text["empty"], ha="center", va="center", transform=ax.transAxes, fontfamily=font)
        ax.set_axis_off()
        return fig
    keys = list(groups)
    positions = range(len(keys))
    counts = [len(groups[k]) for k in keys]
    ax.bar(positions, counts, color="#3b6fb6", width=0.6)
    for x, key in zip(positions, keys):
        label = "\n".join(text["item"].format(n=n) for n in groups[key])
        ax.annotate(label, (x, len(groups[key])), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize=8, fontfamily=font)
    ax.set_xticks(list(positions), [text["tick"].format(y=y, m=m) for y, m in keys], fontfamily=font)
    ax.set_ylim(0, max(counts) * 1.25 + 2.5)
    ax.set_xlabel(text["x"], fontfamily=font)
    ax.set_ylabel(text["y"], fontfamily=font)
    ax.set_title(text["title"], fontfamily=font)
    annual = len({r.measure for r in rows if not r.dated})
    if annual:
        ax.text(0.99, 0.95, text["annual"].format(n=annual), transform=ax.transAxes, ha="right", va="top",
                fontsize=9, color="#555555", fontfamily=font)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


__all__ = ["TimelineRow", "TimelineView", "timeline_rows", "timeline_view", "timeline_frame", "timeline_summary",
           "filter_rows", "table_title", "chart_frame", "chart_config", "plot_frame", "period_ended",
           "period_label", "timeline_figure", "by_month", "COLUMNS", "SERIES_COLOURS", "STATUS_CHOICES",
           "STATUS_ALL", "EXPIRED", "PENDING", "RECURRING"]
