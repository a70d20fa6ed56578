"""Load test: concurrent users against the served app's `ask` endpoint on localhost.

    python -m benchmarks.load_test [--users 20] [--seconds 30] [--url http://127.0.0.1:7860/]

Without --url it starts `python -m assistant serve` on a free localhost port and stops it
afterwards. Each simulated user is a gradio_client Client asking questions in a loop until
the time is up (bounded in count and time); every request's latency and outcome is kept.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ["行政复议委员会什么时候建立", "审计厅要做什么", "2022年底前要完成哪些任务", "第七部分讲什么",
             "执法人员每年要培训多少学时", "第38项", "护照怎么办理", "发改委牵头哪些任务"]
MAX_REQUESTS_PER_USER = 200


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process is not None and process.poll() is not None:
            raise RuntimeError("the app exited before it started serving")
        time.sleep(0.5)
    raise TimeoutError(f"nothing listens on port {port} after {timeout} s")


@contextmanager
def served_app(env: dict | None = None):
    """Start the app in a subprocess on a free localhost port; yield its URL."""
    port = free_port()
    log = open(ROOT / "benchmarks" / "results" / "serve.log", "w") if (ROOT / "benchmarks" / "results").is_dir() \
        else subprocess.DEVNULL
    process = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", str(port)], cwd=ROOT,
                               env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _user(url: str, until: float, results: list, lock: threading.Lock, offset: int) -> None:
    from gradio_client import Client
    client = Client(url, verbose=False)
    for i in range(MAX_REQUESTS_PER_USER):
        if time.monotonic() >= until:
            break
        question = QUESTIONS[(offset + i) % len(QUESTIONS)]
        started = time.perf_counter()
        try:
            record = client.predict(question, api_name="/ask")
            ok = isinstance(record, dict) and "citations" in record and not record.get("error")
            error = "" if ok else f"bad response: {str(record)[:200]}"
        except Exception as exc:  # counted, never raised: the point is to see them
            error = f"{type(exc).__name__}: {exc}"
        with lock:
            results.append(((time.perf_counter() - started) * 1000, error))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run_load(url: str, users: int = 20, seconds: float = 30) -> dict:
    results: list[tuple[float, str]] = []
    lock = threading.Lock()
    until = time.monotonic() + seconds
    threads = [threading.Thread(target=_user, args=(url, until, results, lock, n), daemon=True) for n in range(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    elapsed = time.perf_counter() - started
    latencies = [ms for ms, _ in results]
    errors = [e for _, e in results if e]
    return {"users": users, "seconds": round(elapsed, 1), "requests": len(results), "errors": len(errors),
            "error_examples": errors[:3], "throughput_rps": round(len(results) / elapsed, 2),
            "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
            "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None}


def run_load_test(users: int = 20, seconds: float = 30, url: str | None = None, env: dict | None = None) -> dict:
    if url:
        return run_load(url, users, seconds)
    with served_app(env) as served:
        return run_load(served, users, seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--url")
    args = parser.parse_args(argv)
    result = run_load_test(args.users, args.seconds, args.url)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
