"""Three baselines that answer the gold questions without the assistant's routing.

Each baseline sees only the question (no history) and returns the same fields as
``Answer.to_dict()`` needs for scoring: ``answer``, ``citations``, ``refused`` (always
``False``: no baseline can refuse), ``measures`` (ranked) and ``latency_ms``.

- ``DenseBaseline``: the assistant's dense (Chroma, multilingual-e5) search over measures.
- ``BM25Baseline``: the assistant's BM25 search over measures.
- ``LangChainRAGBaseline``: plain LangChain RAG -- ``RecursiveCharacterTextSplitter`` chunks of
  the whole corpus text in a separate ``langchain_chroma.Chroma`` collection, top-4 chunks.
"""
from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from assistant.answer import citations_in
from assistant.records import Plan

TOP_K = 5
RAG_CHUNK_SIZE = 300
RAG_CHUNK_OVERLAP = 50
RAG_TOP_K = 4
RAG_COLLECTION = "baseline_rag"
_MEASURES_KEY = "measures"     # chunk metadata: comma-separated measure numbers


class Baseline(Protocol):
    name: str

    def answer(self, question: str) -> dict:
        """Answer from the question alone."""
        ...


def _result(text: str, measures: list[int], started: float) -> dict:
    return {"answer": text, "citations": citations_in(text), "refused": False,
            "measures": measures, "latency_ms": (time.perf_counter() - started) * 1000}


def quote_measure(plan: Plan, number: int) -> str:
    """The answer form of the per-measure baselines: the measure quoted with its citation."""
    measure = plan.measure(number)
    return f"> {measure.text}{measure.citation}"


class _MeasureSearchBaseline:
    """Top-k measures from one of the assistant's searches; quote the top-1."""

    name = "measure-search"

    def __init__(self, search, plan: Plan, k: int = TOP_K):
        self.search = search
        self.plan = plan
        self.k = k

    def answer(self, question: str) -> dict:
        started = time.perf_counter()
        numbers = [hit.number for hit in self.search.search(question, self.k)]
        text = quote_measure(self.plan, numbers[0]) if numbers else ""
        return _result(text, numbers, started)


class DenseBaseline(_MeasureSearchBaseline):
    name = "dense"


class BM25Baseline(_MeasureSearchBaseline):
    name = "bm25"


# ------------------------------------------------------------------ LangChain RAG
def measure_spans(corpus: str, plan: Plan) -> list[tuple[int, int, int]]:
    """(measure number, start, end) character spans of each measure in the raw corpus text.

    A measure starts at its first characters and ends after its last ones (its ``verbatim``
    text joins extraction splits, so the whole text is not a substring); the search for each
    measure starts where the previous one ended."""
    spans, cursor = [], 0
    for m in plan.measures:
        start = corpus.find(m.verbatim[:12], cursor)
        if start < 0:
            continue
        tail = m.verbatim[-8:]
        end = corpus.find(tail, start)
        end = end + len(tail) if end >= 0 else start + len(m.verbatim)
        spans.append((m.number, start, end))
        cursor = end
    return spans


def overlapping(spans: list[tuple[int, int, int]], start: int, end: int) -> list[int]:
    """Measure numbers whose span overlaps the half-open range [start, end)."""
    return [number for number, s, e in spans if s < end and start < e]


def one_line(text: str) -> str:
    """A chunk as one quoted line: the extraction's line breaks and blank lines removed."""
    return re.sub(r"\s*\n\s*", "", text).strip()


class LangChainRAGBaseline:
    """Plain RAG: recursive character chunks in their own Chroma collection, top-4, no routing.

    The answer quotes the four retrieved chunks, each followed by the citations of the
    measures it overlaps; ``measures`` lists those measures in retrieval order."""

    name = "langchain-rag"

    def __init__(self, plan: Plan, corpus_text: str, embedder, persist_dir: Path | None = None,
                 k: int = RAG_TOP_K):
        self.plan = plan
        self.k = k
        self._tmp = None if persist_dir else tempfile.TemporaryDirectory(prefix="baseline-rag-")
        self.persist_dir = Path(persist_dir or self._tmp.name)
        self.store = self._build(corpus_text, embedder)
        self.retriever = self.store.as_retriever(search_kwargs={"k": k})

    def _build(self, corpus_text: str, embedder):
        import chromadb
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from assistant.embeddings import LangChainEmbeddings

        splitter = RecursiveCharacterTextSplitter(chunk_size=RAG_CHUNK_SIZE, chunk_overlap=RAG_CHUNK_OVERLAP,
                                                  add_start_index=True)
        docs = splitter.create_documents([corpus_text])
        spans = measure_spans(corpus_text, self.plan)
        for doc in docs:
            start = doc.metadata["start_index"]
            numbers = overlapping(spans, start, start + len(doc.page_content))
            doc.metadata[_MEASURES_KEY] = ",".join(map(str, numbers))
        client = chromadb.PersistentClient(path=str(self.persist_dir),
                                           settings=chromadb.Settings(anonymized_telemetry=False))
        store = Chroma(collection_name=RAG_COLLECTION, embedding_function=LangChainEmbeddings(embedder),
                       client=client, collection_metadata={"hnsw:space": "cosine"})
        store.reset_collection()
        store.add_documents(docs, ids=[f"c{i:04d}" for i in range(len(docs))])
        self.chunk_count = len(docs)
        return store

    def answer(self, question: str) -> dict:
        started = time.perf_counter()
        lines, measures = [], []
        for doc in self.retriever.invoke(question):
            numbers = [int(n) for n in doc.metadata.get(_MEASURES_KEY, "").split(",") if n]
            cites = "".join(f"【第{n}项】" for n in numbers)
            lines.append(f"> {one_line(doc.page_content)}{cites}")
            measures += [n for n in numbers if n not in measures]
        return _result("\n\n".join(lines), measures, started)

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


@dataclass
class BaselineSet:
    """The three baselines, built over one assistant's plan, searches and embedder."""
    baselines: list[Baseline]

    @classmethod
    def from_assistant(cls, assistant, persist_dir: Path | None = None) -> "BaselineSet":
        corpus_text = Path(assistant.settings.corpus_path).read_text(encoding="utf-8")
        return cls([
            DenseBaseline(assistant.dense, assistant.plan),
            BM25Baseline(assistant.lexical, assistant.plan),
            LangChainRAGBaseline(assistant.plan, corpus_text, assistant.embedder, persist_dir),
        ])

    def close(self) -> None:
        for baseline in self.baselines:
            if hasattr(baseline, "close"):
                baseline.close()


__all__ = ["BM25Baseline", "Baseline", "BaselineSet", "DenseBaseline", "LangChainRAGBaseline",
           "measure_spans", "one_line", "overlapping", "quote_measure"]
