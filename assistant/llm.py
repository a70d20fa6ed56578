"""Optional LLM composer behind any OpenAI-compatible chat endpoint (LangChain).

The model sees only the retrieved measures. Its output is never trusted: markup that could
fetch or run anything (images, links, HTML) is removed, every sentence's citations must be
among the measures it was given, and every fact in a sentence must agree with the measures
it cites (``grounding.FactChecker``: dates, numbers, bounds, units, roles, negation, scope).
Sentences that fail are dropped; if nothing verified remains, or the endpoint times out or
fails, the default composer's answer is returned with a notice. While streaming, a sentence
is shown only after it is complete and has passed the same check.
"""
from __future__ import annotations

import logging
from pathlib import Path

from .answer import Answer, citations_in
from .config import Settings
import re

from .grounding import FactChecker, cited_sentences
from .records import Plan

log = logging.getLogger(__name__)

FALLBACK_NOTICE = "大模型服务暂不可用，已改用离线回答。"
UNGROUNDED_NOTICE = "已删除{count}句无法在方案中核实的内容。"


def _read(prompts_dir: Path, name: str) -> str:
    return (prompts_dir / name).read_text(encoding="utf-8")


class LLMComposer:
    def __init__(self, settings: Settings, plan: Plan, chat_model=None, checker: FactChecker | None = None):
        from langchain_core.prompts import ChatPromptTemplate
        self.settings = settings
        self.plan = plan
        self.checker = checker or FactChecker(plan)
        self.name = f"LLM（{settings.llm_model} @ {settings.llm_base_url}）"
        self.chat = chat_model or self._chat_model(settings)
        self.prompt = ChatPromptTemplate.from_messages([
            ("system", _read(settings.prompts_dir, "llm_system.md")),
            ("human", _read(settings.prompts_dir, "llm_user.md")),
        ])
        self.rewrite_prompt = ChatPromptTemplate.from_messages([
            ("human", _read(settings.prompts_dir, "llm_rewrite.md"))])

    @staticmethod
    def _chat_model(settings: Settings):
        from langchain_openai import ChatOpenAI
        return ChatOpenAI(base_url=settings.llm_base_url, model=settings.llm_model, api_key=settings.llm_api_key,
                          timeout=settings.llm_timeout, max_retries=0, temperature=0)

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
        return self.checker.check(sentence, citations).ok

    def _finish(self, raw: str, fallback: Answer, allowed: list[int]) -> Answer:
        # anything outside the verified sentences is dropped, so the API answer never holds raw markup
        verified, dropped = self.verify(raw, allowed)
        if not verified:
            return self._fallback(fallback, "大模型的回答无法在方案中核实，已改用离线回答。")
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
    def compose(self, question: str, default: Answer, context: list[int], plan: Plan | None = None) -> Answer:
        try:
            message = (self.prompt | self.chat).invoke({"context": self._context(context), "question": question})
            return self._finish(str(message.content), default, context)
        except Exception as exc:  # timeout, connection error, bad response: offline answer instead
            log.warning("LLM composer failed: %s", exc)
            return self._fallback(default)

    def stream(self, question: str, default: Answer, plan: Plan | None = None):
        """Yield the growing verified text, then the final Answer. Raw model tokens are never
        shown: a sentence appears once it is complete (its citations closed) and verified."""
        context = default.measures[:5]
        buffer, shown, last = "", [], ""
        try:
            for chunk in (self.prompt | self.chat).stream({"context": self._context(context), "question": question}):
                buffer += str(chunk.content)
                complete, buffer = split_complete(buffer)
                if complete:
                    text, _ = self.verify("".join(shown) + complete, context)
                    shown.append(complete)
                    if text and text != last:
                        last = text
                        yield text
        except Exception as exc:
            log.warning("LLM stream failed: %s", exc)
            yield self._fallback(default)
            return
        yield self._finish("".join(shown) + buffer, default, context)

    def rewrite(self, question: str, history: list[str]) -> str:
        """History-aware rewriting of a follow-up into a standalone question."""
        try:
            message = (self.rewrite_prompt | self.chat).invoke(
                {"history": "\n".join(f"- {h}" for h in history[-4:]), "question": question})
            text = str(message.content).strip()
            return text if 0 < len(text) <= 300 else question
        except Exception as exc:
            log.warning("LLM rewrite failed: %s", exc)
            return question


_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]{0,200}>")
_URL = re.compile(r"\b(?:https?|ftp|file|javascript|data):[^\s【】]*", re.I)


def strip_markup(text: str) -> str:
    """Model text may hold Markdown images, links, HTML or bare addresses; none is kept."""
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _TAG.sub("", text)
    return _URL.sub("", text)


_SENTENCE_END = re.compile(r"(?:[。！？；]|[.!?](?=\s))(?:【第\s*\d+\s*项】)*")


def split_complete(buffer: str) -> tuple[str, str]:
    """(complete sentences, unfinished rest). A sentence is complete when its terminator and
    the citations right after it are followed by more text, so no citation is cut off."""
    end = 0
    for match in _SENTENCE_END.finditer(buffer):
        if match.end() < len(buffer) and not buffer[match.end():].startswith("【"):
            end = match.end()
    return buffer[:end], buffer[end:]
