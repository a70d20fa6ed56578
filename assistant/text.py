"""Pure text helpers: repair of extraction damage, normalization, Chinese numerals."""
from __future__ import annotations

import re
import unicodedata

CJK = r"\u3400-\u9fff\uf900-\ufaff"
# Characters that sit next to CJK text without a space in well-formed Chinese.
_TIGHT = CJK + r"0-9A-Za-z%（）〔〕《》“”‘’、，。：；！？—…\(\)\[\]"

_HALF_TO_FULL = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "?": "？", "!": "！"}


def strip_control(text: str) -> str:
    """Drop control and format characters except newline and tab."""
    return "".join(
        ch for ch in text
        if ch in "\n\t" or unicodedata.category(ch)[0] != "C"
    )


def remove_cjk_spaces(text: str) -> str:
    """'2022 年 6 月前' -> '2022年6月前'; a space survives unless a CJK character or full-width
    punctuation sits on one side of it ("measure 71" keeps its space)."""
    return _CJK_GAP.sub("", text)


_WIDE = CJK + r"（）〔〕《》“”‘’、，。：；！？—…"
_CJK_GAP = re.compile(rf"(?<=[{_WIDE}])[ \u3000\t]+(?=[{_TIGHT}])|(?<=[{_TIGHT}])[ \u3000\t]+(?=[{_WIDE}])")


def unify_punctuation(text: str) -> str:
    """Half-width punctuation inside Chinese text becomes full-width (',' -> '，').

    ASCII punctuation between ASCII characters stays ("1,000", "(ABC)")."""
    out = []
    for i, ch in enumerate(text):
        if ch in _HALF_TO_FULL and not _inside_ascii(text, i):
            out.append(_HALF_TO_FULL[ch])
        else:
            out.append(ch)
    return "".join(out)


def _inside_ascii(text: str, i: int) -> bool:
    ch = text[i]
    if ch in "()":
        # A parenthetical is ASCII when everything up to its partner is ASCII.
        if ch == "(":
            close = text.find(")", i)
            inner = text[i + 1:close] if close != -1 else ""
        else:
            open_ = text.rfind("(", 0, i)
            inner = text[open_ + 1:i] if open_ != -1 else ""
        return inner.isascii() and any(c.isalpha() for c in inner)
    prev = text[i - 1] if i else " "
    nxt = text[i + 1] if i + 1 < len(text) else " "
    return prev.isascii() and nxt.isascii()


def repair_artifacts(text: str) -> str:
    """Fix the known stray tokens of the extraction: a lone English 'etc' stands for 等."""
    return re.sub(r"\s*\betc\b\.?\s*", "等", text)


def normalize(text: str) -> str:
    """The normalized form used for search, matching and display of quotes."""
    text = strip_control(text)
    text = repair_artifacts(text)
    text = remove_cjk_spaces(text)
    text = unify_punctuation(text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def fold_for_match(text: str) -> str:
    """Aggressive folding for containment checks: NFKC, no whitespace or punctuation."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("〔", "(").replace("〕", ")")
    return "".join(ch for ch in text if ch.isalnum() or ch == "%")


_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}


def chinese_to_int(numeral: str) -> int | None:
    """'三十四' -> 34, '一百零五' -> 105, '十' -> 10; None when not a numeral."""
    if not numeral or any(ch not in _DIGITS and ch not in _UNITS for ch in numeral):
        return None
    total, digit = 0, None
    for ch in numeral:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        else:
            total += (digit if digit is not None else 1) * _UNITS[ch]
            digit = None
    return total + (digit or 0)


def int_to_chinese(number: int) -> str:
    """34 -> '三十四' (1..999)."""
    digits = "零一二三四五六七八九"
    if number < 10:
        return digits[number]
    if number < 20:
        return "十" + (digits[number % 10] if number % 10 else "")
    if number < 100:
        return digits[number // 10] + "十" + (digits[number % 10] if number % 10 else "")
    hundreds, rest = divmod(number, 100)
    if rest == 0:
        return digits[hundreds] + "百"
    if rest < 10:
        return digits[hundreds] + "百零" + digits[rest]
    tail = int_to_chinese(rest)
    return digits[hundreds] + "百" + ("一" + tail if rest < 20 else tail)


def split_questions(text: str, least: int = 6) -> list[str]:
    """Several questions asked at once ("执法人员培训不少于多少学时？领导班子法治讲座要办几期？"):
    each piece ends in a question mark and has at least `least` Chinese characters; otherwise
    (a short tag question such as "谁牵头？", or a statement before the question) the text itself."""
    pieces = [p.strip() for p in re.split(r"(?<=[？?])", text) if p.strip()]
    if len(pieces) < 2 or not all(p.endswith(("？", "?")) for p in pieces):
        return [text]
    if not all(len(re.findall(r"[\u4e00-\u9fff]", p)) >= least for p in pieces):
        return [text]
    if any(_REFERS_BACK.search(p) for p in pieces[1:]):
        return [text]       # "…高院也是牵头单位吗？" leans on the question before it
    return pieces


# Words by which a later question leans on an earlier one ("也", "这项", "它", "呢", "各自").
_REFERS_BACK = re.compile(r"也|还|这|那|它|其|该|呢|同样|上述|前面|上面|各自|分别|标题|原文")


def split_sentences(text: str) -> list[str]:
    """Split Chinese text into sentences at 。！？；, keeping the terminator."""
    parts = re.findall(r"[^。！？；]+[。！？；]?", text)
    return [p.strip() for p in parts if p.strip()]


CLAUSE_ENDS = "，；。！？："
_OPENING, _CLOSING = "（〔《“‘([【", "）〕》”’)]】"


def clauses(text: str) -> list[str]:
    """`text` split after each clause mark (，；。！？：) outside brackets and quotes; the
    pieces joined give `text` back."""
    pieces, start, depth = [], 0, 0
    for i, ch in enumerate(text):
        if ch in _OPENING:
            depth += 1
        elif ch in _CLOSING:
            depth = max(0, depth - 1)
        elif ch in CLAUSE_ENDS and depth == 0:
            pieces.append(text[start:i + 1])
            start = i + 1
    if start < len(text):
        pieces.append(text[start:])
    return pieces


# How the name of a law or document ends: "…法第20条", "民法典第1034条", "《…》第3条" cite an
# article of it, not a measure of the plan.
LAW_NAME_END = r"(?:》|法|典|条例|规定|办法|细则|纲要|决定|意见)"
