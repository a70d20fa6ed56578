"""Units named in the plan: canonical names, aliases, collective designations and coverage.

A role list such as "自治区市场监管厅、政府办公厅、发展改革委" abbreviates later names: the
自治区 / 自治区党委 prefix carries over. Names are resolved against a catalog of the plan's
units, so every mention maps to exactly one canonical unit or one designation.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache


class UnitKind(str, Enum):
    GOVERNMENT = "自治区政府部门"
    PARTY = "自治区党委部门"
    CONGRESS = "自治区人大"
    CPPCC = "自治区政协"
    JUDICIAL = "司法机关"
    DISCIPLINE = "纪检监察机关"
    CENTRAL = "中央驻宁单位"
    INSTITUTION = "事业单位和社会团体"
    LOCAL = "市县（区）"


@dataclass(frozen=True)
class Unit:
    name: str
    kind: UnitKind
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Designation:
    """A collective designation such as 各市县〔区〕; `covers` says which unit kinds it reaches."""
    name: str
    covers: tuple[UnitKind, ...]
    aliases: tuple[str, ...] = ()
    # "其他有关部门" reaches only the departments not named in the same measure.
    excludes_named: bool = False


G, P = UnitKind.GOVERNMENT, UnitKind.PARTY

UNITS: tuple[Unit, ...] = (
    # 自治区政府 departments
    Unit("自治区政府办公厅", G, ("政府办公厅", "政府办", "自治区政府办")),
    Unit("自治区发展改革委", G, ("发展改革委", "发改委", "自治区发改委", "发展和改革委员会", "发改")),
    Unit("自治区工业和信息化厅", G, ("工业和信息化厅", "工信厅", "自治区工信厅")),
    Unit("自治区教育厅", G, ("教育厅",)),
    Unit("自治区公安厅", G, ("公安厅",)),
    Unit("自治区民政厅", G, ("民政厅",)),
    Unit("自治区司法厅", G, ("司法厅",)),
    Unit("自治区财政厅", G, ("财政厅",)),
    Unit("自治区人力资源社会保障厅", G, ("人力资源社会保障厅", "人社厅", "人力资源和社会保障厅", "自治区人社厅")),
    Unit("自治区自然资源厅", G, ("自然资源厅",)),
    Unit("自治区生态环境厅", G, ("生态环境厅", "环保厅")),
    Unit("自治区住房城乡建设厅", G, ("住房城乡建设厅", "住建厅", "住房和城乡建设厅", "自治区住建厅")),
    Unit("自治区交通运输厅", G, ("交通运输厅", "交通厅")),
    Unit("自治区水利厅", G, ("水利厅",)),
    Unit("自治区农业农村厅", G, ("农业农村厅", "农业厅")),
    Unit("自治区商务厅", G, ("商务厅",)),
    Unit("自治区文化和旅游厅", G, ("文化和旅游厅", "文旅厅", "文化旅游厅")),
    Unit("自治区卫生健康委", G, ("卫生健康委", "卫健委", "自治区卫健委", "卫生健康委员会")),
    Unit("自治区应急厅", G, ("应急厅", "应急管理厅", "自治区应急管理厅")),
    Unit("自治区审计厅", G, ("审计厅",)),
    Unit("自治区市场监管厅", G, ("市场监管厅", "市场监督管理厅", "市监厅")),
    Unit("自治区统计局", G, ("统计局",)),
    Unit("自治区药监局", G, ("药监局", "药品监督管理局", "自治区药品监督管理局")),
    # 自治区党委 organs
    Unit("自治区党委办公厅", P, ("党委办公厅", "党委办")),
    Unit("自治区党委组织部", P, ("党委组织部", "组织部")),
    Unit("自治区党委宣传部", P, ("党委宣传部", "宣传部")),
    Unit("自治区党委政法委", P, ("党委政法委", "政法委")),
    Unit("自治区党委编办", P, ("党委编办", "编办", "机构编制委员会办公室")),
    Unit("自治区党委网信办", P, ("党委网信办", "网信办")),
    Unit("自治区党委依法治区办", P, ("党委依法治区办", "依法治区办", "依法治区委员会办公室")),
    Unit("自治区党委全面依法治区委员会守法普法协调小组", P,
         ("守法普法协调小组", "党委全面依法治区委员会守法普法协调小组")),
    Unit("自治区纪委监委", UnitKind.DISCIPLINE, ("纪委监委", "纪委", "监委")),
    Unit("自治区人大常委会法工委", UnitKind.CONGRESS, ("人大常委会法工委", "法工委", "人大法工委")),
    Unit("自治区人大常委会办公厅", UnitKind.CONGRESS, ("人大常委会办公厅", "人大办公厅")),
    Unit("自治区政协办公厅", UnitKind.CPPCC, ("政协办公厅",)),
    Unit("自治区高级法院", UnitKind.JUDICIAL, ("高级法院", "高院", "自治区高院", "高级人民法院", "自治区高级人民法院")),
    Unit("自治区检察院", UnitKind.JUDICIAL, ("检察院", "人民检察院", "自治区人民检察院", "检察机关")),
    Unit("人行银川中心支行", UnitKind.CENTRAL,
         ("人民银行银川中心支行", "中国人民银行银川中心支行", "人民银行", "央行")),   # 央行: the common name
    Unit("宁夏银保监局", UnitKind.CENTRAL, ("银保监局", "宁夏银保监局")),
    Unit("宁夏证监局", UnitKind.CENTRAL, ("证监局",)),
    Unit("自治区党校（行政学院）", UnitKind.INSTITUTION,
         ("党校〔行政学院〕", "党校（行政学院）", "党校", "行政学院", "自治区党校", "自治区党校〔行政学院〕")),
    Unit("自治区社科院", UnitKind.INSTITUTION, ("社科院", "社会科学院")),
    Unit("自治区法学会", UnitKind.INSTITUTION, ("法学会",)),
    # A pseudo-unit for city and county governments, reached only through designations.
    Unit("市、县（区）人民政府", UnitKind.LOCAL,
         ("市县政府", "县政府", "市政府", "县区政府", "区县政府", "市县人民政府", "县人民政府", "市人民政府", "市县",
          *(f"{city}{suffix}" for city in ("银川市", "石嘴山市", "吴忠市", "固原市", "中卫市")
            for suffix in ("", "政府", "人民政府")))),
)

DESIGNATIONS: tuple[Designation, ...] = (
    Designation("各市县〔区〕", (UnitKind.LOCAL,), ("各市县（区）", "各市、县（区）", "各市县")),
    Designation("各地级市", (UnitKind.LOCAL,), ("地级市",)),
    Designation("各市县〔区〕法治建设议事协调机构", (UnitKind.LOCAL,), ("各市县（区）法治建设议事协调机构",)),
    Designation("自治区政府各部门", (G,), ("政府各部门",)),
    Designation("自治区政府各有关部门", (G,), ("政府各有关部门",)),
    Designation("自治区政府有关部门", (G,), ("政府有关部门",)),
    Designation("自治区政府其他有关部门", (G,), ("政府其他有关部门",), excludes_named=True),
    Designation("自治区政府其他部门", (G,), ("政府其他部门",), excludes_named=True),
    Designation("自治区党委和政府有关部门", (P, G), ("党委和政府有关部门",)),
)


@dataclass(frozen=True)
class ResolvedName:
    raw: str
    name: str
    is_designation: bool
    known: bool = True


def canonical_form(name: str) -> str:
    """Fold bracket and space variants so that aliases compare equal."""
    name = re.sub(r"\s+", "", name)
    return name.replace("（", "〔").replace("）", "〕").replace("(", "〔").replace(")", "〕")


@lru_cache(maxsize=1)
def _lookup() -> dict[str, tuple[str, bool]]:
    """canonical_form(alias or name) -> (canonical name, is_designation)."""
    table: dict[str, tuple[str, bool]] = {}
    for unit in UNITS:
        for alias in (unit.name, *unit.aliases):
            table.setdefault(canonical_form(alias), (unit.name, False))
    for des in DESIGNATIONS:
        for alias in (des.name, *des.aliases):
            table[canonical_form(alias)] = (des.name, True)
    return table


# Prefixes that an abbreviated list item may have dropped, tried in order.
_CARRIED_PREFIXES = ("", "自治区", "自治区党委", "自治区政府")


def resolve_name(raw: str) -> ResolvedName:
    """Resolve one list item (prefix possibly dropped) to a canonical unit or designation."""
    item = raw.strip().removesuffix("等").strip()
    table = _lookup()
    for prefix in _CARRIED_PREFIXES:
        hit = table.get(canonical_form(prefix + item))
        if hit:
            return ResolvedName(raw, hit[0], hit[1])
    return ResolvedName(raw, item, False, known=False)


def split_unit_list(names: str) -> list[str]:
    """Split a role list at 、 and commas (a comma separates units in 责任单位 lists too)."""
    return [n for n in re.split(r"[、，,;；]", names) if n.strip()]


def resolve_unit_list(names: str) -> list[ResolvedName]:
    return [resolve_name(item) for item in split_unit_list(names)]


@lru_cache(maxsize=1)
def units_by_name() -> dict[str, Unit]:
    return {u.name: u for u in UNITS}


@lru_cache(maxsize=1)
def designations_by_name() -> dict[str, Designation]:
    return {d.name: d for d in DESIGNATIONS}


def designation_covers(designation: str, unit: str, named_in_measure: set[str],
                        kind: UnitKind | None = None) -> bool:
    """Whether a designation in a measure reaches `unit` (a canonical unit name, or a unit
    the plan does not name, of the given `kind`)."""
    des = designations_by_name().get(designation)
    target = units_by_name().get(unit)
    kind = target.kind if target is not None else kind
    if des is None or kind is None or kind not in des.covers:
        return False
    return not (des.excludes_named and unit in named_in_measure)


def involvement(measure, unit: str, kind: UnitKind | None = None) -> tuple[tuple, tuple]:
    """How `unit` takes part in a measure: (its roles when named, ()) or ((), the covering
    designations with the role each is listed under). Both empty: it does not take part.
    `kind` places a unit that the plan does not name (from the organ catalog)."""
    direct = tuple(dict.fromkeys(u.role for u in measure.units if u.name == unit))
    if direct:
        return direct, ()
    named = set(measure.unit_names)
    return (), tuple((u.name, u.role) for u in measure.units
                     if u.is_designation and designation_covers(u.name, unit, named, kind))


def all_aliases() -> dict[str, str]:
    """Every name and alias (as written) -> its canonical unit or designation name."""
    out: dict[str, str] = {}
    for unit in UNITS:
        for alias in (unit.name, *unit.aliases):
            out.setdefault(alias, unit.name)
    for des in DESIGNATIONS:
        for alias in (des.name, *des.aliases):
            out.setdefault(alias, des.name)
    return out


# Characters that make the 办 of an office abbreviation (政府办, 编办) the verb 办 instead:
# 办事, 办理, 办法, 办好, 办完, 办成, 办结.
_VERB_AFTER_BAN = re.compile(r"[事理法好完成结]")


def find_units_in_text(text: str) -> list[str]:
    """Canonical units mentioned in free text (a question), longest alias first, no overlaps."""
    aliases = sorted(
        ((a, n) for a, n in all_aliases().items() if n in units_by_name() and len(a) >= 2),
        key=lambda pair: -len(pair[0]))
    taken = [False] * len(text)
    found: list[tuple[int, str]] = []
    folded = canonical_form(text)
    if len(folded) != len(text):
        text = folded
        taken = [False] * len(text)
    for alias, name in aliases:
        alias = canonical_form(alias)
        start = text.find(alias)
        while start != -1:
            end = start + len(alias)
            if alias.endswith("办") and _VERB_AFTER_BAN.match(text, end):
                start = text.find(alias, start + 1)     # "去政府办事": 办 is the verb, not the office
                continue
            if not any(taken[start:end]):
                taken[start:start + len(alias)] = [True] * len(alias)
                found.append((start, name))
            start = text.find(alias, start + 1)
    seen: list[str] = []
    for _, name in sorted(found):
        if name not in seen:
            seen.append(name)
    return seen


def find_designations_in_text(text: str) -> tuple[list[str], str]:
    """Collective designations the text names outright ("各地级市", "自治区政府其他有关部门"),
    longest first, and the text with their spans blanked out (so that "自治区政府" inside
    "自治区政府各部门" is not read as a unit of its own)."""
    folded = canonical_form(text)
    if len(folded) == len(text):
        text = folded
    found: list[tuple[int, str]] = []
    # only a form that says it is collective (各, 有关, 其他): "我们市政府" describes the asker's
    # own government, "各地级市" names the designation
    forms = sorted(((canonical_form(alias), des.name) for des in DESIGNATIONS for alias in (des.name, *des.aliases)
                    if re.search(r"各|有关|其他", alias)), key=lambda pair: -len(pair[0]))
    for form, name in forms:
        for match in re.finditer(re.escape(form), text):
            found.append((match.start(), name))
            text = text[:match.start()] + " " * len(form) + text[match.end():]
    return list(dict.fromkeys(name for _, name in sorted(found))), text

