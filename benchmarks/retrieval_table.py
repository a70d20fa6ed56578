"""Retrieval alone: dense-only vs BM25-only vs reciprocal-rank fusion, no routing.

    python -m benchmarks.retrieval_table [--sets holdout,holdout2]

Uses the single-measure questions (match "any", one or more expected measures, no history)
of the blind held-out sets, and prints hit@1, hit@3 and MRR for each retriever.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_items(names: list[str]) -> list[dict]:
    items = []
    for name in names:
        for line in (ROOT / "evals" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            item = json.loads(line) if line.strip() else None
            if item and item["expected"] and item["match"] == "any" and not item["history"]:
                items.append(item)
    return items


def score(ranked: list[int], expected: set[int]) -> tuple[float, float, float]:
    rank = next((i for i, n in enumerate(ranked, start=1) if n in expected), None)
    return (float(rank == 1), float(rank is not None and rank <= 3), 1.0 / rank if rank else 0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="holdout,holdout2")
    args = parser.parse_args(argv)
    from assistant.query import understand
    from assistant.service import Assistant
    assistant = Assistant(progress=False)
    items = load_items(args.sets.split(","))
    searches = {"dense only": assistant.dense, "BM25 only": assistant.lexical, "fused (RRF)": assistant.hybrid}
    totals = {name: [0.0, 0.0, 0.0] for name in searches}
    for item in items:
        text = understand(item["question"], assistant.plan, assistant.tokenizer).search_text
        for name, search in searches.items():
            ranked = [h.number for h in search.search(text, k=10)]
            for i, value in enumerate(score(ranked, set(item["expected"]))):
                totals[name][i] += value
    print(f"{len(items)} single-measure questions from {args.sets}\n")
    print("| retriever | hit@1 | hit@3 | MRR |\n|---|---|---|---|")
    for name, (h1, h3, rr) in totals.items():
        n = len(items)
        print(f"| {name} | {h1 / n:.3f} | {h3 / n:.3f} | {rr / n:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
