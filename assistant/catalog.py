"""The organ catalog: every unit a user may work for, including those the plan never names.

Data: ``assistant/data/organs.json`` (its ``sources`` field names where the entries come
from): the 自治区 government's departments and offices, party organs, the congress, CPPCC,
courts, procuratorates, central units stationed in Ningxia and people's organisations, each
with its kind, aliases, English names and a few words describing its work; plus patterns
for city, county and township bodies. Linking a question to a unit is one function,
``OrganCatalog.link``, used everywhere: by exact name or alias, by a description of the
unit's work ("管文化旅游的那个厅"), by a city/county/township pattern ("银川市司法局",
"某县政府", "我们乡镇"), and by a same-sound typo (pypinyin).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .units import UnitKind, find_units_in_text, units_by_name

DATA_PATH = Path(__file__).resolve().parent / "data" / "organs.json"

_KIND_MAP = {
    "government_department": UnitKind.GOVERNMENT, "government_special": UnitKind.GOVERNMENT,
    "government_direct": UnitKind.GOVERNMENT, "government_managed": UnitKind.GOVERNMENT,
    "government_office": UnitKind.GOVERNMENT, "party": UnitKind.PARTY, "congress": UnitKind.CONGRESS,
    "cppcc": UnitKind.CPPCC, "court": UnitKind.JUDICIAL, "procuratorate": UnitKind.JUDICIAL,
    "central_stationed": UnitKind.CENTRAL, "people_org": UnitKind.INSTITUTION, "institution": UnitKind.INSTITUTION,
}
# Words that introduce a description of a unit by its work: "管文化旅游的那个厅", "负责统计的单位".
# "负责网络安全和信息化的党委部门": a system word may stand between the work and the organ noun.
_ORGAN_NOUNS = r"(?:工作)?(委员会|工作机构|办事机构|部门|单位|机关|机构|办公室|法院|检察院|厅|委|局|办|院|部)"
_DESCRIPTION = re.compile(r"(?:管|负责|主管|分管|统筹|主抓|抓|搞|做)([\u4e00-\u9fff、和与及，,]{2,18}?)(?:工作|这摊事|这块|这一块|那摊事|那块)?(?:的|那个|那家)+"
                          r"(?:那个|那家)?(党委|政府|人大|政协)?" + _ORGAN_NOUNS)
_THAT_ONE = r"(?:那个|那家|那一个|那一家)"
_STRESSED = re.compile(r"[“\"‘']([\u4e00-\u9fff]{1,2})[”\"’']")
# Without a verb of work a demonstrative marks the description: "级别最高的那家法院", "那个区级
# 的检察院", "专门搞反腐败的那家" (the organ noun left out).
_DEMONSTRATED = (
    re.compile(r"([\u4e00-\u9fff]{2,8}?)的" + _THAT_ONE + r"(党委|政府|人大|政协)?" + _ORGAN_NOUNS),
    re.compile(_THAT_ONE + r"([\u4e00-\u9fff]{2,8}?)的(党委|政府|人大|政协)?" + _ORGAN_NOUNS),
    re.compile(r"(?:管|负责|主管|分管|统筹|主抓|抓|搞|做)([\u4e00-\u9fff、和与及]{2,12}?)(?:工作)?的?" + _THAT_ONE +
               r"(党委|政府|人大|政协)?()(?![\u4e00-\u9fff]{0,6}(?:委员会|工作机构|部门|单位|机关|机构|办公室|法院|检察院|[厅委局办院部]))"),
    # "管审判的级别最高的法院": a modifier between the work and a specific organ noun (its words
    # count as description: 高, 级 of 高级法院)
    re.compile(r"(?:管|负责|主管|分管|主抓|抓|搞|做)([\u4e00-\u9fff、和与及]{2,12}?的[\u4e00-\u9fff]{1,6}?)"
               r"(党委|政府|人大|政协)?(法院|检察院|委员会|办公室|厅|局)"),
)
# "X委员会底下的办公室", "X的日常工作机构": the office that serves a committee the text names
_ITS_OFFICE = re.compile(r"^(?:的|下面|下设|下属|底下|里面|里)*(?:的)?(?:那个|那家|那一个)?(?:日常)?(?:办公室|办事机构|工作机构)")
# "纪检监察机关", "审计部门": a line of work named directly before a generic organ noun.
# (or a word that points at an organization: "财政那边", "应急那家", "公安系统")
_WORK_ORGAN = re.compile(r"(机关|部门|机构|那边|那家|系统)")
# The system a description places its organ in ("自治区人大那个…的委员会", "…的党委部门").
_SYSTEM_KINDS = {"党委": ("party",), "人大": ("congress",), "政协": ("cppcc",), "政府": ("government",)}
# The organs that are a whole system: a 部门 or 机构 is one of their parts, never one of them.
_WHOLE_SYSTEMS = {"党委", "人民政府", "政府", "人大常委会", "政协"}
# "我区/咱区/本区" is the 自治区 itself, as the plan writes it ("我区一体化政务服务平台")
_GENERIC_LOCAL = re.compile(r"(?:某|我们|我|咱们|咱|本)(?:个)?(市|县|(?<![我咱本])区|乡镇|乡|镇|街道)")
# A level word right before an organ noun, with no place named: "县司法局", "市里的公安局",
# "县里一个局", "区级部门". The look-behind keeps words that end in 市/区 but are not a level
# (自治区, 社区, 园区, 上市, 市县) out.
# "区" alone is read as 自治区 ("区林草局", "区直部门"), so a district needs "区级".
_LEVEL_BEFORE_ORGAN = r"(?:(?<![自治社园城景辖地发新片矿郊校山灾牧小专能各省州上门超都夜集股市])(市|县)" \
                      r"(?:里头|里面|里|级|上)?|(?<!自治)(区)级)(?:的)?(?:一个|一家|某个|某|哪个|各个|各)?"
_GENERIC_ORGAN = ("部门", "单位", "局")
# Place prefixes of the 自治区's own organs: a name without one ("编委办") is still that organ.
_REGION_PREFIXES = ("宁夏回族自治区", "自治区", "宁夏")


@dataclass(frozen=True)
class Organ:
    name: str
    kind: str
    aliases: tuple[str, ...]
    english: tuple[str, ...]
    work: tuple[str, ...]
    in_plan_form: str | None

    @property
    def unit_kind(self) -> UnitKind:
        return _KIND_MAP.get(self.kind, UnitKind.INSTITUTION)


@dataclass(frozen=True)
class LinkedUnit:
    """A unit a question refers to. ``plan_name`` is its canonical name when the plan names it."""
    name: str
    kind: UnitKind
    plan_name: str | None
    how: str               # "plan", "alias", "description", "local", "english"
    level: str = ""        # "city", "county", "township" for local bodies
    span: str = ""         # the words of the question that name or describe it

    @property
    def named_in_plan(self) -> bool:
        return self.plan_name is not None


class OrganCatalog:
    def __init__(self, data: dict):
        self.sources = tuple(data.get("sources", ()))
        self.organs = tuple(Organ(o["name"], o["kind"], tuple(o.get("aliases", ())), tuple(o.get("english", ())),
                                  tuple(o.get("work", ())), o.get("in_plan_form")) for o in data["organs"])
        local = data.get("local_patterns", {})
        self.cities = tuple(local.get("cities", ()))
        self.city_short = dict(local.get("city_short", {}))
        self.counties = tuple(c["name"] for c in local.get("counties", ()))
        self.county_short = {c["name"]: c.get("short", "") for c in local.get("counties", ())}
        self.government_suffixes = tuple(local.get("government_suffixes", ()))
        self.bureau_suffixes = tuple(sorted(local.get("bureau_suffixes", ()), key=len, reverse=True))
        self.township_words = tuple(local.get("township_words", ()))
        self._english = sorted(((e, o) for o in self.organs for e in o.english if len(e) >= 6),
                               key=lambda pair: -len(pair[0]))
        self._aliases = sorted(((a, o) for o in self.organs for a in {o.name, *o.aliases} if len(a) >= 2),
                               key=lambda pair: -len(pair[0]))
        generic = {*self.government_suffixes, *self.bureau_suffixes, *local.get("party_suffixes", ()),
                   *local.get("congress_cppcc_suffixes", ()), *local.get("judicial_suffixes", ())}
        self._bare_names = _bare_names(self.organs, generic)
        organ_nouns = "|".join(map(re.escape, sorted((*self.bureau_suffixes, *self.government_suffixes, *_GENERIC_ORGAN),
                                                     key=len, reverse=True)))
        self._level_organ = re.compile(_LEVEL_BEFORE_ORGAN + rf"({organ_nouns})")

    @classmethod
    def load(cls, path: Path = DATA_PATH) -> "OrganCatalog":
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    # ------------------------------------------------------------------ linking
    def link(self, text: str) -> list[LinkedUnit]:
        """Units the text refers to, plan units first. Plan names win over catalog aliases."""
        # quotation marks around a word of one or two characters ("管网信的“办”") only stress it
        text = _STRESSED.sub(r"\1", text)
        local = self._local(text)
        if local and local.name == "某区人民政府":
            # "咱们区里的那家检察院": in Ningxia 区 is as often the 自治区 as a district, so with
            # no local organ said, a regional organ the text names or describes is the better reading
            regional = self._regional(text)
            return regional or [local]
        if local:
            return [local]
        return self._regional(text)

    def _regional(self, text: str) -> list[LinkedUnit]:
        found: list[LinkedUnit] = []
        for name in find_units_in_text(text):
            unit = units_by_name().get(name)
            if unit is not None and unit.kind != UnitKind.LOCAL:
                found.append(LinkedUnit(name, unit.kind, name, "plan"))
        if found:
            return found
        described = self.by_description(text)
        for alias, organ in self._aliases:
            if alias in text:
                # "自治区人大那个负责法制工作的委员会": the alias only names the system the
                # described organ belongs to, so the description is the more specific reading
                if described is not None and any(alias in a for a in (described[0].name, *described[0].aliases)) \
                        and described[0] is not organ:
                    return [self._linked(described[0], "description", "|".join(dict.fromkeys((alias, *described[1].split("|")))))]
                office = self._office_of(organ, text[text.index(alias) + len(alias):])
                if office is not None:
                    return [self._linked(office[0], "description", f"{alias}|{office[1]}")]
                return [self._linked(organ, "alias", alias)]
        for bare, organ in self._bare_names:
            if bare in text:
                office = self._office_of(organ, text[text.index(bare) + len(bare):])
                if office is not None:
                    return [self._linked(office[0], "description", f"{bare}|{office[1]}")]
                return [self._linked(organ, "alias", bare)]
        bare = self._bare_bureau(text)
        if bare is not None:
            return [self._linked(bare[0], "alias", bare[1])]
        if described is not None:
            return [self._linked(described[0], "description", described[1])]
        return []

    def _office_of(self, organ: Organ, after: str) -> tuple[Organ, str] | None:
        """The organ named "<organ>办公室" when the words after the organ's name point at its office."""
        said = _ITS_OFFICE.match(after)
        if not said:
            return None
        office = next((o for o in self.organs if o.name == organ.name + "办公室"), None)
        return (office, said.group(0)) if office is not None else None

    def work_words_in(self, text: str, unit: str) -> tuple[str, ...]:
        """The words describing `unit`'s line of work that the text uses ("纪检监察那边（纪委）"):
        they say which unit is meant, not what about it is asked."""
        return tuple(w for o in self.organs if unit in (o.name, o.in_plan_form)
                     for w in o.work if len(w) >= 2 and w in text)

    def link_english(self, text: str) -> list[LinkedUnit]:
        """The organ an English question names by one of its English names (longest name first)."""
        lowered = text.lower()
        for name, organ in self._english:
            found = re.search(rf"\b{re.escape(name.lower())}\b", lowered)
            if found:
                return [self._linked(organ, "english", text[found.start():found.end()])]
        return []

    def _bare_bureau(self, text: str) -> tuple[Organ, str] | None:
        """"医保局" with no place named: the 自治区 body of that name (every city has one too,
        so the catalog keeps such short names out of its aliases)."""
        for suffix in self.bureau_suffixes:
            if suffix in text:
                for organ in self.organs:
                    if f"自治区{suffix}" in organ.aliases or f"宁夏{suffix}" in organ.aliases:
                        return organ, suffix
        return None

    def _linked(self, organ: Organ, how: str, span: str = "") -> LinkedUnit:
        plan_name = organ.in_plan_form if organ.in_plan_form in units_by_name() else None
        return LinkedUnit(plan_name or organ.name, organ.unit_kind, plan_name, how, span=span)

    def described_with_head(self, text: str, heads: list[str]) -> LinkedUnit | None:
        """The organ the text describes, when it is of the kind one of `heads` names (the
        organ noun that ends the description: "那家党委办" is an office, 网信办, not 组织部)."""
        described = self.by_description(text)
        if described is None:
            return None
        organ, span = described
        if any(organ.name.endswith((h[-1], h[-1] + "公室")) or any(a.endswith(h[-1]) for a in organ.aliases)
               for h in heads):
            return self._linked(organ, "description", span)
        return None

    def by_description(self, text: str) -> tuple[Organ, str] | None:
        """"管文化旅游的那个厅", "负责网络安全和信息化的党委部门", "纪检监察机关": the organ whose
        work words best cover the described work, within the system the text names (党委, 人大 …),
        with the span that described it."""
        for pattern in (_DESCRIPTION, *_DEMONSTRATED):
            match = pattern.search(text)
            if not match:
                continue
            described, system, noun = match.group(1), match.group(2), match.group(3)
            system = system or next((w for w in _SYSTEM_KINDS if w in text[max(0, match.start() - 16):match.start()]), None)
            organ = self._best_fit(described, noun, system)
            if organ is not None:
                qualifier = _qualifier(text[:match.start()], organ)
                return organ, f"{qualifier}|{match.group(0)}" if qualifier else match.group(0)
        return self._by_work_noun(text)

    def _best_fit(self, described: str, noun: str, system: str | None) -> Organ | None:
        best, best_score = None, 0.0
        for organ in self._within(system):
            # a 委 is also written out as 委员会 (自治区卫生健康委员会)
            ends = ("委", "委员会") if noun == "委" else (noun,)
            if noun in ("法院", "检察院") and not organ.name.endswith(noun):
                continue
            if noun and noun in "厅委局办院部" and not organ.name.endswith(ends) and noun != "办":
                continue
            if noun == "委员会" and not organ.name.endswith(("委员会", "委")):
                continue
            if noun in ("部门", "机构", "单位") and re.sub(r"^自治区", "", organ.name) in _WHOLE_SYSTEMS:
                continue        # "党委下面管干部的那个部门" is a department of the committee, not the committee
            words = (*organ.work, *organ.aliases)
            # scattered characters say little, unless an organ noun such as 法院 leaves few to
            # choose from ("级别最高的那家法院": 高, 级 of 高级法院)
            scattered = 1.0 if noun in ("法院", "检察院") else 0.6
            score = max((_overlap(described, w, scattered) for w in words), default=0.0)
            # each further line of its work the description names outright ("社保、就业和工资")
            score += 0.1 * max(0, sum(1 for w in organ.work if len(w) >= 2 and w in described) - 1)
            # and how much of the description its words and names cover ("网络安全和信息化" is
            # the 网信办's name, "信息化" only one of the 工信厅's lines)
            score += 0.02 * _covered(described, "|".join((organ.name, *words)))
            if organ.in_plan_form:
                score += 0.01        # prefer the unit the plan names when two fit equally
            if score > best_score:
                best, best_score = organ, score
        return best if best_score >= 0.5 else None

    def _by_work_noun(self, text: str) -> tuple[Organ, str] | None:
        """A work word of exactly one organ right before 机关/部门/机构 ("纪检监察机关")."""
        for noun in _WORK_ORGAN.finditer(text):
            before = text[:noun.start()]
            # the system said near the noun ("党委里管…的部门"), not one inside another name
            # (the plan's title later in the question)
            system = next((w for w in _SYSTEM_KINDS if w in text[max(0, noun.start() - 16):noun.end()]), None)
            owners = {o.name: o for o in self._within(system)
                      for w in (*o.work, *_name_stem(o)) if len(w) >= 2 and before.endswith(w)}
            if len(owners) > 1:
                # "区里最高那级的审判机关": the words before the work tell the level (高, 级 of
                # 高级法院); the organ whose names share most of them, when one shares most
                word = next(w for o in owners.values() for w in (*o.work, *_name_stem(o)) if before.endswith(w))
                qualifier = before[:-len(word)][-10:]
                scored = sorted(((max(_overlap(qualifier, a, 1.0) for a in (o.name, *o.aliases)), name)
                                 for name, o in owners.items()), reverse=True)
                if scored[0][0] > 0 and scored[0][0] > scored[1][0]:
                    owners = {scored[0][1]: owners[scored[0][1]]}
            if len(owners) == 1:
                organ = next(iter(owners.values()))
                word = next(w for w in (*organ.work, *_name_stem(organ)) if before.endswith(w))
                return organ, word + noun.group(1)
        return None

    def _within(self, system: str | None) -> tuple[Organ, ...]:
        if system is None:
            return self.organs
        kinds = _SYSTEM_KINDS[system]
        inside = tuple(o for o in self.organs if o.kind.startswith(kinds))
        return inside or self.organs

    def _local(self, text: str) -> LinkedUnit | None:
        """A city, county or township body: 银川市司法局, 永宁县政府, 某乡镇, 我们县."""
        place, level = None, ""
        for city in self.cities:
            for form in (city, self.city_short.get(city, "")):
                if form and form in text:
                    place, level = city, "city"
        for county in self.counties:
            for form in (county, self.county_short.get(county, "")):
                if form and len(form) >= 2 and form in text:
                    place, level = county, "county"
        generic = _GENERIC_LOCAL.search(text)
        level_organ = self._level_organ.search(text) if place is None and not generic else None
        if place is None and (generic or level_organ):
            word = generic.group(1) if generic else level_organ.group(1) or level_organ.group(2)
            place = {"市": "某市", "县": "某县", "区": "某区"}.get(word, "某乡镇")
            level = {"市": "city", "县": "county", "区": "county"}.get(word, "township")
        township = next((w for w in self.township_words if w in text and len(w) >= 2), None)
        if township and level != "township" and re.search(r"乡镇|乡政府|镇政府|街道|乡人民政府|镇人民政府", text):
            level = "township"
            place = place or "某乡镇"
        if place is None:
            return None
        suffix = next((s for s in self.bureau_suffixes if s in text), None) or \
            max((s for s in self.government_suffixes if s in text), key=len, default="")
        if not suffix and level_organ:
            suffix = "政府部门"          # "县里一个局": some department of that government
        if not suffix and level != "township" and not generic:
            return None          # a place name alone ("银川天气") is not a unit
        name = f"{place}{suffix or '人民政府'}"
        if level == "township":
            name = "乡镇（街道）" if place == "某乡镇" else f"{place}乡镇（街道）"
        said = generic or level_organ
        said_words = said.group(0) if said else ""
        if said:
            # "我们县政府": the organ said right after the place word is part of the mention
            after = text[said.end():]
            said_words += max((s for s in (*self.government_suffixes, *self.bureau_suffixes) if after.startswith(s)),
                              key=len, default="")
        words = [w for w in (place, suffix, township, said_words) if w]
        return LinkedUnit(name, UnitKind.LOCAL, None, "local", level, span="|".join(words))

    def kinds(self) -> dict[str, UnitKind]:
        return {o.name: o.unit_kind for o in self.organs}


def _name_stem(organ: Organ) -> tuple[str, ...]:
    """The line of work an organ's name says ("公安" of 自治区公安厅, "审计" of 自治区审计厅)."""
    stem = re.sub(r"(?:厅|局|委员会|委|办公室|办)$", "", re.sub(r"^(?:自治区|宁夏回族自治区|宁夏)", "", organ.name))
    return (stem,) if 2 <= len(stem) <= 6 and stem != organ.name else ()


def _bare_names(organs: tuple[Organ, ...], generic: set[str]) -> tuple[tuple[str, Organ], ...]:
    """Names of the 自治区's organs without the place prefix ("编委办" for 自治区编委办), longest
    first; a bare name that every level has (组织部, 司法局) or that ends the names of two organs
    (办公厅) says nothing about which organ is meant and is left out."""
    bare: dict[str, Organ] = {}
    for organ in organs:
        for name in (organ.name, *organ.aliases):
            prefix = next((p for p in _REGION_PREFIXES if name.startswith(p)), None)
            rest = name[len(prefix):] if prefix else ""
            if len(rest) >= 3 and not rest.startswith(("区", "回族")) and rest not in generic:
                bare.setdefault(rest, organ)
    shared = {rest for rest in bare
              if len({o.name for o in organs for n in (o.name, *o.aliases) if n.endswith(rest)}) > 1}
    return tuple(sorted(((rest, organ) for rest, organ in bare.items() if rest not in shared),
                        key=lambda pair: -len(pair[0])))


def _qualifier(before: str, organ: Organ) -> str:
    """The words right before a description that name part of the organ's own name ("人大常委会"
    in "人大常委会里管立法的那个委员会"): they belong to the unit, not to the question's topic."""
    stem = re.sub(r"(?:里|中|的|那个|那边|下面|下属|系统|专门|具体|主要)+$", "", before)
    names = (organ.name, *organ.aliases)
    for size in range(min(len(stem), 12), 1, -1):
        piece = stem[-size:]
        if any(piece in name for name in names):
            return piece
    return ""


def _covered(described: str, words: str) -> int:
    """How many characters of the description lie in a piece of two or more characters that
    the organ's words also contain."""
    covered = [False] * len(described)
    for start in range(len(described) - 1):
        end = start + 2
        while end <= len(described) and described[start:end] in words:
            end += 1
        if end - 1 - start >= 2:
            covered[start:end - 1] = [True] * (end - 1 - start)
    return sum(covered)


def _overlap(described: str, word: str, scattered: float = 0.6) -> float:
    # the described work names the organ itself: "法制" in "人大常委会法制工作委员会" (but not
    # "民政" in "人民政府", where the characters straddle two words)
    if len(described) >= 2 and re.search(re.escape(described) + r"(?:工作)?(?:委员会|委|厅|局|办公室|办|院)", word):
        return 1.0
    if len(word) >= 2 and word in described:
        return 1.0
    if len(described) >= 2 and described in word:
        return 0.9          # "管立法的": part of a line of work ("地方立法")
    chars = {c for c in described if "\u4e00" <= c <= "\u9fff"}
    target = {c for c in word if "\u4e00" <= c <= "\u9fff"}
    if not target:
        return 0.0
    share = len(chars & target) / len(target)
    # characters that stand together in both count fully; scattered ones say less ("就业和工资"
    # holds 业 and 工 but says nothing of 工业)
    together = any(word[i:i + 2] in described for i in range(len(word) - 1))
    return share if together else scattered * share


@lru_cache(maxsize=1)
def default_catalog() -> OrganCatalog:
    return OrganCatalog.load()


__all__ = ["DATA_PATH", "LinkedUnit", "Organ", "OrganCatalog", "default_catalog"]
