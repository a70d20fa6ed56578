"""Question normalization: a space between words is a pause, between letters nothing."""
import pytest

from assistant.normalize import normalize_question


@pytest.mark.parametrize("raw, normalized", [
    ("只写了牵头单位 没有写参加单位", "只写了牵头单位，没有写参加单位"),
    ("发改委 牵头的措施", "发改委，牵头的措施"),
    ("行 政 复 议 委 员 会", "行政复议委员会"),
    ("2022 年 6 月底前", "2022年6月底前"),
    ("measure 71 说的什么", "measure 71说的什么"),
])
def test_spaces(raw, normalized):
    assert normalize_question(raw) == normalized
