"""CheckList-style behaviour tests of question understanding (Ribeiro et al. 2020), as data.

Every case lives in tests/data/understanding_cases.jsonl, one JSON object a line. Expectations
were derived by reading the plan's text (its unit clauses and deadlines), not by running the
assistant. Fields:

    id, capability, question, history (earlier user questions, oldest first)
    cites_all              every listed measure must be cited
    cites_any              at least one listed measure must be cited
    cites_none             none of the listed measures may be cited
    cites_any_if_answered  unless the answer is a refusal, at least one listed measure is cited
    named_exactly          unit duty answers: Answer.duties["all_named"] (the measures whose unit
                           clause names the unit) must be exactly this set; [] for units the plan
                           never names
    intent                 Answer.intent must equal this
    refused                Answer.refused must equal this
    coverage               effective coverage ("none" when refused) must equal this
    coverage_not           effective coverage must differ from this
    answer_contains        each item must occur in the answer text; an item that is a list
                           means "at least one of these strings"
    answer_lacks           no item may occur in the answer text
    group                  minimum functionality / invariance: cases of one group cite the same set
    narrows                directional: this case's cited set is a subset of the named case's
    xfail                  one-line reason: a known failure of the assistant, the expectation
                           having been re-checked against the plan (non-strict xfail)

One test per case, one per group and one per directional pair. A group or pair test is an
expected failure when one of its cases carries "xfail".
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

CASES_FILE = Path(__file__).parent / "data" / "understanding_cases.jsonl"
TOTAL_MEASURES = 110

CAPABILITIES = {"normalization", "homophone", "role_words", "unnamed_unit", "described_unit",
                "own_unit_history", "follow_up", "answerability", "directional",
                "constraints", "ellipsis", "plan_terms", "document", "several_questions", "comparison", "paraphrase",
                "english"}
MEASURE_LIST_FIELDS = ("cites_all", "cites_any", "cites_none", "cites_any_if_answered", "named_exactly")
KNOWN_FIELDS = {"id", "capability", "question", "history", "intent", "refused", "coverage",
                "coverage_not", "answer_contains", "answer_lacks", "group", "narrows", "xfail",
                *MEASURE_LIST_FIELDS}
EXPECTATION_FIELDS = {"intent", "refused", "coverage", "coverage_not", "answer_contains", "answer_lacks",
                      "group", "narrows", *MEASURE_LIST_FIELDS}


def load_cases() -> list[dict]:
    cases = []
    with CASES_FILE.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                case = json.loads(line)
                case["_line"] = number
                cases.append(case)
    return cases


CASES = load_cases()
BY_ID = {case["id"]: case for case in CASES}
GROUPS: dict[str, list[dict]] = defaultdict(list)
for _case in CASES:
    if "group" in _case:
        GROUPS[_case["group"]].append(_case)
PAIRS = [(case, BY_ID.get(case["narrows"])) for case in CASES if "narrows" in case]


def xfail_marks(*cases: dict) -> list:
    reasons = [f"{case['id']}: {case['xfail']}" for case in cases if case and case.get("xfail")]
    return [pytest.mark.xfail(reason="; ".join(reasons), strict=False)] if reasons else []


# ------------------------------------------------------------------ asking, once per case
_ANSWERS: dict[str, object] = {}


def ask(assistant, case: dict):
    if case["id"] not in _ANSWERS:
        _ANSWERS[case["id"]] = assistant.ask(case["question"], list(case.get("history", [])))
    return _ANSWERS[case["id"]]


def effective_coverage(answer) -> str:
    return "none" if answer.refused else answer.coverage


def describe(case: dict, answer) -> str:
    text = answer.answer.replace("\n", " ")
    return (f"\n  case {case['id']} ({case['capability']}): {case['question']!r}"
            f" history={case.get('history', [])}"
            f"\n  got citations={answer.citations} intent={answer.intent!r} refused={answer.refused}"
            f" coverage={effective_coverage(answer)!r}"
            f"\n  answer: {text[:300]}{'…' if len(text) > 300 else ''}")


# ------------------------------------------------------------------ the data file itself
def test_the_case_file_is_well_formed():
    assert CASES, f"no cases in {CASES_FILE}"
    ids = [case["id"] for case in CASES]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate ids: {duplicates}"
    problems = []
    for case in CASES:
        where = f"line {case['_line']} ({case.get('id')})"
        unknown = set(case) - KNOWN_FIELDS - {"_line"}
        if unknown:
            problems.append(f"{where}: unknown fields {sorted(unknown)}")
        if case.get("capability") not in CAPABILITIES:
            problems.append(f"{where}: unknown capability {case.get('capability')!r}")
        if not isinstance(case.get("question"), str) or not case["question"].strip():
            problems.append(f"{where}: empty question")
        if not isinstance(case.get("history"), list):
            problems.append(f"{where}: history must be a list")
        if not EXPECTATION_FIELDS & set(case):
            problems.append(f"{where}: no expectation")
        for name in MEASURE_LIST_FIELDS:
            numbers = case.get(name, [])
            if not all(isinstance(n, int) and 1 <= n <= TOTAL_MEASURES for n in numbers):
                problems.append(f"{where}: {name} has numbers outside 1..{TOTAL_MEASURES}")
        clash = set(case.get("cites_all", [])) & set(case.get("cites_none", []))
        if clash:
            problems.append(f"{where}: {sorted(clash)} both required and forbidden")
        if "narrows" in case and case["narrows"] not in BY_ID:
            problems.append(f"{where}: narrows unknown case {case['narrows']!r}")
    for name, members in GROUPS.items():
        if len(members) < 2:
            problems.append(f"group {name!r} has a single case")
    assert not problems, "\n".join(problems)


def test_every_capability_is_covered_by_several_cases():
    counts = defaultdict(int)
    for case in CASES:
        counts[case["capability"]] += 1
    thin = {cap: counts[cap] for cap in CAPABILITIES if counts[cap] < 3}
    assert not thin, f"capabilities with fewer than 3 cases: {thin}"


# ------------------------------------------------------------------ one test per case
@pytest.mark.parametrize("case", [pytest.param(case, id=case["id"], marks=xfail_marks(case))
                                  for case in CASES])
def test_case(assistant, case):
    answer = ask(assistant, case)
    cited = set(answer.citations)
    failures = []
    if "refused" in case and answer.refused != case["refused"]:
        failures.append(f"refused should be {case['refused']}")
    if "intent" in case and answer.intent != case["intent"]:
        failures.append(f"intent should be {case['intent']!r}")
    if "coverage" in case and effective_coverage(answer) != case["coverage"]:
        failures.append(f"coverage should be {case['coverage']!r}")
    if "coverage_not" in case and effective_coverage(answer) == case["coverage_not"]:
        failures.append(f"coverage must not be {case['coverage_not']!r}: the plan cannot hold this answer")
    missing = [n for n in case.get("cites_all", []) if n not in cited]
    if missing:
        failures.append(f"measures {missing} must be cited (cites_all={case['cites_all']})")
    if case.get("cites_any") and not cited & set(case["cites_any"]):
        failures.append(f"at least one of {case['cites_any']} must be cited")
    forbidden = sorted(cited & set(case.get("cites_none", [])))
    if forbidden:
        failures.append(f"measures {forbidden} must not be cited")
    if case.get("cites_any_if_answered") and not answer.refused \
            and not cited & set(case["cites_any_if_answered"]):
        failures.append(f"answered without refusing, so one of {case['cites_any_if_answered']} must be cited")
    if "named_exactly" in case:
        named = (answer.duties or {}).get("all_named")
        if named is None:
            failures.append("a unit duty answer (duties.all_named) was expected")
        elif sorted(set(named)) != sorted(case["named_exactly"]):
            failures.append(f"duties.all_named should be {sorted(case['named_exactly'])}, got {sorted(set(named))}")
    for item in case.get("answer_contains", []):
        options = item if isinstance(item, list) else [item]
        if not any(option in answer.answer for option in options):
            failures.append(f"answer should contain {' or '.join(map(repr, options))}")
    for item in case.get("answer_lacks", []):
        if item in answer.answer:
            failures.append(f"answer must not contain {item!r}")
    assert not failures, "; ".join(failures) + describe(case, answer)


# ------------------------------------------------------------------ invariance groups
@pytest.mark.parametrize("group", [pytest.param(name, id=f"group-{name}", marks=xfail_marks(*members))
                                   for name, members in GROUPS.items()])
def test_group_cites_the_same_measures(assistant, group):
    members = GROUPS[group]
    cited = {case["id"]: sorted(set(ask(assistant, case).citations)) for case in members}
    reference_id = members[0]["id"]
    differing = {i: c for i, c in cited.items() if c != cited[reference_id]}
    assert not differing, (
        f"group {group!r}: paraphrases should cite the same measures as {reference_id} "
        f"({members[0]['question']!r}) -> {cited[reference_id]}; differing: "
        + "; ".join(f"{i} ({BY_ID[i]['question']!r}) -> {c}" for i, c in differing.items()))


# ------------------------------------------------------------------ directional pairs
@pytest.mark.parametrize("pair", [pytest.param(pair, id=f"{pair[0]['id']}<={pair[0]['narrows']}",
                                               marks=xfail_marks(*pair))
                                  for pair in PAIRS])
def test_a_narrower_question_never_widens_the_cited_set(assistant, pair):
    narrow, base = pair
    assert base is not None, f"{narrow['id']} narrows an unknown case {narrow['narrows']!r}"
    narrow_cited = set(ask(assistant, narrow).citations)
    base_cited = set(ask(assistant, base).citations)
    extra = sorted(narrow_cited - base_cited)
    assert not extra, (
        f"{narrow['id']} ({narrow['question']!r}) adds a restriction to {base['id']} "
        f"({base['question']!r}) but cites measures the base question does not: {extra}"
        f"\n  narrow cites {sorted(narrow_cited)}\n  base cites {sorted(base_cited)}")
