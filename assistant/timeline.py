"""Every deadline in the plan by year and month: table rows and a matplotlib chart.

Dated deadlines (2022年6月前, 2023年底前 …) are placed at their month (a year-end deadline at
December); recurring ones (每年…) are listed after them. Rows can be limited to the measures
that involve one unit, directly or through a collective designation.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .duties import measure_role
from .records import DeadlineKind, Measure, Plan, Role
from .text import split_sentences

COLUMNS = ("年份", "月份", "时限", "措施", "内容", "牵头（或责任）单位", "涉及方式")
CLAUSE_CHARS = 80


@dataclass(frozen=True)
class TimelineRow:
    year: int | None        # None for recurring (每年) deadlines
    month: int              # 12 when the deadline is a year end; 0 for recurring ones
    phrase: str
    measure: int
    clause: str
    lead: str               # lead units, or the responsible units when a measure has no lead
    involvement: str = ""   # the unit's role when filtered by unit

    @property
    def dated(self) -> bool:
        return self.year is not None

    def cells(self) -> list[str]:
        year = f"{self.year}年" if self.dated else "每年"
        month = f"{self.month}月" if self.dated else "—"
        return [year, month, self.phrase, f"第{self.measure}项", self.clause, self.lead or "—",
                self.involvement or "—"]


def _clause(body: str, phrase: str) -> str:
    """The sentence that states the deadline, shortened."""
    sentence = next((s for s in split_sentences(body) if phrase in s), phrase)
    return sentence if len(sentence) <= CLAUSE_CHARS else sentence[:CLAUSE_CHARS - 1] + "…"


def _leading_units(m: Measure) -> str:
    for role in (Role.LEAD, Role.RESPONSIBLE):
        names = [u.name for u in m.units_with_role(role)]
        if names:
            return "、".join(names)
    return ""


def timeline_rows(plan: Plan, unit: str | None = None) -> list[TimelineRow]:
    """All deadlines sorted by date (recurring ones last), optionally for one unit."""
    rows = []
    for m in plan.measures:
        involvement = ""
        if unit:
            found = measure_role(m, unit)
            if found is None:
                continue
            involvement = found[0]
        lead = _leading_units(m)
        for d in m.deadlines:
            dated = d.kind != DeadlineKind.ANNUAL and d.year is not None
            rows.append(TimelineRow(d.year if dated else None, (d.month or 12) if dated else 0,
                                    d.phrase, m.number, _clause(m.body, d.phrase), lead, involvement))
    return sorted(rows, key=lambda r: (not r.dated, r.year or 0, r.month, r.measure))


def timeline_frame(rows: list[TimelineRow], with_involvement: bool = False) -> pd.DataFrame:
    columns = list(COLUMNS) if with_involvement else list(COLUMNS[:-1])
    return pd.DataFrame([row.cells()[:len(columns)] for row in rows], columns=columns)


def by_month(rows: list[TimelineRow]) -> dict[tuple[int, int], list[int]]:
    """(year, month) -> measure numbers, for dated rows."""
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for row in rows:
        if row.dated and row.measure not in groups[(row.year, row.month)]:
            groups[(row.year, row.month)].append(row.measure)
    return dict(sorted(groups.items()))


# ------------------------------------------------------------ chart
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


def _labels(chinese: bool) -> dict[str, str]:
    if chinese:
        return {"title": "方案时限分布（按年月）", "y": "到期措施数", "item": "第{n}项",
                "empty": "没有符合条件的时限", "annual": "另有{n}项每年要求", "tick": "{y}年{m}月"}
    # Without a Chinese font the chart keeps to digits and Latin text (the UI labels it in Chinese).
    return {"title": "Deadlines by month", "y": "measures due", "item": "#{n}",
            "empty": "no deadlines", "annual": "+{n} annual", "tick": "{y}-{m:02d}"}


def timeline_figure(rows: list[TimelineRow]):
    """A bar per month with a deadline; each bar is labelled with its measure numbers."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    font = cjk_font()
    text = _labels(font is not None)
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
    ax.set_ylabel(text["y"], fontfamily=font)
    ax.set_title(text["title"], fontfamily=font)
    annual = len({r.measure for r in rows if not r.dated})
    if annual:
        ax.text(0.99, 0.95, text["annual"].format(n=annual), transform=ax.transAxes, ha="right", va="top",
                fontsize=9, color="#555555", fontfamily=font)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


__all__ = ["TimelineRow", "timeline_rows", "timeline_frame", "timeline_figure", "by_month", "COLUMNS"]
