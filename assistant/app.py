"""Gradio web interface (Chinese UI): a thin layer over the assistant and its helper modules.

Tabs: 问答 (streaming chat with clickable citations and a measure card, feedback), 我的单位
(a unit's duty table and exports), 时间表 (deadlines by year and month), 浏览方案 (parts →
sections → measures) and 培训 (quiz and 讲解 handout). A named API endpoint ``/ask`` returns
the same JSON fields as ``python -m assistant ask --json``.
"""
# No `from __future__ import annotations` here: gr.api reads the endpoint's type hints at runtime.
import html
import json
import re
import tempfile
import uuid
from pathlib import Path

import gradio as gr
import pandas as pd

from . import duties, quiz, timeline
from .answer import CITATION_RE
from .feedback import FeedbackStore

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
    """History from the API: a list of strings or a JSON string of one; anything else is none."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError:
            value = [value]
    if not isinstance(value, list):
        return []
    return [str(item) for item in value if isinstance(item, str) and item.strip()]


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


def _export_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / "ningxia-assistant-exports" / uuid.uuid4().hex[:12]
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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

    def feedback(self, rating: str, turns, comment: str, turn_index: int | None = None) -> tuple[str, str]:
        turns = list(turns or [])
        if not turns:
            return "请先提问，再评价回答。", comment
        record = turns[-1 if turn_index is None else turn_index]
        self.store.add(rating, record["question"], record["answer"], record["citations"],
                       comment=comment or "", composer=record.get("composer", ""))
        mark = "有帮助" if rating == "up" else "没帮助"
        return f"已记录您的反馈（{mark}），谢谢！", ""

    def like(self, turns, comment, data: gr.LikeData):
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = int(index) // 2
        if data.liked not in (True, False) or turn >= len(turns or []):
            return gr.skip(), gr.skip()
        return self.feedback("up" if data.liked else "down", turns, comment, turn)


def _qa_tab(assistant, store: FeedbackStore) -> None:
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
            with gr.Accordion("评价最近一条回答", open=True):
                comment = gr.Textbox(label="意见（可选）", placeholder="哪里有帮助，哪里需要改进？", elem_id="comment")
                with gr.Row():
                    up = gr.Button("有帮助", elem_id="thumb-up")
                    down = gr.Button("没帮助", elem_id="thumb-down")
                feedback_note = gr.Markdown(elem_id="feedback-note")
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
    up.click(lambda t, c: chat.feedback("up", t, c), [turns, comment], [feedback_note, comment],
             api_visibility="undocumented")
    down.click(lambda t, c: chat.feedback("down", t, c), [turns, comment], [feedback_note, comment],
               api_visibility="undocumented")
    chatbot.like(chat.like, [turns, comment], [feedback_note, comment], api_visibility="undocumented")


# ------------------------------------------------------------ 我的单位
def _unit_view(plan, text):
    unit = duties.resolve_unit(text)
    if unit is None:
        note = f"没有找到名为“{escape_user(text or '')}”的单位。请从列表中选择，或输入常用简称（如 发改委、人社厅）。"
        return note, duties.duty_frame([])
    rows = duties.duty_rows(plan, unit)
    return duties.duty_summary(unit, rows), duties.duty_frame(rows)


def _unit_export(plan, text, fmt: str):
    unit = duties.resolve_unit(text)
    if unit is None:
        gr.Warning("请先选择一个单位。")
        return gr.skip()
    return _file(duties.export_duties(duties.duty_rows(plan, unit), unit, fmt, _export_dir()))


def _file(path) -> gr.File:
    return gr.File(value=str(path), visible=True)


def _unit_tab(plan) -> None:
    gr.Markdown("选择或输入单位名称（支持简称，如“发改委”“审计厅”），查看该单位在方案中的全部职责："
                "直接点名的措施在前，通过“自治区政府各部门”“各市县〔区〕”等集合性表述涉及的措施在后。")
    with gr.Row():
        pick = gr.Dropdown(choices=duties.unit_choices(), value=None, allow_custom_value=True, filterable=True,
                           label="单位", elem_id="unit-pick", scale=4)
        show = gr.Button("查询职责", variant="primary", elem_id="unit-show", scale=1)
    summary = gr.Markdown(elem_id="unit-summary")
    table = gr.Dataframe(value=duties.duty_frame([]), interactive=False, wrap=True, max_height=480,
                         elem_id="unit-table", label="职责清单", column_widths=["9%", "21%", "12%", "36%", "22%"])
    with gr.Row():
        buttons = {fmt: gr.Button(label) for fmt, label in
                   (("csv", "导出 CSV"), ("xlsx", "导出 Excel"), ("md", "导出 Markdown"))}
    download = gr.File(label="下载文件", interactive=False, visible=False, elem_id="unit-file")
    view = dict(fn=lambda t: _unit_view(plan, t), inputs=pick, outputs=[summary, table],
                api_visibility="undocumented")
    show.click(**view)
    pick.change(**view)
    for fmt, button in buttons.items():
        button.click(lambda t, f=fmt: _unit_export(plan, t, f), pick, download, api_visibility="undocumented")


# ------------------------------------------------------------ 时间表
TIMELINE_WIDTHS = {False: ["8%", "6%", "14%", "8%", "44%", "20%"],
                   True: ["7%", "5%", "12%", "7%", "37%", "14%", "18%"]}


def _timeline_data(plan, text):
    """(rows, unit, summary) for all deadlines or those of one unit."""
    unit = duties.resolve_unit(text) if text and text != ALL_UNITS else None
    rows = timeline.timeline_rows(plan, unit)
    dated = [r for r in rows if r.dated]
    annual = [r for r in rows if not r.dated]
    who = f"**{unit}**涉及的措施中，" if unit else "方案中"
    note = (f"{who}共有 {len(dated)} 个具体时限（{len({r.measure for r in dated})} 项措施），"
            f"另有 {len(annual)} 项每年重复的要求。")
    if text and text != ALL_UNITS and unit is None:
        note = f"没有找到名为“{escape_user(text)}”的单位，下面显示全部时限。" + note
    return rows, unit, note


def _timeline_view(plan, text):
    rows, unit, note = _timeline_data(plan, text)
    with_unit = unit is not None
    table = gr.Dataframe(value=timeline.timeline_frame(rows, with_involvement=with_unit),
                         column_widths=TIMELINE_WIDTHS[with_unit])
    return timeline.timeline_figure(rows), note, table


def _timeline_tab(plan) -> None:
    rows, _, note = _timeline_data(plan, ALL_UNITS)
    with gr.Row():
        pick = gr.Dropdown(choices=[ALL_UNITS, *duties.unit_choices()], value=ALL_UNITS, allow_custom_value=True,
                           filterable=True, label="按单位筛选", elem_id="timeline-unit", scale=4)
        apply = gr.Button("筛选", scale=1)
    summary = gr.Markdown(note, elem_id="timeline-summary")
    plot = gr.Plot(value=timeline.timeline_figure(rows), label="时限分布（按年月，柱上为到期的措施编号）",
                   elem_id="timeline-plot")
    table = gr.Dataframe(value=timeline.timeline_frame(rows), column_widths=TIMELINE_WIDTHS[False],
                         interactive=False, wrap=True, max_height=480, label="全部时限", elem_id="timeline-table")
    view = dict(fn=lambda t: _timeline_view(plan, t), inputs=pick, outputs=[plot, summary, table],
                api_visibility="undocumented")
    pick.change(**view)
    apply.click(**view)


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
def _quiz_generate(plan, n, seed):
    made = quiz.generate_quiz(plan, int(n or 5), int(seed or 0))
    radios = []
    for i in range(quiz.MAX_QUESTIONS):
        if i < len(made.questions):
            q = made.questions[i]
            radios.append(gr.Radio(choices=q.choices(), value=None, visible=True,
                                   label=f"{q.number}. （{quiz.KIND_NAMES[q.kind]}）{q.prompt}"))
        else:
            radios.append(gr.Radio(choices=[], value=None, visible=False))
    note = f"已生成 {len(made.questions)} 道题（随机种子 {made.seed}）。选择答案后点击“交卷评分”。"
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
    path = _export_dir() / f"法治政府建设方案测验_种子{made.seed}.{fmt}"
    text = quiz.quiz_markdown(made) if fmt == "md" else quiz.quiz_html(made)
    path.write_text(text, encoding="utf-8")
    return _file(path)


def _handout_export(plan, value, fmt: str):
    if not value:
        return gr.skip()
    path = _export_dir() / f"讲解_{value.replace(':', '')}.{fmt}"
    text = quiz.handout_markdown(plan, value) if fmt == "md" else quiz.handout_html(plan, value)
    path.write_text(text, encoding="utf-8")
    return _file(path)


def _quiz_panel(plan) -> None:
    made = gr.State(None)
    gr.Markdown("根据方案的时限、量化指标、牵头单位和篇章结构自动出题，每题四个选项；同一随机种子出同一套题。")
    with gr.Row():
        count = gr.Number(value=5, minimum=1, maximum=quiz.MAX_QUESTIONS, precision=0, label="题数",
                          elem_id="quiz-count")
        seed = gr.Number(value=2025, precision=0, label="随机种子", elem_id="quiz-seed")
        generate = gr.Button("生成测验", variant="primary", elem_id="quiz-generate")
    note = gr.Markdown(elem_id="quiz-note")
    radios = [gr.Radio(choices=[], visible=False, elem_id=f"quiz-q{i + 1}") for i in range(quiz.MAX_QUESTIONS)]
    with gr.Row():
        submit = gr.Button("交卷评分", variant="primary", elem_id="quiz-submit")
        sheet_md = gr.Button("导出试卷（Markdown）")
        sheet_html = gr.Button("导出试卷（HTML，可打印）")
    sheet = gr.File(label="试卷下载", interactive=False, visible=False, elem_id="quiz-file")
    result = gr.Markdown(elem_id="quiz-result")
    generate.click(lambda n, s: _quiz_generate(plan, n, s), [count, seed], [made, note, result, *radios],
                   api_visibility="undocumented")
    submit.click(_quiz_submit, [made, *radios], result, api_visibility="undocumented")
    sheet_md.click(lambda q: _quiz_export(q, "md"), made, sheet, api_visibility="undocumented")
    sheet_html.click(lambda q: _quiz_export(q, "html"), made, sheet, api_visibility="undocumented")


def _handout_panel(plan) -> None:
    gr.Markdown("选择一个部分或小节，生成一页讲解材料：措施原文、责任单位和时限。")
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
    def ask(question: str, history: list[str] | str | None = None) -> dict:
        """Answer a question about the plan; returns the fields of `ask --json`."""
        return assistant.ask(question, parse_history(history)).to_dict()
    return ask


def build_app(assistant) -> gr.Blocks:
    plan = assistant.plan
    store = FeedbackStore(assistant.settings.data_dir)
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
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
        gr.api(_api_endpoint(assistant), api_name="ask", concurrency_id="qa", concurrency_limit=CONCURRENCY)
    return demo


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, block: bool = True, **kwargs):
    """Queue with deliberate limits, then serve; `block=False` returns at once (tests)."""
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    return demo.launch(server_name=host, server_port=port, prevent_thread_lock=not block, css=CSS, js=JS,
                       show_error=False, footer_links=["api"], **kwargs)


def serve(host: str = "127.0.0.1", port: int = 7860) -> None:
    from .service import Assistant
    print("正在加载方案、嵌入模型和向量索引（首次运行需要建立索引，约需一分钟）…", flush=True)
    assistant = Assistant(progress=True)
    print(status_line(assistant), flush=True)
    print(f"正在启动网页界面：http://{host}:{port}", flush=True)
    launch(build_app(assistant), host, port)


__all__ = ["build_app", "launch", "serve", "linkify", "escape_user", "parse_history", "status_line"]
