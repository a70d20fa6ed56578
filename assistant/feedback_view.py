"""Gradio admin panel for the feedback: counts, the latest rows (escaped), CSV download.

The panel exists only when ``ASSISTANT_ADMIN_TOKEN`` is set, and shows data only after that
token is entered. Mount it inside a ``gr.Blocks`` context, e.g.::

    if admin_enabled(settings):
        with gr.Tab("反馈管理", id="admin"):
            feedback_admin_panel(store, settings)

``feedback_admin_panel`` returns None (and creates nothing) when no token is configured.
"""
from __future__ import annotations

import hmac
import tempfile
import time
import uuid
from pathlib import Path

import gradio as gr

from .config import Settings, get_settings
from .feedback import FeedbackStore, FeedbackUnavailable, export_csv, render_recent

DEFAULT_ROWS = 20
MAX_ROWS = 200
WRONG_TOKEN = "管理口令不正确。"


def admin_enabled(settings: Settings | None = None) -> bool:
    return bool((settings or get_settings()).admin_token)


def token_ok(expected: str, given) -> bool:
    """Constant-time comparison; an empty configured token never matches."""
    if not expected or not isinstance(given, str):
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def _rows(value) -> int:
    try:
        return min(max(int(value), 1), MAX_ROWS)
    except (TypeError, ValueError):
        return DEFAULT_ROWS


def admin_view(store: FeedbackStore, expected: str, given, rows=DEFAULT_ROWS) -> str:
    """The escaped Markdown view, or a refusal when the token is wrong."""
    if not token_ok(expected, given):
        time.sleep(0.5)             # slows guessing
        return WRONG_TOKEN
    return render_recent(store, _rows(rows))


def admin_export(store: FeedbackStore, expected: str, given) -> tuple[str, str | None]:
    """(note, path of a fresh CSV export or None)."""
    if not token_ok(expected, given):
        time.sleep(0.5)
        return WRONG_TOKEN, None
    folder = Path(tempfile.gettempdir()) / "ningxia-assistant-exports" / uuid.uuid4().hex[:12]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"feedback-{time.strftime('%Y%m%d-%H%M%S')}.csv"
        count = export_csv(store, path)
    except FeedbackUnavailable as exc:
        return exc.message, None
    except OSError as exc:
        return f"导出失败：无法写入临时文件（{exc.strerror or exc}）。", None
    return f"已导出 {count} 条反馈（UTF-8 CSV，可用 Excel 打开）。", str(path)


def feedback_admin_panel(store: FeedbackStore, settings: Settings | None = None):
    """Build the admin panel in the current Blocks context; None when no admin token is configured."""
    expected = (settings or get_settings()).admin_token
    if not expected:
        return None
    with gr.Column(elem_id="feedback-admin") as panel:
        gr.Markdown("### 反馈管理\n输入管理口令后可查看最近的评价和意见，并导出全部反馈。")
        with gr.Row():
            given = gr.Textbox(label="管理口令", type="password", elem_id="admin-token", scale=3)
            rows = gr.Number(label="显示条数", value=DEFAULT_ROWS, minimum=1, maximum=MAX_ROWS, precision=0,
                             scale=1, elem_id="admin-rows")
        with gr.Row():
            show = gr.Button("查看反馈", variant="primary", elem_id="admin-show")
            export = gr.Button("导出 CSV", elem_id="admin-export")
        view = gr.Markdown(elem_id="admin-view", latex_delimiters=[], sanitize_html=True)
        download = gr.File(label="导出文件", interactive=False, visible=False, elem_id="admin-file")

    def on_show(token, count):
        return admin_view(store, expected, token, count)

    def on_export(token):
        note, path = admin_export(store, expected, token)
        return note, gr.File(value=path, visible=path is not None)

    show.click(on_show, [given, rows], view, api_visibility="private")
    given.submit(on_show, [given, rows], view, api_visibility="private")
    export.click(on_export, given, [view, download], api_visibility="private")
    return panel


__all__ = ["admin_enabled", "admin_view", "admin_export", "feedback_admin_panel", "token_ok"]
