"""Optional LLM composer behind any OpenAI-compatible chat endpoint (LangChain).

The model sees only the retrieved measures. Its output is never trusted: markup that could
fetch or run anything (HTML, scripts, Markdown images and links, any URL, domain or e-mail
address) is removed, every sentence's citations must be among the measures it was given, and
every fact in a sentence must agree with the measures it cites (``grounding.FactChecker``:
dates, numbers, bounds, units, roles, negation, scope). Sentences that fail are dropped; if
nothing verified remains, or the endpoint fails or misses the deadline, the default composer's
answer is returned with a notice. While streaming, a sentence is shown only after it is
complete and has passed the same check.

Time: ``settings.llm_timeout`` bounds the whole answer, not each network read. One
``Deadline`` covers the history rewrite, the composition and the streaming of one answer; an
endpoint that drips a byte at a time or never answers is cut off at the deadline (the request
is cancelled on a private event loop, so its connection is closed) and the offline answer is
used. After a timeout or a connection failure the endpoint is skipped for
``settings.llm_cooldown`` seconds, so a dead endpoint costs one question the budget, not every
question (answers share the server's few worker slots).
"""
from __future__ import annotations

import asyncio
import html
import logging
import os
import queue
import re
import threading
import time
from pathlib import Path

from .answer import Answer, citations_in
from .config import Settings
from .grounding import FactChecker, cited_sentences
from .records import Plan

log = logging.getLogger(__name__)

FALLBACK_NOTICE = "大模型服务暂不可用，已改用离线回答。"
TIMEOUT_NOTICE = "大模型服务响应超时，已改用离线回答。"
UNVERIFIED_NOTICE = "大模型的回答无法在方案中核实，已改用离线回答。"
UNGROUNDED_NOTICE = "已删除{count}句无法在方案中核实的内容。"
GRACE_SECONDS = 0.25          # waiting on the event loop beyond the deadline, at most


class LLMTimeout(TimeoutError):
    """The answer's deadline passed before the endpoint finished."""


class Deadline:
    """One time budget for one answer (rewrite + compose + streaming)."""

    def __init__(self, seconds: float):
        self.seconds = max(float(seconds), 0.0)
        self.started = time.monotonic()
        self.end = self.started + self.seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0


def _read(prompts_dir: Path, name: str) -> str:
    return (prompts_dir / name).read_text(encoding="utf-8")


# ------------------------------------------------------------ the private event loop
# Requests run as asyncio tasks on one daemon thread's loop: cancelling a task at the deadline
# closes its connection at once, which a blocking read in a worker thread cannot do.
_LOOP_LOCK = threading.Lock()
_LOOP: tuple[int, asyncio.AbstractEventLoop, threading.Thread] | None = None


def _io_loop() -> asyncio.AbstractEventLoop:
    global _LOOP
    with _LOOP_LOCK:
        if _LOOP is None or _LOOP[0] != os.getpid() or not _LOOP[2].is_alive():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="llm-io", daemon=True)
            thread.start()
            _LOOP = (os.getpid(), loop, thread)
        return _LOOP[1]


def _unreachable(exc: BaseException) -> bool:
    """A timeout or a connection failure (the endpoint is down or hanging), not a bad reply."""
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return True
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"APITimeoutError", "APIConnectionError", "TimeoutException", "ConnectError",
                         "ReadTimeout", "ConnectTimeout", "RemoteProtocolError"})


class LLMComposer:
    def __init__(self, settings: Settings, plan: Plan, chat_model=None, checker: FactChecker | None = None):
        from langchain_core.prompts import ChatPromptTemplate
        self.settings = settings
        self.plan = plan
        self.checker = checker or FactChecker(plan)
        # shown in the status line: the model only, never the endpoint's address
        self.name = f"LLM（{settings.llm_model}）"
        self.chat = chat_model or self._chat_model(settings)
        self.prompt = ChatPromptTemplate.from_messages([
            ("system", _read(settings.prompts_dir, "llm_system.md")),
            ("human", _read(settings.prompts_dir, "llm_user.md")),
        ])
        self.rewrite_prompt = ChatPromptTemplate.from_messages([
            ("human", _read(settings.prompts_dir, "llm_rewrite.md"))])
        self._local = threading.local()
        self._down_until = 0.0

    @staticmethod
    def _chat_model(settings: Settings):
        from langchain_openai import ChatOpenAI
        return ChatOpenAI(base_url=settings.llm_base_url, model=settings.llm_model, api_key=settings.llm_api_key,
                          timeout=settings.llm_timeout, max_retries=0, temperature=0)

    # ------------------------------------------------------------ time
    def new_deadline(self) -> Deadline:
        return Deadline(self.settings.llm_timeout)

    def _deadline_for(self, question: str, deadline: Deadline | None) -> Deadline:
        """The answer's deadline: the one given, else the one a rewrite of this very question
        started in this thread a moment ago (rewrite and compose share one budget), else new."""
        if deadline is not None:
            return deadline
        pending = getattr(self._local, "pending", None)
        self._local.pending = None
        if pending is not None:
            text, started = pending
            if text == question and time.monotonic() - started.started <= started.seconds + 5:
                return started
        return self.new_deadline()

    @property
    def available(self) -> bool:
        """False while cooling down after the endpoint timed out or could not be reached."""
        return time.monotonic() >= self._down_until

    def _failed(self, exc: BaseException, what: str) -> str:
        """Log a failure (never shown to users) and return the notice for it."""
        timed_out = isinstance(exc, (LLMTimeout, TimeoutError)) or "Timeout" in type(exc).__name__
        if _unreachable(exc) and self.settings.llm_cooldown > 0:
            self._down_until = time.monotonic() + self.settings.llm_cooldown
        log.warning("LLM %s failed (%s): %s", what, type(exc).__name__, str(exc)[:200])
        return TIMEOUT_NOTICE if timed_out else FALLBACK_NOTICE

    def _run(self, make_coroutine, deadline: Deadline):
        """Await a coroutine on the private loop, cancelled when the deadline passes."""
        remaining = deadline.remaining()
        if remaining <= 0:
            raise LLMTimeout("deadline passed")
        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(make_coroutine(), remaining), _io_loop())
        try:
            return future.result(timeout=remaining + GRACE_SECONDS)
        except TimeoutError as exc:            # asyncio's and concurrent.futures' are this one
            raise LLMTimeout("deadline passed") from exc
        finally:
            future.cancel()

    def _stream_chunks(self, inputs: dict, deadline: Deadline):
        """The model's text chunks, as they come, until the deadline."""
        chunks: queue.SimpleQueue = queue.SimpleQueue()
        chain = self.prompt | self.chat

        async def pump():
            try:
                async for chunk in chain.astream(inputs):
                    chunks.put(("chunk", str(chunk.content)))
                chunks.put(("end", None))
            except asyncio.CancelledError:
                raise
            except BaseException as exc:   # noqa: BLE001 - handed to the consumer
                chunks.put(("error", exc))

        if deadline.expired:
            raise LLMTimeout("deadline passed")
        future = asyncio.run_coroutine_threadsafe(pump(), _io_loop())
        try:
            while True:
                remaining = deadline.remaining()
                if remaining <= 0:
                    raise LLMTimeout("deadline passed")
                try:
                    kind, value = chunks.get(timeout=remaining)
                except queue.Empty:
                    raise LLMTimeout("deadline passed") from None
                if kind == "chunk":
                    yield value
                elif kind == "end":
                    return
                else:
                    raise value
        finally:
            future.cancel()        # at the deadline, on an error, or when the consumer stops

    # ------------------------------------------------------------ helpers
    def _context(self, numbers: list[int]) -> str:
        return "\n".join(f"【第{n}项】{self.plan.measure(n).text}" for n in numbers)

    def verify(self, text: str, allowed: list[int]) -> tuple[str, int]:
        """Keep only the sentences whose citations were given and whose facts the cited
        measures confirm; a line that only introduces a list ("…如下：") is kept as framing."""
        kept, dropped = [], 0
        for sentence in cited_sentences(strip_markup(text)):
            if self._passes(sentence.text, sentence.citations, allowed):
                kept.append(sentence.text + "".join(f"【第{n}项】" for n in sentence.citations))
            elif not sentence.citations and sentence.text.rstrip().endswith(("：", ":")) and len(sentence.text) <= 40:
                kept.append(sentence.text)
            else:
                dropped += 1
        return "\n\n".join(kept), dropped

    def _passes(self, sentence: str, citations: tuple[int, ...], allowed: list[int]) -> bool:
        if not citations or any(n not in allowed for n in citations):
            return False
        if not re.search(r"[\w\u3400-\u9fff]", sentence):     # nothing left after the markup
            return False
        return self.checker.check(sentence, citations).ok

    def _finish(self, raw: str, fallback: Answer, allowed: list[int]) -> Answer:
        # anything outside the verified sentences is dropped, so the API answer never holds raw markup
        verified, dropped = self.verify(raw, allowed)
        if not verified:
            return self._fallback(fallback, UNVERIFIED_NOTICE)
        notice = UNGROUNDED_NOTICE.format(count=dropped) if dropped else ""
        answer = Answer(question=fallback.question, answer=verified, citations=citations_in(verified),
                        refused=False, intent=fallback.intent, measures=fallback.measures,
                        units=fallback.units, composer="llm", notice=notice)
        if notice:
            answer.answer += f"\n\n_{notice}_"
        return answer

    @staticmethod
    def _fallback(default: Answer, notice: str = FALLBACK_NOTICE) -> Answer:
        default.composer = "default (LLM fallback)"
        default.notice = notice
        default.answer = f"_{notice}_\n\n{default.answer}"
        return default

    # ------------------------------------------------------------ API
    def compose(self, question: str, default: Answer, context: list[int], plan: Plan | None = None,
                deadline: Deadline | None = None) -> Answer:
        deadline = self._deadline_for(question, deadline)
        if not self.available:
            return self._fallback(default)
        inputs = {"context": self._context(context), "question": question}
        try:
            message = self._run(lambda: (self.prompt | self.chat).ainvoke(inputs), deadline)
            raw = str(message.content)
        except Exception as exc:  # timeout, connection error, bad response: offline answer instead
            return self._fallback(default, self._failed(exc, "compose"))
        self._down_until = 0.0
        return self._finish(raw, default, context)

    def stream(self, question: str, default: Answer, plan: Plan | None = None, deadline: Deadline | None = None):
        """Yield the growing verified text, then the final Answer. Raw model tokens are never
        shown: a sentence appears once it is complete (its citations closed) and verified."""
        deadline = self._deadline_for(question, deadline)
        if not self.available:
            yield self._fallback(default)
            return
        context = default.measures[:5]
        buffer, shown, last = "", [], ""
        chunks = self._stream_chunks({"context": self._context(context), "question": question}, deadline)
        try:
            for piece in chunks:
                buffer += piece
                complete, buffer = split_complete(buffer)
                if complete:
                    text, _ = self.verify("".join(shown) + complete, context)
                    shown.append(complete)
                    if text and text != last:
                        last = text
                        yield text
        except Exception as exc:
            yield self._fallback(default, self._failed(exc, "stream"))
            return
        finally:
            chunks.close()
        self._down_until = 0.0
        yield self._finish("".join(shown) + buffer, default, context)

    def rewrite(self, question: str, history: list[str], deadline: Deadline | None = None) -> str:
        """History-aware rewriting of a follow-up into a standalone question. It spends the
        same budget as the answer that follows (``compose`` of the returned text in this thread)."""
        deadline = deadline or self.new_deadline()
        result = question
        if self.available:
            inputs = {"history": "\n".join(f"- {h}" for h in history[-4:]), "question": question}
            try:
                message = self._run(lambda: (self.rewrite_prompt | self.chat).ainvoke(inputs), deadline)
                result = clean_rewrite(str(message.content)) or question
                self._down_until = 0.0
            except Exception as exc:
                self._failed(exc, "rewrite")
        self._local.pending = (result, deadline)
        return result


def clean_rewrite(text: str) -> str:
    """A rewritten question as plain text: markup and addresses removed, one line, ≤ 300 characters."""
    lines = [line.strip() for line in strip_markup(text).splitlines() if line.strip()]
    first = lines[0] if lines else ""
    return first if 0 < len(first) <= 300 else ""


# ------------------------------------------------------------ markup and addresses
_URL_CHARS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"
_ACTIVE_BLOCK = re.compile(
    r"<\s*(script|style|iframe|object|embed|template|noscript|svg|math|textarea|title|xmp)\b"
    r".*?(?:<\s*/\s*\1\s*>|\Z)", re.I | re.S)
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_IMAGE = re.compile(r"!\[[^\]]*\]\s*(?:\((?:[^()]|\([^()]*\))*\)|\[[^\]]*\])?")
_LINK = re.compile(r"\[([^\]]*)\]\s*\((?:[^()]|\([^()]*\))*\)")
_REF_LINK = re.compile(r"\[([^\]]*)\]\s*\[[^\]]*\]")
_REF_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S.*$", re.M)
_TAG = re.compile(r"<[^<>]*>")
_OPEN_TAG = re.compile(r"<\s*/?\s*[A-Za-z!?][^<>\n]*")      # a tag never closed: the rest of its line
_SCHEME_URL = re.compile(
    rf"(?:(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]{{0,30}}:)?//{_URL_CHARS}*"
    rf"|(?<![A-Za-z0-9+.\-])(?:javascript|vbscript|livescript|data|mailto|file|tel|sms|blob|about|ftp|https?|wss?):(?=[^\s]){_URL_CHARS}*",
    re.I)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"[A-Za-z0-9._%+\-]+@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}")
_DOMAIN = re.compile(
    rf"(?<![A-Za-z0-9\-_@])(?:{_LABEL}\.)+(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9\-]+)(?![A-Za-z0-9\-])"
    rf"(?::\d{{1,5}})?(?:[/?#]{_URL_CHARS}*)?")
_IPV4 = re.compile(rf"(?<![\d.])\d{{1,3}}(?:\.\d{{1,3}}){{3}}(?![\d.])(?::\d{{1,5}})?(?:[/?#]{_URL_CHARS}*)?")
_EMPTY_BRACKETS = re.compile(r"\(\s*\)|（\s*）|\[\s*\]|【\s*】|「\s*」|“\s*”|\"\s*\"")


def strip_markup(text: str) -> str:
    """Model text without anything a browser could render as markup or follow as an address:
    HTML (entities decoded first, script-like blocks with their content), Markdown images
    and links (a link keeps its text), and any URL, bare domain ("phish.example/login",
    "www.x.com"), e-mail or IP address, in Chinese or English text. No ``<`` or ``>`` is left."""
    text = str(text or "")
    for _ in range(3):                                   # &amp;lt;script&amp;gt; → <script>
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    text = text.replace("\x00", "")
    for _ in range(5):                                   # nested or overlapping markup
        before = text
        text = _COMMENT.sub("", text)
        text = _ACTIVE_BLOCK.sub("", text)
        text = _TAG.sub("", text)
        text = _IMAGE.sub("", text)
        text = _LINK.sub(r"\1", text)
        text = _REF_LINK.sub(r"\1", text)
        text = _REF_DEFINITION.sub("", text)
        if text == before:
            break
    text = _OPEN_TAG.sub("", text).replace("<", "").replace(">", "")
    text = _SCHEME_URL.sub("", text)
    text = _EMAIL.sub("", text)
    text = _DOMAIN.sub("", text)
    text = _IPV4.sub("", text)
    text = _EMPTY_BRACKETS.sub("", text)
    return re.sub(r"[ \t]{2,}", " ", re.sub(r"[ \t]+(?=[，。；：！？,.;:!?])", "", text))


_SENTENCE_END = re.compile(r"(?:[。！？；]|[.!?](?=\s))(?:【第\s*\d+\s*项】)*")


def split_complete(buffer: str) -> tuple[str, str]:
    """(complete sentences, unfinished rest). A sentence is complete when its terminator and
    the citations right after it are followed by more text, so no citation is cut off."""
    end = 0
    for match in _SENTENCE_END.finditer(buffer):
        if match.end() < len(buffer) and not buffer[match.end():].startswith("【"):
            end = match.end()
    return buffer[:end], buffer[end:]
