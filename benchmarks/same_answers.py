"""Answers unchanged by a performance change: dump, then compare, Assistant.ask outputs.

    python -m benchmarks.same_answers dump before.json [--repeat 2]
    python -m benchmarks.same_answers compare before.json after.json

`dump` asks every question of evals/gold.jsonl (with its history) in one process, `--repeat`
times over (the second pass is answered from warm caches, so it must equal the first), and
writes `answer` and `citations` per question; `compare` lists every question whose answer or
citations differ. Exit status 0 means identical.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("answer", "citations")


def gold_questions() -> list[dict]:
    lines = (ROOT / "evals" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def dump(path: Path, repeat: int = 1) -> dict:
    from assistant.service import Assistant
    assistant = Assistant(progress=False)
    items = gold_questions()
    passes = []
    for _ in range(max(repeat, 1)):
        passes.append({item["id"]: {f: getattr(assistant.ask(item["question"], item.get("history") or None), f)
                                    for f in FIELDS} for item in items})
    unstable = [key for key in passes[0] if any(p[key] != passes[0][key] for p in passes[1:])]
    Path(path).write_text(json.dumps({"answers": passes[0], "unstable_between_passes": unstable},
                                     ensure_ascii=False, indent=1), encoding="utf-8")
    return {"questions": len(items), "passes": len(passes), "unstable": unstable}


def compare(before: Path, after: Path) -> list[str]:
    a = json.loads(Path(before).read_text(encoding="utf-8"))["answers"]
    b = json.loads(Path(after).read_text(encoding="utf-8"))["answers"]
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out")
    d.add_argument("--repeat", type=int, default=1)
    c = sub.add_parser("compare")
    c.add_argument("before")
    c.add_argument("after")
    args = parser.parse_args(argv)
    if args.command == "dump":
        result = dump(Path(args.out), args.repeat)
        print(json.dumps(result, ensure_ascii=False))
        return 0 if not result["unstable"] else 1
    differing = compare(Path(args.before), Path(args.after))
    print(f"{len(differing)} of the gold questions differ in answer or citations" +
          (": " + ", ".join(differing) if differing else ""))
    return 0 if not differing else 1


if __name__ == "__main__":
    sys.exit(main())
