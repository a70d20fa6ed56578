"""The 浏览方案 tab's keyword filter and card, and the part / section overviews
("第七部分讲什么", "（二十一）讲什么") built from the records."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from markdown_it import MarkdownIt

from assistant import app
from assistant.answer import CITATION_RE, DefaultComposer, citations_in
from assistant.config import get_settings
from assistant.grounding import FactChecker
from assistant.query import Intent, Query
from assistant.records import Role

HOSTILE = ("<img src=x>", "![x](http://h/x.png)", "[点我](javascript:alert(1))", "<script>alert(1)</script>",
           "**粗体** `代码` www.example.com")


def rendered(markdown: str) -> str:
    return MarkdownIt("commonmark").render(markdown)


# ------------------------------------------------------------ keyword filter
@pytest.mark.parametrize("keyword", ["行政复议 委员会", "行政复议、委员会", "行政复议，委员会", " 行政复议　委员会 "])
def test_several_words_match_measures_containing_all(plan, keyword):
    rows = app._browse_rows(plan, app.ALL_PARTS, keyword)
    assert list(rows["措施"]) == ["第69项"]
    assert rows.attrs["words"] == ["行政复议", "委员会"]
    assert "同时包含“行政复议”“委员会”的措施共1项" in rows.attrs["note"]


def test_every_word_must_occur(plan):
    both = set(app._browse_rows(plan, app.ALL_PARTS, "执法 公示").attrs["numbers"])
    first = set(app._browse_rows(plan, app.ALL_PARTS, "执法").attrs["numbers"])
    second = set(app._browse_rows(plan, app.ALL_PARTS, "公示").attrs["numbers"])
    assert both == first & second and both
    for n in both:
        text = plan.measure(n).text + plan.section(plan.measure(n).section_number).title
        assert "执法" in text and "公示" in text


def test_one_word_and_no_word(plan):
    rows = app._browse_rows(plan, app.ALL_PARTS, "听证")
    assert rows.attrs["note"].startswith(f"包含“听证”的措施共{len(rows)}项") and len(rows) >= 1
    everything = app._browse_rows(plan, app.ALL_PARTS, "")
    assert len(everything) == len(plan.measures) and f"共{len(plan.measures)}项措施" in everything.attrs["note"]
    # the existing contract: one word, and a part without a word
    assert list(app._browse_rows(plan, app.ALL_PARTS, "行政复议委员会")["措施"]) == ["第69项"]
    assert len(app._browse_rows(plan, plan.part(7).label, "")) == 12


def test_no_match_says_so_instead_of_an_empty_table(plan):
    rows = app._browse_rows(plan, app.ALL_PARTS, "行政复议 听证")
    assert rows.empty and rows.attrs["numbers"] == []
    assert rows.attrs["note"] == "没有同时包含“行政复议”“听证”的措施，试试只用一个词。"
    one = app._browse_rows(plan, app.ALL_PARTS, "火星基地")
    assert one.empty and "没有包含“火星基地”的措施" in one.attrs["note"]
    # within a part: it says where the word does occur
    in_part = app._browse_rows(plan, plan.part(7).label, "听证")
    assert in_part.empty and "在第七部分中，没有包含“听证”的措施" in in_part.attrs["note"]
    assert "其他部分有3项" in in_part.attrs["note"] and app.ALL_PARTS in in_part.attrs["note"]


@pytest.mark.parametrize("keyword", HOSTILE)
def test_the_note_shows_hostile_input_as_text(plan, keyword):
    note = app._browse_rows(plan, app.ALL_PARTS, keyword).attrs["note"]
    html = rendered(note)
    assert "<img" not in html and "<a " not in html and "<script" not in html and "<code" not in html
    assert "<strong" not in html and "](" not in note and "http://" not in note and "<" not in note
    # the words are still there to read once the character references are decoded
    text = re.sub(r"<[^>]+>", "", html)
    import html as html_lib
    for word in keyword.split():
        assert html_lib.unescape(word) in html_lib.unescape(text)


# ------------------------------------------------------------ the card
def test_card_marks_the_keywords(plan):
    card = app._browse_select(plan, 69, ["行政复议", "委员会"])
    assert card.startswith("### 第69项")
    assert "建立<mark>行政复议</mark><mark>委员会</mark>" in card
    assert "（二十一）发挥<mark>行政复议</mark>化解行政争议主渠道作用" in card
    # the card's own Markdown survives
    assert "\n> " in card and "- **牵头单位**：自治区司法厅" in card
    assert app._browse_select(plan, "第69项", []) == app._browse_select(plan, 69, ())
    table_click = SimpleNamespace(row_value=["第69项", "七", "", "", ""])
    assert app._browse_select(plan, table_click, ["委员会"]).count("<mark>委员会</mark>") == 1


def test_card_marking_escapes_what_it_marks(plan):
    card = app._browse_select(plan, 13, ["1+16"])          # 优化营商环境“1+16”政策文件
    assert "<mark>1&#43;16</mark>" in card and "1+16" not in card.replace("<mark>1&#43;16</mark>", "")


@pytest.mark.parametrize("keyword", HOSTILE)
def test_card_never_renders_hostile_keywords(plan, keyword):
    words = app._browse_rows(plan, app.ALL_PARTS, keyword).attrs["words"]
    card = app._browse_select(plan, 69, words + [keyword])
    assert card == app._browse_select(plan, 69, [])     # nothing of it occurs in the plan: nothing added
    html = rendered(card)
    assert "<img" not in html and "<a " not in html and "<script" not in html


def test_card_markup_words_do_not_break_the_card(plan):
    # words that are also the card's own Markdown ("**", "### ", "> ") are only marked inside its text
    card = app._browse_select(plan, 69, ["**", "#", ">", "所属部分"])
    assert card.startswith("### 第69项") and "**所属部分**" not in card
    assert "**<mark>所属部分</mark>**" in card and "<mark>&#42;&#42;</mark>" not in card


# ------------------------------------------------------------ part and section overviews
@pytest.fixture(scope="module")
def composer(plan):
    return DefaultComposer(plan, get_settings().prompts_dir)


def overview(composer, part=None, section=None, english=False):
    return composer.structure(Query("q", "q", Intent.STRUCTURE, part=part, section=section, english=english))


PLACE = re.compile(r"第[一二三四五六七八九十]+部分|（[一二三四五六七八九十]+）|出处|source:")
HEADING = re.compile(r"\*\*[^*]+\*\*")
DATE = re.compile(r"^- \*\*(20\d{2})年(?:(\d{1,2})月)?(底前|前|底)\*\*")


def lines_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def assert_grounded(plan, text: str) -> None:
    for line in lines_of(text):
        assert HEADING.fullmatch(line) or CITATION_RE.search(line) or PLACE.search(line), line
    problems = [c for c in FactChecker(plan).check_answer(text) if not c.ok]
    assert problems == []


def deadline_keys(text: str) -> list[tuple[int, int]]:
    keys = []
    for line in lines_of(text):
        match = DATE.match(line)
        if match:
            keys.append((int(match.group(1)), int(match.group(2) or 12)))
        elif line.startswith("- **每年**"):
            keys.append((9999, 12))
    return keys


@pytest.mark.parametrize("number", range(1, 11))
def test_part_overview(plan, composer, number):
    part = plan.part(number)
    text, numbers = overview(composer, part=number)
    measures = plan.measures_in_part(number)
    assert numbers == [m.number for m in measures]
    assert text.splitlines()[0].startswith(f"**{part.label}**（第{part.numeral}部分）")
    assert f"{len(measures)}项措施" in text.splitlines()[0] or not measures
    for sn in part.section_numbers:                        # every section listed, with its gist
        s = plan.section(sn)
        line = next(line for line in lines_of(text) if line.startswith(f"- **{s.label}**："))
        gist = line.split("：", 1)[1]
        if s.text:                                          # its own lead-in text
            assert s.text.startswith(gist.split("…")[0].split("（出处")[0])
        else:                                               # else the opening clause of its first measure
            first = plan.measure(s.measure_numbers[0])
            assert first.body.startswith(gist.split("【")[0])
            assert citations_in(line) == list(s.measure_numbers)
    dated = [(d.year, d.month or 12) for m in measures for d in m.deadlines if d.year is not None]
    keys = deadline_keys(text)
    assert keys == sorted(keys) and sorted(k for k in keys if k[0] != 9999) == sorted(dated)
    assert sum(1 for m in measures for d in m.deadlines) == len(keys)
    assert set(citations_in(text)) == set(numbers)
    assert_grounded(plan, text)


@pytest.mark.parametrize("number", range(1, 35))
def test_section_overview(plan, composer, number):
    s = plan.section(number)
    text, numbers = overview(composer, section=number)
    assert numbers == list(s.measure_numbers)
    assert text.startswith(f"**{s.label}**（属于{plan.part(s.part_number).label}）")
    for n in s.measure_numbers:                            # every measure with its opening words
        m = plan.measure(n)
        line = next(line for line in lines_of(text) if line.endswith(m.citation) and not line.startswith("- **"))
        assert m.body.startswith(line[2:-len(m.citation)].rstrip("…"))
    keys = deadline_keys(text)
    assert keys == sorted(keys)
    assert len(keys) == sum(len(plan.measure(n).deadlines) for n in s.measure_numbers)
    assert_grounded(plan, text)


def test_part_seven_overview_content(plan, composer):
    text, _ = overview(composer, part=7)
    assert "共4个小节、12项措施，其中5项写明了时限" in text
    keys = deadline_keys(text)
    assert keys == [(2022, 6), (2022, 12), (2022, 12), (2022, 12), (2023, 12)]
    assert "- **2022年6月前**：县级以上各级政府建立行政复议委员会【第69项】" in text
    leads = [line for line in lines_of(text) if line.startswith("- **自治区")]
    assert leads[0].startswith("- **自治区司法厅**任牵头单位8项：")
    for number in citations_in(leads[0].split("；")[0]):     # the lead role is true of every measure cited
        assert "自治区司法厅" in [u.name for u in plan.measure(number).units_with_role(Role.LEAD)]


def test_overviews_without_measures_or_deadlines(plan, composer):
    text, numbers = overview(composer, part=1)
    assert numbers == [] and "没有具体措施" in text and "（一）指导思想" in text and "（二）总体目标" in text
    assert "高举中国特色社会主义伟大旗帜" in text
    text, _ = overview(composer, part=3)
    assert "第三部分的措施都没有写明具体时限。" in text and "均未写明具体时限" in text
    text, numbers = overview(composer, section=2)
    assert numbers == [] and plan.document.overall_goals in text


@pytest.mark.parametrize("number", [1, 7, 10])
def test_english_overviews_are_grounded(plan, composer, number):
    text, _ = overview(composer, part=number, english=True)
    assert "(part " in text
    assert [c for c in FactChecker(plan).check_answer(text) if not c.ok] == []


@pytest.mark.parametrize("question, numbers, facts", [
    ("第七部分讲什么", list(range(63, 75)), ["健全社会矛盾纠纷行政预防调处化解体系", "（十九）加强行政调解工作", "2022年6月前"]),
    ("（二十一）讲什么", [68, 69, 70], ["发挥行政复议化解行政争议主渠道作用", "全面深化行政复议体制改革", "自治区司法厅"]),
])
def test_overview_questions(assistant, question, numbers, facts):
    answer = assistant.ask(question)
    assert answer.intent == "structure" and not answer.refused
    assert sorted(answer.citations) == numbers
    for fact in facts:
        assert fact in answer.answer
    assert_grounded(assistant.plan, answer.answer)
