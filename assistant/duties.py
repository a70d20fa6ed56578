"""A unit's duties as table rows, measure cards, and exports (CSV, Excel, Markdown).

A unit is involved in a measure either directly (named in the 牵头/参加/责任 list) or through
a collective designation that covers it (自治区政府各部门, 各市县〔区〕 …), as decided by
``assistant.units.involvement``. The table lists both, direct duties first.

Each row carries a short summary (the measure's opening clauses, whole, never cut inside a
clause) and the measure's complete text; the exports have both.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import exports
from .records import Measure, Plan, Role
from .text import CLAUSE_ENDS, clauses, split_sentences
from .units import UNITS, canonical_form, find_units_in_text, involvement, resolve_name, units_by_name

# Columns of the exported files (CSV, Excel, Markdown) and of the table shown in the app.
COLUMNS = ("项号", "部分", "节", "角色", "时限", "指标", "摘要", "全文", "其他单位")
TABLE_COLUMNS = ("项号", "角色", "时限", "摘要", "部分")
XLSX_WIDTHS = (9, 26, 26, 22, 16, 26, 40, 80, 40)      # characters, one per column of COLUMNS
SHEET = "职责清单"
SUMMARY_CHARS = 60             # soft length of a summary: whole clauses are added while they fit
SENTENCE_ENDS = "；。！？"
EMPTY = "—"


@dataclass(frozen=True)
class DutyRow:
    measure: int
    role: str          # "牵头" / "参加" / "责任" (joined with "、"), or "通过「…」涉及（…）"
    deadline: str      # "2022年6月前；每年…" or ""
    summary: str       # the measure's opening clauses, whole (see clause_summary)
    part: str          # part label, e.g. "七、健全社会矛盾纠纷…"
    direct: bool       # named in the measure (True) or reached through a designation (False)
    section: str = ""  # section label, e.g. "（二十一）…"
    targets: str = ""  # the clauses stating numeric targets, joined with "；"
    full_text: str = ""  # the measure's complete text, unit list included
    others: str = ""   # the other units named in the measure, by role

    def cells(self) -> list[str]:
        """One row of the exported table, in the order of COLUMNS."""
        return [f"第{self.measure}项", self.part, self.section, self.role, self.deadline or EMPTY,
                self.targets or EMPTY, self.summary, self.full_text, self.others or EMPTY]

    def table_cells(self) -> list[str]:
        """One row of the table shown in the app, in the order of TABLE_COLUMNS."""
        return [f"第{self.measure}项", self.role, self.deadline or EMPTY, self.summary, self.part]


# ------------------------------------------------------------ units
def unit_choices() -> list[str]:
    """Canonical names of all units in the catalog, in catalog order."""
    return [u.name for u in UNITS]


def unit_picker_choices() -> list[tuple[str, str]]:
    """(label, canonical name) for a filterable picker: each unit, then its aliases that the
    name does not already contain ("发改委 → 自治区发展改革委"); an alias that is only another
    alias with 自治区 in front is left out."""
    choices = []
    for unit in UNITS:
        choices.append((unit.name, unit.name))
        folded = canonical_form(unit.name)
        aliases = {canonical_form(a) for a in unit.aliases}
        for alias in dict.fromkeys(unit.aliases):
            form = canonical_form(alias)
            if form in folded or (form.startswith("自治区") and form.removeprefix("自治区") in aliases):
                continue
            choices.append((f"{alias} → {unit.name}", unit.name))
    return choices


def resolve_unit(text: str | None) -> str | None:
    """A canonical unit name for a typed name or alias (发改委 → 自治区发展改革委), else None."""
    text = (text or "").strip()
    if not text:
        return None
    if text in units_by_name():
        return text
    resolved = resolve_name(text)
    if resolved.known and not resolved.is_designation:
        return resolved.name
    found = find_units_in_text(text)
    return found[0] if found else None


# ------------------------------------------------------------ measures
def summary_of(m: Measure, limit: int = SUMMARY_CHARS) -> str:
    """The measure's first sentence, cut to `limit` characters (a short label for lists)."""
    sentences = split_sentences(m.body)
    first = sentences[0] if sentences else m.body
    return first if len(first) <= limit else first[:limit - 1] + "…"




def clause_summary(m: Measure, limit: int = SUMMARY_CHARS) -> str:
    """The measure's first sentence when it has at most `limit` characters; else its opening
    clauses, whole, as many as fit in `limit` (at least the first, however long), ending in
    "…". Never cut inside a clause; without the "…" always a prefix of the measure's body."""
    taken = ""
    for piece in clauses(m.body):
        if taken and len(taken) + len(piece) > limit:
            return taken.rstrip(CLAUSE_ENDS + "、") + "…"
        taken += piece
        if piece[-1] in SENTENCE_ENDS:
            break
    return taken


def deadline_text(m: Measure) -> str:
    return "；".join(d.phrase for d in m.deadlines)


def targets_text(m: Measure) -> str:
    """The clauses that state the measure's numeric targets, each once."""
    return "；".join(dict.fromkeys(t.clause for t in m.targets))


def other_units(m: Measure, unit: str) -> str:
    """The units and designations named in `m` other than `unit`, by role
    ("牵头单位：…；参加单位：…")."""
    groups = []
    for role in Role:
        names = [name for name in dict.fromkeys(u.name for u in m.units_with_role(role)) if name != unit]
        if names:
            groups.append(f"{role.label}：{'、'.join(names)}")
    return "；".join(groups)


def units_by_role(m: Measure) -> dict[Role, list[str]]:
    """Unit names grouped by role, in the plan's order; roles without units are left out."""
    groups: dict[Role, list[str]] = {}
    for role in Role:
        names = [u.name for u in m.units_with_role(role)]
        if names:
            groups[role] = names
    return groups


def measure_role(m: Measure, unit: str) -> tuple[str, bool] | None:
    """How `unit` takes part in `m`: (role text, direct) or None when it does not."""
    roles, via = involvement(m, unit)
    if roles:
        return "、".join(role.value for role in roles), True
    if not via:
        return None
    names = "".join(f"「{name}」" for name, _ in via)
    labels = "、".join(dict.fromkeys(role.label for _, role in via))
    return f"通过{names}涉及（{labels}）", False


# ------------------------------------------------------------ duty table
def duty_rows(plan: Plan, unit: str) -> list[DutyRow]:
    """Every measure that involves `unit`: direct duties first, then designation coverage."""
    rows = []
    for m in plan.measures:
        found = measure_role(m, unit)
        if found is None:
            continue
        role, direct = found
        rows.append(DutyRow(m.number, role, deadline_text(m), clause_summary(m), plan.part(m.part_number).label,
                            direct, section=plan.section(m.section_number).label, targets=targets_text(m),
                            full_text=m.text, others=other_units(m, unit)))
    return sorted(rows, key=lambda row: (not row.direct, row.measure))


def duty_frame(rows: list[DutyRow]) -> pd.DataFrame:
    """The table shown in the app (TABLE_COLUMNS)."""
    return pd.DataFrame([row.table_cells() for row in rows], columns=list(TABLE_COLUMNS))


def duty_summary(unit: str, rows: list[DutyRow]) -> str:
    """A Markdown line with the counts by role."""
    direct = [r for r in rows if r.direct]
    counts = {role: sum(1 for r in direct if role.value in r.role.split("、")) for role in Role}
    parts = [f"{role.label} {n} 项" for role, n in counts.items() if n]
    via = len(rows) - len(direct)
    head = f"**{unit}**：方案直接点名 {len(direct)} 项措施"
    head += f"（{'，'.join(parts)}）" if parts else ""
    head += f"；另有 {via} 项措施通过集合性表述（如“自治区政府各部门”“各市县〔区〕”）涉及该单位。"
    if not rows:
        head = f"**{unit}**：方案既没有直接点名该单位，也没有集合性表述涉及它。"
    return head


# ------------------------------------------------------------ exports
SOURCE = "依据《宁夏回族自治区法治政府建设实施方案（2021—2025年）》。"


def export_filename(unit: str, fmt: str) -> str:
    """A short, safe file name for any unit name (hostile ones included)."""
    return f"职责清单_{exports.safe_stem(unit)}.{fmt}"


def _title(unit: str) -> str:
    """The unit name for a heading: one line, at most 100 characters."""
    return " ".join((unit or "").split())[:100] or "未知单位"


def export_csv(rows: list[DutyRow], unit: str, folder: Path) -> Path:
    """UTF-8 with BOM so that Excel opens the Chinese text correctly; formula cells neutralised."""
    return exports.write_csv(Path(folder) / export_filename(unit, "csv"), COLUMNS, (r.cells() for r in rows))


def export_xlsx(rows: list[DutyRow], unit: str, folder: Path) -> Path:
    notes = [("单位", _title(unit)), ("依据", SOURCE.removeprefix("依据").rstrip("。")),
             ("统计", duty_summary(_title(unit), rows).replace("**", "")),
             ("说明", "“摘要”为措施开头的完整分句，“全文”为措施原文（含责任单位）；"
                    "“角色”中“通过「…」涉及”表示方案未直接点名该单位，而是通过集合性表述涉及。")]
    return exports.write_xlsx(Path(folder) / export_filename(unit, "xlsx"), COLUMNS, (r.cells() for r in rows),
                              sheet=SHEET, widths=XLSX_WIDTHS, notes=notes)


def duty_markdown(rows: list[DutyRow], unit: str) -> str:
    title = exports.markdown_cell(_title(unit))
    lines = [f"# {title} 职责清单", "", SOURCE, "",
             exports.markdown_cell(duty_summary(_title(unit), rows).replace("**", "")), ""]
    lines += exports.markdown_table(COLUMNS, ([f"【{c}】" if i == 0 else c for i, c in enumerate(row.cells())]
                                              for row in rows))
    return "\n".join(lines) + "\n"


def export_markdown(rows: list[DutyRow], unit: str, folder: Path) -> Path:
    return exports.write_text(Path(folder) / export_filename(unit, "md"), duty_markdown(rows, unit))


EXPORTERS = {"csv": export_csv, "xlsx": export_xlsx, "md": export_markdown}


def export_duties(rows: list[DutyRow], unit: str, fmt: str, folder: Path) -> Path:
    if fmt not in EXPORTERS:
        raise ValueError(f"unknown export format: {fmt!r}")
    Path(folder).mkdir(parents=True, exist_ok=True)
    return EXPORTERS[fmt](rows, unit, folder)


# ------------------------------------------------------------ measure card
def measure_card(plan: Plan, number: int) -> str:
    """Markdown card: full text, part and section, units by role, deadlines, targets."""
    m = plan.measure(number)
    if m is None:
        return f"方案共有{len(plan.measures)}项措施，没有第{number}项。"
    part, section = plan.part(m.part_number), plan.section(m.section_number)
    lines = [f"### 第{m.number}项", "",
             f"**所属部分**：{part.label}  ", f"**所属小节**：{section.label}", "",
             f"> {m.body}{m.citation}", ""]
    for role, names in units_by_role(m).items():
        lines.append(f"- **{role.label}**：{'、'.join(names)}")
    lines.append(f"- **时限**：{deadline_text(m) or '未写明具体时限'}")
    if m.targets:
        lines.append(f"- **量化指标**：{'；'.join(dict.fromkeys(t.clause for t in m.targets))}")
    return "\n".join(lines)


__all__ = ["DutyRow", "COLUMNS", "TABLE_COLUMNS", "unit_choices", "unit_picker_choices", "resolve_unit",
           "duty_rows", "duty_frame", "duty_summary", "duty_markdown", "export_duties",
           "export_filename", "measure_card", "measure_role", "summary_of", "clause_summary", "clauses",
           "deadline_text", "targets_text", "other_units", "units_by_role"]
