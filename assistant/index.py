"""The persisted Chroma index: build (idempotent, atomic, locked), open and query.

Builds are keyed by the corpus hash and the embedding model id. In the embedded
(persistent) mode every build goes into a fresh folder and ``current.json`` is swapped
in with an atomic rename only after the build is verified, so a crash never leaves a
half-built index in use. With a Chroma server the build goes into a fresh collection
and an alias collection records which one is current.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .chunks import all_chunks
from .config import Settings
from .records import Plan

MANIFEST = "current.json"
BATCH = 16
# Passage vectors already computed in this process, by (model id, text): a rebuild after a
# corpus edit only embeds the chunks that changed.
_VECTOR_MEMO: dict[tuple[str, str], list[float]] = {}


class IndexUnavailable(RuntimeError):
    """The index is missing, corrupt or was built from different inputs."""


@dataclass(frozen=True)
class IndexInfo:
    key: str
    model_id: str
    corpus_sha256: str
    count: int
    built_at: str
    build_seconds: float
    location: str
    reused: bool = False


def build_key(corpus_sha256: str, model_id: str) -> str:
    return hashlib.sha256(f"{corpus_sha256}\n{model_id}".encode()).hexdigest()[:16]


def _chroma_settings():
    import chromadb
    return chromadb.Settings(anonymized_telemetry=False, allow_reset=False)


def _client(settings: Settings, path: Path | None = None):
    import chromadb
    if settings.chroma_mode == "http":
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port,
                                   settings=_chroma_settings())
    return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Serialize builds across processes: a second build waits, then reuses the first's."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".build.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_manifest(index_dir: Path) -> dict | None:
    path = index_dir / MANIFEST
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexUnavailable(
            f"索引清单 {path} 已损坏（{exc}）。请运行 `python -m assistant index --rebuild` 重建索引。") from exc


def _write_manifest(index_dir: Path, manifest: dict) -> None:
    tmp = index_dir / f".{MANIFEST}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / MANIFEST)


class PlanIndex:
    """Builds and opens the Chroma collection for one plan and one embedding model."""

    def __init__(self, settings: Settings, embedder, plan: Plan):
        self.settings = settings
        self.embedder = embedder
        self.plan = plan
        self.key = build_key(plan.source_sha256, embedder.model_id)
        self._collection = None

    # ------------------------------------------------------------ build
    def ensure(self, rebuild: bool = False, progress: bool = True) -> IndexInfo:
        """Reuse an up-to-date index or build a new one (under the build lock)."""
        with build_lock(self.settings.index_dir):
            if not rebuild:
                info = self._current_info()
                if info is not None:
                    return info
            return self._build(progress)

    def _current_info(self) -> IndexInfo | None:
        """The current build if it matches our inputs and opens cleanly; None means rebuild."""
        try:
            manifest = read_manifest(self.settings.index_dir)
        except IndexUnavailable as damage:
            _warn(f"{damage} 正在自动重建索引…")
            return None
        if not manifest or manifest.get("key") != self.key or manifest.get("mode") != self.settings.chroma_mode:
            return None
        try:
            collection = self._open(manifest)
            if collection.count() != manifest["count"]:
                raise IndexUnavailable("索引条目数与清单不符（可能是写入中断）。")
        except Exception as damage:  # a corrupt, half-written or vanished build
            _warn(f"检测到索引损坏（{type(damage).__name__}: {str(damage)[:120]}），正在自动重建索引…")
            return None
        self._collection = collection
        return _info_from(manifest, reused=True)

    def _build(self, progress: bool) -> IndexInfo:
        started = time.perf_counter()
        chunks = all_chunks(self.plan)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        # unique per build: Chroma caches clients by path within a process
        name = f"{self.settings.collection}-{self.key}-{stamp}-{uuid.uuid4().hex[:6]}"
        index_dir = self.settings.index_dir
        build_dir = index_dir / name
        client = _client(self.settings, build_dir)
        collection = client.create_collection(
            name=name if self.settings.chroma_mode == "http" else self.settings.collection,
            metadata={"hnsw:space": "cosine", "model_id": self.embedder.model_id,
                      "corpus_sha256": self.plan.source_sha256, "key": self.key})
        bar = _progress_bar(len(chunks), progress)
        for start in range(0, len(chunks), BATCH):
            batch = chunks[start:start + BATCH]
            collection.add(ids=[c.id for c in batch], documents=[c.text for c in batch],
                           metadatas=[_clean_metadata(c.metadata) for c in batch],
                           embeddings=self._vectors([c.embed_text for c in batch]))
            bar.update(len(batch))
        bar.close()
        if collection.count() != len(chunks):
            raise IndexUnavailable("索引写入不完整，请重新运行 `python -m assistant index --rebuild`。")
        manifest = {
            "key": self.key, "mode": self.settings.chroma_mode, "name": name,
            "collection": collection.name, "model_id": self.embedder.model_id,
            "corpus_sha256": self.plan.source_sha256, "count": len(chunks),
            "built_at": time.strftime("%Y-%m-%d %H:%M:%S"),
            "build_seconds": round(time.perf_counter() - started, 2),
        }
        try:
            previous = read_manifest(index_dir)
        except IndexUnavailable:
            previous = None
        _write_manifest(index_dir, manifest)       # the atomic swap
        self._collection = collection
        self._remove_stale(previous, keep=name)
        return _info_from(manifest, reused=False)

    def _vectors(self, texts: list[str]) -> list[list[float]]:
        model = self.embedder.model_id
        missing = [t for t in texts if (model, t) not in _VECTOR_MEMO]
        if missing:
            for text, vector in zip(missing, self.embedder.embed_passages(missing)):
                _VECTOR_MEMO[(model, text)] = vector.tolist()
        return [_VECTOR_MEMO[(model, t)] for t in texts]

    def _remove_stale(self, previous: dict | None, keep: str) -> None:
        index_dir = self.settings.index_dir
        if self.settings.chroma_mode == "http":
            if previous and previous.get("mode") == "http" and previous.get("collection") != keep:
                with contextlib.suppress(Exception):
                    _client(self.settings).delete_collection(previous["collection"])
            return
        for child in index_dir.iterdir():
            if child.is_dir() and child.name.startswith(f"{self.settings.collection}-") and child.name != keep:
                shutil.rmtree(child, ignore_errors=True)

    # ------------------------------------------------------------ open & query
    def _open(self, manifest: dict):
        if manifest.get("mode") == "http":
            return _client(self.settings).get_collection(manifest["collection"])
        path = self.settings.index_dir / manifest["name"]
        if not path.is_dir():
            raise IndexUnavailable(f"索引目录 {path} 不存在。")
        return _client(self.settings, path).get_collection(manifest["collection"])

    @property
    def collection(self):
        if self._collection is None:
            manifest = read_manifest(self.settings.index_dir)
            if manifest is None:
                raise IndexUnavailable("尚未建立索引。请运行 `python -m assistant index` 建立索引。")
            if manifest.get("key") != self.key:
                raise IndexUnavailable(
                    "索引由不同的语料或嵌入模型建立。请运行 `python -m assistant index --rebuild`。")
            try:
                self._collection = self._open(manifest)
            except IndexUnavailable:
                raise
            except Exception as exc:
                raise IndexUnavailable(
                    f"索引无法打开（{type(exc).__name__}）。请运行 `python -m assistant index --rebuild` 重建。") from exc
        return self._collection

    def query(self, vector, k: int = 10, where: dict | None = None) -> list[tuple[str, float, dict]]:
        """Nearest chunks to a query vector: (chunk id, cosine similarity, metadata)."""
        result = self.collection.query(query_embeddings=[list(map(float, vector))], n_results=k,
                                       where=where, include=["metadatas", "distances"])
        ids, distances, metadatas = result["ids"][0], result["distances"][0], result["metadatas"][0]
        return [(i, 1.0 - d, m) for i, d, m in zip(ids, distances, metadatas)]

    def ids_for_unit(self, unit_name: str) -> dict[str, str]:
        """Metadata filter: chunk id -> role for every measure naming the unit."""
        from .chunks import unit_key
        got = self.collection.get(where={unit_key(unit_name): {"$in": ["牵头", "参加", "责任"]}},
                                  include=["metadatas"])
        return {i: m[unit_key(unit_name)] for i, m in zip(got["ids"], got["metadatas"])}


def _warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _clean_metadata(metadata: dict) -> dict:
    # Chroma metadata holds scalars only.
    return {k: v for k, v in metadata.items() if isinstance(v, (str, int, float, bool))}


def _info_from(manifest: dict, reused: bool) -> IndexInfo:
    return IndexInfo(key=manifest["key"], model_id=manifest["model_id"],
                     corpus_sha256=manifest["corpus_sha256"], count=manifest["count"],
                     built_at=manifest["built_at"], build_seconds=manifest["build_seconds"],
                     location=manifest.get("name", ""), reused=reused)


def _progress_bar(total: int, progress: bool):
    from tqdm import tqdm
    return tqdm(total=total, desc="建立索引", unit="段", disable=not progress)


__all__ = ["PlanIndex", "IndexInfo", "IndexUnavailable", "build_key", "read_manifest"]
