"""Optional RAGAS faithfulness and answer relevancy, judged by the configured LLM endpoint.

RAGAS is not a project dependency: it is imported lazily, and only when an LLM endpoint
is configured (``ASSISTANT_LLM_BASE_URL``). In every other case the evaluation reports a
one-line reason instead of figures.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

SKIPPED_NO_ENDPOINT = "RAGAS skipped: no LLM endpoint configured (ASSISTANT_LLM_BASE_URL)"
SKIPPED_NOT_INSTALLED = "RAGAS skipped: ragas is not installed (pip install ragas)"
METRIC_COLUMNS = {"faithfulness": "faithfulness", "answer_relevancy": "answer_relevancy"}


@dataclass
class RagasReport:
    ran: bool
    message: str
    scores: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"ran": self.ran, "message": self.message, "scores": self.scores}


@dataclass(frozen=True)
class RagasSample:
    question: str
    answer: str
    contexts: tuple[str, ...]


def samples_from(items: Sequence[Mapping], results: Sequence[Mapping],
                 texts: Mapping[int, str]) -> list[RagasSample]:
    """One sample per answered (not refused) item; its contexts are the cited measures."""
    samples = []
    for item, result in zip(items, results):
        cited = [texts[n] for n in result.get("citations") or [] if n in texts]
        if result.get("refused") or not cited:
            continue
        samples.append(RagasSample(item["question"], result.get("answer", ""), tuple(cited)))
    return samples


def ragas_scores(settings, embedder, samples: Sequence[RagasSample]) -> RagasReport:
    """Mean RAGAS faithfulness and answer relevancy over the samples, or a skip message."""
    if not getattr(settings, "llm_base_url", ""):
        return RagasReport(False, SKIPPED_NO_ENDPOINT)
    try:
        import ragas  # noqa: F401
    except ImportError:
        return RagasReport(False, SKIPPED_NOT_INSTALLED)
    if not samples:
        return RagasReport(False, "RAGAS skipped: no answered items to judge")
    try:
        return RagasReport(True, f"RAGAS judged {len(samples)} answers with {settings.llm_model}",
                           _run_ragas(settings, embedder, samples))
    except Exception as exc:  # the judge is optional: never fail the evaluation over it
        return RagasReport(False, f"RAGAS failed: {type(exc).__name__}: {exc}")


def _run_ragas(settings, embedder, samples: Sequence[RagasSample]) -> dict[str, float]:
    from langchain_openai import ChatOpenAI
    from ragas import EvaluationDataset, SingleTurnSample, evaluate
    from ragas.embeddings import LangchainEmbeddingsWrapper
    from ragas.llms import LangchainLLMWrapper
    from ragas.metrics import Faithfulness, ResponseRelevancy

    from assistant.embeddings import LangChainEmbeddings

    chat = ChatOpenAI(base_url=settings.llm_base_url, model=settings.llm_model, api_key=settings.llm_api_key,
                      timeout=settings.llm_timeout, temperature=0)
    dataset = EvaluationDataset(samples=[
        SingleTurnSample(user_input=s.question, response=s.answer, retrieved_contexts=list(s.contexts))
        for s in samples])
    result = evaluate(dataset=dataset, metrics=[Faithfulness(), ResponseRelevancy()],
                      llm=LangchainLLMWrapper(chat),
                      embeddings=LangchainEmbeddingsWrapper(LangChainEmbeddings(embedder)),
                      show_progress=False)
    frame = result.to_pandas()
    return {name: float(frame[column].mean()) for name, column in METRIC_COLUMNS.items()
            if column in frame.columns}


__all__ = ["RagasReport", "RagasSample", "SKIPPED_NOT_INSTALLED", "SKIPPED_NO_ENDPOINT",
           "ragas_scores", "samples_from"]
