"""Gradio web interface (Chinese UI): a thin layer over the assistant and its helper modules.

Tabs: 问答 (streaming chat with clickable citations and a measure card, feedback), 我的单位
(a unit's duty table and exports), 时间表 (deadlines by year and month), 浏览方案 (parts →
sections → measures) and 培训 (quiz and 讲解 handout). A named API endpoint ``/ask`` returns
the same JSON fields as ``python -m assistant ask --json``.
"""
# No `from __future__ import annotations` here: gr.api reads the endpoint's type hints at runtime.
import html
import re
from pathlib import Path

import gradio as gr
import pandas as pd

from . import duties, quiz, timeline
from .answer import CITATION_RE
from .feedback import FeedbackStore
from .feedback_view import admin_enabled, feedback_admin_panel

TITLE = "宁夏法治政府建设实施方案问答助手"
EXAMPLES = ("行政复议委员会什么时候建立", "审计厅要做什么", "2022年底前要完成哪些任务", "第七部分讲什么")
ALL_UNITS = "全部单位"
ALL_PARTS = "全部部分"
CARD_HINT = "点击回答中的【第N项】引用，或在上方列表中选择，即可在此查看措施全文、所属部分、责任单位和时限。"
THINKING = "_正在查找方案原文…_"
QUEUE_SIZE = 64
CONCURRENCY = 4          # answers computed at once (embedding + search are CPU bound)

CSS = """
#card, #browse-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 4px 12px;
                      min-height: 120px; }
#status { font-size: 0.85em; color: var(--body-text-color-subdued); }
.example-row button { font-size: 0.9em; }
"""

# Citation links ([【第69项】](#m69)) open the measure card: the click is caught before the
# browser follows the link, the number is put in a hidden textbox and a hidden button is pressed.
JS = """
() => {
  if (window.__nxCiteInstalled) return;
  window.__nxCiteInstalled = true;
  document.addEventListener("click", (event) => {
    const link = event.target.closest ? event.target.closest("a[href*='#m']") : null;
    if (!link) return;
    const match = (link.getAttribute("href") || "").match(/#m(\\d+)$/);
    if (!match) return;
    event.preventDefault();
    event.stopPropagation();
    const scope = link.closest("#browse-tree") ? "browse" : "cite";
    const box = document.querySelector(`#${scope}-target textarea, #${scope}-target input`);
    const button = document.querySelector(`#${scope}-open`);
    if (!box || !button) return;
    box.value = match[1];
    box.dispatchEvent(new Event("input", { bubbles: true }));
    setTimeout(() => button.click(), 60);
  }, true);
}
"""


# ------------------------------------------------------------ text helpers
def escape_user(text: str) -> str:
    """User text is shown as text: no tags survive."""
    return html.escape(text or "", quote=False)


def linkify(answer: str) -> str:
    """Answer Markdown for display: tags neutralized, citations turned into card links."""
    safe = (answer or "").replace("<", "&lt;")
    return CITATION_RE.sub(lambda m: f"[【第{m.group(1)}项】](#m{m.group(1)})", safe)


def _plain(markdown: str) -> str:
    """Generated Markdown shown without links (citations stay plain text)."""
    return (markdown or "").replace("<", "&lt;")


def parse_history(value) -> list[str]:
    """History from the API: a list of strings or a JSON string of one (a plain string is one
    earlier question); anything else is none. Validated by `assistant.inputs.clean_history`
    (only the last few usable turns, cleaned)."""
    from .inputs import clean_history
    return clean_history(value)[0]


def status_line(assistant) -> str:
    s = assistant.status
    how = "复用已有索引" if s.index_reused else f"本次新建，用时 {s.index_build_seconds:.1f} 秒"
    return (f"嵌入模型：{s.embedding_model} ｜ 回答方式：{s.composer} ｜ "
            f"索引：{s.index_count} 段，建于 {s.index_built_at}（{how}）")


def _constant(value):
    return lambda: value


def _number(value) -> int | None:
    match = re.search(r"\d+", str(value or ""))
    return int(match.group()) if match else None


def _export_dir(session: str | None = None) -> Path:
    """The export folder of one user session under the temporary directory (a fresh random
    folder without a session id); folders unused for a day are removed first."""
    from . import exports
    return exports.prepare(session)


# ------------------------------------------------------------ 问答
class Chat:
    """Chat handlers; `turns` holds one dict per answered question (Answer.to_dict())."""

    def __init__(self, assistant, store: FeedbackStore):
        self.assistant = assistant
        self.plan = assistant.plan
        self.store = store

    def respond(self, question, messages, history, turns):
        """Stream one answer: the question at once, partial texts as they come, then the final answer."""
        question = question if isinstance(question, str) else ""
        if not question.strip():
            yield (gr.skip(),) * 6
            return
        shown = list(messages or []) + [{"role": "user", "content": escape_user(question)}]

        def with_reply(text: str) -> list[dict]:
            return shown + [{"role": "assistant", "content": text}]

        yield with_reply(THINKING), "", gr.skip(), gr.skip(), gr.skip(), gr.skip()
        answer = None
        try:
            for item in self.assistant.stream(question, list(history or [])):
                if isinstance(item, str):
                    yield with_reply(linkify(item)), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
                else:
                    answer = item
        except Exception as exc:  # shown in the chat, never a traceback
            yield (with_reply(f"抱歉，回答时出错了：{escape_user(str(exc))}"), gr.skip(), gr.skip(), gr.skip(),
                   gr.skip(), gr.skip())
            return
        if answer is None:
            yield with_reply("抱歉，没有得到回答，请重试。"), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        record = answer.to_dict()
        yield (with_reply(linkify(record["answer"])), gr.skip(), list(history or []) + [question],
               list(turns or []) + [record], self._cited_update(record["citations"]),
               self._card_hint(record["citations"]))

    def _cited_update(self, citations: list[int]):
        choices = [(f"第{n}项　{duties.summary_of(self.plan.measure(n), 24)}", str(n))
                   for n in citations if self.plan.measure(n)]
        return gr.Dropdown(choices=choices, value=None, interactive=bool(choices))

    @staticmethod
    def _card_hint(citations: list[int]) -> str:
        if not citations:
            return "本轮回答没有引用具体措施。"
        return f"本轮回答引用了 {len(citations)} 项措施。{CARD_HINT}"

    def card(self, value) -> str:
        number = _number(value)
        return duties.measure_card(self.plan, number) if number else CARD_HINT

    @staticmethod
    def clear():
        return [], "", [], [], gr.Dropdown(choices=[], value=None), CARD_HINT, "", ""

    def feedback(self, rating: str, turns, comment: str, turn_index: int | None = None,
                 votes=None) -> tuple[str, str]:
        """Record a vote on one answer (the latest by default); returns (note in Chinese, comment box).

        A storage failure (full disk, unwritable folder) comes back as the note, never as an error.
        """
        from .feedback import record_vote
        note, box, _ = record_vote(self.store, turns, rating, comment, turn_index, votes)
        return note, box

    def like(self, turns, comment, votes, data: gr.LikeData):
        """The chatbot's own like/dislike on one answer: record, change or (clicked again) withdraw it."""
        from .feedback import record_vote, turn_for_message, withdraw_vote
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = turn_for_message(turns, index, data.value, render=linkify)
        if turn is None:
            return "只能评价已经完成的回答。", gr.skip(), gr.skip()
        if data.liked in (True, False):
            note, box, votes = record_vote(self.store, turns, "up" if data.liked else "down", comment, turn, votes)
        elif not data.liked:
            note, box, votes = withdraw_vote(self.store, turns, turn, votes)
        else:
            return gr.skip(), gr.skip(), gr.skip()
        return note, gr.skip() if box is None else box, votes


def _qa_tab(assistant, store: FeedbackStore) -> None:
    from .feedback import MAX_COMMENT_CHARS, attach_comment, new_votes
    chat = Chat(assistant, store)
    history, turns = gr.State([]), gr.State([])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(label="对话", height=520, elem_id="chatbot", sanitize_html=True, allow_tags=False,
                                 latex_delimiters=[], buttons=["copy"], feedback_options=("Like", "Dislike"),
                                 placeholder="请就《方案》提问，例如某项任务的时限、牵头单位或某一部分的内容。")
            with gr.Row():
                question = gr.Textbox(show_label=False, placeholder="输入问题，按回车发送", scale=5,
                                      elem_id="question", max_lines=4)
                send = gr.Button("发送", variant="primary", scale=1, elem_id="send")
                clear = gr.Button("清空", scale=1, elem_id="clear")
            gr.Markdown("**示例问题**")
            with gr.Row(elem_classes="example-row"):
                examples = [gr.Button(text, size="sm") for text in EXAMPLES]
            gr.Markdown("点每条回答下方的“赞”或“踩”图标评价该条回答（再点一次可撤回）；"
                        "意见可选，会附在您最近一次评价上。", elem_id="feedback-help")
            with gr.Row():
                comment = gr.Textbox(label="意见（可选）", placeholder="哪里有帮助，哪里需要改进？", elem_id="comment",
                                     max_length=MAX_COMMENT_CHARS, scale=5)
                send_comment = gr.Button("提交意见", scale=1, elem_id="comment-send")
            feedback_note = gr.Markdown(elem_id="feedback-note", latex_delimiters=[])
            votes = gr.State(new_votes())
        with gr.Column(scale=2):
            cited = gr.Dropdown(label="本轮回答引用的措施", choices=[], interactive=False, elem_id="cited")
            card = gr.Markdown(CARD_HINT, elem_id="card")
            target = gr.Textbox(visible="hidden", elem_id="cite-target")
            opener = gr.Button("打开", visible="hidden", elem_id="cite-open")

    outputs = [chatbot, question, history, turns, cited, card]
    run = dict(fn=chat.respond, inputs=[question, chatbot, history, turns], outputs=outputs,
               concurrency_id="qa", concurrency_limit=CONCURRENCY, api_visibility="undocumented")
    question.submit(**run)
    send.click(**run)
    for button, text in zip(examples, EXAMPLES):
        button.click(_constant(text), None, question, api_visibility="undocumented", queue=False).then(**run)
    clear.click(chat.clear, None, [chatbot, question, history, turns, cited, card, comment, feedback_note],
                api_visibility="undocumented", queue=False)
    opener.click(chat.card, target, card, api_visibility="undocumented", queue=False)
    cited.input(chat.card, cited, card, api_visibility="undocumented", queue=False)
    clear.click(new_votes, None, votes, api_visibility="undocumented", queue=False)

    def on_comment(current_votes, text, current_turns):
        return attach_comment(chat.store, current_votes, text, current_turns)
    send_comment.click(on_comment, [votes, comment, turns], [feedback_note, comment, votes],
                       api_visibility="undocumented")
    comment.submit(on_comment, [votes, comment, turns], [feedback_note, comment, votes],
                   api_visibility="undocumented")
    chatbot.like(chat.like, [turns, comment, votes], [feedback_note, comment, votes], api_visibility="undocumented")


# ------------------------------------------------------------ 我的单位
def _unit_view(plan, text):
    unit = duties.resolve_unit(text)
    if unit is None:
        if not (text or "").strip():
            return "请从列表中选择单位，或输入名称、常用简称（如 发改委、人社厅）。", duties.duty_frame([])
        note = f"没有找到名为“{escape_user(text or '')}”的单位。请从列表中选择，或输入常用简称（如 发改委、人社厅）。"
        return note, duties.duty_frame([])
    rows = duties.duty_rows(plan, unit)
    return duties.duty_summary(unit, rows), duties.duty_frame(rows)


def _unit_export(plan, text, fmt: str, session: str | None = None) -> gr.DownloadButton:
    """A download button holding the unit's duty list in `fmt` (written to the session's export
    folder), or a disabled one when `text` names no unit."""
    unit = duties.resolve_unit(text)
    if unit is None:
        return gr.DownloadButton(value=None, interactive=False)
    path = duties.export_duties(duties.duty_rows(plan, unit), unit, fmt, _export_dir(session))
    return gr.DownloadButton(value=str(path), interactive=True)


def _file(path) -> gr.File:
    return gr.File(value=str(path), visible=True)


def _unit_tab(plan) -> None:
    from . import exports
    exports.cleanup()                                   # start-up: folders left over from earlier runs
    gr.Markdown("选择或输入单位名称（支持简称，如“发改委”“审计厅”，输入时列表随之筛选），查看该单位在方案中的全部职责："
                "直接点名的措施在前，通过“自治区政府各部门”“各市县〔区〕”等集合性表述涉及的措施在后。"
                "下方按钮可直接下载 CSV / Excel / Markdown 格式的职责清单（含摘要和措施全文）。")
    session = gr.State(None)        # a random export folder id, made at this browser session's first export
    shown = gr.State(None)                              # the unit whose duties are on screen
    with gr.Row():
        pick = gr.Dropdown(choices=duties.unit_picker_choices(), value=None, allow_custom_value=True,
                           filterable=True, label="单位", elem_id="unit-pick", scale=4)
        show = gr.Button("查询职责", variant="primary", elem_id="unit-show", scale=1)
    summary = gr.Markdown(elem_id="unit-summary")
    table = gr.Dataframe(value=duties.duty_frame([]), interactive=False, wrap=True, max_height=480,
                         elem_id="unit-table", label="职责清单", column_widths=["9%", "21%", "12%", "36%", "22%"])
    with gr.Row():
        downloads = {fmt: gr.DownloadButton(label, value=None, interactive=False, elem_id=f"unit-download-{fmt}")
                     for fmt, label in (("csv", "下载 CSV"), ("xlsx", "下载 Excel"), ("md", "下载 Markdown"))}
    outputs = [summary, table, *downloads.values(), shown, session]

    def refresh(text, sid):
        """Table, summary and the three files for a chosen or typed unit."""
        sid = sid or exports.new_session_id()
        note, frame = _unit_view(plan, text)
        files = [_unit_export(plan, text, fmt, sid) for fmt in downloads]
        return note, frame, *files, duties.resolve_unit(text), sid

    def typed(sid, current, data: gr.KeyUpData):
        """While typing: show a unit as soon as the text names one (an alias needs no Enter)."""
        unit = duties.resolve_unit(data.input_value)
        if unit is None or unit == current:
            return (gr.skip(),) * len(outputs)
        return refresh(data.input_value, sid)

    view = dict(fn=refresh, inputs=[pick, session], outputs=outputs, api_visibility="undocumented",
                trigger_mode="always_last")
    show.click(**view)
    pick.change(**view)
    pick.key_up(typed, [session, shown], outputs, api_visibility="undocumented", trigger_mode="always_last",
                show_progress="hidden")


# ------------------------------------------------------------ 时间表
TIMELINE_WIDTHS = {False: ["7%", "6%", "12%", "7%", "7%", "41%", "20%"],
                   True: ["6%", "5%", "10%", "6%", "6%", "33%", "14%", "20%"]}
TIMELINE_INTRO = ("下图按年月显示方案中的具体时限，把鼠标移到柱上可查看到期的措施；选择单位后，"
                  "本单位被点名（牵头、参加、责任）的时限和通过“自治区政府各部门”等集合性表述涉及的时限分色显示。"
                  "“已过期/未到期”以今天的日期为准，时限按所写月份的月底计算；每年重复的要求单独列在表末，不计入过期。")


def _timeline_data(plan, text, status=timeline.STATUS_ALL, today=None):
    """(view, summary) for all deadlines or those of one unit, filtered by status on `today`
    (default: the server's date today)."""
    from datetime import date
    unit = duties.resolve_unit(text) if text and text != ALL_UNITS else None
    view = timeline.timeline_view(plan, unit, status, today or date.today())
    note = view.summary
    if text and text != ALL_UNITS and unit is None:
        note = f"没有找到名为“{escape_user(text)}”的单位，下面显示全部时限。\n\n" + note
    return view, note


def _timeline_plot(view, **kwargs) -> gr.BarPlot:
    return gr.BarPlot(value=view.plot_value(), **view.chart_config(), **kwargs)


def _timeline_view(plan, text, status=timeline.STATUS_ALL, today=None):
    view, note = _timeline_data(plan, text, status, today)
    with_unit = view.unit is not None
    table = gr.Dataframe(value=view.frame(), column_widths=TIMELINE_WIDTHS[with_unit], label=view.title)
    return _timeline_plot(view), note, table


def _timeline_tab(plan) -> None:
    view, note = _timeline_data(plan, ALL_UNITS)
    gr.Markdown(TIMELINE_INTRO)
    with gr.Row():
        pick = gr.Dropdown(choices=[ALL_UNITS, *duties.unit_choices()], value=ALL_UNITS, allow_custom_value=True,
                           filterable=True, label="按单位筛选", elem_id="timeline-unit", scale=3)
        status = gr.Radio(choices=list(timeline.STATUS_CHOICES), value=timeline.STATUS_ALL, label="到期情况",
                          elem_id="timeline-status", scale=2)
        apply = gr.Button("筛选", scale=1)
    summary = gr.Markdown(note, elem_id="timeline-summary")
    plot = _timeline_plot(view, label="时限分布（按年月）", show_label=False,
                          elem_id="timeline-plot")
    table = gr.Dataframe(value=view.frame(), column_widths=TIMELINE_WIDTHS[False], interactive=False, wrap=True,
                         max_height=480, label=view.title, elem_id="timeline-table")
    refresh = dict(fn=lambda t, s: _timeline_view(plan, t, s), inputs=[pick, status],
                   outputs=[plot, summary, table], api_visibility="undocumented")
    pick.change(**refresh)
    status.change(**refresh)
    apply.click(**refresh)
    # What has expired depends on the day: recompute when a page is opened, not only at start-up.
    root = gr.context.Context.root_block
    if root is not None:
        root.load(**refresh)


# ------------------------------------------------------------ 浏览方案
def _browse_rows(plan, part_label: str, keyword: str):
    keyword = (keyword or "").strip()
    rows = []
    for m in plan.measures:
        part = plan.part(m.part_number)
        if part_label and part_label != ALL_PARTS and part.label != part_label:
            continue
        if keyword and keyword not in m.text and keyword not in plan.section(m.section_number).title:
            continue
        rows.append([f"第{m.number}项", part.numeral, plan.section(m.section_number).label,
                     duties.summary_of(m, 50), duties.deadline_text(m) or "—"])
    return pd.DataFrame(rows, columns=["措施", "部分", "小节", "摘要", "时限"])


def _tree_markdown(plan) -> str:
    lines = []
    for part in plan.parts:
        lines.append(f"- **{part.label}**")
        for sn in part.section_numbers:
            section = plan.section(sn)
            links = " ".join(f"[第{n}项](#m{n})" for n in section.measure_numbers) or "（总体要求，无具体措施）"
            lines.append(f"    - {section.label}：{links}")
    return "\n".join(lines)


def _browse_select(plan, data: gr.SelectData) -> str:
    row = data.row_value or []
    number = _number(row[0]) if row else None
    return duties.measure_card(plan, number) if number else gr.skip()


def _browse_tab(plan) -> None:
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            with gr.Row():
                part = gr.Dropdown(choices=[ALL_PARTS, *(p.label for p in plan.parts)], value=ALL_PARTS,
                                   label="部分", scale=3)
                keyword = gr.Textbox(label="关键词", placeholder="如：行政复议、执法、听证", scale=2,
                                     elem_id="browse-keyword")
            table = gr.Dataframe(value=_browse_rows(plan, ALL_PARTS, ""), interactive=False, wrap=True,
                                 max_height=460, label="措施列表（点击一行查看全文）", elem_id="browse-table",
                                 column_widths=["10%", "7%", "24%", "43%", "16%"])
            with gr.Accordion("目录：部分 → 小节 → 措施（点击编号查看）", open=False):
                with gr.Column(elem_id="browse-tree"):
                    gr.Markdown(_tree_markdown(plan))
        with gr.Column(scale=2):
            card = gr.Markdown("在左侧选择一项措施，即可查看全文、责任单位和时限。", elem_id="browse-card")
            target = gr.Textbox(visible="hidden", elem_id="browse-target")
            opener = gr.Button("打开", visible="hidden", elem_id="browse-open")
    refresh = dict(fn=lambda p, k: _browse_rows(plan, p, k), inputs=[part, keyword], outputs=table,
                   api_visibility="undocumented")
    part.change(**refresh)
    keyword.change(**refresh)
    def on_select(data: gr.SelectData):
        return _browse_select(plan, data)

    table.select(on_select, None, card, api_visibility="undocumented")
    opener.click(lambda v: duties.measure_card(plan, _number(v) or 0), target, card,
                 api_visibility="undocumented", queue=False)


# ------------------------------------------------------------ 培训
def _quiz_generate(plan, n, seed=None, scope=quiz.WHOLE_PLAN):
    """A quiz for the scope; `seed` None draws a new paper number ("换一套题")."""
    seed = quiz.new_seed() if seed in (None, "") else int(seed)
    try:
        made = quiz.generate_quiz(plan, int(n or 5), seed, scope=scope or quiz.WHOLE_PLAN)
    except ValueError as exc:
        gr.Warning(str(exc))
        return (gr.skip(),) * (3 + quiz.MAX_QUESTIONS)
    radios = []
    for i in range(quiz.MAX_QUESTIONS):
        if i < len(made.questions):
            q = made.questions[i]
            radios.append(gr.Radio(choices=q.choices(), value=None, visible=True,
                                   label=f"{q.number}. （{quiz.KIND_NAMES[q.kind]}）{q.prompt}"))
        else:
            radios.append(gr.Radio(choices=[], value=None, visible=False))
    asked = int(n or 5)
    short = (f"该范围的措施较少，只能出 {len(made.questions)} 道题。"
             if len(made.questions) < min(max(asked, 1), quiz.MAX_QUESTIONS) else "")
    note = (f"已生成 {len(made.questions)} 道题（范围：{made.scope_label}；试卷编号 {made.seed}）。{short}"
            "选择答案后点击“交卷评分”；点击“换一套题”出一套新题。")
    return made, note, "", *radios


def _quiz_submit(made, *responses):
    if made is None:
        return "请先生成测验。"
    result = quiz.score_quiz(made, responses)
    return _plain(quiz.result_markdown(made, result))


def _quiz_export(made, fmt: str):
    if made is None:
        gr.Warning("请先生成测验。")
        return gr.skip()
    # the paper number in the file name, on the sheet and on the key: printed copies stay matched
    path = _export_dir() / f"法治政府建设方案测验_编号{made.seed}.{fmt}"
    text = quiz.quiz_markdown(made) if fmt == "md" else quiz.quiz_html(made)
    path.write_text(text, encoding="utf-8")
    return gr.File(value=str(path), visible=True)


def _handout_export(plan, value, fmt: str):
    if not value:
        return gr.skip()
    path = _export_dir() / f"讲解_{value.replace(':', '')}.{fmt}"
    text = quiz.handout_markdown(plan, value) if fmt == "md" else quiz.handout_html(plan, value)
    path.write_text(text, encoding="utf-8")
    return gr.File(value=str(path), visible=True)


def _quiz_panel(plan) -> None:
    made = gr.State(None)
    gr.Markdown("根据方案的时限、量化指标、牵头单位、原文语句和篇章结构自动出题，每题四个选项，"
                "可以只考一个部分、一个小节或一个单位的措施。“生成测验”按当前试卷编号出题，"
                "“换一套题”换一个新编号；导出的试卷和参考答案印有同一编号。")
    with gr.Row():
        scope = gr.Dropdown(choices=quiz.quiz_scope_choices(plan), value=quiz.WHOLE_PLAN, label="出题范围",
                            filterable=True, scale=4, elem_id="quiz-scope")
        count = gr.Number(value=5, minimum=1, maximum=quiz.MAX_QUESTIONS, precision=0, label="题数", scale=1,
                          elem_id="quiz-count")
    with gr.Row():
        generate = gr.Button("生成测验", variant="primary", elem_id="quiz-generate")
        reshuffle = gr.Button("换一套题", elem_id="quiz-reshuffle")
    note = gr.Markdown(elem_id="quiz-note")
    radios = [gr.Radio(choices=[], visible=False, elem_id=f"quiz-q{i + 1}") for i in range(quiz.MAX_QUESTIONS)]
    with gr.Row():
        submit = gr.Button("交卷评分", variant="primary", elem_id="quiz-submit")
        sheet_md = gr.Button("导出试卷（Markdown）")
        sheet_html = gr.Button("导出试卷（HTML，可打印）")
    sheet = gr.File(label="试卷下载", interactive=False, visible=False, elem_id="quiz-file")
    result = gr.Markdown(elem_id="quiz-result")
    outputs = [made, note, result, *radios]
    # the seed lives in the quiz itself: same paper number until "换一套题"
    generate.click(lambda n, s, q: _quiz_generate(plan, n, q.seed if q else None, s), [count, scope, made],
                   outputs, api_visibility="undocumented")
    reshuffle.click(lambda n, s: _quiz_generate(plan, n, None, s), [count, scope], outputs,
                    api_visibility="undocumented")
    submit.click(_quiz_submit, [made, *radios], result, api_visibility="undocumented")
    sheet_md.click(lambda q: _quiz_export(q, "md"), made, sheet, api_visibility="undocumented")
    sheet_html.click(lambda q: _quiz_export(q, "html"), made, sheet, api_visibility="undocumented")


def _handout_panel(plan) -> None:
    gr.Markdown("选择一个部分或小节，生成讲解材料：每项措施一行（首句要点和牵头单位）、按先后排列的时限、"
                "量化指标、牵头单位一览和讨论题（附参考答案）。HTML 版从浏览器打印：一个小节一页 A4，一个部分两页。")
    with gr.Row():
        scope = gr.Dropdown(choices=quiz.handout_choices(plan), value="part:7", label="部分或小节", scale=4,
                            elem_id="handout-scope")
        make = gr.Button("生成讲解", variant="primary", scale=1, elem_id="handout-make")
    with gr.Row():
        handout_md = gr.Button("导出讲解（Markdown）")
        handout_html = gr.Button("导出讲解（HTML，可打印）")
    handout_file = gr.File(label="讲解下载", interactive=False, visible=False, elem_id="handout-file")
    handout = gr.Markdown(elem_id="handout")
    make.click(lambda v: _plain(quiz.handout_markdown(plan, v)) if v else "", scope, handout,
               api_visibility="undocumented")
    handout_md.click(lambda v: _handout_export(plan, v, "md"), scope, handout_file, api_visibility="undocumented")
    handout_html.click(lambda v: _handout_export(plan, v, "html"), scope, handout_file,
                       api_visibility="undocumented")


def _training_tab(plan) -> None:
    with gr.Tabs():
        with gr.Tab("测验", id="quiz"):
            _quiz_panel(plan)
        with gr.Tab("讲解", id="handout"):
            _handout_panel(plan)


# ------------------------------------------------------------ app
def _api_endpoint(assistant):
    """The named endpoint `ask`. `history` is optional: a raw HTTP call may send only the
    question (`{"data": ["审计厅要做什么"]}`). The question and history are validated by
    `Assistant.ask` (`assistant.inputs`), so a history of the wrong type gets a notice."""
    import inspect
    import logging

    from .inputs import decode_history

    def ask(question: str, history: list[str] | str | None = None) -> dict:
        """Answer a question about the plan; returns the fields of `ask --json`."""
        try:
            return assistant.ask(question, decode_history(history)).to_dict()
        except Exception:  # a clear message, never a stack trace in the client
            logging.getLogger(__name__).exception("ask endpoint failed")
            return {"question": "", "answer": "处理问题时出错，请稍后重试。", "citations": [], "refused": False,
                    "latency_ms": 0.0, "intent": "invalid", "measures": [], "units": [], "duties": None,
                    "composer": "default", "coverage": "none", "notice": "", "error": "internal"}

    # Gradio rejects a call with fewer values than parameters, although trailing parameters
    # have defaults; when this endpoint is being added to an app, that app fills them in.
    context = gr.context.get_blocks_context()
    blocks = getattr(context, "root_block", None)
    if blocks is not None and hasattr(blocks, "validate_inputs"):
        defaults = [None if p.default is p.empty else p.default for p in inspect.signature(ask).parameters.values()]
        validate = blocks.validate_inputs

        def validate_with_defaults(block_fn, inputs):
            if getattr(block_fn, "fn", None) is ask and isinstance(inputs, list):
                inputs.extend(defaults[len(inputs):len(block_fn.inputs)])
            return validate(block_fn, inputs)
        blocks.validate_inputs = validate_with_defaults
    return ask


def build_app(assistant) -> gr.Blocks:
    plan = assistant.plan
    store = FeedbackStore(assistant.settings.data_dir)
    # Gradio's own copies of served files (exports) are removed after a day
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(3600, 86400)) as demo:
        gr.Markdown(f"## {plan.document.title}　问答助手\n"
                    "所有回答都引用方案原文【第N项】；方案未涉及的问题会如实说明。")
        gr.Markdown(status_line(assistant), elem_id="status")
        with gr.Tabs():
            with gr.Tab("问答", id="qa"):
                _qa_tab(assistant, store)
            with gr.Tab("我的单位", id="unit"):
                _unit_tab(plan)
            with gr.Tab("时间表", id="timeline"):
                _timeline_tab(plan)
            with gr.Tab("浏览方案", id="browse"):
                _browse_tab(plan)
            with gr.Tab("培训", id="training"):
                _training_tab(plan)
            if admin_enabled(assistant.settings):
                with gr.Tab("反馈管理", id="admin"):
                    feedback_admin_panel(store, assistant.settings)
        gr.api(_api_endpoint(assistant), api_name="ask", concurrency_id="qa", concurrency_limit=CONCURRENCY)
    return demo


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, block: bool = True, assistant=None,
           **kwargs):
    """Queue with deliberate limits, then serve; `block=False` returns at once (tests).

    With `assistant`, the HTTP APIs of ``http_api`` (OpenAI-compatible ``/v1/…`` and REST
    ``/api/…``) are served by the same server on the same port: a FastAPI app with those routes,
    the Gradio app mounted on it at "/" (``gr.mount_gradio_app``), run by uvicorn. `block=False`
    then returns the running ``http_api.Serving`` (``close()`` stops it)."""
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    if assistant is None:
        return demo.launch(server_name=host, server_port=port, prevent_thread_lock=not block, css=CSS, js=JS,
                           show_error=False, footer_links=["api"], **kwargs)
    from . import http_api
    quiet = kwargs.pop("quiet", False)
    app = gr.mount_gradio_app(http_api.create_app(assistant), demo, "/", server_name=host, server_port=port,
                              css=CSS, js=JS, show_error=False, footer_links=["api"], **kwargs)
    serving = http_api.Serving(app, host, port)
    if not quiet:
        print(f"* 网页界面：{serving.url}　OpenAI 兼容接口：{serving.url}/v1　REST 接口：{serving.url}/api/…",
              flush=True)
    if block:
        serving.run()
        return serving
    return serving.start()


def serve(host: str = "127.0.0.1", port: int = 7860) -> None:
    from .service import Assistant
    print("正在加载方案、嵌入模型和向量索引（首次运行需要建立索引，约需一分钟）…", flush=True)
    assistant = Assistant(progress=True)
    print(status_line(assistant), flush=True)
    print(f"正在启动网页界面和接口：http://{host}:{port}", flush=True)
    launch(build_app(assistant), host, port, assistant=assistant)


__all__ = ["build_app", "launch", "serve", "linkify", "escape_user", "parse_history", "status_line"]
