"""English questions reach the Chinese plan through a bilingual dictionary (assistant.bilingual)."""
from __future__ import annotations

import pytest

from assistant.bilingual import EnglishLexicon, english_words, stem_words
from assistant.lexicon import read_english

ENTRIES = [
    ("壁垒", ["rampart", "barrier"]),
    ("产权", ["property right"]),
    ("征求", ["to solicit", "to seek", "to request (opinions, feedback etc)"]),
    ("工资", ["wage", "pay"]),           # not a word of the (toy) plan below
    ("协会", ["an association", "a society", "CL:個|个[ge4]"]),
]
PLAN_WORDS = {"壁垒", "产权", "征求", "协会"}


@pytest.fixture(scope="module")
def toy() -> EnglishLexicon:
    return EnglishLexicon.build(PLAN_WORDS, ENTRIES, places=("银川市", "永宁县"))


def test_words_fold_possessives_and_hyphens():
    assert english_words("What's the driver's market-entry rule?") == ["what", "the", "driver", "market", "entry", "rule"]


def test_stems_meet_across_inflections():
    assert stem_words(["barriers"]) == stem_words(["barrier"])
    assert stem_words(["led"]) == stem_words(["lead"])      # irregular past forms
    assert stem_words(["built"]) == stem_words(["build"])


@pytest.mark.parametrize("text, term", [
    ("hidden barriers to entry", "壁垒"),
    ("Are property rights protected?", "产权"),
    ("Will associations be asked?", "协会"),
    ("Do they solicit opinions?", "征求"),
])
def test_a_gloss_reaches_the_plan_word_whatever_the_inflection(toy, text, term):
    found, _, reached = toy.lookup(text)
    assert term in found and reached >= 1


def test_a_word_whose_chinese_the_plan_never_uses_is_unknown(toy):
    found, missing, _ = toy.lookup("What is the minimum wage?")
    assert "工资" not in found
    assert "wage" in missing


def test_places_of_the_region_are_known_but_name_no_subject(toy):
    found, missing, reached = toy.lookup("barriers in Yinchuan and Yongning")
    assert "yinchuan" not in missing and "yongning" not in missing
    assert found == ["壁垒"] and reached == 1


def test_reading_without_a_lexicon_uses_the_glossary_only():
    reading = read_english("When must the reconsideration committee be set up?")
    assert "行政复议委员会" in reading.terms
    assert reading.unknown == ()


def test_glossary_matches_stems():
    # the glossary writes "appear"; the question says "appearing"
    assert "出庭" in read_english("heads appearing in court").terms


def test_coverage_counts_content_words_that_reach_nothing(toy):
    covered = read_english("hidden barriers and property rights", toy)
    outside = read_english("minimum wage and tax rate", toy)
    assert covered.coverage > outside.coverage
    assert "wage" in outside.unknown
