"""Three baselines that answer the gold questions without the assistant's routing.

Each baseline returns the same fields as ``Answer.to_dict()`` needs for scoring: ``answer``,
``citations``, ``refused`` (always ``False``: no baseline can refuse), ``measures`` (ranked),
``coverage`` and ``latency_ms``. ``answer(question, history=None)`` takes the conversation's
previous user questions; only the LangChain peer uses them.

- ``DenseBaseline``: the assistant's dense (Chroma, multilingual-e5) search over measures.
- ``BM25Baseline``: the assistant's BM25 search over measures.
- ``LangChainEnsembleBaseline``: the retrieval a competent LangChain user would build over the
  same plan -- one ``Document`` per measure, a ``BM25Retriever`` (jieba tokens) and a
  ``langchain_chroma.Chroma`` retriever (the assistant's embedder) fused by an
  ``EnsembleRetriever`` (weighted reciprocal rank fusion, weights 0.5/0.5); the query is the
  previous user questions and the question joined (no rewriter); the answer quotes the top 3.
"""
from __future__ import annotations

import re
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from assistant.answer import citations_in
from assistant.records import Plan

TOP_K = 5
ENSEMBLE_K = 5                  # documents each retriever of the ensemble returns
ENSEMBLE_WEIGHTS = (0.5, 0.5)   # (bm25, dense)
ENSEMBLE_QUOTED = 3             # measures quoted in the answer
ENSEMBLE_COLLECTION = "baseline_ensemble"
MEASURE_KEY = "measure"         # Document metadata: the measure number


class Baseline(Protocol):
    name: str

    def answer(self, question: str, history: Sequence | None = None) -> dict:
        """Answer the question (``history``: the previous user questions, oldest first)."""
        ...


def _result(text: str, measures: list[int], started: float) -> dict:
    return {"answer": text, "citations": citations_in(text), "refused": False, "coverage": "full",
            "measures": measures, "latency_ms": (time.perf_counter() - started) * 1000}


def quote_measure(plan: Plan, number: int) -> str:
    """The answer form of the per-measure baselines: the measure quoted with its citation."""
    measure = plan.measure(number)
    return f"> {measure.text}{measure.citation}"


class _MeasureSearchBaseline:
    """Top-k measures from one of the assistant's searches; quote the top-1. No history."""

    name = "measure-search"

    def __init__(self, search, plan: Plan, k: int = TOP_K):
        self.search = search
        self.plan = plan
        self.k = k

    def answer(self, question: str, history: Sequence | None = None) -> dict:
        started = time.perf_counter()
        numbers = [hit.number for hit in self.search.search(question, self.k)]
        text = quote_measure(self.plan, numbers[0]) if numbers else ""
        return _result(text, numbers, started)


class DenseBaseline(_MeasureSearchBaseline):
    name = "dense"


class BM25Baseline(_MeasureSearchBaseline):
    name = "bm25"


# ------------------------------------------------------------------ LangChain ensemble peer
def measure_documents(plan: Plan) -> list:
    """One LangChain ``Document`` per measure: its part and section headings, then its text;
    the headings and the measure number also in the metadata."""
    from langchain_core.documents import Document

    docs = []
    for m in plan.measures:
        part, section = plan.part(m.part_number), plan.section(m.section_number)
        docs.append(Document(
            page_content=f"{part.label}\n{section.label}\n{m.text}",
            metadata={MEASURE_KEY: m.number, "part": part.label, "section": section.label},
            id=f"m{m.number:03d}"))
    return docs


def history_questions(history: Sequence | None) -> list[str]:
    """The previous user questions: plain strings, or the user turns of role/content dicts."""
    questions = []
    for turn in history or []:
        if isinstance(turn, str):
            text = turn
        elif isinstance(turn, dict) and turn.get("role", "user") == "user":
            text = str(turn.get("content") or "")
        else:
            continue
        if text.strip():
            questions.append(text.strip())
    return questions


def retrieval_query(question: str, history: Sequence | None = None) -> str:
    """The previous user questions and the question, most recent last, one per line."""
    return "\n".join([*history_questions(history), question.strip()])


def jieba_preprocess(tokenizer):
    """BM25 tokens: the assistant's jieba search-mode words (its user dictionary), lower case,
    punctuation dropped. No stopword list, no bigrams: what a LangChain user would write."""
    def preprocess(text: str) -> list[str]:
        return [w.lower() for w in tokenizer.words(text) if re.search(r"\w", w)]
    return preprocess


class LangChainEnsembleBaseline:
    """BM25 + Chroma over per-measure documents, fused by LangChain's ``EnsembleRetriever``.

    The answer quotes the top 3 fused measures, each as ``> text【第N项】``; ``measures`` is the
    whole fused ranking. It cannot refuse."""

    name = "langchain-ensemble"

    def __init__(self, plan: Plan, embedder, tokenizer, persist_dir: Path | None = None,
                 k: int = ENSEMBLE_K, quoted: int = ENSEMBLE_QUOTED):
        self.plan = plan
        self.k = k
        self.quoted = quoted
        self._tmp = None if persist_dir else tempfile.TemporaryDirectory(prefix="baseline-ensemble-")
        self.persist_dir = Path(persist_dir or self._tmp.name)
        self.documents = measure_documents(plan)
        self.retriever = self._build(embedder, tokenizer)

    def _build(self, embedder, tokenizer):
        import chromadb
        from langchain_chroma import Chroma
        from langchain_classic.retrievers import EnsembleRetriever
        with warnings.catch_warnings():   # "langchain-community is being sunset": not actionable here
            warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*langchain-community.*")
            from langchain_community.retrievers import BM25Retriever

        from assistant.embeddings import LangChainEmbeddings

        bm25 = BM25Retriever.from_documents(self.documents, preprocess_func=jieba_preprocess(tokenizer))
        bm25.k = self.k
        client = chromadb.PersistentClient(path=str(self.persist_dir),
                                           settings=chromadb.Settings(anonymized_telemetry=False))
        self.store = Chroma(collection_name=ENSEMBLE_COLLECTION, embedding_function=LangChainEmbeddings(embedder),
                            client=client, collection_metadata={"hnsw:space": "cosine"})
        self.store.reset_collection()
        self.store.add_documents(self.documents, ids=[d.id for d in self.documents])
        dense = self.store.as_retriever(search_kwargs={"k": self.k})
        return EnsembleRetriever(retrievers=[bm25, dense], weights=list(ENSEMBLE_WEIGHTS), id_key=MEASURE_KEY)

    def retrieve(self, question: str, history: Sequence | None = None) -> list[int]:
        """The fused ranking of measure numbers for the question (and its history)."""
        docs = self.retriever.invoke(retrieval_query(question, history))
        return [int(doc.metadata[MEASURE_KEY]) for doc in docs]

    def answer(self, question: str, history: Sequence | None = None) -> dict:
        started = time.perf_counter()
        numbers = self.retrieve(question, history)
        text = "\n".join(quote_measure(self.plan, n) for n in numbers[: self.quoted])
        return _result(text, numbers, started)

    def close(self) -> None:
        self.store = None
        if self._tmp is not None:
            self._tmp.cleanup()


@dataclass
class BaselineSet:
    """The three baselines, built over one assistant's plan, searches, tokenizer and embedder."""
    baselines: list[Baseline]

    @classmethod
    def from_assistant(cls, assistant, persist_dir: Path | None = None) -> "BaselineSet":
        return cls([
            DenseBaseline(assistant.dense, assistant.plan),
            BM25Baseline(assistant.lexical, assistant.plan),
            LangChainEnsembleBaseline(assistant.plan, assistant.embedder, assistant.tokenizer, persist_dir),
        ])

    def close(self) -> None:
        for baseline in self.baselines:
            if hasattr(baseline, "close"):
                baseline.close()


__all__ = ["BM25Baseline", "Baseline", "BaselineSet", "DenseBaseline", "LangChainEnsembleBaseline",
           "history_questions", "jieba_preprocess", "measure_documents", "quote_measure", "retrieval_query"]
