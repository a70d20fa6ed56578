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

from . import chat_view, duties, quiz, timeline
from .answer import CITATION_RE
from .feedback import FeedbackStore
from .feedback_view import admin_enabled, feedback_admin_panel
from .service import status_line

TITLE = "宁夏法治政府建设实施方案问答助手"
EXAMPLES = ("行政复议委员会什么时候建立", "审计厅要做什么", "2022年底前要完成哪些任务", "第七部分讲什么")
ALL_UNITS = "全部单位"
ALL_PARTS = "全部部分"
CARD_HINT = "点击回答中的【第N项】引用，或在上方列表中选择，即可在此查看措施全文、所属部分、责任单位和时限。"
THINKING = "_正在查找方案原文…_"
QUEUE_SIZE = 64
CONCURRENCY = 4          # answers computed at once (embedding + search are CPU bound)

# The browser keeps the conversations and the projector choice (gr.BrowserState). Its
# encryption runs in the browser with a key sent to it, so the key protects nothing on the
# server; a fixed one keeps what was stored readable after a server restart.
CONVERSATIONS_KEY = "nx-conversations-v1"
PROJECTOR_KEY = "nx-projector"
BROWSER_STATE_SECRET = "ningxia-plan-assistant-browser-state"

CSS = """
#card, #browse-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 4px 12px;
                      min-height: 120px; }
.example-row button { font-size: 0.9em; }

/* status: one short line on wide screens, a collapsed "系统状态" on phones */
#status { font-size: 0.85em; color: var(--body-text-color-subdued); }
#status .nx-status-narrow { display: none; }
#status summary { cursor: pointer; }
#header-row { align-items: center; gap: 8px; }
#projector { flex-grow: 0 !important; min-width: 120px !important; }

/* chat: citations never break across lines; compact duty tables; folded designation groups */
#chatbot a[href^='#m'] { white-space: nowrap; }
#chatbot table { font-size: 0.92em; margin: 6px 0; }
#chatbot th, #chatbot td { padding: 3px 6px; vertical-align: top; }
#chatbot th, #chatbot td:nth-child(1), #chatbot td:nth-child(2) { white-space: nowrap; }
#chatbot details.nx-group { margin: 6px 0; border: 1px solid var(--border-color-primary); border-radius: 6px;
                            padding: 2px 10px; }
#chatbot details.nx-group > summary { cursor: pointer; font-weight: 600; padding: 4px 0; }
#chat-toolbar { align-items: stretch; gap: 8px; }
#chat-actions { gap: 6px; justify-content: center; }

/* sticky elements need a container that clips without scrolling (Gradio's hides overflow) */
gradio-app .gradio-container { overflow: clip !important; }
/* the measure card: beside the chat and always in view on wide screens ... */
#card-close { display: none !important; }
@media (min-width: 769px) {
  #card-panel { position: sticky; top: 8px; align-self: flex-start; }
  #card-sheet { max-height: calc(100vh - 130px); overflow-y: auto; }
}
/* ... a sheet over the page on phones, opened by a citation and closed with 关闭 */
@media (max-width: 768px) {
  #status .nx-status-wide { display: none; }
  #status .nx-status-narrow { display: block; }
  #title h2 { font-size: 1.05em; line-height: 1.4; margin-bottom: 2px; }
  #title p { font-size: 0.85em; }
  #chatbot { height: 46vh !important; }
  #chatbot .message-row.bot-row { max-width: 100% !important; margin-left: 2px !important;
                                  margin-right: 2px !important; }
  #chatbot table { font-size: 0.84em; padding: 0 !important; }
  #chatbot th, #chatbot td { padding: 2px 4px; }
  #card-sheet { display: none !important; }
  #card-sheet.nx-open { display: flex !important; position: fixed; left: 0; right: 0; bottom: 0;
      max-height: 78vh; overflow-y: auto; z-index: 1001; padding: 10px 12px 16px;
      background: var(--background-fill-primary); border-radius: 14px 14px 0 0;
      box-shadow: 0 -8px 28px rgba(0, 0, 0, 0.28); }
  #card-sheet.nx-open #card-close { display: inline-flex !important; align-self: flex-end; flex-grow: 0;
      min-width: 72px; }
}
/* (Gradio scopes rules inside @media to the app's container: state classes sit on elements in it) */
#nx-backdrop { display: none; position: fixed; inset: 0; z-index: 1000; background: rgba(0, 0, 0, 0.35); }
#nx-backdrop.show { display: block; }

/* projector mode: larger type everywhere, the question box always visible */
body.nx-projector gradio-app, body.nx-projector .gradio-container {
  --text-xxs: 12px; --text-xs: 14px; --text-sm: 17px; --text-md: 20px; --text-lg: 23px; --text-xl: 28px;
  --text-xxl: 34px; --block-label-text-size: 16px; --block-info-text-size: 16px; --input-text-size: 20px;
  --button-large-text-size: 20px; --button-small-text-size: 17px; --block-title-text-size: 18px; }
body.nx-projector #chatbot .message, body.nx-projector #chatbot .prose,
body.nx-projector #chatbot .message-content { font-size: 22px !important; line-height: 1.6; }
body.nx-projector #card { font-size: 20px; }
body.nx-projector [role='tab'] { font-size: 18px; }
body.nx-projector #question-row { position: sticky; bottom: 0; z-index: 50; padding: 8px 0;
  background: var(--body-background-fill); box-shadow: 0 -6px 14px rgba(0, 0, 0, 0.10); }

/* lost connection: a Chinese banner (Gradio's own messages are translated by JS) */
#nx-offline { display: none; position: fixed; top: 0; left: 0; right: 0; z-index: 2000; padding: 8px 12px;
              text-align: center; background: #b91c1c; color: #fff; font-size: 15px; }
#nx-offline.show { display: block; }
"""

# Browser-side behaviour (Gradio runs this once when the page loads):
# - citation links ([【第69项】](#m69)) open the measure card: the click is caught before the
#   browser follows the link, the number is put in a hidden textbox and a hidden button is
#   pressed; once the card shows that measure it is brought into view (scrolled to on wide
#   screens, opened as a sheet on phones). Choosing a measure in the cited list does the same.
# - the chat does not follow a long answer to its end (Chatbot autoscroll=False): each new
#   question is scrolled to the top of the chat, so the start of its answer is in view.
# - Gradio's English connection messages are shown in Chinese; going offline shows a banner.
JS = r"""
() => {
  if (window.__nxInstalled) return;
  window.__nxInstalled = true;
  const body = document.body;
  const phone = () => window.matchMedia("(max-width: 768px)").matches;

  // ------------------------------------------------ the measure card
  let pending = null;
  const backdrop = document.createElement("div");
  backdrop.id = "nx-backdrop";
  body.appendChild(backdrop);
  const closeCard = () => {
    const sheet = document.querySelector("#card-sheet");
    if (sheet) sheet.classList.remove("nx-open");
    backdrop.classList.remove("show");
  };
  const revealCard = () => {
    const card = document.querySelector("#card");
    const sheet = document.querySelector("#card-sheet") || card;
    if (!card) return;
    if (phone()) {
      sheet.classList.add("nx-open");
      backdrop.classList.add("show");
      sheet.scrollTop = 0;
      return;
    }
    sheet.scrollTop = 0;
    const box = card.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) {
      card.scrollIntoView({ block: box.height > window.innerHeight ? "start" : "nearest", behavior: "smooth" });
    }
  };
  const whenCardShows = (number) => {
    pending = number;
    const started = Date.now();
    const check = () => {
      if (pending !== number) return;
      const heading = document.querySelector("#card h3");
      if ((heading && heading.innerText.includes(`第${number}项`)) || Date.now() - started > 4000) {
        pending = null;
        requestAnimationFrame(revealCard);
        return;
      }
      setTimeout(check, 50);
    };
    check();
  };

  document.addEventListener("click", (event) => {
    const target = event.target;
    if (!target.closest) return;
    if (target.closest("#card-close") || target === backdrop || target.closest("[role='tab']")) {
      closeCard();
    }
    const link = target.closest("a[href*='#m']");
    if (!link) return;
    const match = (link.getAttribute("href") || "").match(/#m(\d+)$/);
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
    if (scope === "cite") whenCardShows(match[1]);
  }, true);
  // a measure chosen in the list of cited measures
  document.addEventListener("mousedown", (event) => {
    const option = event.target.closest ? event.target.closest("#cited li, #cited [role='option']") : null;
    const match = option ? (option.innerText || "").match(/第(\d+)项/) : null;
    if (match) whenCardShows(match[1]);
  }, true);
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") closeCard(); });

  // ------------------------------------------------ the chat: show the start of each new answer
  // A new question is scrolled to the top of the chat (and the page, when the chat is out of
  // view); while its answer grows it is kept there, until the user scrolls the chat.
  let questions = 0;
  let following = 0;          // keep the newest question at the top until this time
  const scroller = (element) => {
    for (let node = element.parentElement; node && node !== body; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (/(auto|scroll)/.test(style.overflowY) && node.scrollHeight > node.clientHeight + 2) return node;
    }
    return null;
  };
  const showTop = (message, page) => {
    const box = scroller(message);
    if (box) {
      const offset = message.getBoundingClientRect().top - box.getBoundingClientRect().top;
      if (Math.abs(offset - 8) > 2) box.scrollTop += offset - 8;
    }
    if (!page) return;
    const top = message.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight - 200) window.scrollBy(0, top - 72);
  };
  const followChat = () => {
    const chat = document.querySelector("#chatbot");
    if (!chat) return;
    const asked = chat.querySelectorAll("[data-testid='user']");
    const fresh = asked.length > questions;
    questions = asked.length;
    if (fresh) following = Date.now() + 8000;
    if (!asked.length || Date.now() > following) return;
    const last = asked[asked.length - 1];
    requestAnimationFrame(() => showTop(last, fresh));
  };
  const stopFollowing = (event) => {
    if (event.target.closest && event.target.closest("#chatbot")) following = 0;
  };
  ["wheel", "touchstart", "keydown"].forEach((kind) => document.addEventListener(kind, stopFollowing, true));

  // ------------------------------------------------ Chinese connection messages
  const ZH = [
    [/Connection to the server was lost\.?\s*Attempting reconnection\.*/gi, "连接已断开，正在重新连接…"],
    [/Lost connection due to leaving page\.?\s*Rejoining queue\.*/gi, "页面曾离开，正在重新排队…"],
    [/Connection errored out\.?/gi, "连接出错，请检查网络后重试。"],
    [/This application is currently busy\.?\s*Please try again\.?/gi, "系统繁忙，请稍后重试。"],
    [/There is a long queue of requests pending\.?.*/gi, "排队的请求较多，请稍候。"],
    [/Could not resolve app config\.?/gi, "无法连接到服务器，请稍后刷新页面。"],
    [/^\s*Connection Lost\s*$/gi, "连接已断开"],
    [/^\s*Error\s*$/gi, "出错了"],
    [/^\s*Warning\s*$/gi, "提示"],
  ];
  const translate = () => {
    document.querySelectorAll("[data-testid='toast-body'], .toast-body").forEach((toast) => {
      const walker = document.createTreeWalker(toast, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        let text = node.nodeValue;
        for (const [pattern, chinese] of ZH) text = text.replace(pattern, chinese);
        if (text !== node.nodeValue) node.nodeValue = text;
      }
    });
  };
  const banner = document.createElement("div");
  banner.id = "nx-offline";
  banner.setAttribute("role", "status");
  banner.textContent = "网络连接已断开，恢复后会自动重新连接…";
  body.appendChild(banner);
  window.addEventListener("offline", () => banner.classList.add("show"));
  window.addEventListener("online", () => banner.classList.remove("show"));

  let scheduled = false;
  new MutationObserver(() => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => { scheduled = false; followChat(); translate(); });
  }).observe(body, { childList: true, subtree: true, characterData: true });
  followChat();
}
"""

# Projector mode (a checkbox in the header) switches a class on the page; the choice is kept.
PROJECTOR_JS = "(on) => { document.body.classList.toggle('nx-projector', !!on); return !!on; }"


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


def _status_html(assistant) -> str:
    """The status line: one short line on wide screens, a collapsed "系统状态" on phones (CSS)."""
    line = html.escape(status_line(assistant))
    return (f'<div class="nx-status-wide">系统状态：{line}</div>'
            f'<details class="nx-status-narrow"><summary>系统状态</summary><div>{line}</div></details>')


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
    """Chat handlers. `turns` holds one dict per answered question (Answer.to_dict(), or its slim
    copy from the browser); `saved` is the conversation store kept in the browser
    (``chat_view``) and `current` the id of the conversation on screen (None: a new one)."""

    def __init__(self, assistant, store: FeedbackStore):
        self.assistant = assistant
        self.plan = assistant.plan
        self.store = store

    render = staticmethod(chat_view.render_answer)

    def respond(self, question, messages, history, turns):
        """Stream one answer: the question at once, partial texts as they come, then the final answer.

        Outputs: chatbot, question box, history, turns, cited list, card."""
        question = question if isinstance(question, str) else ""
        if not question.strip():
            yield (gr.skip(),) * 6
            return
        shown = list(messages or []) + [{"role": "user", "content": escape_user(question)}]
        rest = (gr.skip(),) * 4

        def with_reply(text: str) -> list[dict]:
            return shown + [{"role": "assistant", "content": text}]

        yield (with_reply(THINKING), "", *rest)
        answer = None
        try:
            for item in self.assistant.stream(question, list(history or [])):
                if isinstance(item, str):
                    yield (with_reply(self.render(item)), gr.skip(), *rest)
                else:
                    answer = item
        except Exception as exc:  # shown in the chat, never a traceback
            yield (with_reply(f"抱歉，回答时出错了：{escape_user(str(exc))}"), gr.skip(), *rest)
            return
        if answer is None:
            yield (with_reply("抱歉，没有得到回答，请重试。"), gr.skip(), *rest)
            return
        record = answer.to_dict()
        yield (with_reply(self.render(record["answer"])), gr.skip(), list(history or []) + [question],
               list(turns or []) + [record], self._cited_update(record["citations"]),
               self._card_hint(record["citations"]))

    def converse(self, question, messages, history, turns, saved, current):
        """`respond`, and the answered turn kept in the browser's conversation list.

        Outputs: those of `respond`, then saved, past list, current."""
        for step in self.respond(question, messages, history, turns):
            answered = step[3]
            if isinstance(answered, list) and answered:
                kept, current = chat_view.add_turn(saved, current, answered[-1])
                yield (*step, kept, self._past_update(kept), current)
            else:
                yield (*step, gr.skip(), gr.skip(), gr.skip())

    def _cited_update(self, citations: list[int]):
        choices = [(f"第{n}项　{duties.summary_of(self.plan.measure(n), 24)}", str(n))
                   for n in citations if self.plan.measure(n)]
        label = f"本轮回答引用的措施（{len(choices)}项）" if choices else "本轮回答引用的措施"
        info = "点开列表选择一项，即可查看全文" if choices else None
        return gr.Dropdown(choices=choices, value=None, interactive=bool(choices), label=label, info=info)

    @staticmethod
    def _card_hint(citations: list[int]) -> str:
        if not citations:
            return "本轮回答没有引用具体措施。"
        return f"本轮回答引用了 {len(citations)} 项措施。{CARD_HINT}"

    @staticmethod
    def _past_update(kept: dict):
        options = chat_view.choices(kept)
        return gr.Dropdown(choices=options, value=kept.get("current"), interactive=bool(options),
                           label=f"历史对话（{len(options)}）" if options else "历史对话")

    def card(self, value) -> str:
        number = _number(value)
        return duties.measure_card(self.plan, number) if number else CARD_HINT

    def _show(self, kept: dict, conversation: dict | None) -> tuple:
        """chatbot, history, turns, cited list, card for a stored conversation (None: empty)."""
        from .feedback import new_votes
        turns = list((conversation or {}).get("turns", []))
        last = turns[-1]["citations"] if turns else []
        card = self._card_hint(last) if turns else CARD_HINT
        cited = self._cited_update(last) if turns else gr.Dropdown(choices=[], value=None, interactive=False,
                                                                     label="本轮回答引用的措施", info=None)
        return (chat_view.messages_of(conversation, escape_user), [t["question"] for t in turns], turns, cited,
                card, new_votes())

    def new_conversation(self, saved):
        """"新对话": the conversation on screen stays in the list; an empty one starts.

        Outputs: chatbot, question box, history, turns, cited, card, comment, feedback note, votes,
        saved, past list, current."""
        kept = chat_view.clean_store(saved)
        kept["current"] = None
        messages, history, turns, cited, card, votes = self._show(kept, None)
        return messages, "", history, turns, cited, card, "", "", votes, kept, self._past_update(kept), None

    def delete_conversation(self, saved, current):
        """"删除此对话": remove the conversation on screen from the browser, then start a new one."""
        return self.new_conversation(chat_view.remove(saved, current))

    def open_conversation(self, conversation_id, saved):
        """A conversation chosen in the list. Outputs: chatbot, history, turns, cited, card, votes,
        feedback note, saved, current."""
        kept = chat_view.clean_store(saved)
        conversation = chat_view.find(kept, conversation_id)
        if conversation is None:
            return (gr.skip(),) * 9
        kept["current"] = conversation["id"]
        return (*self._show(kept, conversation), "", kept, conversation["id"])

    def restore(self, saved):
        """Page load: the conversation that was on screen, and the list. Outputs: chatbot, history,
        turns, cited, card, votes, past list, current."""
        kept = chat_view.clean_store(saved)
        if not kept["items"]:
            return (gr.skip(),) * 8
        conversation = chat_view.find(kept, kept["current"])
        shown = self._show(kept, conversation) if conversation else (gr.skip(),) * 6
        return (*shown, self._past_update(kept), kept["current"])

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
        turn = turn_for_message(turns, index, data.value, render=self.render)
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
    history, turns, current = gr.State([]), gr.State([]), gr.State(None)
    # the conversations, in the browser's localStorage (they survive reloads and server restarts)
    saved = gr.BrowserState(chat_view.empty_store(), storage_key=CONVERSATIONS_KEY, secret=BROWSER_STATE_SECRET)
    with gr.Row(equal_height=False, elem_id="qa-row"):
        with gr.Column(scale=3, elem_id="chat-column"):
            with gr.Row(elem_id="chat-toolbar", equal_height=False):
                past = gr.Dropdown(label="历史对话", choices=[], value=None, interactive=False, elem_id="past",
                                   scale=3, min_width=190, filterable=False)
                with gr.Column(scale=0, min_width=112, elem_id="chat-actions"):
                    new_chat = gr.Button("新对话", size="sm", variant="secondary", elem_id="new-chat")
                    delete = gr.Button("删除此对话", size="sm", elem_id="delete-chat")
            chatbot = gr.Chatbot(label="对话", show_label=False, height=520, elem_id="chatbot", sanitize_html=True, allow_tags=False,
                                 latex_delimiters=[], buttons=["copy"], feedback_options=("Like", "Dislike"),
                                 autoscroll=False,   # a long answer stays at its start (JS scrolls to it)
                                 placeholder="请就《方案》提问，例如某项任务的时限、牵头单位或某一部分的内容。")
            with gr.Row(elem_id="question-row"):
                question = gr.Textbox(show_label=False, placeholder="输入问题，按回车发送", scale=5,
                                      elem_id="question", max_lines=4)
                send = gr.Button("发送", variant="primary", scale=1, elem_id="send", min_width=80)
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
        with gr.Column(scale=2, elem_id="card-panel"):
            cited = gr.Dropdown(label="本轮回答引用的措施", choices=[], interactive=False, elem_id="cited")
            # beside the chat on wide screens; a sheet over the page on phones (CSS + JS)
            with gr.Column(elem_id="card-sheet"):
                gr.Button("关闭", size="sm", elem_id="card-close")
                card = gr.Markdown(CARD_HINT, elem_id="card")
            target = gr.Textbox(visible="hidden", elem_id="cite-target")
            opener = gr.Button("打开", visible="hidden", elem_id="cite-open")

    outputs = [chatbot, question, history, turns, cited, card, saved, past, current]
    run = dict(fn=chat.converse, inputs=[question, chatbot, history, turns, saved, current], outputs=outputs,
               concurrency_id="qa", concurrency_limit=CONCURRENCY, api_visibility="undocumented")
    question.submit(**run)
    send.click(**run)
    for button, text in zip(examples, EXAMPLES):
        button.click(_constant(text), None, question, api_visibility="undocumented", queue=False).then(**run)
    fresh = [chatbot, question, history, turns, cited, card, comment, feedback_note, votes, saved, past, current]
    new_chat.click(chat.new_conversation, saved, fresh, api_visibility="undocumented", queue=False)
    chatbot.clear(chat.new_conversation, saved, fresh, api_visibility="undocumented", queue=False)
    delete.click(chat.delete_conversation, [saved, current], fresh, api_visibility="undocumented", queue=False)
    past.input(chat.open_conversation, [past, saved],
               [chatbot, history, turns, cited, card, votes, feedback_note, saved, current],
               api_visibility="undocumented", queue=False)
    gr.context.get_blocks_context().root_block.load(
        chat.restore, saved, [chatbot, history, turns, cited, card, votes, past, current],
        api_visibility="undocumented", queue=False)
    opener.click(chat.card, target, card, api_visibility="undocumented", queue=False)
    cited.input(chat.card, cited, card, api_visibility="undocumented", queue=False)

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
    """The measures of a part (or all) whose text or section title contains every word of
    `keyword` (words split at spaces, 、，,；;), as the table's rows. ``rows.attrs`` carries the
    words, the matching measure numbers and a note in Chinese (Markdown; user text escaped so it
    shows as text, never as HTML, a link or an image)."""
    text = keyword if isinstance(keyword, str) else ""
    words = list(dict.fromkeys(w for w in re.split(r"[\s、，,；;]+", text[:200]) if w))[:8]

    def shown(word: str) -> str:
        # every ASCII mark as a character reference: no tag, link, image or emphasis can form
        return "".join(f"&#{ord(c)};" if c.isascii() and not c.isalnum() else c for c in word)

    def matches(m, part) -> bool:
        if part is not None and m.part_number != part.number:
            return False
        where = f"{m.text}\n{plan.section(m.section_number).title}".casefold()
        return all(w.casefold() in where for w in words)

    part = next((p for p in plan.parts if p.label == part_label), None)
    rows, numbers = [], []
    for m in plan.measures:
        if not matches(m, part):
            continue
        numbers.append(m.number)
        rows.append([f"第{m.number}项", plan.part(m.part_number).numeral, plan.section(m.section_number).label,
                     duties.summary_of(m, 50), duties.deadline_text(m) or "—"])
    quoted = "".join(f"“{shown(w)}”" for w in words)
    within = f"在第{part.numeral}部分中，" if part is not None else ""
    if not words:
        note = f"{part.label if part else '方案'}共{len(numbers)}项措施，点击一行查看全文。"
    elif numbers:
        both = "同时包含" if len(words) > 1 else "包含"
        note = f"{within}{both}{quoted}的措施共{len(numbers)}项，点击一行查看全文，关键词在全文中以底色标出。"
    else:
        note = (f"{within}没有同时包含{quoted}的措施，试试只用一个词。" if len(words) > 1
                else f"{within}没有包含{quoted}的措施，试试换一个词。")
        elsewhere = sum(1 for m in plan.measures if matches(m, None)) if part is not None else 0
        if elsewhere:
            note += f"其他部分有{elsewhere}项，选择“{ALL_PARTS}”即可查看。"
    frame = pd.DataFrame(rows, columns=["措施", "部分", "小节", "摘要", "时限"])
    frame.attrs.update(words=words, numbers=numbers, note=note)
    return frame


def _tree_markdown(plan) -> str:
    lines = []
    for part in plan.parts:
        lines.append(f"- **{part.label}**")
        for sn in part.section_numbers:
            section = plan.section(sn)
            links = " ".join(f"[第{n}项](#m{n})" for n in section.measure_numbers) or "（总体要求，无具体措施）"
            lines.append(f"    - {section.label}：{links}")
    return "\n".join(lines)


def _browse_select(plan, data, words=()) -> str:
    """The card of the measure chosen (a table row's SelectData, or a number such as 69 or
    "第69项"), with every occurrence of `words` marked (<mark>; the marked text escaped)."""
    if isinstance(data, (int, str)):
        value = data
    else:
        row = getattr(data, "row_value", None) or []
        value = row[0] if row else None
    number = _number(value)
    if not number:
        return gr.skip()
    card = duties.measure_card(plan, number)
    words = sorted({w for w in (words or ()) if isinstance(w, str) and w.strip()}, key=len, reverse=True)
    if not words or plan.measure(number) is None:
        return card
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)

    def marked(piece: str) -> str:
        return pattern.sub(lambda found: "<mark>" + "".join(
            f"&#{ord(c)};" if c.isascii() and not c.isalnum() else c for c in found.group()) + "</mark>", piece)

    lines = []
    for line in card.split("\n"):
        # the card's own Markdown (headings, quote, bullets, bold) is kept; only its text is marked
        pieces = re.split(r"(\*\*|^#+ |^> |^- )", line)
        lines.append("".join(p if i % 2 else marked(p) for i, p in enumerate(pieces)))
    return "\n".join(lines)


def _browse_tab(plan) -> None:
    hint = "在措施列表或目录中选择一项措施，即可在此查看全文、责任单位和时限。"
    # Wide screens: the card column sits beside the table and stays in view while the page scrolls
    # (sticky; Gradio's container clips with overflow: hidden, which would stop it, so it clips with
    # overflow: clip instead: the same look, but no scroll container); the card scrolls inside itself
    # when it is taller than the window.
    style = """<style>
    @media (min-width: 768px) {
      .gradio-container:has(#browse-side) { overflow: clip; }
      #browse-side { position: sticky; top: 12px; align-self: flex-start; }
    }
    #browse-card { max-height: calc(100vh - 32px); overflow-y: auto; }
    #browse-card mark { background: #ffe58f; color: inherit; padding: 0 1px; border-radius: 2px; }
    #browse-note { min-height: 1.5em; }
    /* the measure number stays on one line ("第22项", not one character per line on phones) */
    #browse-table tbody td:first-child, #browse-table thead th:first-child { white-space: nowrap; }
    </style>"""
    # After a click: bring the card into view when it is not wholly visible (narrow screens stack it
    # below the table and the tree).
    scroll_js = """() => {
      const card = document.querySelector("#browse-card");
      if (!card) return [];
      const box = card.getBoundingClientRect();
      const height = window.innerHeight || document.documentElement.clientHeight;
      if (box.top < 0 || box.bottom > height) card.scrollIntoView({ block: "start", behavior: "instant" });
      return [];
    }"""
    first = _browse_rows(plan, ALL_PARTS, "")
    words = gr.State([])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            with gr.Row():
                part = gr.Dropdown(choices=[ALL_PARTS, *(p.label for p in plan.parts)], value=ALL_PARTS,
                                   label="部分", scale=3)
                keyword = gr.Textbox(label="关键词（多个词用空格或顿号隔开，须同时包含）",
                                     placeholder="如：行政复议；或两个词：执法 公示", scale=2, elem_id="browse-keyword")
            note = gr.Markdown(first.attrs["note"], elem_id="browse-note")
            table = gr.Dataframe(value=first, interactive=False, wrap=True,
                                 max_height=460, label="措施列表（点击一行查看全文）", elem_id="browse-table",
                                 column_widths=["10%", "7%", "24%", "43%", "16%"])
            with gr.Accordion("目录：部分 → 小节 → 措施（点击编号查看）", open=False):
                with gr.Column(elem_id="browse-tree"):
                    gr.Markdown(_tree_markdown(plan))
        with gr.Column(scale=2, elem_id="browse-side"):
            card = gr.Markdown(hint, elem_id="browse-card")
            target = gr.Textbox(visible="hidden", elem_id="browse-target")
            opener = gr.Button("打开", visible="hidden", elem_id="browse-open")
            gr.HTML(style, padding=False, container=False, js_on_load=None)

    def refresh(part_label, text):
        """A new filter: the rows, the note, and the card reset to the first match (or a hint)."""
        rows = _browse_rows(plan, part_label, text)
        found, chosen = rows.attrs["numbers"], rows.attrs["words"]
        filtered = bool(chosen) or part_label not in (None, "", ALL_PARTS)
        if found and filtered:
            shown = _browse_select(plan, found[0], chosen)
        else:
            shown = hint if found else "没有符合条件的措施，换个关键词后，点击列表中的一行即可在此查看全文。"
        return rows.attrs["note"], gr.Dataframe(value=rows, visible=bool(found)), shown, chosen

    changed = dict(fn=refresh, inputs=[part, keyword], outputs=[note, table, card, words],
                   api_visibility="undocumented")
    part.change(**changed)
    keyword.change(**changed)

    def on_select(chosen, data: gr.SelectData):
        return _browse_select(plan, data, chosen)

    table.select(on_select, words, card, api_visibility="undocumented").then(
        None, None, None, js=scroll_js, api_visibility="undocumented", queue=False)
    # a tree link (see JS): the measure number arrives through the hidden textbox
    opener.click(lambda v, chosen: _browse_select(plan, str(v or ""), chosen), [target, words], card,
                 api_visibility="undocumented", queue=False).then(
        None, None, None, js=scroll_js, api_visibility="undocumented", queue=False)


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
                    "所有回答都引用方案原文【第N项】；方案未涉及的问题会如实说明。", elem_id="title")
        with gr.Row(elem_id="header-row", equal_height=True):
            gr.HTML(_status_html(assistant), elem_id="status", js_on_load=None, scale=5)
            projector = gr.Checkbox(label="投影模式", value=False, elem_id="projector", container=False, scale=0,
                                    min_width=120)
        projected = gr.BrowserState(False, storage_key=PROJECTOR_KEY, secret=BROWSER_STATE_SECRET)
        projector.change(lambda on: bool(on), projector, projected, js=PROJECTOR_JS, queue=False,
                         api_visibility="undocumented")
        demo.load(lambda on: True if on is True else gr.skip(), projected, projector, queue=False,
                  api_visibility="undocumented")
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
    then returns the running ``http_api.Serving`` (``close()`` stops it).

    Security defaults: loopback unless `host` says otherwise; on any other address an access
    token (``access_token=`` or ASSISTANT_ACCESS_TOKEN) is required, else ``http_api.AccessError``
    (a Chinese message) is raised before anything is served; with a token every request needs it
    (``http_api.Guard``). Never a share link; request bodies are limited."""
    from . import http_api
    from .config import get_settings
    settings = assistant.settings if assistant is not None else get_settings()
    token = kwargs.pop("access_token", None)
    token = (settings.access_token if token is None else token).strip()
    http_api.check_access(host, token)
    kwargs.pop("share", None)
    quiet = kwargs.pop("quiet", False)
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    if assistant is None:
        import hmac
        auth = (lambda _user, password: hmac.compare_digest(str(password).encode(), token.encode())) if token else None
        return demo.launch(server_name=host, server_port=port, prevent_thread_lock=not block, css=CSS, js=JS,
                           show_error=False, footer_links=["api"], share=False, auth=auth, quiet=quiet,
                           max_file_size=settings.max_body_bytes, **kwargs)
    app = mount_ui(http_api.create_app(assistant), demo, host, port, settings.max_body_bytes, **kwargs)
    serving = http_api.Serving(http_api.Guard(app, token or None, settings.max_body_bytes), host, port)
    serving.trimmer = http_api.MemoryTrimmer().start()
    if not quiet:
        print(f"* 网页界面：{serving.url}　OpenAI 兼容接口：{serving.url}/v1　REST 接口：{serving.url}/api/…",
              flush=True)
        if token:
            print("* 已启用访问令牌：接口请求需带 Authorization: Bearer <令牌>；浏览器第一次打开时在网址后加 ?token=<令牌>。",
                  flush=True)
    if block:
        serving.run()
        return serving
    return serving.start()


def mount_ui(api, demo: gr.Blocks, host: str, port: int, max_body_bytes: int, **kwargs):
    """The web app mounted at "/" on the API app `api` (``gr.mount_gradio_app``), wrapped so that
    one-off sessions of Gradio's HTTP API are forgotten (``http_api.GradioCallCleanup``)."""
    from . import http_api
    app = gr.mount_gradio_app(api, demo, "/", server_name=host, server_port=port, css=CSS, js=JS,
                              show_error=False, footer_links=["api"], ssr_mode=False,
                              max_file_size=max_body_bytes, **kwargs)
    app.state.web_app = "ready"
    return http_api.GradioCallCleanup(app, demo)


__all__ = ["build_app", "launch", "mount_ui", "linkify", "escape_user", "parse_history", "status_line"]
