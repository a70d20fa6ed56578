"""Export files: per-session folders under the temporary directory, their clean-up, safe file
names, and table writers (CSV that Excel opens correctly, a formatted xlsx sheet, Markdown).

Layout: ``tempfile.gettempdir()/ningxia-assistant-exports/<session id>/<file>``. Every user
session of the web app gets its own random id, so users never share a folder; folders not used
for ``MAX_AGE`` seconds are removed on every export and when the app starts.
"""
from __future__ import annotations

import csv
import os
import re
import secrets
import shutil
import stat
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT_NAME = "ningxia-assistant-exports"
MAX_AGE = 24 * 3600.0          # seconds a session folder is kept after its last use
NAME_CHARS = 40                # at most this many characters of a user-supplied name in a file name
_SESSION_RE = re.compile(r"[0-9a-f]{16,64}")
# Spreadsheet programs evaluate a cell that starts with one of these (also after spaces).
FORMULA_TRIGGERS = frozenset("=+-@\t\r＝＋－＠")

_fallback_root: Path | None = None


# ------------------------------------------------------------ folders
def export_root() -> Path:
    """The shared root under the temporary directory, private to this user (mode 0700).

    When the name is taken by something that is not our own directory (a symlink, another
    user's folder), a private root from ``tempfile.mkdtemp`` is used instead."""
    global _fallback_root
    root = Path(tempfile.gettempdir()) / ROOT_NAME
    try:
        root.mkdir(mode=0o700, exist_ok=True)
        info = root.lstat()
        if stat.S_ISDIR(info.st_mode) and (not hasattr(os, "getuid") or info.st_uid == os.getuid()):
            return root
    except OSError:
        pass
    if _fallback_root is None or not _fallback_root.is_dir():
        _fallback_root = Path(tempfile.mkdtemp(prefix=ROOT_NAME + "-"))
    return _fallback_root


def new_session_id() -> str:
    """A random, unguessable id for one user session (16 hex digits)."""
    return secrets.token_hex(8)


def session_dir(session: str | None = None, root: Path | None = None) -> Path:
    """The folder of one session, created if needed and marked as used now.

    Only ids made by ``new_session_id`` (hex digits) name a folder; anything else (missing, or
    a value that could escape the root) gets a fresh random folder."""
    if not isinstance(session, str) or not _SESSION_RE.fullmatch(session):
        session = new_session_id()
    folder = Path(root) if root is not None else export_root()
    folder = folder / session
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.utime(folder)
    return folder


def cleanup(max_age: float = MAX_AGE, root: Path | None = None, now: float | None = None) -> list[Path]:
    """Remove session folders under `root` whose last use (mtime) is older than `max_age`
    seconds; returns the removed folders. Symlinks and plain files are left alone."""
    root = Path(root) if root is not None else export_root()
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    for entry in entries:
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
            if now - entry.stat(follow_symlinks=False).st_mtime <= max_age:
                continue
            shutil.rmtree(entry.path)
            removed.append(Path(entry.path))
        except OSError:      # removed meanwhile by another process, or not ours to remove
            continue
    return removed


def prepare(session: str | None = None, max_age: float = MAX_AGE) -> Path:
    """The session's folder for a new export, after removing folders older than `max_age`."""
    folder = session_dir(session)
    cleanup(max_age, root=folder.parent)
    return folder


# ------------------------------------------------------------ names and cells
def safe_stem(name: str | None, limit: int = NAME_CHARS, default: str = "unit") -> str:
    """A file-name part from any text: letters and digits (any script), '-' and '_' only,
    at most `limit` characters; no path separators, dots, spaces or control characters."""
    text = unicodedata.normalize("NFKC", name or "")
    kept = "".join(ch for ch in text if ch.isalnum() or ch in "-_")
    return kept[:limit] or default


def neutralize(cell) -> str:
    """A CSV cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR, or their
    full-width forms, also after leading spaces) is prefixed with an apostrophe."""
    text = "" if cell is None else str(cell)
    start = text.lstrip(" \u3000")[:1]
    return "'" + text if start and start in FORMULA_TRIGGERS else text


def _atomic(path: Path, write) -> Path:
    """Write through a temporary file in the same folder, then rename (no half-written files)."""
    path = Path(path)
    tmp = path.with_name(f".{secrets.token_hex(4)}.tmp{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


# ------------------------------------------------------------ writers
def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence]) -> Path:
    """UTF-8 with BOM (Excel then reads the Chinese text correctly), CRLF lines, every cell
    neutralised against formula injection."""
    rows = [list(row) for row in rows]

    def write(target: Path) -> None:
        with open(target, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([neutralize(c) for c in columns])
            writer.writerows([neutralize(c) for c in row] for row in rows)
    return _atomic(path, write)


def write_xlsx(path: Path, columns: Sequence[str], rows: Iterable[Sequence], *, sheet: str,
               widths: Sequence[float] = (), notes: Sequence[tuple[str, str]] = ()) -> Path:
    """One table sheet: bold header row, frozen below the header, autofilter over the table,
    wrapped top-aligned text, column widths (in characters) and landscape printing with the
    header repeated; `notes` (label, text) go to a second sheet 说明.

    Every value is stored as text, so a cell starting with "=" is never a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def text(value) -> str:
        return ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))

    rows = [[text(value) for value in row] for row in rows]
    book = Workbook()
    ws = book.active
    ws.title = sheet
    wrap = Alignment(wrap_text=True, vertical="top")
    ws.append([text(c) for c in columns])
    for row in rows:
        ws.append(row)
    for line in ws.iter_rows():
        for cell in line:
            cell.data_type = "s"           # text, never a formula
            cell.alignment = wrap
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    last = get_column_letter(len(columns))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if notes:
        info = book.create_sheet("说明")
        for label, note in notes:
            info.append([text(label), text(note)])
        for line in info.iter_rows():
            for cell in line:
                cell.data_type = "s"
                cell.alignment = wrap
            line[0].font = Font(bold=True)
        info.column_dimensions["A"].width, info.column_dimensions["B"].width = 12, 100
    return _atomic(path, lambda target: book.save(target))


def markdown_cell(value) -> str:
    """One Markdown table cell: pipes, line breaks and tags cannot break the table."""
    text = "" if value is None else str(value)
    text = re.sub(r"\s*[\r\n]+\s*", " ", text)
    return text.replace("|", "｜").replace("<", "&lt;")


def markdown_table(columns: Sequence[str], rows: Iterable[Sequence]) -> list[str]:
    lines = ["| " + " | ".join(markdown_cell(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(markdown_cell(c) for c in row) + " |" for row in rows]
    return lines


def write_text(path: Path, text: str) -> Path:
    return _atomic(path, lambda target: target.write_text(text, encoding="utf-8"))


__all__ = ["MAX_AGE", "NAME_CHARS", "FORMULA_TRIGGERS", "export_root", "new_session_id", "session_dir", "cleanup",
           "prepare", "safe_stem", "neutralize", "write_csv", "write_xlsx", "markdown_cell", "markdown_table",
           "write_text"]
