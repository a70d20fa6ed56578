"""`python -m assistant serve`: one process serving the APIs and the web app, started in stages.

1. The address and token are checked before anything is loaded (a refusal is immediate).
2. The assistant is loaded and answers one question from the plan's own title, so the first
   user's question does not pay for lazy set-up (the first forward pass, caches).
3. The REST and OpenAI-compatible routes listen (``http_api.StagedApp``); other paths get a
   short Chinese "starting" page.
4. Gradio is imported, the web app built and mounted on the running server.

Gradio's import and the page build take about three seconds on a 2-core machine and answering
needs neither, so programs get answers that much sooner; a browser sees the page a moment later.
This module imports neither Gradio nor the models at import time.
"""
from __future__ import annotations

import os
import sys
import time

# Nothing leaves the machine: no model hub, no usage statistics (Gradio, Chroma), no update checks.
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
               "GRADIO_ANALYTICS_ENABLED": "False", "ANONYMIZED_TELEMETRY": "False", "DO_NOT_TRACK": "1",
               # Gradio's in-memory record of past events (for its monitoring page), 10,000 by default
               "GRADIO_ANALYTICS_MAX_EVENTS": "1000"}


def offline() -> None:
    for name, value in OFFLINE_ENV.items():
        os.environ.setdefault(name, value)
    constants = sys.modules.get("huggingface_hub.constants")   # read when it was imported
    if constants is not None and os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        constants.HF_HUB_OFFLINE = True
        constants.HF_HUB_DISABLE_TELEMETRY = True


def serve(host: str = "127.0.0.1", port: int = 7860) -> None:
    from . import http_api
    from .config import get_settings
    settings = get_settings()
    token = settings.access_token.strip()
    try:
        http_api.check_access(host, token)
    except http_api.AccessError as refusal:
        raise SystemExit(str(refusal)) from None
    offline()
    http_api.limit_malloc_arenas(2)
    started = time.perf_counter()
    from .service import Assistant, status_line
    print("正在加载方案、嵌入模型和向量索引（首次运行需要建立索引，约需一分钟）…", flush=True)
    assistant = Assistant(settings, progress=True)
    assistant.ask(assistant.plan.document.title)
    print(status_line(assistant), flush=True)

    staged = http_api.StagedApp(http_api.create_app(assistant))
    serving = http_api.Serving(http_api.Guard(staged, token or None, settings.max_body_bytes), host, port)
    try:
        serving.start()
    except OSError as exc:
        raise SystemExit(str(exc)) from None
    print(f"* 接口已就绪（{time.perf_counter() - started:.1f} 秒）：OpenAI 兼容接口 {serving.url}/v1　"
          f"REST 接口 {serving.url}/api/…；正在启动网页界面…", flush=True)
    if token:
        print("* 已启用访问令牌：接口请求需带 Authorization: Bearer <令牌>；浏览器第一次打开时在网址后加 ?token=<令牌>。",
              flush=True)

    from .app import CONCURRENCY, QUEUE_SIZE, build_app, mount_ui
    offline()                        # Gradio imported huggingface_hub, which read the environment
    demo = build_app(assistant)
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    app = mount_ui(staged.api, demo, host, port, settings.max_body_bytes)
    serving.call_in_loop(http_api.start_mounted_gradio(staged.api))
    staged.ui_built(app)
    serving.trimmer = http_api.MemoryTrimmer().start()
    print(f"* 网页界面已就绪（{time.perf_counter() - started:.1f} 秒）：{serving.url}", flush=True)
    serving.wait()


__all__ = ["serve", "offline", "OFFLINE_ENV"]
