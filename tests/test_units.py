"""Unit names: prefix carry-over, aliases, designations and what they cover."""
import pytest

from assistant.units import (designation_covers, find_units_in_text, resolve_name, resolve_unit_list,
                             split_unit_list)


def test_prefix_carries_over_in_lists():
    names = [r.name for r in resolve_unit_list("自治区市场监管厅、政府办公厅、发展改革委")]
    assert names == ["自治区市场监管厅", "自治区政府办公厅", "自治区发展改革委"]
    assert resolve_name("党委组织部").name == "自治区党委组织部"
    assert resolve_name("宣传部").name == "自治区党委宣传部"


def test_trailing_deng_and_commas():
    assert [r.name for r in resolve_unit_list("自治区党委网信办、公安厅、卫生健康委、应急厅等")][-1] == "自治区应急厅"
    assert split_unit_list("自治区应急厅、民政厅，各市县〔区〕") == ["自治区应急厅", "民政厅", "各市县〔区〕"]


@pytest.mark.parametrize("raw,designation", [
    ("各市县〔区〕", "各市县〔区〕"), ("各市县（区）", "各市县〔区〕"), ("各地级市", "各地级市"),
    ("政府各部门", "自治区政府各部门"), ("自治区政府其他有关部门", "自治区政府其他有关部门"),
    ("政府其他部门", "自治区政府其他部门"), ("自治区党委和政府有关部门", "自治区党委和政府有关部门"),
])
def test_designations_are_typed(raw, designation):
    resolved = resolve_name(raw)
    assert resolved.is_designation and resolved.name == designation


@pytest.mark.parametrize("alias,canonical", [
    ("工信厅", "自治区工业和信息化厅"), ("人社厅", "自治区人力资源社会保障厅"), ("发改委", "自治区发展改革委"),
    ("住建厅", "自治区住房城乡建设厅"), ("卫健委", "自治区卫生健康委"), ("人民银行银川中心支行", "人行银川中心支行"),
    ("高院", "自治区高级法院"), ("审计厅", "自治区审计厅"), ("统计局", "自治区统计局"),
])
def test_aliases(alias, canonical):
    assert resolve_name(alias).name == canonical
    assert find_units_in_text(f"我是{alias}的，我们要干什么") == [canonical]


def test_designation_coverage():
    assert designation_covers("自治区政府各部门", "自治区审计厅", set())
    assert not designation_covers("自治区政府各部门", "自治区高级法院", set())
    assert designation_covers("自治区政府其他有关部门", "自治区统计局", {"自治区司法厅"})
    assert not designation_covers("自治区政府其他有关部门", "自治区司法厅", {"自治区司法厅"})
    assert designation_covers("自治区党委和政府有关部门", "自治区党委宣传部", set())
    assert designation_covers("各市县〔区〕", "市、县（区）人民政府", set())
    assert not designation_covers("各市县〔区〕", "自治区司法厅", set())


def test_find_units_does_not_match_inside_designations():
    assert find_units_in_text("自治区政府各部门要做什么") == []
    assert find_units_in_text("个人行为") == []
