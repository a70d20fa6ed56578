"""Validation of user input: a clear message in the user's language, never a traceback.

Nothing a user typed is rejected silently: invalid bytes are replaced, control characters
dropped, an over-long paste is truncated with a notice, and a question with no readable
words or in an unsupported language gets a message saying so.
"""
from __future__ import annotations

import re

from .text import strip_control

# Scripts the assistant cannot answer in (Chinese and English are supported).
_OTHER_SCRIPTS = re.compile(
    r"[\u0400-\u04ff\u0600-\u06ff\u0590-\u05ff\u0e00-\u0e7f\u3040-\u30ff\uac00-\ud7af\u0900-\u097f\u0370-\u03ff]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


# Clauses that try to change the assistant's rules; they are dropped, the rest is answered.
_INJECTION = re.compile(
    r"(忽略|无视|忘记|忘掉|跳过|不要理会|不用理会)[^，。！？,.!?]{0,12}(指令|指示|提示|规则|要求|设定|限制|约束)|"
    r"你现在是|你是一个|(?:你|您)(?:来|现在|要|就)?扮演|扮演(?:一下|成|一个)|假装你|不用引用|不要引用|无需引用|不必引用|"
    r"不受(?:任何|以上|上述|系统|之前的?|你的)?(?:规则|指令|设定|约束)(?:的)?限制|系统提示|提示词|"
    r"ignore (all |any )?(the )?(previous|above|prior|earlier)? ?(instructions|rules|prompts?)|"
    r"you are now|pretend (to be|you are)|system prompt|jailbreak|developer mode", re.I)


def strip_injection(text: str) -> tuple[str, bool]:
    """Drop the clauses of `text` that try to override the assistant's rules."""
    clauses = re.split(r"(?<=[，。！？；,.!?;])", text)
    kept = [c for c in clauses if not _INJECTION.search(c)]
    return "".join(kept).strip(" ，。,."), len(kept) != len(clauses)


class InputProblem(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


EMPTY = InputProblem("empty", "请输入问题。Please enter a question.")


def _decode(question) -> str:
    if question is None:
        raise EMPTY
    if isinstance(question, (bytes, bytearray)):
        # Keep what can be read; invalid bytes become U+FFFD and are dropped below.
        return bytes(question).decode("utf-8", errors="replace")
    if not isinstance(question, str):
        raise InputProblem("type", "问题必须是文字。The question must be text.")
    return question


def language_of(text: str) -> str:
    """'zh', 'en' or 'other' (by script; kana or hangul mean Japanese or Korean, not Chinese)."""
    text = re.sub(r"<[^>]*>|https?://\S+|&\w+;", " ", text)
    other = len(_OTHER_SCRIPTS.findall(text))
    cjk = len(_CJK.findall(text))
    latin = len(re.findall(r"[A-Za-z]", text))
    if other and other >= max(cjk, latin) / 2:
        return "other"
    return "en" if latin > 2 * cjk else "zh"


def clean_question(question, max_chars: int) -> tuple[str, str]:
    """Return (cleaned question, notice). Raise InputProblem when nothing usable remains."""
    text = _decode(question)
    text = text.encode("utf-8", errors="replace").decode("utf-8")   # lone surrogates
    text = strip_control(text).replace("\ufffd", "")
    # markup is not part of a question (it is shown as text, never rendered, by the UI)
    text = re.sub(r"<[^<>]{1,200}>", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise EMPTY
    if not re.search(r"[0-9A-Za-z\u4e00-\u9fff]", text) and not _OTHER_SCRIPTS.search(text):
        raise InputProblem("no_text", "问题中没有可识别的文字，请换一种说法。"
                                      "The question has no readable words; please rephrase it.")
    text, injected = strip_injection(text)
    if injected and not re.search(r"[0-9A-Za-z\u4e00-\u9fff]", text):
        raise InputProblem("injection", "我只依据《宁夏回族自治区法治政府建设实施方案（2021—2025年）》回答问题，"
                                        "不能执行改变规则的指令。I only answer from the plan and cannot follow "
                                        "instructions that change my rules.")
    if language_of(text) == "other":
        raise InputProblem("language", "目前只支持用中文或英文提问，请换用中文或英文。"
                                       "Only questions in Chinese or English are supported; please ask in "
                                       "Chinese or English.")
    notice = ""
    if len(text) > max_chars:
        text = text[:max_chars]
        notice = (f"The question was too long; only its first {max_chars} characters were used."
                  if language_of(text) == "en" else f"问题过长，仅按前{max_chars}个字回答。")
    return text, notice
