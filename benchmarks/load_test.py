"""Load and start-up benchmark of the served assistant (a script, not a test).

    python -m benchmarks.load_test                      # start a server, then REST and Gradio at 20 and 50 users
    python -m benchmarks.load_test --targets rest --users 20 --seconds 30
    python -m benchmarks.load_test --url http://127.0.0.1:7860 [--pid N] [--token T]   # a running server
    python -m benchmarks.load_test --tree /path/to/other/checkout                      # e.g. the code before a change
    python -m benchmarks.load_test --targets none --startup-runs 3                      # start-up only

Without --url it starts ``python -m assistant serve`` on a free loopback port (``--tree``: from
another checkout, with this checkout's index and model cache) and measures:

- start-up: seconds from process start to the first answer of ``POST /api/ask`` (index
  present), and the server's peak resident memory (VmHWM) at that point;
- for each target (``rest``: ``POST /api/ask``; ``gradio``: the web app's named endpoint ``ask``
  through Gradio's HTTP API, ``POST /gradio_api/call/ask`` then its event stream) and each
  number of concurrent users: answers per second, p50/p95 latency, errors, and the server's RSS
  before the load, its peak during it and after it (once the server has been idle for a few
  seconds; ``--settle``).

Each simulated user is a thread with its own keep-alive connection asking questions in a loop
(a question mix over every kind of answer, ``--questions gold`` for all 317 gold questions)
until the time is up. Results: ``benchmarks/results/load.{json,md}`` and stdout.
"""
from __future__ import annotations

import argparse
import http.client
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
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
QUESTIONS = ["行政复议委员会什么时候建立", "审计厅要做什么", "2022年底前要完成哪些任务", "第七部分讲什么",
             "执法人员每年要培训多少学时", "第38项", "护照怎么办理", "发改委牵头哪些任务"]
FIRST_QUESTION = "行政复议委员会什么时候建立"
MAX_REQUESTS_PER_USER = 100_000


# ------------------------------------------------------------ the server process
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
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout} s")


def proc_memory(pid: int) -> dict:
    """VmRSS, VmHWM (peak) and RssAnon of a process, in MB (Linux /proc).

    RSS also counts the pages of the memory-mapped model weights that have been read: each new
    token reads its row of the 250k-row embedding table, so RSS grows with the vocabulary seen,
    up to the table's size; those pages are clean file pages the kernel drops under pressure.
    RssAnon is the process's own memory, where a leak would show."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:", "RssAnon:")):
            values[line.split(":")[0]] = round(int(line.split()[1]) / 1024, 1)
    return {"rss_mb": values.get("VmRSS"), "peak_mb": values.get("VmHWM"), "anon_mb": values.get("RssAnon")}


def server_env(tree: Path, extra: dict | None = None) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
           "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
    if tree.resolve() != ROOT:
        # another checkout answers from this one's index and models
        env.setdefault("ASSISTANT_INDEX_DIR", str(ROOT / "index"))
        env.setdefault("ASSISTANT_MODEL_CACHE", str(ROOT / ".cache" / "models"))
    return {**env, **(extra or {})}


@contextmanager
def served_app(env: dict | None = None, tree: Path = ROOT, token: str | None = None):
    """Start `python -m assistant serve` on a free loopback port; yield (url, process, start-up record).

    The start-up record: seconds from starting the process to the first answer of POST /api/ask,
    and the server's peak memory then."""
    port = free_port()
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = open(RESULTS / "serve.log", "w")
    extra = dict(env or {})
    if token:
        extra["ASSISTANT_ACCESS_TOKEN"] = token
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", str(port)], cwd=tree,
                               env=server_env(tree, extra), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, process)
        listening = time.perf_counter() - started
        client = Asker(url, token)
        while True:
            if process.poll() is not None:
                raise RuntimeError("the server exited; see benchmarks/results/serve.log")
            try:
                ok, _ = client.rest(FIRST_QUESTION)
                if ok:
                    break
            except OSError:
                client.reset()
            time.sleep(0.05)
        first = time.perf_counter() - started
        # the APIs may answer before the web app is mounted (its health says "starting")
        while True:
            if process.poll() is not None:
                raise RuntimeError("the server exited; see benchmarks/results/serve.log")
            try:
                status, body = client._request("GET", "/api/health")
                if status == 200 and json.loads(body).get("web_app", "ready") == "ready":
                    break
            except OSError:
                client.reset()
            time.sleep(0.05)
        page = time.perf_counter() - started
        startup = {"listening_seconds": round(listening, 2), "first_answer_seconds": round(first, 2),
                   "web_page_seconds": round(page, 2),
                   **{f"startup_{k}": v for k, v in proc_memory(process.pid).items()}}
        client.close()
        yield url, process, startup
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


# ------------------------------------------------------------ one simulated user
class Asker:
    """A keep-alive HTTP connection asking questions by REST or through Gradio's `ask` endpoint."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 120):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.conn: http.client.HTTPConnection | None = None

    def _conn(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def reset(self) -> None:
        self.close()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        payload = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        for attempt in (1, 2):          # a keep-alive connection the server closed: reconnect once
            conn = self._conn()
            try:
                conn.request(method, self.prefix + path, body=payload, headers=self.headers)
                response = conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def rest(self, question: str) -> tuple[bool, str]:
        status, data = self._request("POST", "/api/ask", {"question": question})
        if status != 200:
            return False, f"HTTP {status}: {data[:200]!r}"
        record = json.loads(data)
        ok = isinstance(record, dict) and "citations" in record and not record.get("error")
        return ok, "" if ok else f"bad record: {str(record)[:200]}"

    def gradio(self, question: str) -> tuple[bool, str]:
        status, data = self._request("POST", "/gradio_api/call/ask", {"data": [question]})
        if status != 200:
            return False, f"HTTP {status}: {data[:200]!r}"
        event_id = json.loads(data)["event_id"]
        status, stream = self._request("GET", f"/gradio_api/call/ask/{event_id}")
        if status != 200:
            return False, f"HTTP {status}: {stream[:200]!r}"
        event, record = "", None
        for line in stream.decode("utf-8").splitlines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event == "complete":
                record = json.loads(line[5:])[0]
            elif line.startswith("data:") and event == "error":
                return False, f"error event: {line[:200]}"
        ok = isinstance(record, dict) and "citations" in record and not record.get("error")
        return ok, "" if ok else f"bad record: {str(record)[:200]}"


def _user(url: str, target: str, until: float, results: list, lock: threading.Lock, offset: int,
          questions: list[str], token: str | None) -> None:
    asker = Asker(url, token)
    ask = asker.rest if target == "rest" else asker.gradio
    try:
        for i in range(MAX_REQUESTS_PER_USER):
            if time.monotonic() >= until:
                break
            question = questions[(offset * 7 + i) % len(questions)]
            started = time.perf_counter()
            try:
                ok, error = ask(question)
            except Exception as exc:  # counted, never raised: the point is to see them
                ok, error = False, f"{type(exc).__name__}: {exc}"
                asker.reset()
            with lock:
                results.append(((time.perf_counter() - started) * 1000, error if not ok else ""))
    finally:
        asker.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run_load(url: str, users: int = 20, seconds: float = 30, target: str = "gradio", questions: list[str] | None = None,
             token: str | None = None, pid: int | None = None) -> dict:
    """`users` threads asking through `target` ("rest" or "gradio") for `seconds`; with `pid`,
    the server's memory is sampled during the run."""
    questions = questions or QUESTIONS
    results: list[tuple[float, str]] = []
    lock = threading.Lock()
    until = time.monotonic() + seconds
    threads = [threading.Thread(target=_user, args=(url.rstrip("/"), target, until, results, lock, n, questions, token),
                                daemon=True) for n in range(users)]
    peak = [0.0]
    done = threading.Event()

    def sample():
        while not done.wait(0.5):
            try:
                peak[0] = max(peak[0], proc_memory(pid)["rss_mb"] or 0.0)
            except OSError:
                return
    sampler = threading.Thread(target=sample, daemon=True) if pid else None
    if sampler:
        sampler.start()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 180)
    elapsed = time.perf_counter() - started
    done.set()
    latencies = [ms for ms, _ in results]
    errors = [e for _, e in results if e]
    record = {"target": target, "users": users, "seconds": round(elapsed, 1), "requests": len(results),
              "errors": len(errors), "error_examples": errors[:3],
              "throughput_rps": round((len(results) - len(errors)) / elapsed, 2),
              "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
              "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None}
    if pid:
        record["rss_peak_mb"] = peak[0]
    return record


def settle(pid: int, seconds: float) -> dict:
    """The server's memory once it has been idle for `seconds` (memory handed back by then)."""
    time.sleep(seconds)
    return proc_memory(pid)


def warm_up(url: str, questions: list[str], token: str | None, targets: list[str]) -> None:
    """Every question once per target: the load then measures answering, not first-time costs."""
    asker = Asker(url, token)
    for target in targets:
        for question in questions:
            (asker.rest if target == "rest" else asker.gradio)(question)
    asker.close()


def run_load_test(users: int = 20, seconds: float = 30, url: str | None = None, env: dict | None = None) -> dict:
    """One Gradio-endpoint run (as `benchmarks.run --load-test` reports it)."""
    if url:
        return run_load(url, users, seconds)
    with served_app(env) as (served, process, _):
        return run_load(served, users, seconds, pid=process.pid)


def benchmark(targets: list[str], user_counts: list[int], seconds: float, questions: list[str], url: str | None,
              pid: int | None, token: str | None, tree: Path, settle_seconds: float) -> dict:
    import platform
    result: dict = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "cpus": os.cpu_count(), "python": platform.python_version(),
                    "tree": str(tree), "questions": len(questions), "runs": []}

    def load_runs(served: str, server_pid: int | None) -> None:
        warm_up(served, questions if len(questions) <= 40 else questions[:40], token, targets)
        for target in targets:
            for users in user_counts:
                before = settle(server_pid, settle_seconds) if server_pid else None
                record = run_load(served, users, seconds, target, questions, token, server_pid)
                if server_pid:
                    after = settle(server_pid, settle_seconds)
                    record["rss_before_mb"], record["rss_after_mb"] = before["rss_mb"], after["rss_mb"]
                    record["rss_growth_pct"] = round(100 * (after["rss_mb"] - before["rss_mb"]) / before["rss_mb"], 1)
                    record["anon_before_mb"], record["anon_after_mb"] = before["anon_mb"], after["anon_mb"]
                    record["anon_growth_pct"] = round(100 * (after["anon_mb"] - before["anon_mb"]) / before["anon_mb"], 1)
                record["load_average"] = os.getloadavg()
                result["runs"].append(record)
                print(json.dumps(record, ensure_ascii=False), flush=True)

    if url:
        load_runs(url, pid)
    else:
        with served_app(tree=tree, token=token) as (served, process, startup):
            result["startup"] = startup
            print(json.dumps(startup), flush=True)
            load_runs(served, process.pid)
            result["final_memory"] = proc_memory(process.pid)
    result["uptime"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    return result


def startup_runs(runs: int, tree: Path, token: str | None) -> dict:
    """Start the server `runs` times (nothing else running in it): first-answer seconds and peak MB."""
    records = []
    for _ in range(runs):
        with served_app(tree=tree, token=token) as (_, _process, startup):
            records.append(startup)
            print(json.dumps(startup), flush=True)
    seconds = [r["first_answer_seconds"] for r in records]
    pages = [r["web_page_seconds"] for r in records]
    peaks = [r["startup_peak_mb"] for r in records]
    return {"runs": records, "first_answer_seconds_median": statistics.median(seconds),
            "web_page_seconds_median": statistics.median(pages),
            "startup_peak_mb_median": statistics.median(peaks)}


def markdown(result: dict) -> str:
    lines = [f"# Load test ({result['when']}, {result['cpus']} CPU cores, {result['questions']} distinct questions)", "",
             f"`{result['uptime']}`", ""]
    if "startup_runs" in result:
        r = result["startup_runs"]
        each = ", ".join(f"{x['first_answer_seconds']} s / {x['web_page_seconds']} s / {x['startup_peak_mb']:.0f} MB"
                         for x in r["runs"])
        lines += [f"Start-up over {len(r['runs'])} fresh starts (first answer / web page ready / peak memory): {each}; "
                  f"median {r['first_answer_seconds_median']} s, {r['web_page_seconds_median']} s, "
                  f"{r['startup_peak_mb_median']:.0f} MB.", ""]
    if "startup" in result:
        s = result["startup"]
        lines += [f"Start-up: first answer {s['first_answer_seconds']} s after the process started (listening after "
                  f"{s['listening_seconds']} s, web page ready after {s['web_page_seconds']} s); peak memory then "
                  f"{s['startup_peak_mb']:.0f} MB.", ""]
    lines += ["| target | users | answers/s | p50 ms | p95 ms | requests | errors | RSS before → peak → after (MB) | growth "
              "| own memory (RssAnon) before → after (MB) | growth |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["runs"]:
        memory = (f"{r['rss_before_mb']:.0f} → {r['rss_peak_mb']:.0f} → {r['rss_after_mb']:.0f}"
                  if r.get("rss_before_mb") else "–")
        growth = f"{r['rss_growth_pct']:+.1f} %" if "rss_growth_pct" in r else "–"
        anon = (f"{r['anon_before_mb']:.0f} → {r['anon_after_mb']:.0f} | {r['anon_growth_pct']:+.1f} %"
                if r.get("anon_before_mb") else "– | –")
        lines.append(f"| {r['target']} | {r['users']} | {r['throughput_rps']} | {r['p50_ms']} | {r['p95_ms']} | "
                     f"{r['requests']} | {r['errors']} | {memory} | {growth} | {anon} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", default="rest,gradio", help="rest, gradio or both (comma-separated)")
    parser.add_argument("--users", default="20,50", help="concurrent users per run (comma-separated)")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--questions", choices=["mix", "gold"], default="mix")
    parser.add_argument("--url", help="a running server instead of starting one")
    parser.add_argument("--pid", type=int, help="the running server's process id (for its memory)")
    parser.add_argument("--token", default=os.environ.get("ASSISTANT_ACCESS_TOKEN") or None)
    parser.add_argument("--tree", type=Path, default=ROOT, help="checkout to serve from (default: this one)")
    parser.add_argument("--settle", type=float, default=8, help="idle seconds before reading memory")
    parser.add_argument("--out", default="load", help="results file name under benchmarks/results/")
    parser.add_argument("--startup-runs", type=int, default=0, help="first measure N fresh starts")
    args = parser.parse_args(argv)
    questions = QUESTIONS
    if args.questions == "gold":
        lines = (ROOT / "evals" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
        questions = [json.loads(line)["question"] for line in lines if line.strip()]
    starts = startup_runs(args.startup_runs, args.tree.resolve(), args.token) if args.startup_runs else None
    targets = [t for t in args.targets.split(",") if t and t != "none"]
    if targets:
        result = benchmark(targets, [int(u) for u in args.users.split(",") if u], args.seconds, questions,
                           args.url, args.pid, args.token, args.tree.resolve(), args.settle)
    else:
        result = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "cpus": os.cpu_count(), "tree": str(args.tree),
                  "questions": len(questions), "runs": [],
                  "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()}
    if starts:
        result["startup_runs"] = starts
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    (RESULTS / f"{args.out}.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))
    return 0 if all(r["errors"] == 0 for r in result["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
