"""Validation of user input: a clear message in the user's language, never a traceback."""
from __future__ import annotations

import re

from .text import strip_control


class InputProblem(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _decode(question) -> str:
    if question is None:
        raise InputProblem("empty", "请输入问题。Please enter a question.")
    if isinstance(question, (bytes, bytearray)):
        try:
            return bytes(question).decode("utf-8")
        except UnicodeDecodeError:
            # Keep what can be read; invalid bytes become U+FFFD and are dropped below.
            return bytes(question).decode("utf-8", errors="replace")
    if not isinstance(question, str):
        raise InputProblem("type", "问题必须是文字。The question must be text.")
    return question


def clean_question(question, max_chars: int) -> tuple[str, str]:
    """Return (cleaned question, notice). Raise InputProblem when nothing usable remains."""
    text = _decode(question)
    text = text.encode("utf-8", errors="replace").decode("utf-8")   # lone surrogates
    text = strip_control(text).replace("\ufffd", "")
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise InputProblem("empty", "请输入问题。Please enter a question.")
    if not re.search(r"[\w\u4e00-\u9fff]", text):
        raise InputProblem("no_text", "问题中没有可识别的文字，请换一种说法。The question has no readable words.")
    notice = ""
    if len(text) > max_chars:
        text = text[:max_chars]
        notice = f"问题过长，仅按前{max_chars}个字回答。"
    return text, notice
