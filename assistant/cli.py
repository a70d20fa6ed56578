"""Command line: a thin layer over the library.

    python -m assistant index [--rebuild]
    python -m assistant measures [N | --unit NAME] [--json]
    python -m assistant search "…" [--k 5] [--json]
    python -m assistant ask [--json] "问题" | --batch FILE
    python -m assistant serve [--host 127.0.0.1] [--port 7860]
    python -m assistant eval
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
    query = understand(args.query, assistant.plan, assistant.tokenizer)
    hits = assistant.retrieve(query, k=args.k)
    for rank, hit in enumerate(hits, start=1):
        m = assistant.plan.measure(hit.number)
        if args.json:
            _print_json({"rank": rank, "number": hit.number, "score": round(hit.score, 5),
                         "sources": hit.sources, "text": m.text})
        else:
            print(f"{rank}. 第{hit.number}项  score={hit.score:.4f}  {hit.sources}\n   {m.text[:90]}…")
    return 0


def _read_batch(path: str):
    """Yield (line number, item or error message) for each non-empty JSON line."""
    handle = sys.stdin if path == "-" else open(path, encoding="utf-8", errors="replace")
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict) or not isinstance(item.get("question"), str):
                    raise ValueError("需要一个包含 question 字符串的 JSON 对象")
                history = item.get("history") or []
                if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
                    raise ValueError("history 必须是字符串列表")
                yield number, item
            except ValueError as exc:
                yield number, f"第{number}行无法解析：{exc}"


def cmd_ask(args) -> int:
    from .service import Assistant
    if not args.batch and not args.question:
        print("请提供问题，例如：python -m assistant ask \"行政复议委员会什么时候建立\"", file=sys.stderr)
        return 2
    assistant = Assistant(progress=not args.json)
    if args.batch:
        for number, item in _read_batch(args.batch):
            if isinstance(item, str):
                _print_json({"question": None, "answer": item, "citations": [], "refused": False,
                             "latency_ms": 0.0, "error": "bad_line", "line": number})
                continue
            _print_json(assistant.ask(item["question"], item.get("history")).to_dict())
        return 0
    question = " ".join(args.question)
    answer = assistant.ask(question)
    if args.json:
        _print_json(answer.to_dict())
    else:
        print(answer.answer)
        print(f"\n引用：{', '.join(f'第{n}项' for n in answer.citations) or '无'}")
    return 0


def cmd_serve(args) -> int:
    from .app import serve
    serve(host=args.host, port=args.port)
    return 0


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
    except Exception as exc:  # a clear message, never a traceback
        from .index import IndexUnavailable
        if isinstance(exc, IndexUnavailable):
            print(str(exc), file=sys.stderr)
            return 3
        print(f"出错了：{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
