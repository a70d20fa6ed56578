"""HTTP APIs the ecosystem already speaks, served beside the web app (same process, same port).

- ``POST /v1/chat/completions`` (OpenAI-compatible, streaming or not) and ``GET /v1/models``:
  any OpenAI client or chat front end can use the assistant. The last user message is the
  question, the earlier user messages are the history; the reply's content is the answer with
  its 【第N项】 citations and a top-level ``citations`` field lists the measure numbers.
- ``POST /api/ask`` (the JSON contract of ``ask --json``), ``GET /api/measures/{n}``,
  ``GET /api/units/{name}/duties`` and ``GET /api/health``.

Components are passed in: ``create_app(assistant)`` / ``create_router(assistant)`` take a built
``Assistant``. Questions and histories are validated in one place only, ``Assistant.ask``
(``assistant/inputs.py``); this module checks the request's shape. Every error is JSON in the
OpenAI shape ``{"error": {"message": …, "type": …, "code": …}}`` with a Chinese message. Answers
run in a pool of worker threads sized for the machine (``ASSISTANT_WORKERS``, default one per CPU
core: the work is CPU bound and mostly holds the GIL, so more threads only queue inside Python and
grow memory), so the event loop stays responsive.

Serving (``assistant.app.launch``) wraps the whole app, web app included, in ``guard``: request
bodies are limited (``ASSISTANT_MAX_BODY_KB``) and, when ``ASSISTANT_ACCESS_TOKEN`` is set (it must
be on any address but loopback), every request needs the token (``Authorization: Bearer …``, or
the cookie that ``?token=…`` sets once for a browser). ``MemoryTrimmer`` hands memory freed after a
burst of requests back to the operating system.
"""
from __future__ import annotations

import asyncio
import functools
import hmac
import os
import json
import logging
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from urllib.parse import parse_qsl, quote, urlencode

import anyio
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from . import duties

log = logging.getLogger(__name__)

MODEL_ID = "ningxia-plan-assistant"
MAX_BODY_BYTES = 4 * 1024 * 1024       # default; ASSISTANT_MAX_BODY_KB (a question is cut to 500 characters anyway)
CONCURRENCY = max(1, min(os.cpu_count() or 1, 8))   # default answer threads; ASSISTANT_WORKERS
TOKEN_COOKIE = "assistant_token"
INPUT_ERRORS = ("type", "empty")       # Answer.error codes that mean a bad request, not an answer
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_DONE = object()


# ------------------------------------------------------------ responses
def _dumps(content) -> str:
    """JSON text; lone surrogates (from "\\ud800" escapes in a request) become U+FFFD."""
    text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return _SURROGATE.sub("\ufffd", text)


class UnicodeJSONResponse(JSONResponse):
    """Chinese as UTF-8 (not \\u escapes); never fails on a lone surrogate."""

    def render(self, content) -> bytes:
        return _dumps(content).encode("utf-8")


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


_ERROR_TYPES = {404: "not_found_error", 413: "invalid_request_error", 500: "server_error", 503: "server_error"}


def error_response(status: int, message: str, code: str | None = None) -> UnicodeJSONResponse:
    kind = _ERROR_TYPES.get(status, "invalid_request_error")
    return UnicodeJSONResponse({"error": {"message": message, "type": kind, "param": None, "code": code}},
                               status_code=status)


def _size_text(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit / 1024:g} KB"


def too_large_message(limit: int) -> str:
    return f"请求体过大：最多 {_size_text(limit)}。"


async def read_json(request: Request, limit: int = MAX_BODY_BYTES):
    """The request body as JSON, or an ApiError with a message saying what is wrong."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, too_large_message(limit), "body_too_large")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiError(413, too_large_message(limit), "body_too_large")
    if not bytes(body).strip():
        raise ApiError(400, "请求体为空：需要一个 JSON 对象。", "empty_body")
    try:
        return await anyio.to_thread.run_sync(json.loads, bytes(body))
    except RecursionError:
        raise ApiError(400, "请求体的 JSON 嵌套过深。", "invalid_json") from None
    except ValueError:          # JSONDecodeError and UnicodeDecodeError
        raise ApiError(400, "请求体不是有效的 JSON（需要 UTF-8 编码的 JSON 对象）。", "invalid_json") from None


def _object(body) -> dict:
    if not isinstance(body, dict):
        raise ApiError(400, "请求体必须是 JSON 对象，例如 {\"question\": \"审计厅要做什么\"}。", "invalid_body")
    return body


# ------------------------------------------------------------ request shapes
def _content_text(content, where: str) -> str:
    """A message's content: a string, or a list of text parts ({"type": "text", "text": …})."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and content:
        texts = []
        for part in content:
            if not (isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)):
                break
            texts.append(part["text"])
        else:
            return "\n".join(texts)
    raise ApiError(400, f"{where}.content 必须是字符串，或文字片段列表（[{{\"type\": \"text\", \"text\": \"…\"}}]）；"
                        "不支持图片等其他内容。", "invalid_content")


def chat_request(body) -> dict:
    """The question, history and options of an OpenAI chat request (shape checks only)."""
    body = _object(body)
    messages = body.get("messages")
    if messages is None:
        raise ApiError(400, "缺少 messages：需要一个消息列表，例如 "
                            "[{\"role\": \"user\", \"content\": \"审计厅要做什么\"}]。", "missing_messages")
    if not isinstance(messages, list):
        raise ApiError(400, "messages 必须是列表。", "invalid_messages")
    users = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise ApiError(400, f"{where} 必须是对象（含 role 和 content）。", "invalid_messages")
        role = message.get("role")
        if not isinstance(role, str):
            raise ApiError(400, f"{where}.role 必须是字符串（user、assistant 或 system）。", "invalid_messages")
        if role == "user":
            users.append(_content_text(message.get("content"), where))
    if not users:
        raise ApiError(400, "messages 中没有用户消息（role 为 user）：请把问题放在一条用户消息里。", "no_user_message")
    model = body.get("model", MODEL_ID)
    if model is not None and not isinstance(model, str):
        raise ApiError(400, "model 必须是字符串。", "invalid_model")
    stream = body.get("stream", False)
    if stream is not None and not isinstance(stream, bool):
        raise ApiError(400, "stream 必须是 true 或 false。", "invalid_stream")
    options = body.get("stream_options") or {}
    if not isinstance(options, dict):
        raise ApiError(400, "stream_options 必须是对象。", "invalid_stream_options")
    return {"question": users[-1], "history": users[:-1], "model": model or MODEL_ID, "stream": bool(stream),
            "include_usage": options.get("include_usage") is True}


# ------------------------------------------------------------ records
def measure_record(plan, m) -> dict:
    """A measure's record: text, part, section, units by role, deadlines and targets."""
    part, section = plan.part(m.part_number), plan.section(m.section_number)
    return {
        "number": m.number, "citation": m.citation,
        "part": part.label, "part_number": part.number,
        "section": section.label, "section_number": section.number,
        "text": m.text, "body": m.body,
        "units": {role.label: names for role, names in duties.units_by_role(m).items()},
        "deadlines": [{"phrase": d.phrase, "year": d.year, "month": d.month, "kind": d.kind.value, "label": d.label}
                      for d in m.deadlines],
        "targets": [{"value": t.value, "bound": t.bound, "clause": t.clause} for t in m.targets],
    }


def _measure_number(plan, value: str) -> int:
    count = len(plan.measures)
    text = (value or "").strip()
    try:
        number = int(text)
    except ValueError:
        raise ApiError(404, f"“{text[:50]}”不是措施编号：请用 1 至 {count} 之间的数字，例如 /api/measures/38。",
                       "measure_not_found") from None
    if plan.measure(number) is None:
        raise ApiError(404, f"方案共有{count}项措施，没有第{number}项。", "measure_not_found")
    return number


def unit_record(plan, name: str) -> dict:
    unit = duties.resolve_unit(name)
    if unit is None:
        raise ApiError(404, f"没有找到名为“{name[:50]}”的单位。请使用方案中的单位名称或常用简称（如 发改委、审计厅）；"
                            "方案没有点名的单位（如 银川市司法局）可以用 /api/ask 提问“…要做什么”。", "unit_not_found")
    rows = duties.duty_rows(plan, unit)
    return {"unit": unit, "query": name,
            "summary": duties.duty_summary(unit, rows).replace("**", ""),
            "direct": sum(1 for r in rows if r.direct), "via_designation": sum(1 for r in rows if not r.direct),
            "duties": [{**asdict(r), "citation": f"【第{r.measure}项】"} for r in rows]}


# ------------------------------------------------------------ OpenAI shapes
def _completion(model: str, text: str, citations: list[int]) -> dict:
    return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "system_fingerprint": None, "citations": citations}


def _chunk(ident: str, created: int, model: str, delta: dict | None, finish: str | None = None, **extra) -> str:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
    payload = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
               "system_fingerprint": None, "choices": choices, **extra}
    return f"data: {_dumps(payload)}\n\n"


# ------------------------------------------------------------ routes
def _setting(assistant, name: str, default):
    value = getattr(getattr(assistant, "settings", None), name, None)
    return value if isinstance(value, int) and value > 0 else default


def create_router(assistant, concurrency: int | None = None, max_body_bytes: int | None = None) -> APIRouter:
    """The routes over a built Assistant (see the module docstring). `concurrency`: answer
    threads (default ``settings.workers``, one per CPU core)."""
    router = APIRouter()
    concurrency = concurrency or _setting(assistant, "workers", CONCURRENCY)
    limit = max_body_bytes or _setting(assistant, "max_body_bytes", MAX_BODY_BYTES)
    # A pool of its own: at most `concurrency` answers at once, on long-lived threads (anyio's
    # shared pool would start and retire threads with the load; Gradio's work stays off this pool)
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="answer")
    router.answer_pool = pool
    plan = assistant.plan

    async def work(fn, *args):
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)

    def handled(endpoint):
        """ApiError -> its JSON error; anything unexpected -> a 500 with a message, never a traceback."""
        @functools.wraps(endpoint)
        async def wrapper(*args, **kwargs):
            try:
                return await endpoint(*args, **kwargs)
            except ApiError as problem:
                return error_response(problem.status, problem.message, problem.code)
            except Exception as exc:
                log.exception("API request failed")
                return error_response(500, f"服务器处理请求时出错（{type(exc).__name__}），请稍后重试。", "server_error")
        return wrapper

    # ---------------------------------------------------- OpenAI-compatible
    @router.get("/v1/models", tags=["openai"])
    async def list_models():
        """The one model this server offers."""
        return UnicodeJSONResponse({"object": "list", "data": [_model_card()]})

    @router.get("/v1/models/{model}", tags=["openai"])
    @handled
    async def get_model(model: str):
        if model != MODEL_ID:
            raise ApiError(404, f"没有名为“{model[:50]}”的模型；本服务只有 {MODEL_ID}。", "model_not_found")
        return UnicodeJSONResponse(_model_card())

    @router.post("/v1/chat/completions", tags=["openai"])
    @handled
    async def chat_completions(request: Request):
        """OpenAI chat completions: the last user message is the question, earlier ones the history."""
        asked = chat_request(await read_json(request, limit))
        if not asked["stream"]:
            answer = await work(assistant.ask, asked["question"], asked["history"])
            if answer.error in INPUT_ERRORS:
                raise ApiError(400, answer.answer, answer.error)
            return UnicodeJSONResponse(_completion(asked["model"], answer.answer, answer.citations))
        items = assistant.stream(asked["question"], asked["history"])
        first = await work(next, items, _DONE)
        if getattr(first, "error", "") in INPUT_ERRORS:
            items.close()
            raise ApiError(400, first.answer, first.error)
        return StreamingResponse(_events(asked, first, items), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def _events(asked: dict, first, items):
        """SSE chunks. Partial texts grow the answer; the final Answer's text closes it."""
        ident, created, model = f"chatcmpl-{uuid.uuid4().hex}", int(time.time()), asked["model"]
        yield _chunk(ident, created, model, {"role": "assistant", "content": ""})
        shown, citations, item = "", [], first
        try:
            while item is not _DONE:
                text = item if isinstance(item, str) else item.answer
                if not isinstance(item, str):
                    citations = item.citations
                if text.startswith(shown):
                    delta = text[len(shown):]
                else:
                    # an optional LLM's verified text was revised at the end: the client cannot take
                    # back what it got, so the checked answer follows in full
                    delta = "\n\n（以下为核对后的完整回答）\n\n" + text
                shown = text
                if delta:
                    yield _chunk(ident, created, model, {"content": delta})
                item = await work(next, items, _DONE)
        except Exception as exc:
            log.exception("streamed answer failed")
            yield _chunk(ident, created, model, {"content": f"\n\n抱歉，回答时出错了（{type(exc).__name__}）。"})
        finally:
            try:
                items.close()
            except Exception:       # still running in a worker thread after a disconnect
                pass
        yield _chunk(ident, created, model, {}, "stop", citations=citations)
        if asked["include_usage"]:
            yield _chunk(ident, created, model, None,
                         usage={"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0})
        yield "data: [DONE]\n\n"

    # ---------------------------------------------------- REST
    @router.post("/api/ask", tags=["rest"])
    @handled
    async def ask(request: Request):
        """{"question": str, "history": [str]} -> the JSON contract of `ask --json`."""
        body = _object(await read_json(request, limit))
        # question and history are checked by Assistant.ask itself (a history of another type is
        # ignored with a notice), exactly as for the CLI and the web app
        answer = await work(assistant.ask, body.get("question"), body.get("history"))
        if answer.error in INPUT_ERRORS:
            raise ApiError(422, answer.answer, answer.error)
        return UnicodeJSONResponse(answer.to_dict())

    @router.get("/api/measures/{number}", tags=["rest"])
    @handled
    async def measure(number: str):
        """One measure's record."""
        m = plan.measure(_measure_number(plan, number))
        return UnicodeJSONResponse(measure_record(plan, m))

    @router.get("/api/units/{name}/duties", tags=["rest"])
    @handled
    async def unit_duties(name: str):
        """A unit's duties (aliases accepted): measures naming it, then those reaching it by designation."""
        return UnicodeJSONResponse(await work(unit_record, plan, name))

    @router.get("/api/health", tags=["rest"])
    async def health(request: Request):
        """Liveness: the parsed plan and the index, counted now; with the web app, whether its
        page is served yet ("starting" for the few seconds after the APIs are up)."""
        status = assistant.status
        # names only: no file paths, addresses or endpoint URLs of the configuration
        record = {"status": "ok", "measures": len(plan.measures), "index_count": status.index_count,
                  "embedding_model": public_name(status.embedding_model),
                  "composer": "llm" if getattr(assistant, "llm", None) is not None else "default",
                  "index_built_at": status.index_built_at}
        web_app = getattr(request.app.state, "web_app", None)
        if web_app is not None:
            record["web_app"] = web_app
        try:
            record["index_count"] = await anyio.to_thread.run_sync(lambda: assistant.index.collection.count())
        except Exception as exc:
            log.warning("health: index unavailable: %s", exc)
            return UnicodeJSONResponse({**record, "status": "error",
                                        "message": "索引不可用，请查看服务器日志。"}, status_code=503)
        return UnicodeJSONResponse(record)

    return router


def public_name(model_id: str) -> str:
    """A model's name without where it lives: a local folder is shown by its last part only."""
    text = str(model_id or "")
    if "/" in text and (text.startswith(("/", "~", ".")) or "\\" in text or os.path.exists(text)):
        return os.path.basename(text.rstrip("/")) or "local model"
    return text


def _model_card() -> dict:
    return {"id": MODEL_ID, "object": "model", "created": 1609459200, "owned_by": "ningxia-assistant"}


def create_app(assistant, concurrency: int | None = None) -> FastAPI:
    """A FastAPI app with the routes; the web app mounts Gradio on it (assistant/app.py)."""
    app = FastAPI(title="宁夏法治政府建设实施方案问答助手 API", docs_url="/api/docs", redoc_url=None,
                  openapi_url="/api/openapi.json")
    router = create_router(assistant, concurrency)
    app.include_router(router)
    app.state.answer_pool = router.answer_pool
    return app


# ------------------------------------------------------------ access and limits
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    import ipaddress
    name = (host or "").strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class AccessError(RuntimeError):
    """The server must not start as configured; the message (Chinese) says what to do."""


def check_access(host: str, token: str | None) -> None:
    """Refuse a non-loopback address without an access token."""
    if not is_loopback(host) and not (token or "").strip():
        raise AccessError(
            f"拒绝启动：要在 {host} 上提供服务（本机以外的设备也能访问），必须先设置访问令牌。"
            "请设置环境变量 ASSISTANT_ACCESS_TOKEN（建议用 `python -c \"import secrets; print(secrets.token_urlsafe(32))\"` "
            "生成一个足够长的随机字符串），访问时在请求头中带上 `Authorization: Bearer <令牌>`，"
            "浏览器第一次打开时在网址后加上 `?token=<令牌>`。只在本机使用时，请去掉 --host（默认 127.0.0.1）。")
    token = (token or "").strip()
    if token and len(token) < 16:
        raise AccessError("拒绝启动：ASSISTANT_ACCESS_TOKEN 太短，至少需要 16 个字符（建议 32 个以上的随机字符）。")
    if token and not re.fullmatch(r"[A-Za-z0-9._~+/=-]+", token):
        raise AccessError("拒绝启动：ASSISTANT_ACCESS_TOKEN 只能由字母、数字和 . _ ~ + / = - 组成"
                          "（它会放进请求头和浏览器 Cookie）。")


def _headers(scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


async def _send_simple(send, status: int, body: bytes, content_type: str, extra: list | None = None) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode()),
               (b"cache-control", b"no-store")] + (extra or [])
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _json_error(status: int, message: str, code: str) -> bytes:
    kind = _ERROR_TYPES.get(status, "invalid_request_error" if status != 401 else "authentication_error")
    return _dumps({"error": {"message": message, "type": kind, "param": None, "code": code}}).encode("utf-8")


_LOGIN_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>需要访问令牌</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body style="font-family: sans-serif;
max-width: 40em; margin: 3em auto; padding: 0 1em; line-height: 1.7"><h2>需要访问令牌</h2>
<p>本服务设置了访问令牌。请向管理员索取令牌，然后在网址后加上 <code>?token=令牌</code> 打开本页，
例如 <code>http://服务器地址:7860/?token=…</code>；浏览器会记住它（本次会话），之后不必再输入。</p>
<form method="get"><label>令牌：<input name="token" type="password" autocomplete="off" style="width: 22em"></label>
<button type="submit">进入</button></form></body></html>"""


class BodyTooLarge(Exception):
    pass


class Guard:
    """ASGI middleware over the whole server (APIs and web app).

    - Request bodies above `max_body_bytes` get 413 (declared length at once, streamed bodies as
      they arrive); the REST and OpenAI routes give the same 413 in their own JSON shape.
    - With a `token`: a request passes with ``Authorization: Bearer <token>`` or the cookie
      ``assistant_token``; a page opened with ``?token=<token>`` sets that cookie (HttpOnly,
      SameSite=Strict) and is sent on without the token in its address. Anything else gets 401:
      JSON for ``/api`` and ``/v1``, a Chinese page asking for the token otherwise.
    """

    def __init__(self, app, token: str | None = None, max_body_bytes: int = MAX_BODY_BYTES, secure: bool = False):
        self.app = app
        self.token = (token or "").strip() or None
        self.max_body_bytes = max_body_bytes
        self.secure = secure

    @property
    def routes(self):
        return getattr(self.app, "routes", [])

    def _valid(self, presented: str | None) -> bool:
        return bool(presented) and hmac.compare_digest(presented.encode("utf-8", "replace"),
                                                       self.token.encode("utf-8"))

    def _authorized(self, headers: dict[str, str]) -> bool:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and self._valid(value.strip()):
            return True
        return self._valid(_cookie(headers.get("cookie", ""), TOKEN_COOKIE))

    async def __call__(self, scope, receive, send):
        kind = scope.get("type")
        if kind not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = _headers(scope)
        path = scope.get("path", "")
        api = path.startswith(("/api/", "/v1/")) or path in ("/api", "/v1")
        if self.token is not None and not self._authorized(headers):
            if kind == "websocket":
                return await send({"type": "websocket.close", "code": 1008})
            query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            offered = next((v for k, v in query if k == "token"), None)
            if offered is not None and scope.get("method") == "GET" and self._valid(offered):
                rest = urlencode([(k, v) for k, v in query if k != "token"])
                location = quote(scope.get("root_path", "") + path or "/") + (f"?{rest}" if rest else "")
                cookie = f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict" + \
                    ("; Secure" if self.secure else "")
                return await _send_simple(send, 303, b"", "text/plain; charset=utf-8",
                                          [(b"location", location.encode("latin-1")),
                                           (b"set-cookie", cookie.encode("latin-1"))])
            if api or scope.get("method") not in ("GET", "HEAD"):
                body = _json_error(401, "需要访问令牌：请在请求头中加上 Authorization: Bearer <令牌>"
                                        "（令牌即服务器上设置的 ASSISTANT_ACCESS_TOKEN）。", "missing_or_invalid_token")
                return await _send_simple(send, 401, body, "application/json; charset=utf-8",
                                          [(b"www-authenticate", b'Bearer realm="assistant"')])
            return await _send_simple(send, 401, _LOGIN_PAGE.encode("utf-8"), "text/html; charset=utf-8",
                                      [(b"www-authenticate", b'Bearer realm="assistant"')])
        if kind != "http":
            return await self.app(scope, receive, send)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            return await _send_simple(send, 413, _json_error(413, too_large_message(self.max_body_bytes),
                                                             "body_too_large"), "application/json; charset=utf-8")
        received, too_large, answered = 0, False, False
        refusal = _json_error(413, too_large_message(self.max_body_bytes), "body_too_large")

        async def limited_receive():
            nonlocal received, too_large
            message = await receive()
            if message.get("type") == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    too_large = True
                    raise BodyTooLarge()
            return message

        async def guarded_send(message):
            # once the body was cut off, whatever the app answers (its own error) becomes the 413
            nonlocal answered
            if too_large:
                if not answered and message.get("type") == "http.response.start":
                    answered = True
                    await _send_simple(send, 413, refusal, "application/json; charset=utf-8")
                return
            if message.get("type") == "http.response.start":
                answered = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not too_large:
                raise
        if too_large and not answered:
            await _send_simple(send, 413, refusal, "application/json; charset=utf-8")


_CALL_RESULT = re.compile(r"^/gradio_api/call/(?:v2/)?[^/]+/([0-9a-fA-F-]{8,64})/?$")


class GradioCallCleanup:
    """Forgets each one-off session of Gradio's HTTP API once its result has been sent.

    ``POST /gradio_api/call/ask`` without a session id runs in a new session named after its
    event; Gradio keeps that session's state (a copy of the whole app's component config, about
    250 KB here) and its message queue until 10,000 sessions have piled up, and scans those
    queues on every result request. So a server answering through the API grew by hundreds of MB
    under load and slowed down. Browser sessions (ids chosen by the page, with a heartbeat) are
    never touched: only the session named after an event whose result was just streamed, once
    nothing of it is pending."""

    def __init__(self, app, blocks):
        self.app = app
        self.blocks = blocks
        self.cleaned = 0

    @property
    def routes(self):
        return getattr(self.app, "routes", [])

    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)
        if scope.get("type") == "http" and scope.get("method") == "GET":
            found = _CALL_RESULT.match(scope.get("path", ""))
            if found:
                self._forget(found.group(1))

    def _forget(self, session: str, tries: int = 5) -> None:
        queue = getattr(self.blocks, "_queue", None)
        holder = getattr(self.blocks, "state_holder", None)
        if queue is None:
            return
        if session in getattr(queue, "event_ids_to_events", {}) or queue.pending_event_ids_session.get(session):
            # the result was sent but the queue has not finished with the event yet: look again
            if tries > 1:
                asyncio.get_running_loop().call_later(0.5, self._forget, session, tries - 1)
            return
        queue.pending_event_ids_session.pop(session, None)
        queue.pending_messages_per_session.pop(session, None)
        if holder is not None:
            with holder.lock:
                holder.session_data.pop(session, None)
                holder.time_last_used.pop(session, None)
        self.cleaned += 1


class MemoryTrimmer:
    """Gives memory freed after a burst of requests back to the operating system.

    glibc keeps freed heap memory (per thread arena) for reuse, so a process that answered a burst
    of concurrent requests stays at its peak size. Every `interval` seconds, when the process has
    just been idle (under `idle_share` of one core used over the interval) after being busy, this
    calls ``malloc_trim(0)`` once. Elsewhere than glibc it does nothing."""

    def __init__(self, interval: float = 3.0, idle_share: float = 0.15):
        import ctypes
        import ctypes.util
        self.interval, self.idle_share = interval, idle_share
        self._stop = threading.Event()
        try:
            self._trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        except (OSError, AttributeError):
            self._trim = None
        self.trims = 0
        self.thread = threading.Thread(target=self._run, name="memory-trim", daemon=True)

    def start(self) -> "MemoryTrimmer":
        if self._trim is not None:
            self.thread.start()
        return self

    def trim(self) -> None:
        if self._trim is not None:
            self._trim(0)
            self.trims += 1

    def _run(self) -> None:
        busy_since_trim = False
        last = time.process_time()
        while not self._stop.wait(self.interval):
            now = time.process_time()
            used, last = now - last, now
            if used > self.idle_share * self.interval:
                busy_since_trim = True
            elif busy_since_trim:
                self.trim()
                busy_since_trim = False

    def stop(self) -> None:
        self._stop.set()


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """At most `arenas` glibc malloc arenas (M_ARENA_MAX) for threads created from now on: with
    dozens of server threads each getting its own arena, freed memory is scattered and stays
    mapped. Same effect as MALLOC_ARENA_MAX=2; no effect elsewhere than glibc."""
    import ctypes
    import ctypes.util
    try:
        return bool(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt(-8, int(arenas)))
    except (OSError, AttributeError):
        return False


# ------------------------------------------------------------ serving
_STARTING_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>正在启动</title>
<meta http-equiv="refresh" content="2"><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto; padding: 0 1em; line-height: 1.7">
<h2>网页界面正在启动</h2><p>问答服务已就绪，网页界面还需几秒钟。本页会自动刷新。</p></body></html>"""
API_PREFIXES = ("/api/", "/v1/")


class StagedApp:
    """The APIs as soon as the assistant is loaded, the web app once it is built.

    Importing Gradio and building the page take about three seconds of a 2-core machine's
    start-up and answering needs neither, so `serve` listens first with the REST and OpenAI
    routes (`api`) and mounts the web app when it is ready (`ui_ready`). Until then every other
    path gets a short Chinese page (503) that refreshes itself."""

    def __init__(self, api):
        self.api = api
        self.app = api               # what requests go to: the API alone, then the whole app
        self.ui_ready = False
        api.state.web_app = "starting"

    @property
    def routes(self):
        return getattr(self.app, "routes", [])

    def ui_built(self, app) -> None:
        self.app = app
        self.ui_ready = True
        self.api.state.web_app = "ready"

    async def __call__(self, scope, receive, send):
        if self.ui_ready or scope.get("type") != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        if path.startswith(API_PREFIXES) or path in ("/api", "/v1"):
            return await self.api(scope, receive, send)
        await _send_simple(send, 503, _STARTING_PAGE.encode("utf-8"), "text/html; charset=utf-8",
                           [(b"retry-after", b"2")])


async def start_mounted_gradio(app):
    """Run the startup of a Gradio app mounted on `app` after the server has started (what
    ``gr.mount_gradio_app``'s lifespan does at server start): its queue, its startup events."""
    for route in reversed(getattr(app, "routes", [])):
        inner = getattr(route, "app", None)
        if hasattr(inner, "get_blocks"):
            context = inner.router.lifespan_context(inner)
            await context.__aenter__()
            inner.get_blocks().run_startup_events()
            await inner.get_blocks().run_extra_startup_events()
            return context
    raise RuntimeError("no Gradio app is mounted")


class Serving:
    """A uvicorn server for an app, in this thread (``run``) or a background one (``start``).

    On shutdown the long-lived streams of mounted Gradio apps (the page's heartbeat, queue
    streams) are told to end, as ``Blocks.close`` does, so that stopping is prompt."""

    def __init__(self, app, host: str, port: int):
        import uvicorn

        serving = self

        class _Server(uvicorn.Server):
            async def serve(self, sockets=None):
                serving._loop = asyncio.get_running_loop()
                await super().serve(sockets)

            def handle_exit(self, sig, frame):      # Ctrl-C, in the server's own thread
                serving._end_streams(threadsafe=False)
                super().handle_exit(sig, frame)

        self.app = app
        self.host, self.port = host, port
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        self.url = f"http://{f'[{shown}]' if ':' in shown else shown}:{port}"
        self.trimmer: MemoryTrimmer | None = None
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5,
                                server_header=False)
        self.server = _Server(config)
        self.thread: threading.Thread | None = None
        self._loop = None

    def _end_streams(self, threadsafe: bool = True) -> None:
        events = [route.app.stop_event for route in getattr(self.app, "routes", [])
                  if isinstance(getattr(getattr(route, "app", None), "stop_event", None), asyncio.Event)]
        for event in events:
            if threadsafe and self._loop is not None and not self._loop.is_closed():
                self._loop.call_soon_threadsafe(event.set)
            elif not threadsafe:
                event.set()

    def _check_port(self) -> None:
        import socket
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((self.host, self.port))
            except OSError as exc:
                raise OSError(f"无法在 {self.host}:{self.port} 上启动服务（端口已被占用？）：{exc}") from exc

    def run(self) -> None:
        """Serve until interrupted (Ctrl-C)."""
        self._check_port()
        self.server.run()

    def start(self, timeout: float = 30) -> "Serving":
        """Serve from a background thread; return once the server accepts connections."""
        self._check_port()
        self.thread = threading.Thread(target=self.server.run, name="assistant-http", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise OSError(f"服务未能在 {self.host}:{self.port} 上启动。")
            time.sleep(0.02)
        return self

    def call_in_loop(self, coroutine, timeout: float = 30):
        """Run `coroutine` in the server's event loop (from another thread) and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def wait(self) -> None:
        """Block until the server stops; Ctrl-C stops it (the server runs in its own thread)."""
        try:
            while self.thread is not None and self.thread.is_alive():
                self.thread.join(0.5)
        except KeyboardInterrupt:
            self.close()

    def close(self, timeout: float = 10) -> None:
        self._end_streams()
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout)
        if self.trimmer is not None:
            self.trimmer.stop()
        pool = getattr(getattr(_innermost(self.app), "state", None), "answer_pool", None)
        if pool is not None:
            pool.shutdown(wait=False)


def _innermost(app):
    while hasattr(app, "app") and not hasattr(getattr(app, "state", None), "answer_pool"):
        app = app.app
    return app


__all__ = ["create_app", "create_router", "Serving", "ApiError", "MODEL_ID", "measure_record", "unit_record",
           "chat_request", "read_json", "error_response", "Guard", "MemoryTrimmer", "AccessError", "check_access",
           "is_loopback", "limit_malloc_arenas", "public_name", "GradioCallCleanup", "StagedApp",
           "start_mounted_gradio"]
