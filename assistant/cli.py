"""Command line: a thin layer over the library.

    python -m assistant index [--rebuild]
    python -m assistant measures [N | --unit NAME] [--json]
    python -m assistant search "…" [--k 5] [--json]
    python -m assistant ask [--json] "问题" | --batch FILE
    python -m assistant serve [--host 127.0.0.1] [--port 7860]
    python -m assistant eval
    python -m assistant feedback export [--out FILE.csv] [--since YYYY-MM-DD] | list [--limit N] | stats
"""
from __future__ import annotations

import argparse
import json
import sys


def _settings():
    from .config import get_settings
    return get_settings()


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def cmd_index(args) -> int:
    from .embeddings import load_embedder
    from .index import PlanIndex
    from .plan import load_plan
    settings = _settings()
    plan = load_plan(settings.corpus_path)
    index = PlanIndex(settings, load_embedder(settings), plan)
    info = index.ensure(rebuild=args.rebuild)
    verb = "复用已有索引" if info.reused else f"已建立索引（{info.build_seconds} 秒）"
    print(f"{verb}：{info.count} 段，模型 {info.model_id}，语料 {info.corpus_sha256[:12]}，位置 {info.location}")
    return 0


def _measure_record(plan, m) -> dict:
    part, section = plan.part(m.part_number), plan.section(m.section_number)
    return {"number": m.number, "part": part.label, "section": section.label, "text": m.text,
            "verbatim": m.verbatim,
            "units": [{"role": u.role.value, "name": u.name, "designation": u.is_designation} for u in m.units],
            "deadlines": [{"phrase": d.phrase, "year": d.year, "month": d.month, "kind": d.kind.value}
                          for d in m.deadlines],
            "targets": [t.value for t in m.targets]}


def cmd_measures(args) -> int:
    from .plan import load_plan
    from .units import find_units_in_text, resolve_name
    plan = load_plan(_settings().corpus_path)
    measures = list(plan.measures)
    if args.number is not None:
        m = plan.measure(args.number)
        if m is None:
            print(f"方案共有{len(plan.measures)}项措施，没有第{args.number}项。", file=sys.stderr)
            return 2
        measures = [m]
    if args.unit:
        names = find_units_in_text(args.unit) or [resolve_name(args.unit).name]
        measures = [m for m in measures if set(names) & set(m.unit_names)]
        if not measures:
            print(f"没有找到点名“{args.unit}”的措施。", file=sys.stderr)
            return 2
    for m in measures:
        record = _measure_record(plan, m)
        if args.json:
            _print_json(record)
            continue
        print(f"第{m.number}项 [{record['part']} / {record['section']}]")
        print(f"  {m.text}")
        if m.deadlines:
            print("  时限：" + "；".join(d.phrase for d in m.deadlines))
        print()
    return 0


def cmd_search(args) -> int:
    from .service import Assistant
    from .query import understand
    assistant = Assistant(progress=not args.json)
    query = understand(args.query, assistant.plan, assistant.tokenizer, answer_types=assistant.answer_types)
    hits = assistant.retrieve(query, k=args.k)
    for rank, hit in enumerate(hits, start=1):
        m = assistant.plan.measure(hit.number)
        if args.json:
            _print_json({"rank": rank, "number": hit.number, "score": round(hit.score, 5),
                         "sources": hit.sources, "text": m.text})
        else:
            print(f"{rank}. 第{hit.number}项  score={hit.score:.4f}  {hit.sources}\n   {m.text[:90]}…")
    return 0


BATCH_LINE_BYTES = 64 * 1024 * 1024     # a longer batch line is rejected (and skipped to its end)


def _read_batch(source):
    """Yield (line number, item or error message) for each non-empty line of a JSON-lines
    file (a path, "-" for standard input, or an open file).

    Each line stands on its own whatever its bytes: a UTF-8 BOM is dropped, invalid UTF-8
    becomes U+FFFD (dropped by the validation), and a line that is not a JSON object (broken
    JSON, nesting too deep, too long) gives an error message for that line only. The question
    and history are validated by the assistant (`assistant.inputs`), like every other input."""
    if isinstance(source, str):
        handle = _open_batch(source)
    else:
        handle = source
    with handle:
        number = 0
        while True:
            raw = handle.readline(BATCH_LINE_BYTES + 1)
            if not raw:
                return
            number += 1
            if isinstance(raw, str):           # a text stream (tests, consoles)
                raw = raw.encode("utf-8", errors="surrogatepass")
            if len(raw) > BATCH_LINE_BYTES and not raw.endswith(b"\n"):
                while True:                    # skip the rest of the over-long line
                    rest = handle.readline(1024 * 1024)
                    if not rest or rest.endswith(b"\n" if isinstance(rest, bytes) else "\n"):
                        break
                yield number, f"第{number}行过长（超过{BATCH_LINE_BYTES}字节），已跳过。"
                continue
            line = raw.lstrip(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
            if not line.strip(" \t\r\n\ufeff"):
                continue
            try:
                item = json.loads(line.strip(" \t\r\n\ufeff"), strict=False)   # raw control characters allowed
            except RecursionError:
                yield number, f"第{number}行无法解析：JSON 嵌套过深"
                continue
            except ValueError as exc:
                yield number, f"第{number}行无法解析：不是有效的 JSON（{getattr(exc, 'msg', '格式错误')}）"
                continue
            if not isinstance(item, dict):
                yield number, f"第{number}行无法解析：需要一个 JSON 对象，如 {{\"question\": \"审计厅要做什么\"}}"
                continue
            yield number, item


def _open_batch(path: str):
    """The batch file opened for binary reading (standard input for "-"); OSError if it cannot be."""
    if path == "-":
        return getattr(sys.stdin, "buffer", sys.stdin)
    return open(path, "rb")


def cmd_ask(args) -> int:
    import os

    from .config import get_settings
    from .inputs import InputProblem, clean_question
    from .service import Assistant, rejected_answer

    def emit(record: dict) -> None:
        # valid UTF-8 whatever happened upstream (no lone surrogates reach stdout)
        text = json.dumps(record, ensure_ascii=False).encode("utf-8", errors="replace").decode("utf-8")
        print(text, flush=True)

    if not args.batch and not args.question:
        print("请提供问题，例如：python -m assistant ask \"行政复议委员会什么时候建立\"", file=sys.stderr)
        return 2
    if args.batch:
        # the file is checked before the model is loaded (that takes seconds)
        try:
            handle = _open_batch(args.batch)
        except OSError as exc:
            reason = "文件不存在" if isinstance(exc, FileNotFoundError) else (exc.strerror or type(exc).__name__)
            print(f"无法读取批处理文件 {args.batch!r}：{reason}", file=sys.stderr)
            return 2
        with handle:
            assistant = Assistant(progress=not args.json)
            for number, item in _read_batch(handle):
                if isinstance(item, str):
                    emit({"question": None, "answer": item, "citations": [], "refused": False, "latency_ms": 0.0,
                          "intent": "invalid", "measures": [], "units": [], "duties": None, "composer": "default",
                          "coverage": "none", "notice": "", "error": "bad_line", "line": number})
                    continue
                try:
                    record = assistant.ask(item.get("question"), item.get("history")).to_dict()
                except Exception as exc:  # one line's failure never stops the batch
                    record = {"question": None, "answer": f"第{number}行处理出错：{type(exc).__name__}",
                              "citations": [], "refused": False, "latency_ms": 0.0, "error": "internal"}
                emit({**record, "line": number})
        return 0
    # arguments the OS could not decode arrive as lone surrogates: back to bytes, then the
    # validation decodes them (invalid bytes dropped)
    parts = []
    for arg in args.question:
        try:
            parts.append(os.fsencode(arg))
        except UnicodeError:
            parts.append(arg.encode("utf-8", errors="surrogatepass"))
    question = b" ".join(parts)
    settings = get_settings()
    try:
        clean_question(question, settings.max_question_chars)      # bad input: no model loading
    except InputProblem as problem:
        answer = rejected_answer(question, problem, settings.max_question_chars)
        if args.json:
            emit(answer.to_dict())
            return 0
        print(answer.answer, file=sys.stderr)
        return 2
    answer = Assistant(progress=not args.json).ask(question)
    if args.json:
        emit(answer.to_dict())
    else:
        print(answer.answer.encode("utf-8", errors="replace").decode("utf-8"))
        print(f"\n引用：{', '.join(f'第{n}项' for n in answer.citations) or '无'}")
    return 0


def cmd_serve(args) -> int:
    from .server import serve
    serve(host=args.host, port=args.port)
    return 0


def _date(value: str) -> str:
    from datetime import date
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD，而不是“{value}”") from None


def cmd_feedback(args) -> int:
    from . import feedback
    store = feedback.store_for(_settings())
    try:
        if args.action == "export":
            if args.out in (None, "-"):
                text = feedback.export_csv_text(store, args.since)
                out = getattr(sys.stdout, "buffer", None)
                if out is not None and (sys.stdout.encoding or "").lower().replace("-", "") != "utf8":
                    sys.stdout.flush()
                    out.write(text.encode("utf-8"))
                    out.flush()
                else:
                    sys.stdout.write(text)
                    sys.stdout.flush()
                return 0
            try:
                count = feedback.export_csv(store, args.out, args.since)
            except OSError as exc:
                print(f"无法写入 {args.out}：{exc.strerror or exc}", file=sys.stderr)
                return 1
            print(f"已导出 {count} 条反馈到 {args.out}", file=sys.stderr)
            return 0
        if args.action == "list":
            items = store.list_feedback(limit=args.limit, since=args.since)
            if not items:
                print("还没有反馈。")
                return 0
            print(feedback.format_table(items))
            counts = store.counts(args.since)
            print(f"\n共 {sum(counts.values())} 条（有帮助 {counts['up']}，没帮助 {counts['down']}），"
                  f"以上为最新 {len(items)} 条。")
            return 0
        print(feedback.format_stats(store.stats(args.since)))
        return 0
    except feedback.FeedbackUnavailable as exc:
        print(exc.message, file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m assistant",
                                     description="宁夏法治政府建设实施方案问答助手")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("index", help="建立或复用向量索引")
    p.add_argument("--rebuild", action="store_true", help="强制重建")
    p.set_defaults(func=cmd_index)
    p = sub.add_parser("measures", help="列出措施记录")
    p.add_argument("number", nargs="?", type=int)
    p.add_argument("--unit", help="按单位筛选（可用简称）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_measures)
    p = sub.add_parser("search", help="混合检索措施")
    p.add_argument("query")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)
    p = sub.add_parser("ask", help="提问并得到带引用的回答")
    p.add_argument("question", nargs="*")
    p.add_argument("--json", action="store_true")
    p.add_argument("--batch", help="JSON lines 文件（- 表示标准输入）")
    p.set_defaults(func=cmd_ask)
    p = sub.add_parser("serve", help="启动 Gradio 网页界面")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.set_defaults(func=cmd_serve)
    sub.add_parser("eval", help="运行评测并写出报告（参数同 python -m evals）")
    p = sub.add_parser("feedback", help="导出、查看、统计用户反馈")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("export", help="导出为 CSV（UTF-8 带 BOM，可用 Excel 打开）")
    a.add_argument("--out", help="输出文件；省略或 - 表示标准输出")
    a.add_argument("--since", type=_date, help="只导出该日（UTC，含）之后的反馈，格式 YYYY-MM-DD")
    a = actions.add_parser("list", help="列出最新的反馈")
    a.add_argument("--limit", type=int, default=20, help="条数（默认 20）")
    a.add_argument("--since", type=_date, help="只列出该日（UTC，含）之后的反馈")
    a = actions.add_parser("stats", help="反馈统计")
    a.add_argument("--since", type=_date, help="只统计该日（UTC，含）之后的反馈")
    p.set_defaults(func=cmd_feedback)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["eval"]:          # options belong to the evaluation's own parser
        from evals.run import main as eval_main
        return eval_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:           # the reader went away (`… | head`): stop quietly
        import os
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 1
    except Exception as exc:  # a clear message, never a traceback
        from .index import IndexUnavailable
        detail = str(exc)[:500].encode("utf-8", errors="replace").decode("utf-8")
        if isinstance(exc, IndexUnavailable):
            print(detail, file=sys.stderr)
            return 3
        if isinstance(exc, OSError):
            print(f"无法读取或写入文件：{exc.filename or ''} {exc.strerror or detail}".strip(), file=sys.stderr)
            return 2
        print(f"出错了：{type(exc).__name__}: {detail}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
