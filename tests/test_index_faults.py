"""Index faults that must never become a traceback: a manifest of the wrong shape or a folder in
its place, a read-only index folder (a deployment shipping a prebuilt index), and what a killed
build leaves behind. (kill -9 during builds: tests/test_faults.py.)"""
from __future__ import annotations

import copy
import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import assistant.index as index_module
from assistant.config import PROJECT_ROOT
from assistant.index import MANIFEST, IndexReadOnly, IndexUnavailable, PlanIndex, read_manifest
from assistant.retrieval import DenseSearch, HybridSearch

QUESTION = "行政复议委员会什么时候建立"
WRONG_SHAPES = ["[1, 2, 3]", '"x"', '{"a": 1}', "null", "42", '{"key": 5, "mode": "persistent"}']


@pytest.fixture()
def built(settings, assistant, tmp_path):
    """A valid index in a fresh folder (a copy of the session's, so nothing is embedded again)."""
    index_dir = tmp_path / "index"
    shutil.copytree(settings.index_dir, index_dir, ignore=shutil.ignore_patterns(".build.lock"))
    fresh = settings.with_overrides(index_dir=index_dir)
    info = PlanIndex(fresh, assistant.embedder, assistant.plan).ensure(progress=False)
    assert info.reused
    return fresh, info


def _folders(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.is_dir())


def _serving(assistant, settings):
    """The session assistant, answering from the index in `settings.index_dir`."""
    clone = copy.copy(assistant)
    clone.settings = settings
    clone.index = PlanIndex(settings, assistant.embedder, assistant.plan)
    clone.index_info = clone.index.ensure(progress=False)
    clone.dense = DenseSearch(clone.index, assistant.embedder)
    clone.hybrid = HybridSearch(clone.dense, assistant.lexical)
    return clone


# ------------------------------------------------------------ the manifest's shape
@pytest.mark.parametrize("content", WRONG_SHAPES)
def test_manifest_of_the_wrong_shape_is_damaged_not_a_crash(built, assistant, content):
    settings, info = built
    (settings.index_dir / MANIFEST).write_text(content, encoding="utf-8")
    with pytest.raises(IndexUnavailable, match="已损坏"):
        read_manifest(settings.index_dir)
    with pytest.raises(IndexUnavailable, match="--rebuild"):
        _ = PlanIndex(settings, assistant.embedder, assistant.plan).collection
    rebuilt = PlanIndex(settings, assistant.embedder, assistant.plan).ensure(progress=False)
    assert not rebuilt.reused and rebuilt.count == 115
    assert read_manifest(settings.index_dir)["name"] == rebuilt.location
    assert _folders(settings.index_dir) == [rebuilt.location]


def test_manifest_that_is_a_directory_is_replaced(built, assistant, capsys):
    settings, info = built
    manifest = settings.index_dir / MANIFEST
    manifest.unlink()
    (manifest / "nested").mkdir(parents=True)
    with pytest.raises(IndexUnavailable, match="文件夹"):
        read_manifest(settings.index_dir)
    rebuilt = PlanIndex(settings, assistant.embedder, assistant.plan).ensure(progress=False)
    assert not rebuilt.reused and manifest.is_file()
    assert "已损坏" in capsys.readouterr().err
    again = PlanIndex(settings, assistant.embedder, assistant.plan).ensure(progress=False)
    assert again.reused and again.location == rebuilt.location


def test_manifest_naming_a_folder_outside_the_index_is_refused(built, assistant, tmp_path):
    settings, info = built
    manifest = json.loads((settings.index_dir / MANIFEST).read_text(encoding="utf-8"))
    (settings.index_dir / MANIFEST).write_text(json.dumps({**manifest, "name": "../elsewhere"}), encoding="utf-8")
    with pytest.raises(IndexUnavailable, match="name"):
        read_manifest(settings.index_dir)


def test_cli_with_a_wrong_shape_manifest_rebuilds_without_a_traceback(built):
    settings, _ = built
    (settings.index_dir / MANIFEST).write_text("[1, 2, 3]", encoding="utf-8")
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(settings.index_dir), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-m", "assistant", "index"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "已损坏" in result.stderr and "已建立索引" in result.stdout


# ------------------------------------------------------------ a read-only index folder
@pytest.fixture()
def lock_denied(monkeypatch):
    """The build lock cannot be created, as in a read-only folder (chmod does not stop root)."""
    real_open = os.open
    tries = []

    def deny(path, flags, *args, **kwargs):
        if str(path).endswith(".build.lock"):
            tries.append(path)
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(index_module.os, "open", deny)
    return tries


def test_a_valid_index_serves_without_the_lock(built, assistant, lock_denied):
    settings, info = built
    clone = _serving(assistant, settings)
    assert clone.index_info.reused and clone.index_info.location == info.location
    answer = clone.ask(QUESTION)
    assert 69 in answer.citations and not answer.refused
    assert 69 in [hit.number for hit in clone.dense.search("行政复议委员会", k=3)]


def test_a_lock_failing_with_another_os_error_does_not_stop_reading(built, assistant, monkeypatch):
    settings, info = built

    def broken(*args, **kwargs):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(index_module, "build_lock", broken)
    assert PlanIndex(settings, assistant.embedder, assistant.plan).ensure(progress=False).reused


@pytest.mark.parametrize("damage", ["[1, 2, 3]", "directory", "missing"])
def test_read_only_folder_without_a_usable_index_says_so_in_chinese(built, assistant, lock_denied, damage):
    settings, _ = built
    manifest = settings.index_dir / MANIFEST
    manifest.unlink()
    if damage == "directory":
        manifest.mkdir()
    elif damage != "missing":
        manifest.write_text(damage, encoding="utf-8")
    with pytest.raises(IndexReadOnly) as caught:
        PlanIndex(settings, assistant.embedder, assistant.plan).ensure(progress=False)
    message = str(caught.value)
    assert "不可写" in message and "python -m assistant index" in message and "ASSISTANT_INDEX_DIR" in message
    assert lock_denied


def test_rebuild_in_a_read_only_folder_is_refused_clearly(built, assistant, lock_denied):
    settings, _ = built
    with pytest.raises(IndexReadOnly, match="要求重建"):
        PlanIndex(settings, assistant.embedder, assistant.plan).ensure(rebuild=True, progress=False)


def test_a_build_chroma_cannot_write_is_served_from_a_private_copy(built, assistant, monkeypatch):
    """Chroma refuses to open a database it may not write ("attempt to write a readonly
    database"); the index then serves a temporary copy of the build."""
    settings, info = built
    real_client = index_module._client
    opened = []

    def client(s, path=None):
        opened.append(path)
        if path is not None and Path(path).parent == settings.index_dir:
            raise RuntimeError("error returned from database: (code: 8) attempt to write a readonly database")
        return real_client(s, path)

    monkeypatch.setattr(index_module, "_client", client)
    clone = _serving(assistant, settings)
    assert clone.index_info.reused and 69 in clone.ask(QUESTION).citations
    assert opened[-1] != settings.index_dir / info.location and Path(opened[-1]).name == info.location


def _drop_write_capabilities() -> list[str] | None:
    """As root, chmod does not stop writes: run the child without CAP_DAC_OVERRIDE (and
    friends) so the file modes apply to it. As another user, chmod is enough."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if not setpriv:
        return None
    probe = subprocess.run([setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", "true"],
                           capture_output=True)
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner"] if probe.returncode == 0 else None


READ_ONLY_CHILD = r"""
import json, os, sys
from assistant.cli import main
good, broken = sys.argv[1], sys.argv[2]
os.environ["ASSISTANT_INDEX_DIR"] = good
try:                                    # it really is read-only for this process
    open(os.path.join(good, "probe"), "w")
    print("WRITABLE", flush=True)
except OSError:
    pass
print("ask", main(["ask", "--json", "行政复议委员会什么时候建立"]), flush=True)
print("search", main(["search", "行政复议", "--json", "--k", "3"]), flush=True)
os.environ["ASSISTANT_INDEX_DIR"] = broken
print("broken", main(["search", "行政复议", "--json"]), flush=True)
"""


@pytest.mark.slow
def test_read_only_index_folder_for_real(built, tmp_path):
    """chmod -R a-w on a prebuilt index: ask and search answer; a damaged manifest in a
    read-only folder gets a Chinese message and exit code 3, never a traceback."""
    prefix = _drop_write_capabilities()
    if prefix is None:
        pytest.skip("cannot drop root's write capabilities here (no setpriv)")
    settings, _ = built
    broken = tmp_path / "broken"
    shutil.copytree(settings.index_dir, broken)
    (broken / MANIFEST).write_text("[1, 2, 3]", encoding="utf-8")
    for folder in (settings.index_dir, broken):
        for root, dirs, files in os.walk(folder):
            for name in files:
                os.chmod(os.path.join(root, name), 0o444)
            os.chmod(root, 0o555)
    try:
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        result = subprocess.run([*prefix, sys.executable, "-c", READ_ONLY_CHILD, str(settings.index_dir), str(broken)],
                                cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=240)
    finally:
        for folder in (settings.index_dir, broken):
            for root, dirs, files in os.walk(folder):
                os.chmod(root, 0o755)
    out = result.stdout
    assert "WRITABLE" not in out
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "ask 0" in out and "search 0" in out, (out, result.stderr[-2000:])
    answer = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    assert 69 in answer["citations"]
    assert "broken 3" in out
    assert "不可写" in result.stderr and "索引清单已损坏" in result.stderr


# ------------------------------------------------------------ what a killed build leaves
def test_orphan_builds_and_temporary_manifests_are_removed_on_the_next_run(built, assistant):
    settings, info = built
    index_dir = settings.index_dir
    orphans = [index_dir / f"ningxia_plan-{info.key}-20250101T000000-dead01",
               index_dir / "ningxia_plan-0123456789abcdef-20250101T000000-dead02"]
    for folder in orphans:
        (folder / "segment").mkdir(parents=True)
        (folder / "chroma.sqlite3").write_bytes(b"half written")
    temporaries = [index_dir / f".{MANIFEST}.99999.tmp", index_dir / f".{MANIFEST}.1.tmp"]
    for tmp in temporaries:
        tmp.write_text('{"key": "half', encoding="utf-8")
    unrelated = index_dir / "notes"
    unrelated.mkdir()
    again = PlanIndex(settings, assistant.embedder, assistant.plan).ensure(progress=False)
    assert again.reused and again.location == info.location
    assert _folders(index_dir) == sorted([info.location, "notes"])
    assert not any(tmp.exists() for tmp in temporaries)


def test_orphans_are_kept_while_another_build_holds_the_lock(built, assistant):
    settings, info = built
    orphan = settings.index_dir / f"ningxia_plan-{info.key}-20990101T000000-inprog"
    orphan.mkdir()
    with index_module.build_lock(settings.index_dir):      # "another process" is building
        again = PlanIndex(settings, assistant.embedder, assistant.plan).ensure(progress=False)
    assert again.reused and orphan.exists()                 # not ours to remove while it builds
    PlanIndex(settings, assistant.embedder, assistant.plan).ensure(progress=False)
    assert not orphan.exists()


def test_orphans_are_kept_until_a_damaged_manifest_is_rebuilt(built, assistant):
    settings, info = built
    (settings.index_dir / MANIFEST).write_text("[1, 2, 3]", encoding="utf-8")
    rebuilt = PlanIndex(settings, assistant.embedder, assistant.plan).ensure(progress=False)
    assert _folders(settings.index_dir) == [rebuilt.location]
