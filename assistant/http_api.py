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
run in worker threads (at most ``concurrency`` at once), so the event loop stays responsive.
"""
from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import asdict

import anyio
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from . import duties

log = logging.getLogger(__name__)

MODEL_ID = "ningxia-plan-assistant"
MAX_BODY_BYTES = 4 * 1024 * 1024       # a question is cut to 500 characters anyway
CONCURRENCY = 4                        # answers computed at once (CPU bound, like the web app's queue)
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


async def read_json(request: Request):
    """The request body as JSON, or an ApiError with a message saying what is wrong."""
    limit = f"请求体过大：最多 {MAX_BODY_BYTES // (1024 * 1024)} MB。"
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(413, limit, "body_too_large")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(413, limit, "body_too_large")
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
def create_router(assistant, concurrency: int = CONCURRENCY) -> APIRouter:
    """The routes over a built Assistant (see the module docstring)."""
    router = APIRouter()
    limiter = anyio.CapacityLimiter(concurrency)
    plan = assistant.plan

    async def work(fn, *args):
        return await anyio.to_thread.run_sync(fn, *args, limiter=limiter)

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
        asked = chat_request(await read_json(request))
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
        body = _object(await read_json(request))
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
    async def health():
        """Liveness: the parsed plan and the index, counted now."""
        status = assistant.status
        record = {"status": "ok", "measures": len(plan.measures), "index_count": status.index_count,
                  "embedding_model": status.embedding_model, "composer": status.composer,
                  "index_built_at": status.index_built_at}
        try:
            record["index_count"] = await anyio.to_thread.run_sync(lambda: assistant.index.collection.count())
        except Exception as exc:
            return UnicodeJSONResponse({**record, "status": "error",
                                        "message": f"索引不可用：{exc}"}, status_code=503)
        return UnicodeJSONResponse(record)

    return router


def _model_card() -> dict:
    return {"id": MODEL_ID, "object": "model", "created": 1609459200, "owned_by": "ningxia-assistant"}


def create_app(assistant, concurrency: int = CONCURRENCY) -> FastAPI:
    """A FastAPI app with the routes; the web app mounts Gradio on it (assistant/app.py)."""
    app = FastAPI(title="宁夏法治政府建设实施方案问答助手 API", docs_url="/api/docs", redoc_url=None,
                  openapi_url="/api/openapi.json")
    app.include_router(create_router(assistant, concurrency))
    return app


# ------------------------------------------------------------ serving
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
        self.url = f"http://{'localhost' if host == '0.0.0.0' else host}:{port}"
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)
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

    def close(self, timeout: float = 10) -> None:
        self._end_streams()
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout)


__all__ = ["create_app", "create_router", "Serving", "ApiError", "MODEL_ID", "measure_record", "unit_record",
           "chat_request", "read_json", "error_response"]
