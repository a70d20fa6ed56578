"""LangChain adapters over a built ``Assistant`` (imported on demand, never at start-up).

- ``AssistantRunnable``: a Runnable whose input is a question (a string), a
  ``{"question": str, "history": [str]}`` dict, or chat messages (the last human message is the
  question, earlier human messages the history), and whose output is the JSON contract dict of
  ``ask --json``. ``invoke``, ``batch`` and the async variants come from ``Runnable``.
- ``PlanRetriever``: a retriever over the assistant's hybrid search (dense + BM25, fused), with
  the question understood as the assistant understands it (normalization, English glossary).
  Documents carry the measure's text and metadata ``{"measure": n, "citation": "【第n项】", …}``.
- ``format_docs``: documents as cited context text, for LCEL pipes (``retriever | format_docs``).

    from operator import itemgetter
    chain = AssistantRunnable(assistant) | itemgetter("citations")
    chain.invoke("行政复议委员会什么时候建立")          # [69]
"""
from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.messages import BaseMessage
from langchain_core.prompt_values import PromptValue
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableConfig, RunnableSerializable
from pydantic import ConfigDict

from .duties import units_by_role
from .inputs import InputProblem, clean_question
from .query import understand


def _message_text(message: BaseMessage):
    content = message.content
    if isinstance(content, list):
        texts = [part if isinstance(part, str) else part.get("text") for part in content
                 if isinstance(part, str) or (isinstance(part, dict) and part.get("type") == "text")]
        return "\n".join(t for t in texts if isinstance(t, str))
    return content


def question_and_history(value) -> tuple[Any, list[str]]:
    """(question, history) from the Runnable's input. The question itself is checked by
    ``Assistant.ask`` (a wrong type gets its message); only the history's shape is checked here."""
    if isinstance(value, PromptValue):
        value = value.to_messages()
    if isinstance(value, BaseMessage):
        value = [value]
    if isinstance(value, list) and value and all(isinstance(m, BaseMessage) for m in value):
        human = [_message_text(m) for m in value if m.type == "human"]
        if not human:
            return None, []
        return human[-1], [h for h in human[:-1] if isinstance(h, str)]
    if isinstance(value, dict):
        history = value.get("history") or []
        if not isinstance(history, list) or not all(isinstance(item, str) for item in history):
            raise ValueError("history must be a list of strings (the earlier questions); "
                             "history 必须是字符串列表（之前依次问过的问题）。")
        return value.get("question"), history
    return value, []


class AssistantRunnable(RunnableSerializable[Any, dict]):
    """The assistant as a LangChain Runnable: question in, the JSON contract dict out."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    assistant: Any

    def __init__(self, assistant: Any = None, **kwargs):
        super().__init__(assistant=assistant, **kwargs)

    def _answer(self, value) -> dict:
        question, history = question_and_history(value)
        return self.assistant.ask(question, history).to_dict()

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> dict:
        return self._call_with_config(self._answer, input, config, run_type="chain")


class PlanRetriever(BaseRetriever):
    """The assistant's hybrid search as a retriever of measure Documents, best first."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    assistant: Any
    k: int = 5

    def __init__(self, assistant: Any = None, **kwargs):
        super().__init__(assistant=assistant, **kwargs)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun
                                ) -> list[Document]:
        assistant = self.assistant
        try:
            text, _ = clean_question(query, assistant.settings.max_question_chars)
        except InputProblem:
            return []
        understood = understand(text, assistant.plan, assistant.tokenizer,
                                answer_types=assistant.answer_types)
        docs = []
        for hit in assistant.retrieve(understood, k=self.k):
            docs.append(measure_document(assistant.plan, hit.number, score=hit.score, sources=hit.sources))
        return docs


def measure_document(plan, number: int, score: float | None = None, sources: dict | None = None) -> Document:
    m = plan.measure(number)
    metadata = {"measure": m.number, "citation": m.citation, "part": plan.part(m.part_number).label,
                "section": plan.section(m.section_number).label,
                "units": {role.label: names for role, names in units_by_role(m).items()},
                "deadlines": [d.phrase for d in m.deadlines]}
    if score is not None:
        metadata["score"] = score
    for name, (rank, _) in (sources or {}).items():
        metadata[f"{name}_rank"] = rank
    return Document(page_content=m.text, metadata=metadata, id=f"measure-{m.number}")


def format_docs(docs: list[Document]) -> str:
    """Documents as context text, each opened by its citation: "【第69项】…"."""
    return "\n\n".join(f"{d.metadata.get('citation', '')}{d.page_content}" for d in docs)


__all__ = ["AssistantRunnable", "PlanRetriever", "format_docs", "measure_document", "question_and_history"]
