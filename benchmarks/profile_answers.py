"""Where the time of an answer goes: cProfile over Assistant.ask on a representative mix.

    python -m benchmarks.profile_answers [--limit 120] [--top 30] [--passes 2] [--out profile.txt]

The mix is the gold set (every category: measures, units, deadlines, targets, structure,
document, refusals, follow-ups, English), asked `--passes` times over in one process: the
first pass is what a new question costs, later passes what a repeated one costs (the load
test repeats questions). Prints per-pass mean latency and the functions with the most
cumulative and own time.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=0, help="questions (0 = all)")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--out")
    args = parser.parse_args(argv)

    from assistant.service import Assistant
    assistant = Assistant(progress=False)
    lines = (ROOT / "evals" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines if line.strip()]
    # every category, not the first N of one: take items spread over the file
    if args.limit and args.limit < len(items):
        step = len(items) / args.limit
        items = [items[int(i * step)] for i in range(args.limit)]
    assistant.ask("预热")
    report = io.StringIO()
    for n in range(args.passes):
        profiler = cProfile.Profile()
        latencies = []
        profiler.enable()
        for item in items:
            started = time.perf_counter()
            assistant.ask(item["question"], item.get("history") or None)
            latencies.append((time.perf_counter() - started) * 1000)
        profiler.disable()
        print(f"pass {n + 1}: {len(items)} questions, mean {statistics.mean(latencies):.1f} ms, "
              f"median {statistics.median(latencies):.1f} ms", file=report)
        for order in ("cumulative", "tottime"):
            stream = io.StringIO()
            pstats.Stats(profiler, stream=stream).strip_dirs().sort_stats(order).print_stats(args.top)
            print(f"--- pass {n + 1}, by {order}", file=report)
            print("\n".join(line for line in stream.getvalue().splitlines() if line.strip()
                            and not line.startswith(("   Ordered by", "   List reduced"))), file=report)
    text = report.getvalue()
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
