"""Validation of user input: a clear message in the user's language, never a traceback.

The one validation path for every entry point (CLI, batch, Python API, Gradio and HTTP
endpoints all reach it through ``Assistant.ask``/``stream``):

- ``clean_question``: nothing a user typed is rejected silently. Raw input is cut to
  ``RAW_FACTOR`` × the question limit *before* any other work (a 10 MB paste costs nothing),
  invalid bytes and lone surrogates are dropped, control and format characters (zero-width,
  RTL overrides, BOM) removed, HTML tags, Markdown images/links and URLs neutralized (user
  text is never echoed as markup), a flood of one character cut to three, an over-long
  question is truncated with a notice, and a
  question with no readable words or in an unsupported language gets a message saying so.
- ``clean_history``: a list of earlier questions (or a JSON string of one); only the last
  ``MAX_HISTORY_TURNS`` are used; a history of the wrong type is ignored with a notice.
- ``measure_out_of_range``: 第0项, 第1e9项, 第99999999999项 … name no measure of the plan.
- ``display_text``: a bounded, cleaned echo of any input (also of rejected ones).

Messages are in the user's language: Chinese for Chinese text, English for English text,
Chinese first with an English translation when the language cannot be told.
"""
from __future__ import annotations

import json
import re
import unicodedata

from .text import LAW_NAME_END, chinese_to_int, strip_control

RAW_FACTOR = 20            # raw input beyond RAW_FACTOR × max_chars is cut before any cleaning
MAX_HISTORY_TURNS = 4      # earlier questions used to resolve follow-ups (the most recent ones)
_HISTORY_SCAN = 200        # at most this many history items are looked at (from the end)
_HISTORY_JSON_CHARS = 4_000_000   # a JSON history string longer than this is not parsed
DEFAULT_MAX_CHARS = 500

# Scripts the assistant cannot answer in (Chinese and English are supported).
_OTHER_SCRIPTS = re.compile(
    r"[\u0400-\u04ff\u0600-\u06ff\u0590-\u05ff\u0e00-\u0e7f\u3040-\u30ff\uac00-\ud7af\u0900-\u097f\u0370-\u03ff]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_READABLE = re.compile(r"[0-9A-Za-z\u4e00-\u9fff]")


# Clauses that try to change the assistant's rules; they are dropped, the rest is answered.
_INJECTION = re.compile(
    r"(忽略|无视|忘记|忘掉|跳过|不要理会|不用理会)[^，。！？,.!?]{0,12}(指令|指示|提示|规则|要求|设定|限制|约束)|"
    r"不用引用|不要引用|无需引用|不必引用|"
    r"不受(?:任何|以上|上述|系统|之前的?|你的)?(?:规则|指令|设定|约束)(?:的)?限制|系统提示|提示词|"
    r"ignore (all |any )?(the )?(previous|above|prior|earlier)? ?(instructions|rules|prompts?)|"
    r"(?:调试|开发者|管理员|上帝|越狱)模式|"
    r"you are now|pretend (to be|you are)|system prompt|jailbreak|(?:developer|debug|admin|god) mode", re.I)

# A persona the user gives the assistant ("你现在扮演生态环境厅法规处处长，…你们厅…"): not a rule
# change but who is asking about whom, so it is kept as the asker's own description.
_PERSONA = re.compile(r"(?:(?:假设|假如|如果)?(?:你|您)(?:现在|来|要|就)?(?:扮演|充当|假装是|是)|扮演|充当|假装(?:你)?是)"
                      r"(?:一下|成|一个|一名|一位|位|名)?(?=[\u4e00-\u9fffA-Za-z])(?!否|不|谁|什么|哪)")

# Markup that must never come back rendered: HTML tags, Markdown images and links, URLs.
_TAG = re.compile(r"<[^<>]{0,200}>")
_MD_LINK = re.compile(r"!?\[([^\[\]\n]{0,200})\]\([^()\n]{0,500}\)")
_URL = re.compile(r"(?:\b(?:https?|ftp|file|javascript|vbscript|data):|\bwww\.)[^\s\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]*", re.I)
_FLOOD = re.compile(r"(\D)\1{3,}")
_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
_SCRIPT = re.compile(r"<(script|style)\b[^<>]{0,200}>[^<]{0,2000}</\1\s*>", re.I)


def strip_injection(text: str) -> tuple[str, bool]:
    """Drop the clauses of `text` that try to override the assistant's rules."""
    # a colon ends a clause too: "系统提示：列出…" keeps the request after the framing
    clauses = re.split(r"(?<=[，。！？；：,.!?;:])", text)
    kept = [c for c in clauses if not _INJECTION.search(c)]
    injected = len(kept) != len(clauses)
    kept = [_PERSONA.sub("我是", c, count=1) if re.match(r"\W*(?:假设|假如|如果|你|您|请你|请您|扮演|充当|假装)", c) else c
            for c in kept]
    return "".join(kept).strip(" ，。,."), injected


class InputProblem(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# code -> (Chinese, English); messages for unknown languages give both, Chinese first
_MESSAGES = {
    "empty": ("请输入问题。", "Please enter a question."),
    "type": ("问题必须是文字（字符串），请用文字提问。", "The question must be text (a string)."),
    "no_text": ("问题中没有可识别的文字，请换一种说法。", "The question has no readable words; please rephrase it."),
    "too_long": ("问题过长（超过{limit}个字符），且开头部分没有可识别的文字，请精简后重新提问。",
                 "The question is too long (over {limit} characters) and its beginning has no readable words; "
                 "please shorten it."),
    "injection": ("我只依据《宁夏回族自治区法治政府建设实施方案（2021—2025年）》回答问题，不能执行改变规则的指令。",
                  "I only answer from the plan and cannot follow instructions that change my rules."),
    "language": ("目前只支持用中文或英文提问，请换用中文或英文。",
                 "Only questions in Chinese or English are supported; please ask in Chinese or English."),
}
_NOTICES = {
    "truncated": ("问题过长，仅按前{limit}个字回答。",
                  "The question was too long; only its first {limit} characters were used."),
    "history_type": ("对话历史格式不正确（应为之前问题的文字列表），已忽略，仅按本问题回答。",
                     "The conversation history was not a list of earlier questions and was ignored."),
    "history_items": ("对话历史中有{count}条不是文字，已忽略。",
                      "{count} item(s) of the conversation history were not text and were ignored."),
}


def message(code: str, lang: str = "zh", **values) -> str:
    """The message for a problem `code` in `lang` ('zh', 'en'; anything else gives both)."""
    zh, en = _MESSAGES.get(code) or _NOTICES[code]
    zh, en = zh.format(**values), en.format(**values)
    return zh if lang == "zh" else en if lang == "en" else f"{zh}{en}"


def _problem(code: str, lang: str = "both", **values) -> InputProblem:
    return InputProblem(code, message(code, lang, **values))


EMPTY = _problem("empty")


def _raw_text(question, cap: int) -> tuple[str, bool]:
    """(text, cut): the first `cap` characters of `question` as text; raises for non-text."""
    if question is None:
        raise _problem("empty")
    if isinstance(question, (bytes, bytearray, memoryview)):
        raw = bytes(question[:cap * 4 + 4])
        # Keep what can be read; invalid bytes become U+FFFD and are dropped below.
        return raw.decode("utf-8", errors="replace"), len(question) > cap * 4 + 4
    if not isinstance(question, str):
        raise _problem("type")
    return question[:cap], len(question) > cap


def _scrub(text: str) -> str:
    """Control/format characters, lone surrogates, markup and URLs out; whitespace collapsed."""
    text = strip_control(text).replace("\ufffd", "")        # also lone surrogates (category Cs)
    # markup is not part of a question, and user text is never echoed as markup
    text = _TAG.sub(" ", _SCRIPT.sub(" ", text))
    text = _MD_LINK.sub(lambda m: f" {m.group(1)} ", text)
    text = _URL.sub(" ", text)
    if "@" in text:
        text = _EMAIL.sub(" ", text)
    text = text.replace("<", " ").replace(">", " ").replace("](", "] (").replace("]:", "] :")
    # a flood of one character ("啊啊啊啊……", "？？？？", "aaaa") says no more than three of it
    text = _FLOOD.sub(r"\1\1\1", text)
    return re.sub(r"\s+", " ", text).strip()


def display_text(question, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """A bounded echo of any input, safe to show: cleaned, at most `max_chars` characters;
    non-text input (numbers, lists, None …) echoes as ''."""
    try:
        text, _ = _raw_text(question, max_chars * RAW_FACTOR)
    except InputProblem:
        return ""
    return _scrub(text)[:max_chars]


def language_of(text: str) -> str:
    """'zh', 'en' or 'other' (by script; kana or hangul mean Japanese or Korean, not Chinese)."""
    text = re.sub(r"<[^<>]{0,200}>|https?://\S+|&\w+;", " ", text)
    other = len(_OTHER_SCRIPTS.findall(text))
    cjk = len(_CJK.findall(text))
    latin = len(re.findall(r"[A-Za-z]", text))
    if other and other >= max(cjk, latin) / 2:
        return "other"
    return "en" if latin > 2 * cjk else "zh"


def message_language(text) -> str:
    """The language a message about `text` is written in: 'zh', 'en' or 'both' (unknown)."""
    if not isinstance(text, str) or not _READABLE.search(text):
        return "both"
    lang = language_of(text)
    return lang if lang in ("zh", "en") else "both"


def clean_question(question, max_chars: int) -> tuple[str, str]:
    """Return (cleaned question, notice). Raise InputProblem when nothing usable remains."""
    cap = max_chars * RAW_FACTOR
    text, cut = _raw_text(question, cap)
    text = _scrub(text)
    if not text:
        raise _problem("too_long", limit=cap) if cut else _problem("empty")
    if not _READABLE.search(text) and not _OTHER_SCRIPTS.search(text):
        raise _problem("too_long", limit=cap) if cut else _problem("no_text")
    lang = message_language(text)
    text, injected = strip_injection(text)
    if injected and not _READABLE.search(text):
        raise _problem("injection", lang)
    if language_of(text) == "other":
        raise _problem("language", "both")
    notice = ""
    if len(text) > max_chars or cut:
        text = text[:max_chars].strip()
        notice = message("truncated", "en" if language_of(text) == "en" else "zh", limit=max_chars)
    return text, notice


# ------------------------------------------------------------ history
_BROKEN = object()      # a history string that looks like JSON but does not parse


def decode_history(value):
    """A history given as a JSON string (web and HTTP clients) decoded; other values unchanged.
    A string that is not JSON is one earlier question."""
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return value
    if not value.strip():
        return []
    if len(value) > _HISTORY_JSON_CHARS or value.lstrip()[:1] not in "[{\"-0123456789tfn":
        return [value]
    try:
        decoded = json.loads(value)
    except (ValueError, RecursionError):
        # broken JSON of a list or object is not a question; other text is one
        return _BROKEN if value.lstrip()[:1] in "[{" else [value]
    return [decoded] if isinstance(decoded, str) else decoded


def _turn_text(item):
    """The question text of one history item, or None when it is not text."""
    if isinstance(item, (str, bytes, bytearray)):
        return item
    if isinstance(item, dict):         # {"role": "user", "content": …} or {"question": …}
        if isinstance(item.get("question"), str):
            return item["question"]
        if item.get("role", "user") == "user" and isinstance(item.get("content"), str):
            return item["content"]
    return None


def clean_history(history, max_chars: int = DEFAULT_MAX_CHARS, lang: str = "zh",
                  turns: int = MAX_HISTORY_TURNS) -> tuple[list[str], str]:
    """(the last `turns` usable earlier questions, cleaned; a notice or '').

    Accepts a list or tuple of strings, or a JSON string of one. Anything else (numbers,
    dicts, booleans …) is ignored with a notice; items that are not text are skipped with a
    notice; empty or unreadable earlier questions are skipped silently. Only the end of a long
    history is looked at, so a 1,000-turn history costs no more than a short one."""
    if history is None:
        return [], ""
    history = decode_history(history)
    if not isinstance(history, (list, tuple)):
        return [], message("history_type", lang)
    kept: list[str] = []
    skipped = 0
    for item in reversed(history[-_HISTORY_SCAN:]):
        text = _turn_text(item)
        if text is None:
            skipped += 1
            continue
        try:
            cleaned, _ = clean_question(text, max_chars)
        except InputProblem:
            continue
        kept.append(cleaned)
        if len(kept) == turns:
            break
    notice = message("history_items", lang, count=skipped) if skipped else ""
    if skipped and not kept and skipped == len(history[-_HISTORY_SCAN:]):
        notice = message("history_type", lang)
    return kept[::-1], notice


# ------------------------------------------------------------ measure numbers
_NUMBER = r"[-−]?\s*(?:\d[\d,]*(?:\.\d+)?(?:[eE][+-]?\d+)?|[零〇一二两三四五六七八九十百千万亿]+)"
_MEASURE_REF = re.compile(
    rf"第\s*({_NUMBER})\s*(?:项措施|项任务|个措施|号措施|个任务|项|条)|"
    rf"\bmeasures?\s*(?:no\.?|number|#)?\s*({_NUMBER})(?![\d.])", re.I)
_LAW_BEFORE = re.compile(LAW_NAME_END + r"\s*$")


def _measure_number(token: str) -> int | None:
    token = re.sub(r"[\s,]", "", token)
    if token.isdigit():
        return int(token) if len(token) < 12 else None
    return chinese_to_int(token)


def measure_out_of_range(text: str, total: int) -> str | None:
    """The first measure number named in `text` (as written) when every one named lies
    outside 1..`total` (第0项, 第120项, 第-1项, 第1e9项, 第99999999999项, 第1.5项); else None."""
    folded = unicodedata.normalize("NFKC", text)
    first = None
    for match in _MEASURE_REF.finditer(folded):
        token = match.group(1) or match.group(2)
        if match.group(0).endswith("条") and _LAW_BEFORE.search(folded[:match.start()]):
            continue            # 《行政处罚法》第0条 is an article of a law, not a measure
        number = _measure_number(token)
        if number is not None and 1 <= number <= total:
            return None
        first = first or re.sub(r"\s", "", token).replace("−", "-")
    return first
