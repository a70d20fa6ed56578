"""Feedback on answers (thumbs up/down per answer, optional comment) in SQLite under ``settings.data_dir``.

Durability: the database runs in WAL mode with ``synchronous=FULL`` and every write is its own
transaction, so a process killed mid-write loses nothing that was committed before. A new
connection is opened per operation, which keeps the store safe to use from Gradio's worker
threads.

Limits on what is stored (longer text is cut and ends with the marker ``…（已截断，原文共 N 字）``,
the whole value including the marker staying within the limit):

=============  ==========
question        2,000 characters
answer         20,000 characters
comment         1,000 characters (also after comments are appended to a vote)
composer          100 characters
citations         200 measure numbers
database file   256 MiB (``PRAGMA max_page_count``); when it is full new feedback is refused with a
                Chinese message and nothing stored is deleted
=============  ==========

Failing soft: the store opens lazily (constructing a ``FeedbackStore`` touches no file), so a
missing, unwritable or full data folder never stops the server from starting or answering.
Every operation that cannot reach the database raises ``FeedbackUnavailable`` whose message is
a Chinese sentence for the user, e.g. "反馈暂时无法保存（磁盘空间不足），回答不受影响。"; the next
operation tries again, so the store recovers once the disk has room.

Also here, free of any UI library: CSV export (UTF-8 with BOM, formula-injection safe), the
plain-text table and counts for the command line, the escaped Markdown view for the admin panel,
and the vote / comment logic behind the chat's per-answer like/dislike.
"""
from __future__ import annotations

import csv
import errno
import io
import json
import logging
import os
import re
import sqlite3
import tempfile
import threading
import unicodedata
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, TextIO

from .config import Settings, get_settings

log = logging.getLogger(__name__)

DB_NAME = "feedback.sqlite3"
RATINGS = ("up", "down")
RATING_LABELS = {"up": "有帮助", "down": "没帮助"}

MAX_QUESTION_CHARS = 2_000
MAX_ANSWER_CHARS = 20_000
MAX_COMMENT_CHARS = 1_000
MAX_COMPOSER_CHARS = 100
MAX_CITATIONS = 200
MAX_DB_BYTES = 256 * 1024 * 1024
TRUNCATION_MARK = "…（已截断，原文共 {n} 字）"

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT    NOT NULL,
    rating     TEXT    NOT NULL CHECK (rating IN ('up', 'down')),
    comment    TEXT    NOT NULL DEFAULT '',
    question   TEXT    NOT NULL,
    answer     TEXT    NOT NULL,
    citations  TEXT    NOT NULL DEFAULT '[]',
    composer   TEXT    NOT NULL DEFAULT ''
)
"""
COLUMNS = "id, created_at, rating, comment, question, answer, citations, composer"

# ------------------------------------------------------------ failing soft
REASON_DISK_FULL = "磁盘空间不足"
REASON_CAP = "反馈库已达容量上限"
REASON_UNWRITABLE = "数据目录不可写"
REASON_BUSY = "数据库繁忙，请稍后再试"
REASON_CORRUPT = "反馈数据库已损坏"
REASON_IO = "磁盘读写出错"


class FeedbackUnavailable(RuntimeError):
    """The feedback database cannot be used right now; ``message`` is for the user (Chinese)."""

    def __init__(self, action: str, reason: str = ""):
        if action != "write" and reason == REASON_UNWRITABLE:
            reason = "数据目录不可用"
        self.action, self.reason = action, reason
        verb = "保存" if action == "write" else "读取"
        detail = f"（{reason}）" if reason else ""
        tail = "，回答不受影响。" if action == "write" else "。"
        self.message = f"反馈暂时无法{verb}{detail}{tail}"
        super().__init__(self.message)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        text = str(exc).lower()
        if code == getattr(sqlite3, "SQLITE_FULL", 13) or "disk is full" in text:
            return REASON_DISK_FULL
        if ("readonly" in text or "read-only" in text or "unable to open" in text
                or code in (getattr(sqlite3, "SQLITE_READONLY", 8), getattr(sqlite3, "SQLITE_CANTOPEN", 14),
                            getattr(sqlite3, "SQLITE_PERM", 3))):
            return REASON_UNWRITABLE
        if "locked" in text or "busy" in text:
            return REASON_BUSY
        if "not a database" in text or "malformed" in text:
            return REASON_CORRUPT
        if "i/o" in text:
            return REASON_IO
        return ""
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            return REASON_DISK_FULL
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
            return REASON_UNWRITABLE
        return REASON_IO
    return ""


# ------------------------------------------------------------ text limits
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value) -> str:
    """A storable string: never None, no lone surrogates, no control characters but tab and newline."""
    text = "" if value is None else str(value)
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def clip_text(value, limit: int) -> str:
    """``value`` cleaned and cut to at most ``limit`` characters, the cut marked (marker included)."""
    text = clean_text(value)
    if len(text) <= limit:
        return text
    mark = TRUNCATION_MARK.format(n=len(text))
    return text[:max(limit - len(mark), 0)] + mark[:limit]


def _citations(values) -> list[int]:
    numbers: list[int] = []
    for value in values or []:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if number not in numbers:
            numbers.append(number)
        if len(numbers) >= MAX_CITATIONS:
            break
    return numbers


def _since(value: str | date | None) -> str | None:
    """A YYYY-MM-DD bound as the ISO prefix stored times compare against (times are UTC)."""
    if value is None or value == "":
        return None
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return day.isoformat()


# ------------------------------------------------------------ the store
@dataclass(frozen=True)
class Feedback:
    id: int
    created_at: str
    rating: str
    comment: str
    question: str
    answer: str
    citations: list[int]
    composer: str

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _row(r) -> Feedback:
    try:
        citations = [int(n) for n in json.loads(r[6])]
    except (TypeError, ValueError):
        citations = []
    return Feedback(r[0], r[1], r[2], r[3], r[4], r[5], citations, r[7])


class FeedbackStore:
    """Feedback in ``<data_dir>/feedback.sqlite3``; opened on first use, failing soft."""

    def __init__(self, data_dir: Path | str):
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / DB_NAME
        self._ready = False
        self._lock = threading.Lock()

    # -------------------------------------------------- connections
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level="DEFERRED")
        try:
            conn.execute("PRAGMA synchronous=FULL")
            page_size = conn.execute("PRAGMA page_size").fetchone()[0] or 4096
            conn.execute(f"PRAGMA max_page_count={max(MAX_DB_BYTES // page_size, 1)}")
        except BaseException:
            conn.close()
            raise
        return conn

    def _initialise(self) -> None:
        with self._lock:
            if self._ready:
                return
            self.data_dir.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                with conn:
                    conn.execute(SCHEMA)
            self._ready = True

    def _unavailable(self, action: str, exc: BaseException, conn: sqlite3.Connection | None = None):
        reason = _reason(exc)
        if reason == REASON_DISK_FULL and conn is not None and self._at_cap(conn):
            reason = REASON_CAP
        log.warning("feedback store %s at %s unavailable: %s: %s", action, self.path, type(exc).__name__, exc)
        return FeedbackUnavailable(action, reason)

    @staticmethod
    def _at_cap(conn: sqlite3.Connection) -> bool:
        """Whether a 'full' error came from our own size cap rather than the disk."""
        try:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            limit = conn.execute("PRAGMA max_page_count").fetchone()[0]
        except sqlite3.Error:
            return False
        return limit - pages < 64        # less room than the largest row needs

    def _write(self, operation: Callable[[sqlite3.Connection], object]):
        """Run ``operation`` in its own transaction; any storage failure becomes FeedbackUnavailable."""
        try:
            if not self._ready:
                self._initialise()
            conn = self._connect()
        except (sqlite3.Error, OSError) as exc:
            raise self._unavailable("write", exc) from exc
        with closing(conn):
            try:
                with conn:       # commits on success, rolls back on error
                    return operation(conn)
            except (sqlite3.Error, OSError) as exc:
                raise self._unavailable("write", exc, conn) from exc

    def _read(self, operation: Callable[[sqlite3.Connection], object], empty):
        """Run a query; a database that was never written yields ``empty`` and creates nothing."""
        try:
            if not self._ready:
                if not self.path.exists():
                    if self.data_dir.exists() and not self.data_dir.is_dir():
                        raise NotADirectoryError(errno.ENOTDIR, "data folder is a file", str(self.data_dir))
                    return empty
                try:
                    self._initialise()
                except (sqlite3.Error, OSError):
                    pass         # e.g. a read-only folder: reading may still work
            with closing(self._connect()) as conn:
                return operation(conn)
        except (sqlite3.Error, OSError) as exc:
            raise self._unavailable("read", exc) from exc

    # -------------------------------------------------- writes
    def add(self, rating: str, question: str, answer: str, citations: list[int] | None = None,
            comment: str = "", composer: str = "") -> int:
        """Store one piece of feedback (texts cut to the limits); return its id.

        Raises ``ValueError`` for an unknown rating and ``FeedbackUnavailable`` when it cannot be stored.
        """
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}, not {rating!r}")
        row = (datetime.now(timezone.utc).isoformat(timespec="seconds"), rating,
               clip_text(clean_text(comment).strip(), MAX_COMMENT_CHARS),
               clip_text(question, MAX_QUESTION_CHARS), clip_text(answer, MAX_ANSWER_CHARS),
               json.dumps(_citations(citations)), clip_text(composer, MAX_COMPOSER_CHARS))
        return int(self._write(lambda conn: conn.execute(
            f"INSERT INTO feedback ({COLUMNS.split(', ', 1)[1]}) VALUES (?, ?, ?, ?, ?, ?, ?)", row).lastrowid))

    def update(self, feedback_id: int, rating: str | None = None, comment: str | None = None,
               append: bool = False) -> Feedback | None:
        """Change a stored vote's rating and/or comment (``append`` adds to the existing comment).

        Returns the updated record, or None when there is no such record.
        """
        if rating is not None and rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}, not {rating!r}")
        addition = clean_text(comment).strip() if comment is not None else None

        def run(conn):
            row = conn.execute(f"SELECT {COLUMNS} FROM feedback WHERE id = ?", (int(feedback_id),)).fetchone()
            if row is None:
                return None
            current = _row(row)
            new_comment = current.comment
            if addition is not None:
                new_comment = addition if not append or not current.comment else (
                    f"{current.comment}\n{addition}" if addition else current.comment)
            new_comment = clip_text(new_comment, MAX_COMMENT_CHARS)
            new_rating = rating or current.rating
            conn.execute("UPDATE feedback SET rating = ?, comment = ? WHERE id = ?",
                         (new_rating, new_comment, current.id))
            return Feedback(current.id, current.created_at, new_rating, new_comment, current.question,
                            current.answer, current.citations, current.composer)
        return self._write(run)

    def delete(self, feedback_id: int) -> bool:
        """Remove one vote (the user withdrew it); True when a record was removed."""
        return bool(self._write(lambda conn: conn.execute(
            "DELETE FROM feedback WHERE id = ?", (int(feedback_id),)).rowcount))

    # -------------------------------------------------- reads
    def get(self, feedback_id: int) -> Feedback | None:
        def run(conn):
            row = conn.execute(f"SELECT {COLUMNS} FROM feedback WHERE id = ?", (int(feedback_id),)).fetchone()
            return _row(row) if row else None
        return self._read(run, None)

    def list_feedback(self, limit: int | None = None, since: str | date | None = None) -> list[Feedback]:
        """Stored feedback, newest first (``since``: YYYY-MM-DD, UTC, inclusive)."""
        sql, params = f"SELECT {COLUMNS} FROM feedback", []
        bound = _since(since)
        if bound:
            sql += " WHERE created_at >= ?"
            params.append(bound)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(int(limit), 0))
        return self._read(lambda conn: [_row(r) for r in conn.execute(sql, params).fetchall()], [])

    def iter_feedback(self, since: str | date | None = None) -> Iterator[Feedback]:
        """All stored feedback, oldest first, read in batches (for exports of any size)."""
        bound, last_id = _since(since) or "", 0
        while True:
            batch = self._read(lambda conn: conn.execute(
                f"SELECT {COLUMNS} FROM feedback WHERE id > ? AND created_at >= ? ORDER BY id LIMIT 500",
                (last_id, bound)).fetchall(), [])
            if not batch:
                return
            for r in batch:
                yield _row(r)
            last_id = batch[-1][0]

    def counts(self, since: str | date | None = None) -> dict[str, int]:
        bound = _since(since) or ""
        rows = self._read(lambda conn: conn.execute(
            "SELECT rating, COUNT(*) FROM feedback WHERE created_at >= ? GROUP BY rating", (bound,)).fetchall(), [])
        return {rating: 0 for rating in RATINGS} | dict(rows)

    def stats(self, since: str | date | None = None) -> dict:
        """Counts for the command line and the admin view."""
        bound = _since(since) or ""

        def run(conn):
            total, up, down, commented, first, last = conn.execute(
                "SELECT COUNT(*), SUM(rating = 'up'), SUM(rating = 'down'), SUM(comment != ''), "
                "MIN(created_at), MAX(created_at) FROM feedback WHERE created_at >= ?", (bound,)).fetchone()
            composers = conn.execute(
                "SELECT composer, COUNT(*) FROM feedback WHERE created_at >= ? GROUP BY composer "
                "ORDER BY COUNT(*) DESC", (bound,)).fetchall()
            return {"total": total or 0, "up": up or 0, "down": down or 0, "with_comment": commented or 0,
                    "first": first, "last": last, "by_composer": dict(composers)}
        return self._read(run, {"total": 0, "up": 0, "down": 0, "with_comment": 0, "first": None, "last": None,
                                "by_composer": {}})


def store_for(settings: Settings | None = None) -> FeedbackStore:
    return FeedbackStore((settings or get_settings()).data_dir)


def list_feedback(settings: Settings | None = None, limit: int | None = None) -> list[Feedback]:
    return store_for(settings).list_feedback(limit)


# ------------------------------------------------------------ CSV export
CSV_COLUMNS = ("时间", "评价", "问题", "回答", "引用", "评论", "回答方式")
_FORMULA_START = tuple("=+-@\t\r＝＋－＠")


def neutralise_cell(value) -> str:
    """A CSV cell a spreadsheet never evaluates: text starting with = + - @ (or tab/CR) gets a leading '."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def format_citations(citations: Iterable[int]) -> str:
    return "、".join(f"第{n}项" for n in citations)


def csv_row(item: Feedback) -> list[str]:
    cells = (item.created_at, RATING_LABELS.get(item.rating, item.rating), item.question, item.answer,
             format_citations(item.citations), item.comment, item.composer)
    return [neutralise_cell(cell) for cell in cells]


def write_csv(items: Iterable[Feedback], handle: TextIO) -> int:
    """Header and one row per item to ``handle`` (opened with newline=''); returns the row count."""
    writer = csv.writer(handle)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for item in items:
        writer.writerow(csv_row(item))
        count += 1
    return count


def export_csv(store: FeedbackStore, out: Path | str, since: str | date | None = None) -> int:
    """Write the feedback (oldest first) to ``out`` as UTF-8 CSV with BOM, atomically; returns the row count."""
    out = Path(out)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
            count = write_csv(store.iter_feedback(since), handle)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def export_csv_text(store: FeedbackStore, since: str | date | None = None) -> str:
    """The same CSV as a string, BOM first (for standard output)."""
    buffer = io.StringIO(newline="")
    write_csv(store.iter_feedback(since), buffer)
    return "\ufeff" + buffer.getvalue()


# ------------------------------------------------------------ command-line text
def _one_line(value, limit: int) -> str:
    text = " ".join(clean_text(value).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


def format_table(items: list[Feedback], question_chars: int = 24, comment_chars: int = 20) -> str:
    """A short plain-text table, newest first; user text on one line, control characters removed."""
    header = ("编号", "时间（UTC）", "评价", "引用", "问题", "评论")
    rows = [(str(i.id), i.created_at[:16].replace("T", " "), RATING_LABELS.get(i.rating, i.rating),
             _one_line(format_citations(i.citations[:3]) + ("等" if len(i.citations) > 3 else ""), 24),
             _one_line(i.question, question_chars), _one_line(i.comment, comment_chars)) for i in items]
    widths = [max(_width(row[c]) for row in [header, *rows]) for c in range(len(header))]
    lines = ["  ".join(_pad(cell, widths[c]) for c, cell in enumerate(row)).rstrip() for row in [header, *rows]]
    return "\n".join(lines)


def _share(part: int, total: int) -> str:
    return f"{part / total:.1%}" if total else "—"


def format_stats(stats: dict) -> str:
    total = stats["total"]
    lines = [f"反馈总数：{total}",
             f"有帮助：{stats['up']}（{_share(stats['up'], total)}）",
             f"没帮助：{stats['down']}（{_share(stats['down'], total)}）",
             f"附有意见：{stats['with_comment']}"]
    if total:
        lines.append(f"时间范围（UTC）：{stats['first']} 至 {stats['last']}")
    if stats.get("by_composer"):
        lines.append("按回答方式：" + "，".join(f"{_one_line(name, 40) or '未注明'} {n}"
                                              for name, n in stats["by_composer"].items()))
    return "\n".join(lines)


# ------------------------------------------------------------ escaped Markdown (admin view, notes)
_MARKDOWN_ACTIVE = re.compile(r"[!-/:-@\[-`{-~]")     # every ASCII punctuation character


def escape_markdown(value, limit: int | None = None) -> str:
    """User text as inert Markdown on one line: every ASCII punctuation character becomes an HTML
    entity, so no tag, image, link, autolink (http://, www., e-mail), emphasis, table pipe or
    heading survives; the reader still sees the original characters."""
    text = " ".join(clean_text(value).split())
    if limit is not None and len(text) > limit:
        text = text[:limit - 1] + "…"
    return _MARKDOWN_ACTIVE.sub(lambda m: f"&#{ord(m.group())};", text)


def render_recent(store: FeedbackStore, limit: int = 20, text_chars: int = 80) -> str:
    """Markdown for the admin view: counts and the latest ``limit`` rows, all user text escaped."""
    try:
        stats = store.stats()
        items = store.list_feedback(limit=max(int(limit), 1))
    except FeedbackUnavailable as exc:
        return exc.message
    total = stats["total"]
    lines = [f"**反馈共 {total} 条**：有帮助 {stats['up']}（{_share(stats['up'], total)}），"
             f"没帮助 {stats['down']}（{_share(stats['down'], total)}），附有意见 {stats['with_comment']} 条。"]
    if not items:
        return lines[0] + "\n\n暂无反馈。"
    lines += ["", f"最新 {len(items)} 条（时间为 UTC）：", "",
              "| 编号 | 时间 | 评价 | 问题 | 回答 | 引用 | 意见 |", "|---|---|---|---|---|---|---|"]
    for i in items:
        lines.append("| " + " | ".join((
            str(i.id), escape_markdown(i.created_at[:19].replace("T", " ")),
            RATING_LABELS.get(i.rating, escape_markdown(i.rating)),
            escape_markdown(i.question, text_chars), escape_markdown(i.answer, text_chars),
            escape_markdown(format_citations(i.citations), 40), escape_markdown(i.comment, text_chars) or "—",
        )) + " |")
    return "\n".join(lines)


# ------------------------------------------------------------ votes from the chat (UI-independent)
def new_votes() -> dict:
    """Per-session vote state: the feedback id of each voted answer (by turn) and the latest vote."""
    return {"turns": {}, "last": None, "last_turn": None}


def _votes(votes) -> dict:
    fresh = new_votes()
    if isinstance(votes, dict):
        fresh["turns"] = dict(votes.get("turns") or {})
        fresh["last"], fresh["last_turn"] = votes.get("last"), votes.get("last_turn")
    return fresh


def _describe(turns: list[dict], index: int) -> str:
    question = escape_markdown(turns[index].get("question", ""), 24)
    return f"第{index + 1}条回答（“{question}”）"


def _label(rating: str) -> str:
    return RATING_LABELS[rating]


def record_vote(store: FeedbackStore, turns, rating: str, comment: str = "", turn_index: int | None = None,
                votes=None) -> tuple[str, str, dict]:
    """Record (or change) the vote on one answer; returns (note for the user, comment box, votes).

    A second vote on the same answer changes the stored rating instead of adding a row; a comment
    typed before voting is stored with the vote. On a storage failure the note is the Chinese
    message and the comment box keeps its text.
    """
    turns, votes = list(turns or []), _votes(votes)
    comment = comment if isinstance(comment, str) else ""
    if not turns:
        return "请先提问，再评价回答。", comment, votes
    index = len(turns) - 1 if turn_index is None else int(turn_index)
    if not 0 <= index < len(turns):
        return "只能评价已经完成的回答。", comment, votes
    record, text = turns[index], comment.strip()
    try:
        stored = None
        if votes["turns"].get(index) is not None:
            stored = store.update(votes["turns"][index], rating=rating, comment=text or None, append=True)
        if stored is None:
            new_id = store.add(rating, record.get("question", ""), record.get("answer", ""),
                               record.get("citations") or [], comment=text, composer=record.get("composer", ""))
            stored_comment = clip_text(text, MAX_COMMENT_CHARS)
        else:
            new_id, stored_comment = stored.id, stored.comment
    except FeedbackUnavailable as exc:
        return exc.message, comment, votes
    votes["turns"][index] = new_id
    votes["last"], votes["last_turn"] = new_id, index
    note = f"已记录：您对{_describe(turns, index)}的评价——{_label(rating)}。"
    if stored_comment:
        note += f"意见：“{escape_markdown(stored_comment, 200)}”。"
    else:
        note += "如需补充意见，可在下方填写后点“提交意见”。"
    return note + "谢谢！", "", votes


def withdraw_vote(store: FeedbackStore, turns, turn_index: int, votes=None) -> tuple[str, str | None, dict]:
    """The user clicked the same thumb again: remove that answer's stored vote."""
    turns, votes = list(turns or []), _votes(votes)
    feedback_id = votes["turns"].get(turn_index)
    if feedback_id is None:
        return "这条回答没有已保存的评价。", None, votes
    try:
        store.delete(feedback_id)
    except FeedbackUnavailable as exc:
        return exc.message, None, votes
    del votes["turns"][turn_index]
    if votes["last"] == feedback_id:
        votes["last"], votes["last_turn"] = None, None
    where = _describe(turns, turn_index) if 0 <= turn_index < len(turns) else f"第{turn_index + 1}条回答"
    return f"已撤回您对{where}的评价。", None, votes


def attach_comment(store: FeedbackStore, votes, comment: str, turns=None) -> tuple[str, str, dict]:
    """Attach the comment box's text to the latest vote; returns (note, comment box, votes)."""
    votes = _votes(votes)
    comment = comment if isinstance(comment, str) else ""
    text = comment.strip()
    if not text:
        return "请先填写意见。", comment, votes
    if votes["last"] is None:
        return "请先点回答下方的“赞”或“踩”评价一条回答，意见会附在这次评价上。", comment, votes
    try:
        stored = store.update(votes["last"], comment=text, append=True)
    except FeedbackUnavailable as exc:
        return exc.message, comment, votes
    if stored is None:
        votes["last"], votes["last_turn"] = None, None
        return "找不到刚才的评价（可能已撤回），请重新评价。", comment, votes
    turns = list(turns or [])
    index = votes["last_turn"]
    where = (_describe(turns, index) if isinstance(index, int) and 0 <= index < len(turns)
             else "最近一条评价的回答" if index is None else f"第{index + 1}条回答")
    return (f"已将意见附在您对{where}的评价（{_label(stored.rating)}）上："
            f"“{escape_markdown(stored.comment, 200)}”。谢谢！"), "", votes


def message_text(value) -> str:
    """The text of a chat message as Gradio reports it (a string, a content dict, or lists of them)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("text", "value", "content"):
            if key in value:
                return message_text(value[key])
        return ""
    if isinstance(value, (list, tuple)):
        return "".join(message_text(v) for v in value)
    return ""


def turn_for_message(turns, message_index: int, value=None, render: Callable[[str], str] = str) -> int | None:
    """Which answered turn a liked chat message belongs to.

    Messages alternate question / answer, so message ``2k+1`` is turn ``k``; when the message's
    text is known it must match that turn's (rendered) answer, otherwise the turn with that answer
    is looked up (the chat may hold an error reply that is not a turn). None: not an answer.
    """
    turns = list(turns or [])
    squash = lambda s: re.sub(r"\s+", "", s or "")      # noqa: E731 (Gradio trims indentation)
    shown = squash(message_text(value))
    candidate = int(message_index) // 2 if message_index is not None else None
    if not shown:
        return candidate if candidate is not None and 0 <= candidate < len(turns) else None

    def matches(i: int) -> bool:
        answer = squash(render(turns[i].get("answer", "")))
        return bool(answer) and (answer == shown or answer in shown or shown in answer)
    if candidate is not None and 0 <= candidate < len(turns) and matches(candidate):
        return candidate
    for i in range(len(turns) - 1, -1, -1):
        if matches(i):
            return i
    return None


__all__ = ["Feedback", "FeedbackStore", "FeedbackUnavailable", "store_for", "list_feedback", "DB_NAME",
           "MAX_QUESTION_CHARS", "MAX_ANSWER_CHARS", "MAX_COMMENT_CHARS", "MAX_DB_BYTES", "CSV_COLUMNS",
           "clip_text", "neutralise_cell", "export_csv", "export_csv_text", "format_table", "format_stats",
           "escape_markdown", "render_recent", "new_votes", "record_vote", "withdraw_vote", "attach_comment",
           "turn_for_message"]
