"""The persisted Chroma index: build (idempotent, atomic, locked), open and query.

Builds are keyed by the corpus hash and the embedding model id. In the embedded
(persistent) mode every build goes into a fresh folder and ``current.json`` is swapped
in with an atomic rename only after the build is verified, so a crash never leaves a
half-built index in use. With a Chroma server the build goes into a fresh collection
and an alias collection records which one is current.

Reading never needs write access: a valid index is opened without the build lock, and a
read-only index folder (a deployment shipping a prebuilt index) is served from a private
temporary copy of its current build, because Chroma cannot open a database it may not write.
Only builds take the lock. A manifest that is not a JSON object of the expected fields (or
is a directory) counts as damaged: it is rebuilt, or, in a read-only folder, reported with a
Chinese message. Build folders and temporary manifests left by a killed build are removed
at the start of the next run that can take the lock.
"""
from __future__ import annotations

import atexit
import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .chunks import all_chunks
from .config import Settings
from .records import Plan

log = logging.getLogger(__name__)

MANIFEST = "current.json"
BATCH = 16
# Passage vectors already computed in this process, by (model id, text): a rebuild after a
# corpus edit only embeds the chunks that changed.
_VECTOR_MEMO: dict[tuple[str, str], list[float]] = {}


class IndexUnavailable(RuntimeError):
    """The index is missing, corrupt or was built from different inputs."""


class IndexReadOnly(IndexUnavailable):
    """The index folder cannot be written, so the build lock cannot be taken."""


_READ_ONLY_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS}
MAX_MANIFEST_BYTES = 1 << 20
_BUILD_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,200}")
_STR_FIELDS = ("key", "mode", "collection", "model_id", "corpus_sha256", "built_at")


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
def build_lock(index_dir: Path, blocking: bool = True) -> Iterator[bool]:
    """Serialize builds across processes: a second build waits, then reuses the first's.

    Raises ``IndexReadOnly`` when the folder cannot be created or written. With
    ``blocking=False`` it yields False at once instead of waiting for another build."""
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexReadOnly(f"索引目录 {index_dir} 不是一个文件夹，请检查 ASSISTANT_INDEX_DIR。")
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(index_dir, os.W_OK):
            raise PermissionError(errno.EACCES, "not writable", str(index_dir))
        fd = os.open(index_dir / ".build.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        if exc.errno in _READ_ONLY_ERRNOS:
            raise IndexReadOnly(f"索引目录 {index_dir} 不可写（{exc.strerror or exc}）。") from exc
        raise
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _damaged(path: Path, detail: str) -> IndexUnavailable:
    return IndexUnavailable(
        f"索引清单 {path} 已损坏（{detail}）。请运行 `python -m assistant index --rebuild` 重建索引。")


def validate_manifest(manifest, path: Path) -> dict:
    """The manifest if it has the shape a build writes; otherwise ``IndexUnavailable``."""
    if not isinstance(manifest, dict):
        raise _damaged(path, f"内容应为 JSON 对象，实际是 {type(manifest).__name__}")
    missing = [k for k in _STR_FIELDS if not isinstance(manifest.get(k), str) or not manifest.get(k)]
    if missing:
        raise _damaged(path, "缺少或格式不对的字段：" + "、".join(missing))
    if manifest["mode"] not in ("persistent", "http"):
        raise _damaged(path, f"未知的模式 {manifest['mode'][:40]!r}")
    count, seconds = manifest.get("count"), manifest.get("build_seconds")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise _damaged(path, "条目数 count 格式不对")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        raise _damaged(path, "build_seconds 格式不对")
    name = manifest.get("name")
    if not isinstance(name, str) or not _BUILD_NAME.fullmatch(name) or ".." in name:
        raise _damaged(path, "构建目录名 name 格式不对")
    return manifest


def read_manifest(index_dir: Path) -> dict | None:
    """The current build's manifest; None when there is none; ``IndexUnavailable`` when it
    cannot be read or is not a manifest (wrong JSON shape, a directory, far too large)."""
    path = index_dir / MANIFEST
    if not path.exists() and not path.is_symlink():
        return None
    if path.is_dir():
        raise _damaged(path, "这是一个文件夹，不是文件")
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_MANIFEST_BYTES + 1)
        if len(data) > MAX_MANIFEST_BYTES:
            raise ValueError("文件过大")
        manifest = json.loads(data.decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise _damaged(path, str(exc)[:200]) from exc
    return validate_manifest(manifest, path)


def _write_manifest(index_dir: Path, manifest: dict) -> None:
    tmp = index_dir / f"{TEMP_PREFIX}{os.getpid()}.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    target = index_dir / MANIFEST
    if target.is_dir() and not target.is_symlink():       # a folder in the manifest's place
        shutil.rmtree(target)
    os.replace(tmp, target)
    with contextlib.suppress(OSError):                    # make the rename itself durable
        fd = os.open(index_dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


TEMP_PREFIX = f".{MANIFEST}."
_SNAPSHOTS: list[str] = []


def _remove_snapshots() -> None:
    for path in _SNAPSHOTS:
        shutil.rmtree(path, ignore_errors=True)


def _read_only_snapshot(build_dir: Path) -> Path:
    """A private, writable copy of a build in a folder we may not write (removed at exit)."""
    root = tempfile.mkdtemp(prefix="ningxia-index-")
    if not _SNAPSHOTS:
        atexit.register(_remove_snapshots)
    _SNAPSHOTS.append(root)
    copy = Path(root) / build_dir.name
    shutil.copytree(build_dir, copy)
    for folder, dirs, files in os.walk(copy):
        for name in dirs + files:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(folder, name), 0o755 if name in dirs else 0o644)
    os.chmod(copy, 0o755)
    return copy


def _is_read_only_error(exc: BaseException, path: Path) -> bool:
    """Did opening a build fail because we may not write it (not because it is corrupt)?"""
    if isinstance(exc, OSError) and exc.errno in _READ_ONLY_ERRNOS:
        return True
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text or "permission denied" in text:
        return True
    try:
        return not (os.access(path, os.W_OK) and all(os.access(p, os.W_OK) for p in path.iterdir()))
    except OSError:
        return False


class PlanIndex:
    """Builds and opens the Chroma collection for one plan and one embedding model."""

    def __init__(self, settings: Settings, embedder, plan: Plan):
        self.settings = settings
        self.embedder = embedder
        self.plan = plan
        self.key = build_key(plan.source_sha256, embedder.model_id)
        self._collection = None
        self._opened = ""           # the build folder this object serves from

    # ------------------------------------------------------------ build
    def ensure(self, rebuild: bool = False, progress: bool = True) -> IndexInfo:
        """Reuse an up-to-date index or build a new one.

        Reuse needs no lock and no write access; a build runs under the build lock."""
        index_dir = self.settings.index_dir
        first: tuple[dict | None, str] | None = None
        if not rebuild:
            info, first = self._current_info(warn=False)
            if info is not None:
                self._tidy()
                return info
        try:
            with build_lock(index_dir):
                self._remove_orphans()
                if not rebuild:
                    info, _ = self._current_info(warn=True, known=first)
                    if info is not None:
                        return info
                return self._build(progress)
        except IndexReadOnly as exc:
            reason = "要求重建" if rebuild else (first[1] if first else "没有可用的索引")
            raise IndexReadOnly(
                f"{exc}其中没有可直接使用的索引（{reason}），无法在此建立。请在可写的目录运行 "
                f"`python -m assistant index` 建立索引后再部署，或把 ASSISTANT_INDEX_DIR 指向可写的目录。") from exc

    def _current_info(self, warn: bool, known: tuple[dict | None, str] | None = None
                      ) -> tuple[IndexInfo | None, tuple[dict | None, str]]:
        """The current build if it matches our inputs and opens cleanly (None means rebuild),
        and (the manifest read, why it cannot be used). ``known`` is an earlier verdict on the
        same manifest, which is then not opened again."""
        try:
            manifest = read_manifest(self.settings.index_dir)
        except IndexUnavailable as damage:
            if warn:
                _warn(f"{damage} 正在自动重建索引…")
            return None, (None, "索引清单已损坏")
        if manifest is None:
            return None, (None, "尚未建立索引")
        if manifest.get("key") != self.key or manifest.get("mode") != self.settings.chroma_mode:
            return None, (manifest, "索引由不同的语料、嵌入模型或模式建立")
        if known is not None and known[0] == manifest:
            if warn:
                _warn(f"检测到索引损坏（{known[1]}），正在自动重建索引…")
            return None, known
        try:
            collection = self._open(manifest)
            if collection.count() != manifest["count"]:
                raise IndexUnavailable("索引条目数与清单不符（可能是写入中断）。")
        except Exception as damage:  # a corrupt, half-written or vanished build
            detail = f"{type(damage).__name__}: {str(damage)[:120]}"
            if warn:
                _warn(f"检测到索引损坏（{detail}），正在自动重建索引…")
            return None, (manifest, f"索引已损坏：{detail}")
        self._collection = collection
        return _info_from(manifest, reused=True), (manifest, "")

    def _tidy(self) -> None:
        """Best effort, never waiting and never failing: remove what a killed build left."""
        try:
            with build_lock(self.settings.index_dir, blocking=False) as locked:
                if locked:
                    self._remove_orphans()
        except Exception as exc:   # read-only folder, another build running …: not our business now
            log.debug("index tidy skipped: %s", exc)

    def _remove_orphans(self) -> None:
        """Under the build lock no build is running, so every build folder but the current
        one and every temporary manifest was left by a killed build. With an unreadable
        manifest the folders are kept until a new build has replaced it."""
        index_dir = self.settings.index_dir
        try:
            manifest = read_manifest(index_dir)
            damaged = False
        except IndexUnavailable:
            manifest, damaged = None, True
        current = manifest.get("name") if manifest and manifest.get("mode") == "persistent" else None
        prefix = f"{self.settings.collection}-"
        for child in list(index_dir.iterdir()):
            try:
                if child.name.startswith(TEMP_PREFIX) and child.name.endswith(".tmp"):
                    child.unlink()
                elif (self.settings.chroma_mode == "persistent" and not damaged and child.name.startswith(prefix)
                      and child.is_dir() and not child.is_symlink() and child.name != current
                      and child.name != self._opened):
                    shutil.rmtree(child)
                    log.info("removed an orphan index build: %s", child.name)
            except OSError as exc:
                log.warning("could not remove %s: %s", child, exc)

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
        self._opened = name
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
        try:
            collection = _client(self.settings, path).get_collection(manifest["collection"])
        except Exception as exc:
            if not _is_read_only_error(exc, path):
                raise
            # Chroma cannot open a database it may not write: serve a private copy
            collection = _client(self.settings, _read_only_snapshot(path)).get_collection(manifest["collection"])
        self._opened = manifest["name"]
        return collection

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


__all__ = ["PlanIndex", "IndexInfo", "IndexUnavailable", "IndexReadOnly", "build_key", "read_manifest",
           "validate_manifest", "build_lock"]
