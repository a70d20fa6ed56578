"""The default answer composer: offline, no LLM, grounded by construction.

Every line of an answer is either text quoted from a measure or a template line over a
measure's structured fields, and carries the measure's citation 【第N项】. Framing text
comes from `prompts/default_composer.json` so that wording lives outside the code.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .query import Asks, Query
from .slots import document_fields
from .records import DeadlineKind, Measure, Plan, Role
from .text import clauses, fold_for_match, split_sentences
from .units import involvement

CITATION_RE = re.compile(r"【第\s*(\d+)\s*项】")
WHOLE_TEXT_ROWS = 8       # a unit named in this many measures or fewer sees each one whole
FULL_TEXT_LIMIT = 12      # unit duty tables up to this length get fuller summaries
EMPTY_CELL = "—"


@dataclass
class Answer:
    question: str
    answer: str
    citations: list[int]
    refused: bool
    intent: str
    measures: list[int] = field(default_factory=list)      # what the turn was about (follow-ups)
    units: list[str] = field(default_factory=list)
    duties: dict | None = None
    composer: str = "default"
    coverage: str = "full"      # "full": the plan answers it; "partial": it touches the topic only; "none"
    notice: str = ""
    error: str = ""
    latency_ms: float = 0.0

    def to_dict(self) -> dict:
        return {
            "question": self.question, "answer": self.answer, "citations": self.citations,
            "refused": self.refused, "latency_ms": round(self.latency_ms, 2), "intent": self.intent,
            "measures": self.measures, "units": self.units, "duties": self.duties,
            "composer": self.composer, "coverage": "none" if self.refused else self.coverage,
            "notice": self.notice, "error": self.error,
        }


def citations_in(text: str) -> list[int]:
    """Cited measure numbers in order of first appearance."""
    seen: list[int] = []
    for match in CITATION_RE.finditer(text):
        number = int(match.group(1))
        if number not in seen:
            seen.append(number)
    return seen


@lru_cache(maxsize=4)
def load_templates(prompts_dir: str) -> dict:
    return json.loads((Path(prompts_dir) / "default_composer.json").read_text(encoding="utf-8"))


class DefaultComposer:
    """Composes answers from records; language-specific framing from the templates file."""

    name = "default"

    def __init__(self, plan: Plan, prompts_dir: Path):
        self.plan = plan
        self._templates = load_templates(str(prompts_dir))

    # ------------------------------------------------------------ helpers
    def t(self, query: Query | None, key: str, **values) -> str:
        lang = "en" if query is not None and query.english else "zh"
        return self._templates[lang][key].format(**values)

    def _where(self, m: Measure) -> str:
        part, section = self.plan.part(m.part_number), self.plan.section(m.section_number)
        return f"{part.numeral}、{part.title} / {section.label}"

    def units_line(self, m: Measure) -> str:
        """The measure's unit clause as the plan writes it ("牵头单位：自治区司法厅、政府办公厅"):
        a quotation, so its short names stay the plan's own (the duty tables give full names)."""
        clause = m.text[len(m.body):].strip()
        if clause.startswith("（") and clause.endswith("）"):
            return f"{clause[1:-1].replace('，参加单位', '；参加单位')}{m.citation}"
        groups = []
        for role in Role:
            names = [u.name for u in m.units_with_role(role)]
            if names:
                groups.append(f"{role.label}：{'、'.join(names)}")
        return f"{'；'.join(groups)}{m.citation}"

    def deadline_line(self, m: Measure, query: Query | None = None) -> str:
        phrases = "；".join(d.phrase for d in m.deadlines)
        return self.t(query, "deadline_line", phrases=phrases, cite=m.citation)

    def best_sentences(self, m: Measure, query_text: str, limit: int = 2) -> list[str]:
        """The measure's sentences that share most characters with the question."""
        sentences = split_sentences(m.body)
        if len(sentences) <= limit:
            return sentences
        q_grams = _bigrams(query_text)
        scored = sorted(((len(_bigrams(s) & q_grams), -i, s) for i, s in enumerate(sentences)), reverse=True)
        chosen = {s for _, _, s in scored[:limit]}
        return [s for s in sentences if s in chosen]

    # ------------------------------------------------------------ intents
    def measure_details(self, numbers: list[int], query: Query) -> str:
        lines = []
        for number in numbers:
            m = self.plan.measure(number)
            lines.extend(self._direct_lines(m, query))
        for number in numbers:
            m = self.plan.measure(number)
            lines.append(self.t(query, "measure_heading", number=m.number, where=self._where(m)))
            lines.append(f"> {m.body}{m.citation}")
            lines.append(self.units_line(m))
            if m.deadlines:
                lines.append(self.deadline_line(m, query))
        return "\n\n".join(lines)

    @staticmethod
    def lacks_asked(m: Measure, query: Query) -> bool:
        """The question asks for a date or a number that measure `m` does not set, a number in
        a measure word it never states a number in ("赔几倍"), or an attribute the plan never
        names ("什么颜色"): the plan touches the topic but does not hold what is asked."""
        if query.attribute:
            return True
        if query.quantity_word:
            return not states_quantity(m.text, query.quantity_word)
        asks_a_value = Asks.DEADLINE in query.asks or Asks.TARGET in query.asks
        return asks_a_value and Asks.UNITS not in query.asks and not m.deadlines and not m.targets

    def lacking_line(self, m: Measure, query: Query) -> str:
        """Says what the measure does not state, for the asks that `_direct_lines` does not cover."""
        # "几倍", "几年"; a thing counted is "几个调解中心"
        word = query.quantity_word
        asked = query.attribute or (word and (f"几个{word}" if len(word) >= 3 else f"几{word}"))
        return self.t(query, "no_asked_value", number=m.number, asked=asked) if asked else ""

    def _direct_lines(self, m: Measure, query: Query) -> list[str]:
        """The direct answer first when the question asks for a date, a unit or a number."""
        lines = []
        if Asks.DEADLINE in query.asks:
            timed = [t.clause for t in m.targets if t.is_time_limit]
            if m.deadlines:
                lines.append(self.t(query, "direct_deadline", phrases="；".join(d.phrase for d in m.deadlines),
                                    cite=m.citation))
            elif timed:
                # "最晚多久要办": a time limit counted from an event ("24小时内") is the answer
                lines.append(self.t(query, "direct_time_limit", clauses="；".join(dict.fromkeys(timed)), cite=m.citation))
            else:
                # a claim of absence cannot be quoted, so it names the measure without a citation
                lines.append(self.t(query, "no_deadline", number=m.number))
        if Asks.UNITS in query.asks:
            lines.append(self.units_line(m))
        if Asks.TARGET in query.asks and m.targets:
            clauses = "；".join(dict.fromkeys(t.clause for t in m.targets))
            lines.append(self.t(query, "direct_target", clauses=clauses, cite=m.citation))
        elif Asks.TARGET in query.asks and Asks.DEADLINE not in query.asks:
            # a claim of absence names the measure without citing it
            lines.append(self.t(query, "no_target", number=m.number))
        return lines

    def search_answer(self, numbers: list[int], query: Query) -> str:
        lines = []
        if numbers:
            first = self.plan.measure(numbers[0])
            # a comparison leads with what each of the two says
            for number in numbers if query.alternatives else numbers[:1]:
                lines.extend(self._direct_lines(self.plan.measure(number), query))
            if (query.attribute or query.quantity_word) and self.lacks_asked(first, query):
                lines.insert(0, self.lacking_line(first, query))
        lines.append(self.t(query, "search_intro"))
        for rank, number in enumerate(numbers):
            m = self.plan.measure(number)
            quoted = m.body if rank == 0 else "".join(self.best_sentences(m, query.search_text))
            lines.append(self.t(query, "measure_heading", number=m.number, where=self._where(m)))
            lines.append(f"> {quoted}{m.citation}")
            lines.append(self.units_line(m))
            if m.deadlines and Asks.DEADLINE not in query.asks:
                lines.append(self.deadline_line(m, query))
        return "\n\n".join(lines)

    def unit_duties(self, unit: str, query: Query) -> tuple[str, dict]:
        """A unit's duties as compact Markdown tables (项号, 角色, 时限, 单位, 要点): the measures that
        name the unit first (one row per measure, in role order), then one table per collective
        designation that reaches it. Every row ends in its measure's citation, so each row is
        checked against that measure; `duties` (the JSON contract) lists the same numbers."""
        named: dict[str, list[int]] = {r.value: [] for r in Role}
        via: dict[str, list[int]] = {}
        via_role: dict[int, Role] = {}
        kind = query.kind_of(unit)
        for m in self.plan.measures:
            if not admits(m, query):
                continue
            roles, designations = involvement(m, unit, kind)
            for role in roles:
                if query.role in (None, role):
                    named[role.value].append(m.number)
            # ("只有它一家" asks for unit clauses that name it alone: a designation does not)
            if designations and query.role in (None, designations[0][1]) and not (query.sole_unit and kind is None) \
                    and not (query.named_only and self._named_in_plan((unit,))):
                via.setdefault(designations[0][0], []).append(m.number)
                via_role[m.number] = designations[0][1]
        total = sorted({n for ns in named.values() for n in ns})
        # a unit with few duties wants to read them, not a teaser of each (the clause that concerns
        # it is often not the first); a long list stays one line per row, its cards hold the text
        limit = None if len(total) <= WHOLE_TEXT_ROWS else 60 if len(total) <= FULL_TEXT_LIMIT else 40
        counts = [self.t(query, "unit_role_count", role=r.value, count=len(named[r.value]))
                  for r in Role if named[r.value]]
        key = "unit_summary_roles" if total else "unit_summary"
        lines = [self.t(query, key, unit=unit, count=len(total), roles="、".join(counts))]
        narrowed = self.constraint_note(query)
        if narrowed:
            lines[0] = narrowed + lines[0]
        if total:
            # one row per measure, in the order of the role groups (the order of first citation)
            ordered = list(dict.fromkeys(n for r in Role for n in named[r.value]))
            rows = [(n, "、".join(r.value for r in Role if n in named[r.value])) for n in ordered]
            lines += self._duty_table(rows, query, limit)
        if not total:
            named_any = any(unit in m.unit_names for m in self.plan.measures)
            if named_any and (query.terms or query.part or query.section) and not via:
                # nothing within the narrower constraint: say so, then the whole duty list
                text, duties = self.unit_duties(unit, query.but(terms=(), part=None, section=None))
                return self.t(query, "unit_none_within", unit=unit) + "\n\n" + text, duties
            if named_any and query.role is not None:
                # nothing in the asked role: say so, then show the unit's duties in every role
                text, duties = self.unit_duties(unit, query.but(role=None))
                return self.t(query, "unit_not_in_role", unit=unit, role=query.role.label) + "\n\n" + text, duties
            if named_any and query.scope:
                # the unit is named elsewhere in the plan, only not among the measures asked about
                lines = [self.t(query, "unit_none_in_scope", unit=unit)]
            elif kind is not None:
                lines = [self.t(query, "unit_unlisted", unit=unit, kind=kind.value)]
            else:
                lines.append(self.t(query, "unit_not_named", unit=unit))
        if query.level_of(unit) == "township":
            # the plan's text names townships and streets where it means them
            mentioned = [m.number for m in self.plan.measures if re.search(r"乡镇|街道", m.body)]
            if mentioned:
                via = {self.t(query, "township_text"): mentioned, **via}
        if via:
            lines.append(self.t(query, "unit_via_heading", unit=unit))
            # the same rule as above: a few measures reaching the unit are read whole
            reached = {n for numbers in via.values() for n in numbers}
            via_limit = None if len(reached) <= WHOLE_TEXT_ROWS else 60 if len(reached) <= FULL_TEXT_LIMIT else 40
            for designation, numbers in via.items():
                # "**自治区政府各部门**（74项）：" then its table; the web app folds each such group
                lines.append("")
                lines.append(self.t(query, "unit_via_group", designation=designation, count=len(numbers)))
                rows = [(n, via_role[n].value if n in via_role else EMPTY_CELL) for n in numbers]
                lines += self._duty_table(rows, query, via_limit)
        duties = {"unit": unit, "named": named, "via_designation": via, "all_named": total}
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n"), duties

    def _duty_table(self, rows: list[tuple[int, str]], query: Query, limit: int | None) -> list[str]:
        """Markdown table lines (blank lines around it) for (measure number, role text) rows:
        项号 | 角色 | 时限 | 单位 | 要点: the 单位 the measure's unit clause as the plan writes it (with
        whom), the 要点 its opening clauses, whole (the whole measure when `limit` is None), followed
        by the citation that closes the row."""
        from .duties import clause_summary
        lines = ["", self.t(query, "unit_table_header"), "| --- | --- | --- | --- | --- |"]
        for number, role in rows:
            m = self.plan.measure(number)
            deadline = "；".join(d.phrase for d in m.deadlines) or EMPTY_CELL
            summary = m.body if limit is None else clause_summary(m, limit)
            cells = [f"第{m.number}项", role, deadline, self.units_line(m).removesuffix(m.citation), summary + m.citation]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        return lines + [""]

    def term_list(self, query: Query, related: list[int]) -> tuple[str, list[int]]:
        """Every measure whose text uses one of the question's terms (exact, in plan order),
        then measures that retrieval finds related although they do not use the words."""
        def using(match) -> list[Measure]:
            return [m for m in self.plan.measures
                    if match(fold_for_match(t) in fold_for_match(m.body) for t in query.terms)
                    and admits(m, query.but(terms=())) and self._takes_part(m, query)]
        # several terms in one phrase ("听取公职律师的意见") name one subject: the measures that
        # use them all; terms the question joins by 和/或/、 ("行政复议和行政应诉") are alternatives
        if not query.terms:
            # no words to look for: every measure whose records fit the constraints
            return self.record_list(query)
        together = len(query.terms) > 1 and any(len(t) >= 4 for t in query.terms) \
            and not _joined_as_alternatives(query.text, query.terms)
        exact = (using(all) if together else []) or using(any)
        together = together and len(exact) > 0 and exact == using(all)
        terms = "、".join(f"“{t}”" for t in query.terms)
        lines = [self.t(query, "list_summary_all" if together else "list_summary", terms=terms, count=len(exact))]
        if query.scope:     # a follow-up's filter of the previous answer says so
            lines[0] = self.t(query, "within", where=self._scope_label(query)) + lines[0]
        for m in exact:
            # every sentence that uses a term (a measure may use it twice, saying different things)
            sentences = [s for s in split_sentences(m.body) if any(fold_for_match(t) in fold_for_match(s) for t in query.terms)]
            lines.append(f"- {''.join(sentences[:3]) or m.body}{m.citation}")
        # related measures obey the same constraints (a follow-up's filter stays in its scope)
        unconstrained = query.but(terms=())
        others = [n for n in related if n not in {m.number for m in exact}
                  and admits(self.plan.measure(n), unconstrained)][:3 if len(exact) < 3 else 0]
        if others:
            lines.append(self.t(query, "list_related", terms=terms))
            for n in others:
                lines.append(f"- {split_sentences(self.plan.measure(n).body)[0]}【第{n}项】")
        if not exact and not others:
            none = self.t(query, "list_none", terms=terms)
            if query.scope:
                none = self.t(query, "within", where=self._scope_label(query)) + none
            return none, []
        return "\n".join(lines), [m.number for m in exact] + others

    def record_list(self, query: Query) -> tuple[str, list[int]]:
        """The measures whose records fit every constraint (part, section, scope, units set
        aside, the shape of the unit clause), each with its unit clause."""
        found = [m for m in self.plan.measures if admits(m, query) and self._takes_part(m, query)]
        if not found:
            return self.t(query, "records_none"), []
        lines = [self.constraint_note(query) + self.t(query, "records_summary", count=len(found))]
        for m in found:
            clause = self.units_line(m).removesuffix(m.citation)
            lines.append(f"- {split_sentences(m.body)[0]}（{clause}）{m.citation}")
        return "\n".join(lines), [m.number for m in found]

    def _scope_label(self, query: Query) -> str:
        """Where a scoped list looks: a range the question named, or the previous answer."""
        if query.span:
            return self.t(query, "span_scope", first=query.scope[0], last=query.scope[-1])
        return self.t(query, "previous_scope", count=len(query.scope))

    def _takes_part(self, m: Measure, query: Query) -> bool:
        """The measure involves one of the query's units (in its role), or no unit is asked."""
        if not query.units:
            return True
        for unit in query.units:
            roles, designations = involvement(m, unit, query.kind_of(unit))
            if any(query.role in (None, r) for r in roles) or any(query.role in (None, d[1]) for d in designations):
                return True
        return False

    def constraint_note(self, query: Query) -> str:
        """The narrower constraints an answer list applies, said first ("在第七部分、涉及“听证”的措施中，")."""
        bits = []
        if query.units and query.intent.value != "unit":     # a duty list names its unit itself
            bits.append("、".join(query.units) + (f"（{query.role.label}）" if query.role else ""))
        if query.part:
            bits.append(self.plan.part(query.part).label)
        if query.section:
            bits.append(self.plan.section(query.section).label)
        if query.terms:
            bits.append(self.t(query, "about_terms", terms="、".join(f"“{t}”" for t in query.terms)))
        return self.t(query, "within", where="、".join(bits)) if bits else ""

    def _named_in_plan(self, units) -> bool:
        """Some unit clause of the plan names one of `units` outright."""
        return any(set(units) & set(m.unit_names) for m in self.plan.measures)

    def _due(self, number: int) -> str:
        """A measure's dated deadlines in brackets, for compact lists."""
        dated = [d.phrase for d in self.plan.measure(number).deadlines if d.year is not None]
        return "、".join(dated)

    def deadlines(self, query: Query) -> tuple[str, list[int]]:
        rows = []
        via_note: dict[int, str] = {}
        for m in self.plan.measures:
            if query.units:
                # a unit's deadlines include measures that reach it through a designation
                taking_part = [involvement(m, unit, query.kind_of(unit)) for unit in query.units]
                if not any(roles or designations for roles, designations in taking_part):
                    continue
                if not any(roles for roles, _ in taking_part):
                    if query.named_only and self._named_in_plan(query.units):
                        continue    # "只算点名的": a designation's reach does not count
                    via_note[m.number] = next(f"（通过「{d[0][0]}」涉及）" for _, d in taking_part if d)
            if not admits(m, query):
                continue
            if query.units and query.role is not None and not self._takes_part(m, query):
                continue
            for d in m.deadlines:
                if query.annual and d.kind != DeadlineKind.ANNUAL:
                    continue
                if query.year is not None and (d.year is None or d.year > query.year if query.until
                                               else d.year not in (query.year, *query.also_years)):
                    continue
                if query.since is not None and d.year is not None and d.year < query.since:
                    continue
                if query.since_month is not None and d.year is not None and \
                        (d.year, d.month or 12) <= (query.since, query.since_month):
                    continue        # "晚于2022年6月": 2022年6月底前 is not later
                if query.month is not None and (d.month or 12) > query.month:
                    continue        # "2022年底前" is due in December
                if query.year is None and not query.annual and d.kind == DeadlineKind.ANNUAL and not query.terms:
                    continue        # a subject's yearly duties are its time requirements too
                rows.append((d.sort_key, d, m))
        rows.sort(key=lambda row: (row[0], row[2].number))
        if query.doc_field == "both" and rows:
            # "最早和最晚的期限各是哪项": each end under its own heading
            ends = [self.deadlines(query.but(doc_field=end)) for end in ("earliest", "latest")]
            return "\n\n".join(text for text, _ in ends), list(dict.fromkeys(n for _, ns in ends for n in ns))
        if query.doc_field in ("earliest", "latest") and rows:
            edge = rows[0][0] if query.doc_field == "earliest" else rows[-1][0]
            rows = [row for row in rows if row[0] == edge]
        numbers = list(dict.fromkeys(m.number for _, _, m in rows))
        if not rows and query.terms and not (query.year or query.annual or query.doc_field):
            # the subject is in the plan, only without a time requirement: say so, citing it
            about = [m.number for m in self.plan.measures if admits(m, query)]
            if about:
                terms = "、".join(f"“{t}”" for t in query.terms)
                cited = "".join(f"【第{n}项】" for n in about[:8])
                return self.t(query, "no_deadlines_about", terms=terms, count=len(about), cited=cited), about[:8]
        if not rows and query.terms and (query.year or query.annual):
            # "2023年有哪些考核节点": the topic words may only frame the time; say that nothing due
            # then is about them, then show everything due then
            text, numbers = self.deadlines(query.but(terms=()))
            if numbers:
                terms = "、".join(f"“{t}”" for t in query.terms)
                return self.t(query, "no_deadlines_within_terms", terms=terms) + "\n\n" + text, numbers
        if not rows and query.year is not None and not (query.annual or query.until or query.since is not None
                                                         or query.also_years or query.doc_field):
            # "2025年底前到期的有哪些" when none is due then: say so, then what falls due nearest
            period = self.plan.period
            for year in sorted(range(period.start, period.end + 1), key=lambda y: (abs(y - query.year), -y)):
                if year == query.year:
                    continue
                text, numbers = self.deadlines(query.but(year=year, month=None))
                if numbers:
                    return self.t(query, "no_deadlines_nearest", year=query.year, nearest=year) + "\n\n" + text, numbers
        if not rows:
            return self.t(query, "no_deadlines"), []
        key = {"earliest": "deadline_earliest", "latest": "deadline_latest"}.get(query.doc_field, "deadline_summary")
        lines = [self.constraint_note(query) + self.t(query, key, count=len(numbers), label=rows[0][1].label)]
        for _, d, m in rows:
            clause = _clause_with(m.body, d.phrase)
            lines.append(f"- **{d.phrase}**{via_note.get(m.number, '')}：{clause}{m.citation}")
        return "\n".join(lines), numbers

    def targets(self, query: Query) -> tuple[str, list[int]]:
        """Every numeric target, or those with a given value ("100%")."""
        wanted = query.doc_field
        rows = [(m, t) for m in self.plan.measures for t in m.targets
                if wanted is None or t.value == wanted or f"{t.quantity}{t.unit}" == wanted or t.unit == wanted]
        if not rows:
            return self.t(query, "no_targets"), []
        numbers = list(dict.fromkeys(m.number for m, _ in rows))
        lines = [self.t(query, "target_summary", count=len(numbers))]
        for m, t in rows:
            lines.append(f"- **{t.value}**：{_clause_with(m.body, t.clause)}{m.citation}")
        return "\n".join(dict.fromkeys(lines)), numbers

    def structure(self, query: Query) -> tuple[str, list[int]]:
        """A part or section overview, built from the records only: the title and counts; for a
        part, each section with a one-line gist (its own lead-in text, else the opening clause of
        its first measure); for a section, each measure's opening; then the deadlines in date
        order and the units that lead (or answer for) most of its measures. Every line quotes
        the plan or fills a template over records, and cites its measures 【第N项】 or names its
        place in the document."""
        plan = self.plan
        if query.doc_field == "counts" or not (query.section or query.part):
            text = self.t(query, "counts", parts=len(plan.parts), sections=len(plan.sections),
                          measures=len(plan.measures), first_part=plan.parts[0].numeral,
                          last_part=plan.parts[-1].numeral, first_section=plan.sections[0].numeral,
                          last_section=plan.sections[-1].numeral)
            return text, []
        clause_ends, sentence_ends = "，；。！？：", "。！？；"

        def opening(text: str, least: int = 10) -> str:
            """The opening clauses of `text`, whole, until they hold `least` characters or a sentence ends."""
            taken = ""
            for piece in clauses(text):
                taken += piece
                if len(fold_for_match(taken)) >= least or piece[-1] in sentence_ends:
                    break
            return taken.rstrip(clause_ends + "、")

        def gist(m: Measure) -> str:
            """A measure's first sentence, or its opening clauses when that sentence is long."""
            first = split_sentences(m.body)[0]
            return first if len(first) <= 60 else opening(first, 24) + "…"

        def about(m: Measure, d) -> str:
            """The words a deadline belongs to: its clause (the date left out when the clause opens
            with it), with the following clauses when that leaves too little to read."""
            sentence = next((s for s in split_sentences(m.body) if d.phrase in s), m.body)
            cut = clauses(sentence)
            at = next((i for i, p in enumerate(cut) if d.phrase in p), None)
            if at is None:
                return opening(sentence)
            taken = cut[at]
            lead = d.phrase if d.year is not None else "每年"     # the line's label says it already
            if taken.startswith(lead):
                taken = taken[len(lead):]
            for piece in cut[at + 1:]:
                if len(fold_for_match(taken)) >= 8 or taken[-1:] in sentence_ends:
                    break
                taken += piece
            return taken.lstrip(clause_ends + "、").rstrip(clause_ends + "、")

        def cites(numbers) -> str:
            return "".join(f"【第{n}项】" for n in numbers)

        def deadline_lines(measures: list[Measure], where: str) -> list[str]:
            order = {DeadlineKind.BEFORE: 0, DeadlineKind.BY_END_OF: 1, DeadlineKind.AT_END_OF: 2,
                     DeadlineKind.ANNUAL: 3}
            dated = sorted(((m, d) for m in measures for d in m.deadlines),
                           key=lambda md: (md[1].sort_key, order[md[1].kind], md[0].number))
            lines = ["", self.t(query, "overview_deadlines")]
            for m, d in dated:
                label = d.phrase if d.year is not None else self.t(query, "overview_annual")
                lines.append(f"- **{label}**：{about(m, d)}{m.citation}")
            if not dated:
                lines.append(self.t(query, "overview_no_deadlines", where=where))
            return lines

        def dated_note(measures: list[Measure]) -> str:
            dated = sum(1 for m in measures if m.deadlines)
            return self.t(query, "overview_dated", dated=dated) if dated else self.t(query, "overview_undated")

        def lead_lines(measures: list[Measure]) -> list[str]:
            """The units named as 牵头 (or 责任) in most measures, by role, each with its measures."""
            owned: dict[str, dict[Role, list[int]]] = {}
            for m in measures:
                for role in (Role.LEAD, Role.RESPONSIBLE):
                    for u in m.units_with_role(role):
                        numbers = owned.setdefault(u.name, {}).setdefault(role, [])
                        if not u.is_designation and m.number not in numbers:
                            numbers.append(m.number)
            owned = {name: {r: ns for r, ns in roles.items() if ns} for name, roles in owned.items()}
            ranked = sorted(((name, roles) for name, roles in owned.items() if roles),
                            key=lambda kv: (-len({n for ns in kv[1].values() for n in ns}),
                                            -len(kv[1].get(Role.LEAD, [])),
                                            min(n for ns in kv[1].values() for n in ns)))
            if not ranked:
                return []
            lines = ["", self.t(query, "overview_leads")]
            for name, roles in ranked[:3]:
                bits = [self.t(query, "overview_lead_role", role=r.value, role_label=r.label, count=len(ns))
                        + cites(ns) for r, ns in sorted(roles.items(), key=lambda rn: list(Role).index(rn[0]))]
                lines.append(f"- **{name}**" + "；".join(bits))
            return lines

        if query.section:
            s = plan.section(query.section)
            part = plan.part(s.part_number)
            place = self.t(query, "overview_place", part=part.numeral, part_number=part.number, section=s.numeral)
            measures = plan.measures_in_section(s.number)
            if not measures:
                lines = [self.t(query, "section_general", label=s.label, part=part.label)]
                if s.text:
                    lines.append(f"> {s.text}{place}")
                return "\n".join(lines), []
            lines = [self.t(query, "section_heading", label=s.label, part=part.label, count=len(measures),
                            dated_note=dated_note(measures))]
            if s.text:
                said = opening(s.text, 40)
                lines.append(f"> {said}{'…' if len(said) < len(s.text.rstrip(clause_ends)) else ''}{place}")
            lines += ["", self.t(query, "overview_measures")]
            lines += [f"- {gist(m)}{m.citation}" for m in measures]
            lines += deadline_lines(measures, s.label) + lead_lines(measures)
            return "\n".join(lines), [m.number for m in measures]
        part = plan.part(query.part)
        measures = plan.measures_in_part(part.number)
        values = dict(label=part.label, numeral=part.numeral, number=part.number,
                      sections=len(part.section_numbers), count=len(measures), dated_note=dated_note(measures))
        lines = [self.t(query, "part_heading" if measures else "part_general", **values),
                 "", self.t(query, "overview_sections")]
        for sn in part.section_numbers:
            s = plan.section(sn)
            numbers = list(s.measure_numbers)
            listed = (self.t(query, "overview_section_measures", count=len(numbers), cites=cites(numbers))
                      if numbers else "")
            if s.text:
                said = opening(s.text)
                more = "…" if len(said) < len(s.text.rstrip(clause_ends)) else ""
                place = self.t(query, "overview_place", part=part.numeral, part_number=part.number, section=s.numeral)
                lines.append(f"- **{s.label}**：{said}{more}{place}{listed}")
            elif numbers:
                first = plan.measure(numbers[0])
                lines.append(f"- **{s.label}**：{opening(first.body)}{first.citation}{listed}")
        if measures:
            lines += deadline_lines(measures, f"第{part.numeral}部分") + lead_lines(measures)
        return "\n".join(lines), [m.number for m in measures]

    def document(self, query: Query) -> str:
        doc = self.plan.document
        values = {
            "doc_number": doc.doc_number, "issue_date": doc.issue_date,
            "issuers": "、".join(doc.issuing_offices), "title": doc.title,
            "guiding_thought": doc.guiding_thought, "overall_goals": doc.overall_goals,
            "closing": doc.closing, "preamble": doc.preamble,
            "recipients": doc.notice.splitlines()[0].rstrip("：:") if doc.notice else "",
            "publication": doc.publication_note.strip("（）()"),
            "issuers_short": "、".join(re.findall(r".+?办公厅", doc.notice_title.split("关于")[0])),
            "approval": next(iter(re.findall(r"[^，。\n]*同意[^，。\n]*", doc.notice)), ""),
            "start": self.plan.period.start, "end": self.plan.period.end, "horizon": self.plan.period.horizon,
        }
        # "文号和印发日期分别是什么": every document field the question names, in its order
        named = document_fields(query.text)
        fields = named if query.doc_field in named else [query.doc_field]
        return "\n\n".join(self.t(query, f"doc_{field}", **values, title_=doc.title) for field in fields)

    def refusal(self, query: Query, reason: str = "", region: str = "") -> str:
        """Say plainly that the plan does not cover the question (and why, when known)."""
        doc = self.plan.document
        because = self.t(query, f"reason_{reason}", region=region, period=self._period()) if reason else ""
        return self.t(query, "refusal", reason=because, title=doc.title)

    def _period(self) -> str:
        """The plan period as its title states it ("2021—2025年")."""
        match = re.search(r"(20\d{2})\s*[—\-–至]\s*(20\d{2})", self.plan.document.title)
        return f"{match.group(1)}—{match.group(2)}年" if match else ""

    def partial(self, number: int, query: Query, missing: str) -> str:
        """The plan touches the topic (measure `number`) but does not hold what is asked."""
        m = self.plan.measure(number)
        period = self.plan.period
        why = self.t(query, f"missing_{missing}", start=period.start, end=period.end, year=query.beyond_year)
        lines = [self.t(query, "partial", number=m.number, missing=why),
                 self.t(query, "measure_heading", number=m.number, where=self._where(m)),
                 f"> {m.body}{m.citation}", self.units_line(m)]
        return "\n\n".join(lines)

    def out_of_range(self, query: Query) -> str:
        if query.year is not None:
            period = self.plan.period
            return self.t(query, "out_of_range_period", year=query.year, start=period.start, end=period.end,
                          horizon=period.horizon)
        if query.out_of_range is not None:
            return self.t(query, "out_of_range_measure", number=query.out_of_range, total=len(self.plan.measures))
        return self.t(query, "out_of_range_structure", parts=len(self.plan.parts),
                      sections=len(self.plan.sections))


# Measure words that count the same thing ("30日" answers "多少天"; a class hour, 学时 or 课时,
# is an hour of training).
_SAME_MEASURE_WORD = {"天": "天|日|工作日", "日": "天|日|工作日", "周": "周|星期",
                      "小时": "小时|学时|课时", "学时": "学时|课时|小时", "课时": "课时|学时|小时"}


def states_quantity(text: str, word: str) -> bool:
    """Whether the text states a number in the measure word (a year like 2022年 is a date,
    not a number of years)."""
    words = _SAME_MEASURE_WORD.get(word, re.escape(word))
    number = r"(?<![0-9])(?:[0-9]{1,3}(?:\.[0-9]+)?|[一二两三四五六七八九十百千]+)(?:个)?"
    # a thing counted may have a word before it ("一个行政执法层级" counts 执法层级)
    between = r"[\u4e00-\u9fff]{0,4}?" if len(word) >= 3 else ""
    return bool(re.search(rf"{number}{between}(?:{words})", text))


def _joined_as_alternatives(text: str, terms: tuple[str, ...]) -> bool:
    """Whether the question joins two of its terms by a conjunction or a list comma."""
    return any(re.search(re.escape(a) + r"[”\"'」\s]{0,2}(?:和|或|及|与|以及|或者|还是|跟|、|,|，|/)[^，。？！；]{0,4}?" +
                         re.escape(b), text)
               for a in terms for b in terms if a != b)


def admits(m: Measure, query: Query) -> bool:
    """Every constraint of the query that is a property of the measure itself: part, section,
    the plan's terms and a follow-up's scope (units and time are judged by their own rules)."""
    if query.part and m.part_number != query.part:
        return False
    if query.section and m.section_number != query.section:
        return False
    if query.scope and m.number not in query.scope:
        return False
    if m.number in query.excluded:
        return False
    roles = {u.role for u in m.units}
    if query.only_roles and not roles <= set(query.only_roles):
        return False
    if query.lacking_roles and roles & set(query.lacking_roles):
        return False
    if query.having_roles and not set(query.having_roles) <= roles:
        return False
    if query.sole_unit and len({u.name for u in m.units}) != 1:
        return False
    if query.undated and any(d.year is not None for d in m.deadlines):
        return False
    if query.terms and not any(fold_for_match(t) in fold_for_match(m.body) for t in query.terms):
        return False
    return True


def _bigrams(text: str) -> set[str]:
    folded = fold_for_match(text)
    return {folded[i:i + 2] for i in range(len(folded) - 1)}


def _cell(text: str) -> str:
    """Text for one Markdown table cell: one line, no column breaks."""
    return " ".join(str(text).split()).replace("|", "｜")


def _clause_with(body: str, phrase: str) -> str:
    """The sentence of `body` that contains `phrase`."""
    for sentence in split_sentences(body):
        if phrase in sentence:
            return sentence
    return phrase


__all__ = ["Answer", "DefaultComposer", "citations_in", "CITATION_RE"]
