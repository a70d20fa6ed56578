"""A unit's duties as table rows, measure cards, and exports (CSV, Excel, Markdown).

A unit is involved in a measure either directly (named in the 牵头/参加/责任 list) or through
a collective designation that covers it (自治区政府各部门, 各市县〔区〕 …), as decided by
``assistant.units.involvement``. The table lists both, direct duties first.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .records import Measure, Plan, Role
from .text import split_sentences
from .units import UNITS, find_units_in_text, involvement, resolve_name, units_by_name

COLUMNS = ("措施", "角色", "时限", "摘要", "所属部分")
SUMMARY_CHARS = 60


@dataclass(frozen=True)
class DutyRow:
    measure: int
    role: str          # "牵头" / "参加" / "责任" (joined with "、"), or "通过「…」涉及（…）"
    deadline: str      # "2022年6月前；每年…" or ""
    summary: str       # the measure's first sentence, shortened
    part: str          # part label, e.g. "七、健全社会矛盾纠纷…"
    direct: bool       # named in the measure (True) or reached through a designation (False)

    def cells(self) -> list[str]:
        return [f"第{self.measure}项", self.role, self.deadline or "—", self.summary, self.part]


# ------------------------------------------------------------ units
def unit_choices() -> list[str]:
    """Canonical names of all units in the catalog, in catalog order."""
    return [u.name for u in UNITS]


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
    """The measure's first sentence, cut to `limit` characters."""
    sentences = split_sentences(m.body)
    first = sentences[0] if sentences else m.body
    return first if len(first) <= limit else first[:limit - 1] + "…"


def deadline_text(m: Measure) -> str:
    return "；".join(d.phrase for d in m.deadlines)


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
        rows.append(DutyRow(m.number, role, deadline_text(m), summary_of(m),
                            plan.part(m.part_number).label, direct))
    return sorted(rows, key=lambda row: (not row.direct, row.measure))


def duty_frame(rows: list[DutyRow]) -> pd.DataFrame:
    return pd.DataFrame([row.cells() for row in rows], columns=list(COLUMNS))


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
def _safe_name(unit: str) -> str:
    return "".join(ch for ch in unit if ch not in '\\/:*?"<>|（）()〔〕 ') or "unit"


def export_csv(rows: list[DutyRow], unit: str, folder: Path) -> Path:
    """UTF-8 with BOM so that Excel opens the Chinese text correctly."""
    path = Path(folder) / f"职责清单_{_safe_name(unit)}.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(row.cells() for row in rows)
    return path


def export_xlsx(rows: list[DutyRow], unit: str, folder: Path) -> Path:
    path = Path(folder) / f"职责清单_{_safe_name(unit)}.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        duty_frame(rows).to_excel(writer, index=False, sheet_name="职责清单")
        sheet = writer.sheets["职责清单"]
        for column, width in zip("ABCDE", (10, 36, 18, 64, 40)):
            sheet.column_dimensions[column].width = width
    return path


def duty_markdown(rows: list[DutyRow], unit: str) -> str:
    lines = [f"# {unit} 职责清单", "", "依据《宁夏回族自治区法治政府建设实施方案（2021—2025年）》。", "",
             duty_summary(unit, rows).replace("**", ""), "",
             "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        cells = [cell.replace("|", "｜") for cell in row.cells()]
        cells[0] = f"【{cells[0]}】"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def export_markdown(rows: list[DutyRow], unit: str, folder: Path) -> Path:
    path = Path(folder) / f"职责清单_{_safe_name(unit)}.md"
    path.write_text(duty_markdown(rows, unit), encoding="utf-8")
    return path


EXPORTERS = {"csv": export_csv, "xlsx": export_xlsx, "md": export_markdown}


def export_duties(rows: list[DutyRow], unit: str, fmt: str, folder: Path) -> Path:
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


__all__ = ["DutyRow", "COLUMNS", "unit_choices", "resolve_unit", "duty_rows", "duty_frame", "duty_summary",
           "duty_markdown", "export_duties", "measure_card", "measure_role", "summary_of", "deadline_text",
           "units_by_role"]
