"""LangChain adapters (assistant/langchain_adapters.py) over the session's real assistant."""
import asyncio
import subprocess
import sys
from operator import itemgetter

import pytest
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda

from assistant.config import PROJECT_ROOT
from assistant.langchain_adapters import AssistantRunnable, PlanRetriever, format_docs

CONTRACT = {"question", "answer", "citations", "refused", "latency_ms", "intent", "measures", "units", "duties",
            "composer", "coverage", "notice", "error"}


@pytest.fixture(scope="module")
def runnable(assistant):
    return AssistantRunnable(assistant)


@pytest.fixture(scope="module")
def retriever(assistant):
    return PlanRetriever(assistant=assistant, k=5)


def test_runnable_invoke(runnable):
    assert isinstance(runnable, Runnable)
    record = runnable.invoke("行政复议委员会什么时候建立")
    assert CONTRACT <= set(record) and record["citations"][0] == 69 and "2022年6月" in record["answer"]
    followup = runnable.invoke({"question": "那牵头单位是谁？", "history": ["行政复议委员会什么时候建立"]})
    assert followup["citations"] == [69]


def test_runnable_batch_and_async(runnable, assistant):
    questions = ["行政复议委员会什么时候建立", "第38项讲什么", "今天银川天气怎么样"]
    records = runnable.batch(questions, config={"max_concurrency": 2})
    assert [r["question"] for r in records] == questions
    assert records[0]["citations"][0] == 69 and records[1]["citations"] == [38]
    assert records[2]["answer"] == assistant.ask(questions[2]).answer
    again = asyncio.run(runnable.ainvoke("第38项讲什么"))
    assert again["citations"] == [38]


def test_runnable_takes_chat_messages(runnable):
    messages = [HumanMessage("第38项讲什么"), AIMessage("……【第38项】"), HumanMessage("它的牵头单位是谁")]
    record = runnable.invoke(messages)
    assert record["citations"] == [38] and "自治区司法厅" in record["answer"]
    prompt = ChatPromptTemplate.from_messages([("human", "{unit}要做什么")])
    assert "审计厅" in (prompt | runnable).invoke({"unit": "审计厅"})["answer"]


def test_runnable_bad_input_is_the_validators_business(runnable, assistant):
    assert runnable.invoke(5)["error"] == assistant.ask(5).error != ""
    assert runnable.invoke("")["error"] == assistant.ask("").error != ""


def test_retriever(retriever, plan):
    docs = retriever.invoke("行政复议委员会")
    assert docs and all(isinstance(d, Document) for d in docs) and len(docs) <= 5
    numbers = [d.metadata["measure"] for d in docs]
    assert 69 in numbers[:3]
    first = docs[numbers.index(69)]
    assert first.page_content == plan.measure(69).text
    assert first.metadata["citation"] == "【第69项】" and first.metadata["units"]["牵头单位"] == ["自治区司法厅"]
    assert first.metadata["deadlines"] == ["2022年6月前"]
    assert retriever.invoke("   ") == []
    assert [d.metadata["measure"] for d in retriever.batch(["行政复议委员会", "联合执法"])[1]][0] == 38


def test_lcel_pipes(assistant):
    # the README's example, as written there
    retriever = PlanRetriever(assistant=assistant, k=3)
    context = (retriever | format_docs).invoke("行政复议委员会")
    citations = (AssistantRunnable(assistant) | itemgetter("citations")).invoke("行政复议委员会什么时候建立")
    assert context.startswith("【第") and "【第69项】" in context and citations[0] == 69

    both = {"context": retriever | format_docs, "answer": AssistantRunnable(assistant) | itemgetter("answer")}
    chain = RunnableLambda(lambda q: q) | both
    result = chain.invoke("行政复议委员会什么时候建立")
    assert "【第69项】" in result["context"] and "【第69项】" in result["answer"]


def test_not_imported_at_start_up():
    code = ("import sys, assistant.cli, assistant.service, assistant.app, assistant.http_api; "
            "print('assistant.langchain_adapters' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False"
