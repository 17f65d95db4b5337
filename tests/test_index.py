"""The index database (real SQLite): migrations, claims, retries on a locked database, event
de-duplication, selection; the config hash; idempotent processing on the local store (no Prefect)."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymupdf
import pytest
from sqlalchemy import text

from pipeline.config_hash import CONFIG_DIR, config_hash, extraction_config_files
from pipeline.errors import ConfigError
from pipeline.index import (
    MAX_ATTEMPTS,
    Index,
    IndexSettings,
    NewResult,
    Selection,
    WorkKey,
    open_index,
)
from pipeline.index.db import head_revision, make_engine, table_names, upgrade
from pipeline.index.work import archive_key, process_key
from pipeline.model import ExtractionResult
from pipeline.options import PipelineOptions
from pipeline.processing import put_upload
from pipeline.store import LocalFolderStore
from pipeline.store.keys import result_key
from pipeline.version import PIPELINE_VERSION

TABLES = {
    "alembic_version",
    "documents",
    "events",
    "findings",
    "results",
    "runs",
    "submissions",
    "watcher_checkpoints",
}


def text_pdf(*lines: str) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    for n, line in enumerate(lines):
        page.insert_text((72, 120 + 40 * n), line, fontname="china-s", fontsize=16)
    return doc.tobytes()


LICENCE = ("营 业 执 照", "统一社会信用代码 91350100M000100Y43", "名称 福州闽信科技有限公司")


def settings_for(tmp_path: Path, name: str = "index.sqlite3", busy_ms: int = 30_000) -> IndexSettings:
    return IndexSettings(url=f"sqlite:///{tmp_path / name}", busy_timeout_ms=busy_ms)


@pytest.fixture
def index(tmp_path: Path) -> Index:
    return open_index(settings_for(tmp_path))


def work(sha: str = "a" * 64, chash: str = "c1") -> WorkKey:
    return WorkKey(sha256=sha, pipeline_version=PIPELINE_VERSION, config_hash=chash)


# ----------------------------------------------------------------------------------- migrations


def test_upgrade_of_an_empty_sqlite_database(tmp_path: Path) -> None:
    db = tmp_path / "empty.sqlite3"
    sqlite3.connect(db).close()  # an existing, empty database file
    engine = make_engine(IndexSettings(url=f"sqlite:///{db}"))
    assert table_names(engine) == []
    upgrade(engine)
    assert TABLES <= set(table_names(engine))  # later migrations (e.g. the web UI's) may add more
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head_revision()
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 30_000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        cols = {r[1] for r in conn.execute(text("PRAGMA table_info(events)"))}
    assert {
        "source",
        "bucket",
        "key",
        "etag",
        "sequencer",
        "received_at",
        "processed_at",
        "dedupe_key",
    } <= cols
    upgrade(engine)  # at head: a no-op
    engine.dispose()


def test_concurrent_first_opens_migrate_once(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, "race.sqlite3")
    engines = [make_engine(settings) for _ in range(4)]
    errors: list[BaseException] = []

    def go(engine: object) -> None:
        try:
            upgrade(engine)  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert TABLES <= set(table_names(engines[0]))
    for e in engines:
        e.dispose()


def test_settings_from_env(tmp_path: Path) -> None:
    default = IndexSettings.from_env({"EVIDENCE_HOME": str(tmp_path)})
    assert default.url == f"sqlite:///{tmp_path.resolve() / 'index.sqlite3'}"
    pg = IndexSettings.from_env({"EVIDENCE_DB_URL": "postgresql+psycopg://u:secret@db/evidence"})
    assert "secret" not in pg.safe_url()
    with pytest.raises(ConfigError, match="EVIDENCE_DB_URL"):
        IndexSettings.from_env({"EVIDENCE_DB_URL": "not a url"})
    with pytest.raises(ConfigError, match="EVIDENCE_DB_BUSY_TIMEOUT_MS"):
        IndexSettings.from_env({"EVIDENCE_DB_BUSY_TIMEOUT_MS": "soon"})


# ------------------------------------------------------------------------------------ runs


def test_claim_complete_fail_give_up(index: Index) -> None:
    w = work()
    first = index.claim_run(w, key="uploads/S-1/a.pdf", worker="w1")
    assert first.outcome == "claimed" and first.run.attempts == 1 and first.run.worker == "w1"
    assert index.claim_run(w, worker="w2").outcome == "running"

    index.complete_run(
        w,
        NewResult(
            result_key="k", status="success", doc_type="contract", pages=1, field_count=3, error_count=0
        ),
    )
    assert index.claim_run(w).outcome == "completed"
    again = index.claim_run(w, force=True)
    assert again.outcome == "claimed" and again.run.attempts == 1

    for attempt in range(1, MAX_ATTEMPTS + 1):
        failed = index.fail_run(w, f"StoreError: outage {attempt}")
        assert failed.state == "failed" and failed.attempts == attempt
        claim = index.claim_run(w)
        if attempt < MAX_ATTEMPTS:
            assert claim.outcome == "claimed"
    assert claim.outcome == "gave_up"
    assert claim.run.error == f"StoreError: outage {MAX_ATTEMPTS}"
    assert index.claim_run(w, force=True).outcome == "claimed"  # staff retry (--failed / --force)


def test_only_one_of_many_workers_claims(index: Index) -> None:
    w = work("b" * 64)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def go(n: int) -> None:
        barrier.wait()
        outcomes.append(index.claim_run(w, worker=f"w{n}").outcome)

    threads = [threading.Thread(target=go, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["claimed"] + ["running"] * 7


def test_a_dead_workers_run_is_reclaimed_after_its_lease(index: Index) -> None:
    w = work("c" * 64)
    assert index.claim_run(w, worker="dead").outcome == "claimed"
    assert index.claim_run(w, worker="alive", lease_s=3600).outcome == "running"
    time.sleep(0.05)
    reclaimed = index.claim_run(w, worker="alive", lease_s=0.01)
    assert reclaimed.outcome == "claimed" and reclaimed.run.worker == "alive" and reclaimed.run.attempts == 2


def test_heartbeats_keep_a_long_run_held_and_stop_with_the_worker(
    index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.index.work import keep_alive

    monkeypatch.setenv("EVIDENCE_RUN_LEASE_S", "0.4")  # beats every 0.1 s
    w = work("d" * 64)
    assert index.claim_run(w, worker="busy").outcome == "claimed"
    with keep_alive(index, w, "busy"):
        for _ in range(4):  # 0.8 s: twice the lease, but the beats keep it held
            time.sleep(0.2)
            assert index.claim_run(w, worker="other", lease_s=0.4).outcome == "running"
        beat = index.run(w)
        assert beat is not None and beat.heartbeat_at is not None and beat.heartbeat_at > beat.started_at
    time.sleep(0.5)  # the worker stopped beating (as if killed): one lease later the run is free
    taken = index.claim_run(w, worker="other", lease_s=0.4)
    assert taken.outcome == "claimed" and taken.run.worker == "other"
    assert index.renew_run(w, "busy") is False  # the old worker learns it lost the run
    assert index.renew_run(w, "other") is True


def test_writes_wait_and_retry_while_the_database_is_locked(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, "locked.sqlite3", busy_ms=20)  # give up on the lock quickly
    index = open_index(settings)
    locker = sqlite3.connect(tmp_path / "locked.sqlite3", isolation_level=None, check_same_thread=False)
    locker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    release = threading.Timer(0.4, lambda: locker.execute("COMMIT"))
    release.start()
    t0 = time.perf_counter()
    _event, created = index.record_event(
        source="webhook",
        event_name="s3:ObjectCreated:Put",
        bucket="evidence",
        key="uploads/S-1/a.pdf",
        etag="e1",
        sequencer=None,
        size=1,
        dedupe_key="evidence/uploads/S-1/a.pdf@e1",
    )
    assert created and time.perf_counter() - t0 >= 0.3  # it waited for the lock, then succeeded
    release.join()
    locker.close()


def test_events_are_deduplicated(index: Index) -> None:
    kw = {
        "source": "webhook",
        "event_name": "s3:ObjectCreated:Put",
        "bucket": "evidence",
        "key": "uploads/S-1/合同.pdf",
        "etag": "e1",
        "sequencer": "17A",
        "size": 10,
        "dedupe_key": "evidence/uploads/S-1/合同.pdf@e1",
    }
    first, created = index.record_event(**kw)  # type: ignore[arg-type]
    second, again = index.record_event(**{**kw, "source": "watcher", "sequencer": "17B"})  # type: ignore[arg-type]
    assert created and not again and first.id == second.id
    assert [e.id for e in index.pending_events()] == [first.id]
    index.mark_event(first.id, dispatched=True)
    assert index.pending_events(redispatch_after_s=600) == []
    index.mark_event(first.id, processed=True)
    assert index.pending_events(redispatch_after_s=0) == []
    assert index.seen_dedupe_keys([kw["dedupe_key"], "other"]) == {kw["dedupe_key"]}  # type: ignore[list-item]


def test_review_findings_replace_the_previous_review(index: Index) -> None:
    index.ensure_submission(
        "S-1", {"applicant": {"name": "福州闽信科技有限公司"}, "solution": {"region": "华东"}}
    )
    index.record_review(
        "S-1", status="fail", review_key="reviews/S-1/1.json", findings=[("a.b", "fail", "error")]
    )
    index.record_review(
        "S-1",
        status="pass",
        review_key="reviews/S-1/2.json",
        findings=[("a.b", "pass", "error"), ("c.d", "not_applicable", "info")],
    )
    sub = index.submission("S-1")
    assert sub is not None and sub.status == "pass" and sub.review_key == "reviews/S-1/2.json"
    assert sub.applicant_name == "福州闽信科技有限公司" and sub.region == "华东"
    assert index.findings("S-1") == [("a.b", "pass", "error"), ("c.d", "not_applicable", "info")]


def test_selection(index: Index) -> None:
    old = datetime(2023, 1, 1, tzinfo=UTC)
    index.upsert_document("uploads/S-1/a.pdf", "S-1", "a.pdf", sha256="1" * 64, uploaded_at=old)
    index.upsert_document("uploads/S-1/b.pdf", "S-1", "b.pdf", sha256="2" * 64)
    index.upsert_document("uploads/S-2/c.pdf", "S-2", "c.pdf", sha256="3" * 64)
    res = NewResult(
        result_key="k", status="success", doc_type="contract", pages=1, field_count=1, error_count=0
    )
    index.complete_run(work("1" * 64, "old"), res)
    index.complete_run(work("2" * 64, "cur"), res.model_copy(update={"doc_type": "business_license"}))
    index.complete_run(work("3" * 64, "cur"), res.model_copy(update={"status": "failure"}))

    def keys(**kw: object) -> list[str]:
        docs = index.select_documents(Selection(**kw), pipeline_version=PIPELINE_VERSION, config_hash="cur")  # type: ignore[arg-type]
        return [d.key for d in docs]

    assert keys(all=True) == ["uploads/S-1/a.pdf", "uploads/S-1/b.pdf", "uploads/S-2/c.pdf"]
    assert keys(submissions=("S-2",)) == ["uploads/S-2/c.pdf"]
    assert keys(doc_type="business_license") == ["uploads/S-1/b.pdf"]
    assert keys(stale=True) == ["uploads/S-1/a.pdf"]
    assert keys(failed=True) == ["uploads/S-2/c.pdf"]
    assert keys(since=old + timedelta(days=1)) == ["uploads/S-1/b.pdf", "uploads/S-2/c.pdf"]
    assert keys(submissions=("S-1",), stale=True) == ["uploads/S-1/a.pdf"]
    sub = index.submission("S-1")
    assert sub is not None and (sub.documents_count, sub.processed_count, sub.failed_count) == (2, 2, 0)


# ------------------------------------------------------------------------------ config hash


def test_config_hash_is_stable_and_tracks_what_changes_extraction(tmp_path: Path) -> None:
    base = PipelineOptions()
    assert config_hash(base) == config_hash(PipelineOptions()) == config_hash(base)
    assert len(config_hash(base)) == 16
    assert config_hash(PipelineOptions.from_env({"EVIDENCE_DPI": "200"})) != config_hash(base)
    assert config_hash(PipelineOptions.from_env({"EVIDENCE_OCR_ENGINE": "rapidocr"})) != config_hash(base)

    copy = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, copy)
    assert config_hash(base, copy) == config_hash(base)  # content, not location
    names = {p.relative_to(copy).as_posix() for p in extraction_config_files(copy)}
    assert "seals.yaml" in names and "sensitive/keywords.yaml" in names and "campaign.yaml" not in names

    (copy / "campaign.yaml").write_text((copy / "campaign.yaml").read_text() + "\n# review only\n")
    assert config_hash(base, copy) == config_hash(base)
    keywords = copy / "sensitive" / "keywords.yaml"
    keywords.write_text(keywords.read_text() + "\n# a new comment changes the bytes\n")
    assert config_hash(base, copy) != config_hash(base)


# ----------------------------------------------------------------- idempotent work (no Prefect)


def test_process_key_runs_once_per_content_and_config(index: Index, tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "store")
    data = text_pdf(*LICENCE)
    k1, _ = put_upload(store, "S-1", "营业执照.pdf", data)
    k2, _ = put_upload(store, "S-1", "营业执照-副本.pdf", data)  # same bytes, other name

    first = process_key(store, index, k1, chash="cfg-a")
    assert first.outcome == "processed" and first.summary is not None
    assert first.summary.text_sources == ["text_layer"]
    assert process_key(store, index, k1, chash="cfg-a").outcome == "unchanged"
    assert process_key(store, index, k2, chash="cfg-a").outcome == "unchanged"
    [run] = index.runs()
    assert run.state == "completed" and run.attempts == 1
    doc2 = index.document(k2)
    assert doc2 is not None and doc2.latest_status == "success" and doc2.doc_type == "business_license"

    # a config change makes the result stale: redone, and the old result stays readable
    sha = first.sha256
    assert sha is not None
    redone = process_key(store, index, k1, chash="cfg-b")
    assert redone.outcome == "processed"
    archived = archive_key(sha, PIPELINE_VERSION, "cfg-a")
    assert ExtractionResult.model_validate_json(store.get_bytes(archived)).document.sha256 == sha
    keys = {r.config_hash: r.result_key for r in index.results_for(sha)}
    assert keys == {"cfg-a": archived, "cfg-b": result_key(sha, PIPELINE_VERSION)}

    forced = process_key(store, index, k1, chash="cfg-b", force=True)
    assert forced.outcome == "processed"


def test_results_made_before_the_index_are_adopted(index: Index, tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "store")
    key, _ = put_upload(store, "S-1", "a.pdf", text_pdf(*LICENCE))
    other = open_index(settings_for(tmp_path, "other.sqlite3"))
    # results carry the real config hash of the options that made them
    assert process_key(store, other, key).outcome == "processed"
    # a fresh index sees the stored result and adopts it instead of re-reading the document
    assert process_key(store, index, key).outcome == "unchanged"
    assert index.runs()[0].state == "completed"


def test_a_document_that_fails_three_times_is_given_up(index: Index, tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "store")
    data = text_pdf(*LICENCE)
    key, _ = put_upload(store, "S-1", "a.pdf", data)
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    # a real fault: an object where the result folder must go, so every save fails
    store.put_bytes(f"results/{sha}", b"in the way")
    for attempt in range(1, MAX_ATTEMPTS + 1):
        outcome = process_key(store, index, key, chash="x")
        assert outcome.outcome == "failed" and outcome.error and "StoreError" in outcome.error
        assert index.runs()[0].attempts == attempt
    gave_up = process_key(store, index, key, chash="x")
    assert gave_up.outcome == "gave_up" and gave_up.error and "StoreError" in gave_up.error
    doc = index.document(key)
    assert doc is not None and doc.latest_status == "failed" and doc.error
    store.delete(f"results/{sha}")
    assert process_key(store, index, key, chash="x", force=True).outcome == "processed"
