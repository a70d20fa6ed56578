"""Run the gold set through the assistant and the baselines; score; write the reports.

    python -m evals [--limit N] [--no-baselines] [--out DIR] [--gate]
    python -m assistant eval [same options]

``evaluate(assistant, items)`` does the work for an already-built ``Assistant`` (the tests
share one); ``main`` loads the assistant, evaluates and writes ``latest.md``,
``latest.json`` and ``latest.png`` into the output folder.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .metrics import ItemScore, aggregate, score_item
from .ragas_metrics import RagasReport, ragas_scores, samples_from
from .thresholds import GROUNDING_GATE, ROBUSTNESS_GATE, GateCheck, check_gate

EVALS_DIR = Path(__file__).resolve().parent
GOLD_PATH = EVALS_DIR / "gold.jsonl"
DEFAULT_OUT = EVALS_DIR / "reports"
SYSTEM = "system"
CATEGORY_ORDER = ("measure", "unit", "deadline", "target", "structure", "document", "refusal",
                  "multiturn", "english")
ANSWER_PREVIEW = 200

# (figure key, row label) of the overall table, in display order.
OVERALL_ROWS: tuple[tuple[str, str], ...] = (
    ("hit@1", "retrieval hit@1"), ("hit@3", "retrieval hit@3"), ("hit@5", "retrieval hit@5"),
    ("mrr", "retrieval MRR"), ("citation_precision", "citation precision"),
    ("citation_recall", "citation recall"), ("unit_recall", "unit-duty recall"),
    ("unit_precision", "unit-duty precision"), ("key_fact_accuracy", "key-fact accuracy"),
    ("refusal_precision", "refusal precision"), ("refusal_recall", "refusal recall"),
    ("grounding", "grounding (fact check)"), ("cited_sentence_share", "cited-sentence share (info)"),
    ("coverage_accuracy", "coverage accuracy"), ("partial_recall", "partial-coverage recall"),
    ("answer_accuracy", "answer accuracy (combined)"),
    ("latency_p50_ms", "latency p50 (ms)"), ("latency_p95_ms", "latency p95 (ms)"),
)
CATEGORY_COLUMNS: tuple[str, ...] = ("items", "hit@1", "hit@3", "citation_precision",
                                     "citation_recall", "unit_recall", "unit_precision", "key_fact_accuracy",
                                     "grounding", "refusal_recall", "coverage_accuracy", "answer_accuracy")

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ data
def load_gold(path: Path = GOLD_PATH) -> list[dict]:
    """The gold items, one JSON object per non-empty line."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@dataclass
class Run:
    """One answering system's results and per-item scores, aligned with the items."""
    name: str
    results: list[dict]
    scores: list[ItemScore]
    seconds: float

    def figures(self) -> dict:
        return {"overall": aggregate(self.scores), "by_category": by_category(self.scores)}


@dataclass
class Evaluation:
    items: list[dict]
    runs: dict[str, Run]
    seconds: float
    ragas: RagasReport
    info: dict = field(default_factory=dict)
    robustness: object | None = None          # evals.robustness.RobustnessReport
    contrasts: list = field(default_factory=list)   # evals.contrasts.ContrastReport per set

    @property
    def system(self) -> Run:
        return self.runs[SYSTEM]

    def gate(self) -> list[GateCheck]:
        checks = check_gate(aggregate(self.system.scores))
        if self.robustness is not None:
            checks += check_gate({"invariance": self.robustness.rate}, ROBUSTNESS_GATE)
        development = next((c for c in self.contrasts if c.name == "development"), None)
        if development is not None:
            checks.append(GateCheck("contradiction detection", GROUNDING_GATE["detection"], development.detection))
            checks.append(GateCheck("paraphrase false alarms (at most)", GROUNDING_GATE["false_alarms"],
                                    development.false_alarm_rate, at_most=True))
        return checks


def by_category(scores: Sequence[ItemScore]) -> dict[str, dict]:
    """Aggregate figures per category, in the canonical category order."""
    present = {s.category for s in scores}
    ordered = [c for c in CATEGORY_ORDER if c in present] + sorted(present - set(CATEGORY_ORDER))
    return {c: aggregate([s for s in scores if s.category == c]) for c in ordered}


def fact_checker(assistant):
    """The fact check the metrics use: the plan's records, English aligned with the embedder."""
    from assistant.grounding import FactChecker
    return FactChecker(assistant.plan, assistant.embedder.embed_queries)


# ------------------------------------------------------------------ answering
def _safe(answer: Callable[[], dict]) -> dict:
    """Run one answer; an exception becomes an empty answer carrying the error."""
    started = time.perf_counter()
    try:
        return answer()
    except Exception as exc:  # one broken answer must not stop the evaluation
        log.exception("answer failed")
        return {"answer": "", "citations": [], "refused": False, "measures": [],
                "latency_ms": (time.perf_counter() - started) * 1000,
                "error": f"{type(exc).__name__}: {exc}"}


def answer_items(name: str, items: Sequence[dict], answer: Callable[[dict], dict],
                 checker, progress: bool = True) -> Run:
    """Answer every item with ``answer(item)`` (a tqdm bar when ``progress``) and score it."""
    from tqdm import tqdm
    started = time.perf_counter()
    results = [_safe(lambda item=item: answer(item))
               for item in tqdm(items, desc=f"eval {name}", unit="q", disable=not progress)]
    scores = [score_item(item, result, checker) for item, result in zip(items, results)]
    return Run(name, results, scores, time.perf_counter() - started)


def system_answer(assistant) -> Callable[[dict], dict]:
    return lambda item: assistant.ask(item["question"], item.get("history") or []).to_dict()


def evaluate(assistant, items: Sequence[dict], baselines: bool = True, progress: bool = True,
             rag_dir: Path | None = None, robustness: bool = False, contrasts: bool = False) -> Evaluation:
    """Answer ``items`` with the assistant and, optionally, the baselines (dense, BM25 and
    the LangChain peer, all given the history); score everything; optionally run the
    CheckList robustness tests over ``items`` and the fact check's contrast sets; run RAGAS
    when an endpoint is configured."""
    started = time.perf_counter()
    items = list(items)
    checker = fact_checker(assistant)
    texts = {m.number: m.text for m in assistant.plan.measures}
    runs = {SYSTEM: answer_items(SYSTEM, items, system_answer(assistant), checker, progress)}
    info = {"embedding_model": assistant.embedder.model_id, "composer": assistant.status.composer}
    if baselines:
        from .baselines import BaselineSet
        build_started = time.perf_counter()
        baseline_set = BaselineSet.from_assistant(assistant, rag_dir)
        info["baseline_build_seconds"] = round(time.perf_counter() - build_started, 2)
        try:
            for baseline in baseline_set.baselines:
                runs[baseline.name] = answer_items(
                    baseline.name, items,
                    lambda item, b=baseline: b.answer(item["question"], item.get("history") or []),
                    checker, progress)
        finally:
            baseline_set.close()
    samples = samples_from(items, runs[SYSTEM].results, texts)
    ragas = ragas_scores(assistant.settings, assistant.embedder, samples)
    report = None
    if robustness:
        from .robustness import run_robustness
        report = run_robustness(assistant, items, progress=progress)
    contrast_reports = []
    if contrasts:
        from .contrasts import CONTRAST_SETS, contrast_report
        contrast_reports = [contrast_report(checker, path, name) for name, path in CONTRAST_SETS.items()]
    return Evaluation(items, runs, time.perf_counter() - started, ragas, info, report, contrast_reports)


def score_recorded(items: Sequence[dict], answers_path: Path, progress: bool = True) -> Evaluation:
    """Score answers recorded by an earlier run (for example a blind set's first run on an
    older commit) with today's metrics. Needs the plan and the embedder, not the index."""
    from assistant.config import get_settings
    from assistant.embeddings import load_embedder
    from assistant.grounding import FactChecker
    from assistant.plan import load_plan
    started = time.perf_counter()
    recorded = json.loads(Path(answers_path).read_text(encoding="utf-8"))
    results = recorded["results"][: len(items)]
    settings = get_settings()
    checker = FactChecker(load_plan(settings.corpus_path), load_embedder(settings).embed_queries)
    run = answer_items(SYSTEM, items, lambda item, it=iter(results): next(it), checker, progress)
    info = {"answers": str(answers_path), **{k: v for k, v in recorded.items() if k != "results"}}
    return Evaluation(list(items), {SYSTEM: run}, time.perf_counter() - started,
                      RagasReport(ran=False, message="RAGAS not run for recorded answers."), info)


# ------------------------------------------------------------------ formatting
def fmt(value, key: str = "") -> str:
    """A figure for a table: 3 decimals, latencies in whole ms, ``n/a`` for ``None``."""
    if value is None:
        return "n/a"
    if key == "items" or isinstance(value, int):
        return str(value)
    if key.startswith("latency"):
        return f"{value:.0f}"
    return f"{value:.3f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def overall_table(figures: Mapping[str, Mapping]) -> list[str]:
    names = list(figures)
    rows = [[label, *(fmt(figures[n]["overall"].get(key), key) for n in names)] for key, label in OVERALL_ROWS]
    return _table(["metric", *names], rows)


def category_table(category_figures: Mapping[str, Mapping]) -> list[str]:
    rows = [[c, *(fmt(f.get(k), k) for k in CATEGORY_COLUMNS)] for c, f in category_figures.items()]
    return _table(["category", *CATEGORY_COLUMNS], rows)


def comparison_by_category(figures: Mapping[str, Mapping], key: str) -> list[str]:
    names = list(figures)
    categories = list(figures[SYSTEM]["by_category"])
    rows = [[c, *(fmt(figures[n]["by_category"].get(c, {}).get(key), key) for n in names)] for c in categories]
    return _table(["category", *names], rows)


def _one_line(text: str, limit: int = ANSWER_PREVIEW) -> str:
    return text[:limit].replace("\n", " ⏎ ").replace("`", "'")


def failure_entry(item: Mapping, result: Mapping, score: ItemScore) -> list[str]:
    history = item.get("history") or []
    lines = [f"### {item['id']} ({item['category']}) — failed: {', '.join(score.failed_metrics())}", "",
             f"- question: {item['question']}"]
    if history:
        lines.append(f"- history: {' / '.join(history)}")
    lines += [
        f"- expected: {item.get('expected')} (match {item.get('match')}); "
        f"cited: {result.get('citations')}; measures: {result.get('measures')}",
        f"- refused: {result.get('refused')} (gold {item.get('refused')}); intent: {result.get('intent', '')}",
    ]
    if item.get("unit"):
        lines.append(f"- unit: {item['unit']} role {item.get('role', 'any')}; "
                     f"recall {fmt(score.unit_recall)}, precision {fmt(score.unit_precision)}")
    if score.missing_facts:
        lines.append(f"- missing key facts: {score.missing_facts}")
    if score.grounding.unsupported:
        lines.append(f"- unsupported sentence: {_one_line(score.grounding.unsupported[0], 120)}")
    if result.get("error"):
        lines.append(f"- error: {result['error']}")
    lines += [f"- answer: `{_one_line(result.get('answer') or '')}`", ""]
    return lines


def failures(evaluation: Evaluation) -> list[int]:
    """Indexes of the items the system fails on any metric."""
    return [i for i, s in enumerate(evaluation.system.scores) if s.failed_metrics()]


def markdown_report(evaluation: Evaluation) -> str:
    figures = {name: run.figures() for name, run in evaluation.runs.items()}
    lines = ["# Evaluation report", "",
             f"- generated: {time.strftime('%Y-%m-%d %H:%M:%S')}",
             f"- items: {len(evaluation.items)}; total run time: {evaluation.seconds:.1f} s "
             f"({', '.join(f'{n} {r.seconds:.1f} s' for n, r in evaluation.runs.items())})",
             *(f"- {k}: {v}" for k, v in evaluation.info.items()), "",
             "## Overall", "", *overall_table(figures), "",
             "## Gate", "", *(f"- {check.describe()}" for check in evaluation.gate()), "",
             "## System by category", "", *category_table(figures[SYSTEM]["by_category"]), ""]
    if len(figures) > 1:
        lines += ["## hit@3 by category (system vs baselines)", "", *comparison_by_category(figures, "hit@3"), "",
                  "## Answer accuracy by category (system vs baselines)", "",
                  *comparison_by_category(figures, "answer_accuracy"), ""]
    if evaluation.robustness is not None:
        lines += ["## Robustness (CheckList invariance and directional tests)", "",
                  evaluation.robustness.to_markdown(), ""]
    if evaluation.contrasts:
        from .contrasts import markdown as contrast_markdown
        lines += ["## Fact check on its contrast sets", "", *contrast_markdown(evaluation.contrasts), ""]
    lines += ["## RAGAS", "", evaluation.ragas.message, ""]
    if evaluation.ragas.scores:
        lines += [f"- {k}: {v:.3f}" for k, v in evaluation.ragas.scores.items()] + [""]
    failed = failures(evaluation)
    lines += [f"## System failures ({len(failed)})", ""]
    for i in failed:
        lines += failure_entry(evaluation.items[i], evaluation.system.results[i], evaluation.system.scores[i])
    return "\n".join(lines)


def json_report(evaluation: Evaluation) -> dict:
    per_item = []
    for i, item in enumerate(evaluation.items):
        entry = {"id": item["id"], "category": item["category"], "question": item["question"]}
        for name, run in evaluation.runs.items():
            result = run.results[i]
            entry[name] = {**run.scores[i].to_dict(),
                           **{k: result.get(k) for k in ("citations", "measures", "refused", "intent", "error")},
                           "answer": result.get("answer", "")}
        per_item.append(entry)
    return {
        "generated_at": time.strftime("%Y-%m-%d %H:%M:%S"), "seconds": round(evaluation.seconds, 2),
        "info": evaluation.info, "runs": {n: {**r.figures(), "seconds": round(r.seconds, 2)}
                                          for n, r in evaluation.runs.items()},
        "gate": [{"metric": c.metric, "threshold": c.threshold, "value": c.value, "passed": c.passed}
                 for c in evaluation.gate()],
        "ragas": evaluation.ragas.to_dict(), "items": per_item,
        "robustness": evaluation.robustness.to_dict() if evaluation.robustness is not None else None,
        "contrasts": [c.to_dict() for c in evaluation.contrasts],
    }


def chart(evaluation: Evaluation, path: Path) -> None:
    """Per-category hit@3 and answer accuracy, system vs baselines (ASCII labels only)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = {name: run.figures()["by_category"] for name, run in evaluation.runs.items()}
    categories = list(figures[SYSTEM])
    fig, axes = plt.subplots(2, 1, figsize=(11, 8), sharex=True)
    width = 0.8 / len(figures)
    for ax, key, title in ((axes[0], "hit@3", "Retrieval hit@3 by category"),
                           (axes[1], "answer_accuracy", "Answer accuracy by category")):
        for j, (name, per_category) in enumerate(figures.items()):
            values = [per_category[c].get(key) or 0.0 for c in categories]
            positions = [i + (j - (len(figures) - 1) / 2) * width for i in range(len(categories))]
            ax.bar(positions, values, width, label=name if ax is axes[0] else None)
        for i, c in enumerate(categories):
            if figures[SYSTEM][c].get(key) is None:
                ax.text(i, 0.05, "n/a", ha="center", color="gray")
        ax.set_title(title)
        ax.set_ylim(0, 1.05)
        ax.grid(axis="y", alpha=0.3)
    fig.legend(loc="upper center", ncol=len(figures), fontsize="small", frameon=False)
    axes[1].set_xticks(range(len(categories)), categories)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_reports(evaluation: Evaluation, out_dir: Path, name: str = "latest") -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"md": out_dir / f"{name}.md", "json": out_dir / f"{name}.json", "png": out_dir / f"{name}.png"}
    paths["md"].write_text(markdown_report(evaluation), encoding="utf-8")
    paths["json"].write_text(json.dumps(json_report(evaluation), ensure_ascii=False, indent=1), encoding="utf-8")
    chart(evaluation, paths["png"])
    return paths


def summary(evaluation: Evaluation) -> str:
    """A short plain-text summary for the console."""
    names = list(evaluation.runs)
    figures = {n: aggregate(evaluation.runs[n].scores) for n in names}
    keys = ("hit@3", "mrr", "citation_precision", "citation_recall", "unit_recall", "key_fact_accuracy",
            "refusal_recall", "grounding", "answer_accuracy")
    lines = [f"{'metric':<20}" + "".join(f"{n:>15}" for n in names)]
    lines += [f"{k:<20}" + "".join(f"{fmt(figures[n].get(k), k):>15}" for n in names) for k in keys]
    lines += [check.describe() for check in evaluation.gate()]
    lines.append(f"{len(evaluation.items)} items in {evaluation.seconds:.1f} s; {evaluation.ragas.message}")
    return "\n".join(lines)


# ------------------------------------------------------------------ command line
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evals", description="Evaluate the assistant on the gold set.")
    parser.add_argument("--limit", type=int, default=None, help="only the first N gold items")
    parser.add_argument("--no-baselines", action="store_true", help="evaluate the system only")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report folder (default evals/reports)")
    parser.add_argument("--set", "--gold", dest="gold", type=Path, default=GOLD_PATH,
                        help="evaluation set (JSONL, default evals/gold.jsonl)")
    parser.add_argument("--answers", type=Path, default=None,
                        help="score answers recorded earlier (JSON with a 'results' list aligned with the set) "
                             "instead of asking the assistant")
    parser.add_argument("--name", default="latest", help="report file name (default latest)")
    parser.add_argument("--gate", action="store_true", help="exit 1 when a gate threshold fails")
    parser.add_argument("--no-robustness", action="store_true",
                        help="skip the CheckList robustness tests and the fact check's contrast sets")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--"]:          # `python -m assistant eval -- --limit 5` passes the separator on
        argv = argv[1:]
    args = build_parser().parse_args(argv)
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    started = time.perf_counter()
    items = load_gold(args.gold)[: args.limit] if args.limit else load_gold(args.gold)
    if args.answers:
        evaluation = score_recorded(items, args.answers, progress=not args.quiet)
    else:
        from assistant.service import Assistant
        assistant = Assistant(progress=not args.quiet)
        load_seconds = time.perf_counter() - started
        extras = not args.no_robustness
        evaluation = evaluate(assistant, items, baselines=not args.no_baselines, progress=not args.quiet,
                              robustness=extras, contrasts=extras)
        evaluation.info["assistant_load_seconds"] = round(load_seconds, 2)
    evaluation.info["set"] = str(args.gold.name)
    paths = write_reports(evaluation, args.out, args.name)
    print(summary(evaluation))
    print("reports: " + ", ".join(str(p) for p in paths.values()))
    if args.gate and not all(check.passed for check in evaluation.gate()):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
