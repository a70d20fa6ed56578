"""The persisted Chroma index: idempotent, keyed by inputs, swapped in atomically, locked."""
import json
import multiprocessing
import shutil

import pytest

from assistant.chunks import all_chunks, unit_key
from assistant.index import MANIFEST, IndexUnavailable, PlanIndex, build_key, read_manifest
from assistant.plan import parse_plan


@pytest.fixture()
def fresh_settings(settings, tmp_path):
    return settings.with_overrides(index_dir=tmp_path / "index")


def test_chunks_cover_measures_and_document(plan):
    chunks = all_chunks(plan)
    assert len([c for c in chunks if c.metadata["kind"] == "measure"]) == 110
    labels = {c.metadata.get("label") for c in chunks if c.metadata["kind"] == "document"}
    assert labels == {"文件头", "前言", "指导思想", "总体目标", "结语"}
    m69 = next(c for c in chunks if c.id == "m069")
    assert m69.metadata[unit_key("自治区司法厅")] == "牵头"
    assert m69.metadata["deadlines"] == "2022年6月前"


def test_build_is_idempotent_and_keyed(fresh_settings, assistant, plan_text):
    index = PlanIndex(fresh_settings, assistant.embedder, assistant.plan)
    first = index.ensure(progress=False)
    assert not first.reused and first.count == 115
    again = PlanIndex(fresh_settings, assistant.embedder, assistant.plan).ensure(progress=False)
    assert again.reused and again.location == first.location
    # a changed corpus gets a different key and a new build
    changed = parse_plan(plan_text.replace("行政复议委员会", "行政复议咨询委员会"))
    assert build_key(changed.source_sha256, assistant.embedder.model_id) != first.key
    rebuilt = PlanIndex(fresh_settings, assistant.embedder, changed).ensure(progress=False)
    assert not rebuilt.reused and rebuilt.key != first.key
    # the old build folder is gone; only the current one remains
    folders = [p.name for p in fresh_settings.index_dir.iterdir() if p.is_dir()]
    assert folders == [rebuilt.location]


def test_metadata_filter_finds_a_units_measures(assistant, plan):
    got = assistant.index.ids_for_unit("自治区审计厅")
    assert sorted(got) == ["m030", "m075"]
    assert set(got.values()) == {"责任"}


def test_missing_and_corrupt_index_are_detected(fresh_settings, assistant):
    index = PlanIndex(fresh_settings, assistant.embedder, assistant.plan)
    with pytest.raises(IndexUnavailable, match="尚未建立索引"):
        _ = index.collection
    info = index.ensure(progress=False)
    # half-written manifest
    (fresh_settings.index_dir / MANIFEST).write_text("{\"key\": ", encoding="utf-8")
    with pytest.raises(IndexUnavailable, match="--rebuild"):
        read_manifest(fresh_settings.index_dir)
    # a vanished build folder is rebuilt by ensure()
    shutil.rmtree(fresh_settings.index_dir / info.location)
    (fresh_settings.index_dir / MANIFEST).write_text(json.dumps({**_manifest(info), "name": info.location}),
                                                     encoding="utf-8")
    rebuilt = PlanIndex(fresh_settings, assistant.embedder, assistant.plan).ensure(progress=False)
    assert not rebuilt.reused and rebuilt.count == 115


def _manifest(info):
    return {"key": info.key, "mode": "persistent", "collection": "ningxia_plan", "model_id": info.model_id,
            "corpus_sha256": info.corpus_sha256, "count": info.count, "built_at": info.built_at,
            "build_seconds": info.build_seconds}


def _build_in_child(settings, queue):
    from assistant.embeddings import load_embedder
    from assistant.plan import load_plan
    index = PlanIndex(settings, load_embedder(settings), load_plan(settings.corpus_path))
    queue.put(index.ensure(progress=False).reused)


def test_two_builds_at_once_do_not_corrupt(fresh_settings):
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_build_in_child, args=(fresh_settings, queue)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=180)
    results = sorted(queue.get(timeout=5) for _ in workers)
    assert results == [False, True]          # one built, the other waited and reused it
    manifest = read_manifest(fresh_settings.index_dir)
    assert manifest["count"] == 115
