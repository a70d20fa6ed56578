"""Question normalization: a space between words is a pause, between letters nothing."""
import pytest

from assistant.normalize import normalize_question


@pytest.mark.parametrize("raw, normalized", [
    ("只写了牵头单位 没有写参加单位", "只写了牵头单位，没有写参加单位"),
    ("发改委 牵头的措施", "发改委牵头的措施"),             # a short piece: no pause
    ("行 政 复 议 委 员 会", "行政复议委员会"),
    ("2022 年 6 月底前", "2022年6月底前"),
    ("measure 71 说的什么", "measure 71说的什么"),
])
def test_spaces(raw, normalized):
    assert normalize_question(raw) == normalized


@pytest.mark.parametrize("raw, normalized", [
    ("提高行政 复议办案质量", "提高行政复议办案质量"),        # inside a word
    ("监管 的频次和方式", "监管的频次和方式"),               # beside a short piece
    ("领导让我整理编办牵头的条目 麻烦列全", "领导让我整理编办牵头的条目，麻烦列全"),
])
def test_stray_spaces_are_not_pauses(raw, normalized):
    assert normalize_question(raw) == normalized
