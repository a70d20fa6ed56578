"""The chat's display and the conversations kept in the browser (UI-independent helpers for
``assistant.app``; plain Python, tested without a browser).

Display: an answer's Markdown with tags neutralised, citations turned into card links, the
citation that closes a duty-table row shown in the row's 项号 cell instead, and each group of
measures reached through a collective designation ("**自治区政府各部门**（74项）：" followed by a
table) folded into a ``<details>`` element that shows the group's name and count.

Conversations: a JSON-serialisable store kept in the browser's localStorage through
``gr.BrowserState``. It comes back from the browser, so every read validates it
(``clean_store``); only what the chat needs is kept per answer (question, answer text,
citations, composer), and the store is capped in conversations, turns and size.
"""
from __future__ import annotations

import json
import re
import secrets
from datetime import datetime

from .answer import CITATION_RE

# "**自治区政府各部门**（74项）：" / "**…** (74 measures):" -- a designation group's heading
GROUP_RE = re.compile(r"^\*\*(?P<name>[^*\n]+)\*\*\s*[（(](?P<count>\d+)\s*(?:项|measures?)[）)]\s*[：:]\s*$")
# "| 第8项 | 牵头 | 2022年底前 | 要点【第8项】 |" -- a duty-table row closed by its citation
ROW_RE = re.compile(r"^\|\s*第(?P<n>\d+)项\s*\|(?P<middle>.*?)【第\s*(?P=n)\s*项】\s*\|\s*$")

MAX_CONVERSATIONS = 30
MAX_TURNS = 40                 # per conversation; older turns are dropped first
MAX_STORE_CHARS = 400_000      # the serialised store (localStorage holds about 5 MB per site)
TITLE_CHARS = 28
MAX_TEXT_CHARS = 60_000        # one stored question or answer
_ID = re.compile(r"^[0-9a-f]{8,32}$")


# ------------------------------------------------------------ display
def _link(match: re.Match) -> str:
    number = match.group(1)
    return f"[【第{number}项】](#m{number})"


def _row(line: str) -> str:
    """A duty-table row with its citation moved into the 项号 cell (it names the row's measure)."""
    match = ROW_RE.match(line.strip())
    if not match:
        return line
    middle = match.group("middle").rstrip()
    return f"| 【第{match.group('n')}项】 |{middle} |"


def render_answer(answer: str) -> str:
    """An answer's Markdown for the chat: tags neutralised (no HTML from the answer survives),
    designation groups folded, citations as links to the measure card."""
    lines = (answer or "").replace("<", "&lt;").split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        heading = GROUP_RE.match(lines[i].strip())
        if heading:
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j < len(lines) and lines[j].lstrip().startswith("|"):
                k = j
                while k < len(lines) and lines[k].lstrip().startswith("|"):
                    k += 1
                title = lines[i].strip().replace("**", "").rstrip("：:").strip()
                out += [f'<details class="nx-group"><summary>{title}</summary>', "",
                        *(_row(line) for line in lines[j:k]), "", "</details>", ""]
                i = k
                continue
        out.append(_row(lines[i]))
        i += 1
    return CITATION_RE.sub(_link, "\n".join(out))


# ------------------------------------------------------------ conversations
def empty_store() -> dict:
    return {"version": 1, "current": None, "items": []}


def _text(value, limit: int = MAX_TEXT_CHARS) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _turn(value) -> dict | None:
    if not isinstance(value, dict) or not isinstance(value.get("question"), str) \
            or not isinstance(value.get("answer"), str):
        return None
    citations = [n for n in (value.get("citations") or []) if isinstance(n, int) and not isinstance(n, bool)]
    return {"question": _text(value["question"]), "answer": _text(value["answer"]),
            "citations": citations[:500], "composer": _text(value.get("composer"), 80)}


def slim_turn(record: dict) -> dict:
    """What the chat keeps of one answer (Answer.to_dict()): enough to show it again, open its
    cards and record feedback on it."""
    return _turn(record) or {"question": "", "answer": "", "citations": [], "composer": ""}


def title_of(question: str) -> str:
    text = " ".join((question or "").split())
    return text if len(text) <= TITLE_CHARS else text[:TITLE_CHARS - 1] + "…"


def clean_store(value) -> dict:
    """The store as it came back from the browser, validated (anything malformed is dropped)."""
    store = empty_store()
    if not isinstance(value, dict):
        return store
    seen = set()
    for item in value.get("items") or []:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not _ID.match(item["id"]):
            continue
        if item["id"] in seen:
            continue
        turns = [t for t in map(_turn, item.get("turns") or []) if t]
        if not turns:
            continue
        seen.add(item["id"])
        store["items"].append({"id": item["id"], "title": title_of(_text(item.get("title"), 200)) or
                               title_of(turns[0]["question"]), "updated": _text(item.get("updated"), 20),
                               "turns": turns[-MAX_TURNS:]})
        if len(store["items"]) >= MAX_CONVERSATIONS:
            break
    current = value.get("current")
    store["current"] = current if current in seen else None
    return store


def _size(store: dict) -> int:
    return len(json.dumps(store, ensure_ascii=False))


def _trim(store: dict) -> dict:
    """At most MAX_CONVERSATIONS; while too large, drop the oldest conversations, then the oldest
    turns of what is left (the newest turn always stays)."""
    del store["items"][MAX_CONVERSATIONS:]
    while _size(store) > MAX_STORE_CHARS and len(store["items"]) > 1:
        dropped = store["items"].pop()
        if store["current"] == dropped["id"]:
            store["current"] = None
    if store["items"]:
        turns = store["items"][0]["turns"]
        while _size(store) > MAX_STORE_CHARS and len(turns) > 1:
            turns.pop(0)
    return store


def find(store: dict, conversation_id) -> dict | None:
    return next((c for c in store["items"] if c["id"] == conversation_id), None)


def add_turn(value, conversation_id, record: dict, now: datetime | None = None) -> tuple[dict, str]:
    """Store one answered turn in its conversation (a new one when `conversation_id` is unknown);
    the conversation moves to the front and becomes the current one. Returns (store, its id)."""
    store = clean_store(value)
    conversation = find(store, conversation_id)
    if conversation is None:
        conversation = {"id": secrets.token_hex(8), "title": title_of(record.get("question", "")),
                        "updated": "", "turns": []}
    else:
        store["items"].remove(conversation)
    conversation["turns"] = (conversation["turns"] + [slim_turn(record)])[-MAX_TURNS:]
    conversation["updated"] = (now or datetime.now()).strftime("%Y-%m-%d %H:%M")
    store["items"].insert(0, conversation)
    store["current"] = conversation["id"]
    return _trim(store), conversation["id"]


def remove(value, conversation_id) -> dict:
    store = clean_store(value)
    store["items"] = [c for c in store["items"] if c["id"] != conversation_id]
    if store["current"] == conversation_id:
        store["current"] = None
    return store


def choices(store: dict) -> list[tuple[str, str]]:
    """(label, id) per stored conversation, newest first: "审计厅要做什么（3问 · 11-28 14:02）"."""
    out = []
    for c in store["items"]:
        when = c.get("updated", "")[5:]        # "11-28 14:02"
        out.append((f"{c['title']}（{len(c['turns'])}问{' · ' + when if when else ''}）", c["id"]))
    return out


def messages_of(conversation: dict | None, escape) -> list[dict]:
    """The chat messages of a stored conversation (questions escaped with `escape`)."""
    messages = []
    for turn in (conversation or {}).get("turns", []):
        messages.append({"role": "user", "content": escape(turn["question"])})
        messages.append({"role": "assistant", "content": render_answer(turn["answer"])})
    return messages


__all__ = ["render_answer", "empty_store", "clean_store", "add_turn", "remove", "find", "choices",
           "messages_of", "slim_turn", "title_of", "MAX_CONVERSATIONS", "MAX_TURNS", "MAX_STORE_CHARS"]
