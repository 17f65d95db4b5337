"""The polling watcher on the local folder store and on a real S3 server (moto): new uploads are
found once, a restarted watcher neither misses nor repeats work, and (with the real in-process
dispatcher and Prefect) an upload becomes a stored extraction result without any other action."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pipeline.index import Index, IndexSettings, open_index
from pipeline.model import ExtractionResult
from pipeline.store import ObjectStore
from pipeline.store.keys import declared_key, result_key
from pipeline.store.local import LocalFolderStore
from pipeline.version import PIPELINE_VERSION
from pipeline.watcher import Watcher
from tests.s3_server import ACCESS_KEY, REGION, SECRET_KEY, MotoServer
from tests.test_index import LICENCE, text_pdf

pytest_plugins = ["tests.s3_server"]


class FinishingRecorder:
    """A dispatcher that records calls and marks each event processed, as a real dispatcher does
    once the work has finished."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.calls: list[tuple[str, str]] = []

    def process(self, key: str, *, event_id: int | None = None) -> None:
        self.calls.append(("process", key))
        if event_id is not None:
            self.index.mark_event(event_id, dispatched=True, processed=True)

    def review(self, submission_id: str, *, event_id: int | None = None) -> None:
        self.calls.append(("review", submission_id))
        if event_id is not None:
            self.index.mark_event(event_id, dispatched=True, processed=True)


@pytest.fixture
def index(tmp_path: Path) -> Index:
    return open_index(IndexSettings(url=f"sqlite:///{tmp_path / 'index.sqlite3'}"))


def restart_without_repeats(store: ObjectStore, index: Index) -> None:
    store.put_bytes("uploads/S-1/a.pdf", b"%PDF-a")
    store.put_bytes("uploads/S-1/合同 1.pdf", b"%PDF-b")
    store.put_bytes(declared_key("S-1"), b"submission_id: S-1\n")
    store.put_bytes("uploads/stray.txt", b"not in a submission folder")  # not an upload key

    first = FinishingRecorder(index)
    watcher = Watcher(store, index, first)
    report = watcher.scan_once()
    assert report.new == 3 and report.listed == 3
    # documents first, the review of the submission last
    assert first.calls == [
        ("process", "uploads/S-1/a.pdf"),
        ("process", "uploads/S-1/合同 1.pdf"),
        ("review", "S-1"),
    ]
    assert watcher.scan_once().new == 0
    assert len(first.calls) == 3

    store.put_bytes("uploads/S-1/c.pdf", b"%PDF-c")
    store.put_bytes("uploads/S-2/d.pdf", b"%PDF-d")
    store.put_bytes(declared_key("S-1"), b"submission_id: S-1\n# edited\n", overwrite=True)

    # "crash": a new watcher with nothing but the index
    second = FinishingRecorder(index)
    report = Watcher(store, index, second).scan_once()
    assert report.redispatched == 0
    assert second.calls == [
        ("process", "uploads/S-1/c.pdf"),
        ("process", "uploads/S-2/d.pdf"),
        ("review", "S-1"),
    ]
    checkpoint = index.checkpoint(watcher.name)
    assert checkpoint is not None and checkpoint.scans == 3 and checkpoint.objects_seen == 6

    # a crash after recording an event but before its work finished: the next watcher redoes it
    store.put_bytes("uploads/S-2/e.pdf", b"%PDF-e")

    class Crashing(FinishingRecorder):
        def process(self, key: str, *, event_id: int | None = None) -> None:
            self.calls.append(("process", key))
            raise RuntimeError("worker died")

    crashing = Crashing(index)
    Watcher(store, index, crashing).scan_once()
    assert crashing.calls == [("process", "uploads/S-2/e.pdf")]
    third = FinishingRecorder(index)
    report = Watcher(store, index, third).scan_once()
    assert report.redispatched == 1 and report.new == 0
    assert third.calls == [("process", "uploads/S-2/e.pdf")]
    assert Watcher(store, index, FinishingRecorder(index)).scan_once().new == 0


def test_restart_on_local_store(tmp_path: Path, index: Index) -> None:
    restart_without_repeats(LocalFolderStore(tmp_path / "store"), index)
    assert {e.bucket for e in index.events()} == {"local"}


def test_restart_on_s3(s3_store: ObjectStore, s3_bucket: str, index: Index) -> None:
    restart_without_repeats(s3_store, index)
    assert {e.bucket for e in index.events()} == {s3_bucket}


def test_a_broken_listing_is_retried_at_the_next_interval(
    restartable_s3_server: MotoServer, index: Index
) -> None:
    from pipeline.store.s3 import S3Store

    restartable_s3_server.client().make_bucket("watched")
    store = S3Store(
        restartable_s3_server.endpoint,
        "watched",
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region=REGION,
        retry_delays=(0.01,),
        connect_timeout_s=1.0,
    )
    store.put_bytes("uploads/S-1/a.pdf", b"%PDF-a")
    recorder = FinishingRecorder(index)
    watcher = Watcher(store, index, recorder)
    restartable_s3_server.stop()
    with pytest.raises(Exception):  # noqa: B017  (a StoreError from the S3 store)
        watcher.scan_once()
    restartable_s3_server.start()
    assert watcher.scan_once().new == 1
    assert recorder.calls == [("process", "uploads/S-1/a.pdf")]


# ------------------------------------------------------------------ end to end (real flows)

DECLARED = {
    "submission_id": "S-W-1",
    "submitted_at": "2023-01-20",
    "applicant": {"name": "福州闽信科技有限公司", "uscc": "91350100M000100Y43"},
    "solution": {"name": "协同办公信创解决方案", "region": "华东"},
    "materials": [{"file": "营业执照.pdf", "category": "business_license"}],
}


def upload_and_watch(store: ObjectStore) -> str:
    from evidence.cli import app

    data = text_pdf(*LICENCE)
    store.put_bytes("uploads/S-W-1/营业执照.pdf", data)
    store.put_bytes(declared_key("S-W-1"), yaml.safe_dump(DECLARED, allow_unicode=True).encode())
    result = CliRunner().invoke(app, ["watch", "--once"])
    assert result.exit_code == 0, result.output
    assert "new uploads: 2" in result.output
    sha = hashlib.sha256(data).hexdigest()
    stored = ExtractionResult.model_validate_json(store.get_bytes(result_key(sha, PIPELINE_VERSION)))
    assert stored.document.doc_type == "business_license"
    assert any(i.key.endswith(".json") for i in store.list("reviews/S-W-1/"))
    again = CliRunner().invoke(app, ["watch", "--once"])
    assert "new uploads: 0" in again.output
    return sha


@pytest.mark.slow
def test_upload_to_result_on_local_store(
    prefect_api: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = f"sqlite:///{tmp_path / 'index.sqlite3'}"
    monkeypatch.setenv("EVIDENCE_STORE", "local")
    monkeypatch.setenv("EVIDENCE_STORE_PATH", str(tmp_path / "store"))
    monkeypatch.setenv("EVIDENCE_DB_URL", db)
    monkeypatch.setenv("EVIDENCE_DISPATCH", "inprocess")
    upload_and_watch(LocalFolderStore(tmp_path / "store"))
    [run] = open_index(IndexSettings(url=db)).runs()
    assert run.state == "completed" and run.attempts == 1


@pytest.mark.slow
def test_upload_to_result_on_s3(
    prefect_api: None,
    s3_server: MotoServer,
    s3_bucket: str,
    s3_store: ObjectStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "EVIDENCE_STORE": "s3",
        "EVIDENCE_S3_ENDPOINT": s3_server.endpoint,
        "EVIDENCE_S3_ACCESS_KEY": ACCESS_KEY,
        "EVIDENCE_S3_SECRET_KEY": SECRET_KEY,
        "EVIDENCE_S3_BUCKET": s3_bucket,
        "EVIDENCE_S3_REGION": REGION,
        "EVIDENCE_DB_URL": f"sqlite:///{tmp_path / 'index.sqlite3'}",
        "EVIDENCE_DISPATCH": "inprocess",
    }.items():
        monkeypatch.setenv(name, value)
    upload_and_watch(s3_store)
