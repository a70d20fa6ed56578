"""The LangChain peer baseline ("langchain-ensemble"): per-measure documents, BM25 (jieba) and
Chroma retrievers fused by LangChain's EnsembleRetriever, history joined into the query."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from assistant.answer import citations_in
from evals.baselines import (BaselineSet, LangChainEnsembleBaseline, history_questions, measure_documents,
                             retrieval_query)
from evals.run import load_gold


@pytest.fixture(scope="module")
def baseline_set(assistant):
    baselines = BaselineSet.from_assistant(assistant)
    yield baselines
    baselines.close()


@pytest.fixture(scope="module")
def peer(baseline_set) -> LangChainEnsembleBaseline:
    return next(b for b in baseline_set.baselines if b.name == "langchain-ensemble")


def test_baseline_set_names(baseline_set):
    assert [b.name for b in baseline_set.baselines] == ["dense", "bm25", "langchain-ensemble"]


def test_documents_are_one_per_measure(plan):
    docs = measure_documents(plan)
    assert [d.metadata["measure"] for d in docs] == [m.number for m in plan.measures]
    first, m = docs[0], plan.measures[0]
    assert first.page_content.endswith(m.text)
    assert first.metadata["part"] in first.page_content and first.metadata["section"] in first.page_content


def test_retriever_is_ensemble_of_bm25_and_chroma(peer, plan):
    from langchain_chroma import Chroma
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever
    from langchain_core.vectorstores import VectorStoreRetriever

    retriever = peer.retriever
    assert isinstance(retriever, EnsembleRetriever)
    assert retriever.weights == [0.5, 0.5]
    bm25, dense = retriever.retrievers
    assert isinstance(bm25, BM25Retriever) and len(bm25.docs) == len(plan.measures)
    tokens = bm25.preprocess_func("行政复议委员会什么时候建立？")
    assert {"行政复议委员会", "委员会"} <= set(tokens) and "？" not in tokens   # jieba words, no punctuation
    assert isinstance(dense, VectorStoreRetriever) and isinstance(dense.vectorstore, Chroma)
    assert dense.vectorstore._collection.count() == len(plan.measures)
    assert str(peer.persist_dir) in str(dense.vectorstore._client.get_settings().persist_directory)


def _rrf(lists: list[list[int]], weights=(0.5, 0.5), c: int = 60) -> list[int]:
    scores: dict[int, float] = {}
    for numbers, weight in zip(lists, weights):
        for rank, n in enumerate(numbers, start=1):
            scores[n] = scores.get(n, 0.0) + weight / (rank + c)
    order = list(dict.fromkeys(n for numbers in lists for n in numbers))
    return sorted(order, key=lambda n: -scores[n])


@pytest.mark.parametrize("item_id", ["measure-005", "measure-006"])
def test_answers_gold_questions_from_real_retrieval(peer, item_id):
    item = next(i for i in load_gold() if i["id"] == item_id)
    result = peer.answer(item["question"])
    assert result["refused"] is False and result["coverage"] == "full"
    lines = result["answer"].split("\n")
    assert len(lines) == 3 and all(line.startswith("> ") for line in lines)
    assert len(result["citations"]) == 3 == len(set(result["citations"]))
    assert result["citations"] == citations_in(result["answer"]) == result["measures"][:3]
    for line, number in zip(lines, result["citations"]):
        assert line == f"> {peer.plan.measure(number).text}【第{number}项】"
    # the ranking is the weighted RRF of what the two retrievers really return
    bm25, dense = peer.retriever.retrievers
    per_retriever = [[d.metadata["measure"] for d in r.invoke(item["question"])] for r in (bm25, dense)]
    assert all(len(numbers) == peer.k for numbers in per_retriever)
    assert result["measures"] == _rrf(per_retriever)
    assert set(item["expected"]) & set(result["measures"])


def test_history_joins_the_previous_questions(peer, baseline_set):
    history = ["行政复议委员会什么时候建立？"]
    question = "那牵头单位是谁？"
    assert retrieval_query(question, history) == "行政复议委员会什么时候建立？\n那牵头单位是谁？"
    assert retrieval_query(question) == retrieval_query(question, []) == question
    assert history_questions([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, "c"]) == ["a", "c"]
    alone, with_history = peer.answer(question), peer.answer(question, history)
    assert alone["measures"] != with_history["measures"]
    assert 69 in with_history["citations"]          # the committee measure, found through the history
    # the assistant-search baselines accept history and ignore it
    for baseline in baseline_set.baselines[:2]:
        assert baseline.answer(question, history)["measures"] == baseline.answer(question)["measures"]


class _HashEmbedder:
    """A tiny deterministic embedder (character hashing) so building a store costs nothing."""
    dim = 64

    def _vectors(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for ch in text:
                out[row, hashlib.md5(ch.encode()).digest()[0] % self.dim] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

    embed_passages = embed_queries = _vectors


def test_close_removes_the_temporary_folder(assistant, tmp_path):
    peer = LangChainEnsembleBaseline(assistant.plan, _HashEmbedder(), assistant.tokenizer)
    folder = peer.persist_dir
    assert folder.is_dir() and any(folder.iterdir())
    assert len(peer.answer("行政复议委员会")["citations"]) == 3
    BaselineSet([peer]).close()
    assert not folder.exists()
    # a caller's folder is the caller's: close() leaves it
    kept = LangChainEnsembleBaseline(assistant.plan, _HashEmbedder(), assistant.tokenizer, tmp_path / "rag")
    kept.close()
    assert (tmp_path / "rag").is_dir()
