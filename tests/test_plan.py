"""The plan parsed into records: counts, spot checks, repaired extraction damage."""
import re

import pytest

from assistant.plan import group_blocks, parse_deadlines, parse_plan, split_roles
from assistant.records import DeadlineKind, Role
from assistant.text import chinese_to_int, int_to_chinese, normalize
from assistant.units import designations_by_name, units_by_name


def test_counts_and_numbering(plan):
    assert len(plan.parts) == 10
    assert len(plan.sections) == 34
    assert [m.number for m in plan.measures] == list(range(1, 111))
    assert [p.numeral for p in plan.parts] == list("一二三四五六七八九") + ["十"]
    assert [s.number for s in plan.sections] == list(range(1, 35))
    # every measure belongs to a section that belongs to its part
    for m in plan.measures:
        assert plan.section(m.section_number).part_number == m.part_number


def test_document_facts(plan):
    doc = plan.document
    assert doc.doc_number == "宁党厅字〔2021〕39号"
    assert doc.issue_date == "2021年11月16日"
    assert doc.issuing_offices == ("中共宁夏回族自治区委员会办公厅", "宁夏回族自治区人民政府办公厅")
    assert doc.title == "宁夏回族自治区法治政府建设实施方案（2021—2025年）"
    assert doc.preamble.startswith("为持续深入推进依法行政")
    assert doc.guiding_thought.startswith("高举中国特色社会主义伟大旗帜")
    # the guiding thought was split across a blank line in the extraction
    assert "先行区，继续建设经济繁荣" in doc.guiding_thought
    assert doc.overall_goals.startswith("到2025年")
    assert doc.closing.startswith("各地各部门（单位）要全面贯彻本实施方案")
    assert "现印发给你们" in doc.notice


@pytest.mark.parametrize("number,part,section,lead,participants,responsible", [
    (1, 2, 3, ["自治区党委编办", "自治区政府办公厅"], ["自治区政府各部门", "各市县〔区〕"], []),
    (10, 2, 4, ["自治区市场监管厅", "自治区政府办公厅", "自治区发展改革委", "人行银川中心支行"],
     ["自治区政府其他有关部门"], []),
    (13, 2, 5, ["自治区政府办公厅", "自治区发展改革委", "自治区市场监管厅"],
     ["自治区高级法院", "自治区检察院", "自治区司法厅"], []),
    (30, 4, 9, [], [], ["自治区纪委监委", "自治区党委组织部", "自治区审计厅", "自治区政府其他有关部门", "各市县〔区〕"]),
    (39, 5, 12, [], ["自治区高级法院", "自治区检察院", "自治区公安厅", "自治区政府其他有关部门"],
     ["自治区司法厅", "自治区党委政法委"]),
    (40, 5, 12, [], [], ["自治区司法厅", "自治区财政厅", "自治区交通运输厅", "自治区生态环境厅", "自治区农业农村厅",
                         "自治区文化和旅游厅", "自治区应急厅", "自治区市场监管厅", "各市县〔区〕"]),
    (53, 6, 16, [], [], ["自治区党委网信办", "自治区公安厅", "自治区卫生健康委", "自治区应急厅"]),
    (69, 7, 21, ["自治区司法厅"], ["自治区政府其他有关部门", "各市县〔区〕"], []),
    (75, 8, 23, [], [], ["自治区纪委监委", "自治区党委办公厅", "自治区党委宣传部", "自治区党委依法治区办",
                         "自治区人大常委会办公厅", "自治区政协办公厅", "自治区高级法院", "自治区检察院",
                         "自治区政府办公厅", "自治区司法厅", "自治区财政厅", "自治区审计厅", "自治区统计局"]),
    (94, 10, 31, ["自治区党委依法治区办"], ["各市县〔区〕法治建设议事协调机构"], []),
    (100, 10, 33, ["自治区党委组织部", "自治区党委编办", "自治区党委依法治区办", "自治区财政厅", "自治区司法厅"],
     ["自治区政府其他有关部门", "各市县〔区〕"], []),
    (108, 10, 34, ["自治区教育厅", "自治区党委依法治区办"], ["自治区党校（行政学院）", "自治区社科院", "自治区法学会"], []),
    (110, 10, 34, ["自治区党委宣传部", "自治区党委依法治区办", "自治区政府办公厅", "自治区司法厅"],
     ["自治区政府其他有关部门", "各市县〔区〕"], []),
])
def test_measure_roles(plan, number, part, section, lead, participants, responsible):
    m = plan.measure(number)
    assert (m.part_number, m.section_number) == (part, section)
    assert [u.name for u in m.units_with_role(Role.LEAD)] == lead
    assert [u.name for u in m.units_with_role(Role.PARTICIPANT)] == participants
    assert [u.name for u in m.units_with_role(Role.RESPONSIBLE)] == responsible


@pytest.mark.parametrize("number,phrases", [
    (9, ["2022年6月底前"]), (12, ["2021年底前"]), (14, ["2023年底前"]), (49, ["2022年底前"]),
    (67, ["2022年底前"]), (68, ["2022年底前"]), (69, ["2022年6月前"]), (70, ["2022年底前"]),
    (71, ["2023年底前"]), (80, ["2022年底"]), (85, ["2023年底前"]), (89, ["2024年底前"]), (91, ["2023年底前"]),
    (1, []), (58, []),
])
def test_measure_deadlines(plan, number, phrases):
    assert [d.phrase for d in plan.measure(number).deadlines if d.kind != DeadlineKind.ANNUAL] == phrases


def test_deadline_fields():
    (d,) = parse_deadlines("2022年6月底前建立起告知承诺清单")
    assert (d.year, d.month, d.kind) == (2022, 6, DeadlineKind.BY_END_OF)
    (d,) = parse_deadlines("2022年6月前县级以上各级政府建立")
    assert (d.year, d.month, d.kind) == (2022, 6, DeadlineKind.BEFORE)
    (d,) = parse_deadlines("2022年底基本建成")
    assert (d.year, d.month, d.kind) == (2022, None, DeadlineKind.AT_END_OF)
    (d,) = parse_deadlines("每年按时向社会公开")
    assert d.kind == DeadlineKind.ANNUAL and d.year is None


@pytest.mark.parametrize("number,values", [
    (22, ["30日"]), (31, ["7个工作日"]), (58, ["1小时", "5小时", "24小时"]), (71, ["100%"]),
    (83, ["100%"]), (104, ["60学时"]), (99, ["两期", "1次"]), (95, ["1次"]), (81, ["1—2项"]),
    (6, []), (12, []),
])
def test_numeric_targets(plan, number, values):
    assert [t.value for t in plan.measure(number).targets] == values


def test_extraction_damage_is_repaired(plan):
    text = {m.number: m.text for m in plan.measures}
    assert "人行银川中心支行" in text[10]
    assert "发展改革委、市场监管厅，参加单位" in text[13]
    assert "自治区政府其他有关部门" in text[69]
    assert "其他政策性文件" in text[17]
    assert "2022年6月前" in text[69] and "2023年底前被诉行政机关负责人出庭率达100%" in text[71]
    assert "政府信息管理等制度规范" in text[82] and "etc" not in text[82]
    for m in plan.measures:
        assert not re.search(r"[\u4e00-\u9fff] +[\u4e00-\u9fff0-9]|[0-9] +[\u4e00-\u9fff]", m.text), m.number
        assert not re.search(r"[(),:;]", m.text), m.number           # punctuation is full-width
        assert m.text.endswith("）"), m.number
    # the verbatim text keeps the source's own characters
    assert "2022 年 6 月前" in plan.measure(69).verbatim
    assert " etc " in plan.measure(82).verbatim


def test_no_unit_leftovers(plan):
    known_units, known_designations = units_by_name(), designations_by_name()
    for m in plan.measures:
        assert m.units, m.number
        for u in m.units:
            if u.is_designation:
                assert u.name in known_designations, (m.number, u.raw)
            else:
                assert u.name in known_units, (m.number, u.raw)


def test_blocks_join_split_paragraphs():
    body = "1. 第一项措施的前半\n\n句后半句。（责任单位：自治区司法厅）\n\n2. 第二项。（牵头单位：自治区司法厅，参加单位：各市县〔区〕）"
    blocks = group_blocks(body)
    assert [b.number for b in blocks] == [1, 2]
    assert "前半句后半句" in blocks[0].text


def test_split_roles():
    assert split_roles("牵头单位：A、B，参加单位：C") == [(Role.LEAD, "A、B"), (Role.PARTICIPANT, "C")]
    assert split_roles("责任单位：A、B") == [(Role.RESPONSIBLE, "A、B")]


def test_normalize_and_numerals():
    assert normalize("2022 年 6 月前") == "2022年6月前"
    assert normalize("（牵头单位:自治区司法厅,参加单位:各市县〔区〕)") == "（牵头单位：自治区司法厅，参加单位：各市县〔区〕）"
    assert normalize("“我的宁夏”APP 服务") == "“我的宁夏”APP服务"
    assert chinese_to_int("三十四") == 34 and chinese_to_int("一百零五") == 105 and chinese_to_int("十") == 10
    assert all(chinese_to_int(int_to_chinese(n)) == n for n in range(1, 200))


def test_parse_is_pure(plan_text):
    assert parse_plan(plan_text).measure(38).text == parse_plan(plan_text).measure(38).text
