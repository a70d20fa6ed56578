"""Built artifacts kept on disk between runs (pickles keyed by what they are built from)."""
from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


def artifact_key(parts: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(b"\0" + part.encode("utf-8"))
    return digest.hexdigest()[:20]


def load_or_build_pickle(name: str, key_parts: Iterable[str], build: Callable[[], T],
                         cache_dir: Path | None, kind: type) -> T:
    """The object stored as `name`-KEY.pkl under `cache_dir` (KEY: a digest of `key_parts`)."""
    path = Path(cache_dir) / f"{name}-{artifact_key(key_parts)}.pkl" if cache_dir else None
    return load_or_build_at(path, build, kind)


def load_or_build_at(path: Path | None, build: Callable[[], T], kind: type,
                     valid: Callable[[T], bool] = lambda found: True) -> T:
    """The object pickled at `path` when it is a valid `kind`, else `build()` (then stored when
    the folder is writable; a read-only or full disk only costs the build at the next start)."""
    if path is not None and path.is_file():
        try:
            with path.open("rb") as f:
                found = pickle.load(f)
            if isinstance(found, kind) and valid(found):
                return found
        except Exception as exc:                     # truncated or foreign file: build again
            log.warning("%s unreadable (%s); rebuilding", path.name, exc)
    built = build()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=f".{path.stem}-", delete=False) as f:
                pickle.dump(built, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(f.name, path)
        except OSError as exc:
            log.warning("%s not written (%s)", path.name, exc)
            try:
                os.unlink(f.name)
            except (OSError, NameError):
                pass
    return built
