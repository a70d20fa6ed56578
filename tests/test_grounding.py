"""The deterministic support test behind the grounding metric and LLM verification."""
from assistant.grounding import cited_sentences, is_supported, support


def test_known_supported_sentences(plan):
    m69 = plan.measure(69).text
    assert is_supported("2022年6月前县级以上各级政府建立行政复议委员会", [m69])
    assert is_supported("**时间要求：2022年6月前**", [m69])
    assert is_supported("牵头单位：自治区司法厅", [m69])
    assert is_supported("Deadline: 2022年6月前", [m69])


def test_known_unsupported_sentences(plan):
    m69 = plan.measure(69).text
    assert not is_supported("2030年前取消全部行政审批", [m69])
    assert not is_supported("行政复议委员会由国务院统一组建并直接管理", [m69])
    assert support("宁夏将大幅提高个人所得税起征点", [m69]) < 0.5


def test_sentences_carry_their_citations():
    parts = cited_sentences("第一句。【第3项】第二句【第4项】【第5项】\n- 列表项【第6项】\n无引用。后一句。")
    assert [(p.text, p.citations) for p in parts] == [
        ("第一句。", (3,)), ("第二句", (4, 5)), ("- 列表项", (6,)), ("无引用。", ()), ("后一句。", ())]
