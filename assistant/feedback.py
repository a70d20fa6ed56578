"""Feedback on answers (thumbs up/down, optional comment) in SQLite under ``settings.data_dir``.

The database runs in WAL mode with ``synchronous=FULL`` and every write is its own
transaction, so a process killed mid-write loses nothing that was committed before. A new
connection is opened per operation, which keeps the store safe to use from Gradio's worker
threads.
"""
from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .config import Settings, get_settings

DB_NAME = "feedback.sqlite3"
RATINGS = ("up", "down")
MAX_COMMENT_CHARS = 2000

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


class FeedbackStore:
    def __init__(self, data_dir: Path | str):
        self.path = Path(data_dir) / DB_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            with conn:
                conn.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level="DEFERRED")
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    def add(self, rating: str, question: str, answer: str, citations: list[int] | None = None,
            comment: str = "", composer: str = "") -> int:
        """Store one piece of feedback in its own transaction; return its id."""
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}, not {rating!r}")
        row = (datetime.now(timezone.utc).isoformat(timespec="seconds"), rating,
               (comment or "").strip()[:MAX_COMMENT_CHARS], question or "", answer or "",
               json.dumps([int(n) for n in citations or []]), composer or "")
        with closing(self._connect()) as conn:
            with conn:   # commits on success, rolls back on error
                cursor = conn.execute(
                    "INSERT INTO feedback (created_at, rating, comment, question, answer, citations, composer) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", row)
                return int(cursor.lastrowid)

    def list_feedback(self, limit: int | None = None) -> list[Feedback]:
        """Stored feedback, newest first."""
        sql = "SELECT id, created_at, rating, comment, question, answer, citations, composer " \
              "FROM feedback ORDER BY id DESC"
        params: tuple = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (int(limit),)
        with closing(self._connect()) as conn:
            rows = conn.execute(sql, params).fetchall()
        return [Feedback(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7]) for r in rows]

    def counts(self) -> dict[str, int]:
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT rating, COUNT(*) FROM feedback GROUP BY rating").fetchall()
        return {rating: 0 for rating in RATINGS} | dict(rows)


def store_for(settings: Settings | None = None) -> FeedbackStore:
    return FeedbackStore((settings or get_settings()).data_dir)


def list_feedback(settings: Settings | None = None, limit: int | None = None) -> list[Feedback]:
    return store_for(settings).list_feedback(limit)


__all__ = ["Feedback", "FeedbackStore", "store_for", "list_feedback", "DB_NAME"]
