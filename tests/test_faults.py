"""Faults injected into real services: a Prefect server and ``prefect worker`` processes (as in
``test_scaleout``), a moto S3 server on loopback that is stopped and restarted, a worker process
killed with SIGKILL, a document that keeps failing, and a per-page OCR timeout.

One cluster (server + two workers) is shared by the module; the tests run in file order."""

from __future__ import annotations

import io
import json
import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.s3_server import MotoServer
from tests.test_scaleout import (
    BATCH_TIMEOUT_S,
    ROOT,
    Cluster,
    PrefectServer,
    make_pdf,
    prefect_api,
    read_runs,
    result_keys,
    s3_settings,
    submit,
    wait_final,
)

pytestmark = pytest.mark.slow

LEASE_S = 15  # a claim older than this is presumed dead (EVIDENCE_RUN_LEASE_S)
OUTAGE_S = 4.0  # after a run has started during the outage
MAX_OUTAGE_S = 40.0


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    """A private moto server this module stops and restarts (state survives, like MinIO's disk)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = MotoServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def faults_cluster(tmp_path_factory: pytest.TempPathFactory, moto: MotoServer) -> Iterator[Cluster]:
    home = tmp_path_factory.mktemp("faults")
    bucket = f"faults-{uuid.uuid4().hex[:12]}"
    moto.client().make_bucket(bucket)
    settings = {
        **s3_settings(moto, bucket),
        "EVIDENCE_DB_URL": f"sqlite:///{home / 'index.sqlite3'}",
        "EVIDENCE_OCR_WORKERS": "1",
        "EVIDENCE_RUN_LEASE_S": str(LEASE_S),
        "EVIDENCE_OCR_SLOTS": "2",
    }
    server = PrefectServer(home)
    c = Cluster(home, server, settings)
    mp = pytest.MonkeyPatch()
    try:
        server.start()
        for name, value in settings.items():
            mp.setenv(name, value)
        with prefect_api(server.api_url):
            from flows.deployments import register_all

            register_all(ROOT)
            c.worker("w1")
            c.worker("w2")
            yield c
    finally:
        c.stop()
        mp.undo()
        from pipeline.index import dispose_all

        dispose_all()


def scan_page_png(text: str, lines: int = 12) -> bytes:
    font = ImageFont.truetype(io.BytesIO(pymupdf.Font("china-s").buffer), 40)
    img = Image.new("RGB", (1654, 2339), "white")  # A4 at 200 dpi
    draw = ImageDraw.Draw(img)
    for n in range(lines):
        draw.text((120, 150 + n * 150), f"{text} 第{n + 1}行 项目实施合同 甲方 乙方", font=font, fill="black")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def scanned_pdf(tag: str, pages: int) -> bytes:
    """A PDF of image-only pages (no text layer: every page goes through OCR)."""
    doc = pymupdf.open()
    for p in range(pages):
        page = doc.new_page(width=595, height=842)
        page.insert_image(page.rect, stream=scan_page_png(f"{tag}-{p}"))
    data: bytes = doc.tobytes()
    doc.close()
    return data


def mixed_pdf() -> bytes:
    """Page 0 with a text layer, page 1 image-only."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    y = 100
    for line in (
        "项目实施合同",
        "甲方 福建省某某医院",
        "乙方 福州闽信科技有限公司",
        "签订日期 2022年05月01日",
    ):
        page.insert_text((72, y), line, fontname="china-s", fontsize=16)
        y += 36
    page = doc.new_page(width=595, height=842)
    page.insert_image(page.rect, stream=scan_page_png("附件"))
    data: bytes = doc.tobytes()
    doc.close()
    return data


def index_run(sha: str) -> Any:
    from pipeline.index import open_index

    runs = [r for r in open_index().runs() if r.sha256 == sha]
    return runs[0] if runs else None


def results_of(store: Any, sha: str) -> list[str]:
    return [k for k in result_keys(store) if k.startswith(f"results/{sha}/")]


# ----------------------------------------------------------------------------- store outage


def test_store_outage_mid_batch_delays_but_loses_nothing(faults_cluster: Cluster, moto: MotoServer) -> None:
    from pipeline.loading import sha256_of
    from pipeline.processing import put_upload
    from pipeline.store import open_store

    store = open_store()
    keys = [put_upload(store, "S-FAULT-OUTAGE", f"doc-{n}.pdf", make_pdf(100 + n))[0] for n in range(6)]
    shas = {k: sha256_of(store.get_bytes(k)) for k in keys}
    runs = submit(keys)
    ids = list(runs)

    # mid-batch: once a first document is done and others are still pending, take the store away
    deadline = time.monotonic() + BATCH_TIMEOUT_S
    while time.monotonic() < deadline:
        states = [r.state for r in read_runs(ids)]
        if any(s and s.is_completed() for s in states) and not all(s and s.is_final() for s in states):
            break
        time.sleep(0.5)
    else:
        pytest.fail("the batch never reached the middle")
    not_started = {r.id for r in read_runs(ids) if r.state and r.state.type.value in ("SCHEDULED", "PENDING")}
    assert not_started, "no run left to start during the outage"
    moto.stop()
    outage_t0 = time.monotonic()
    try:
        # keep the store down until a run has started during the outage, and a little longer
        while time.monotonic() - outage_t0 < MAX_OUTAGE_S:
            started = [r for r in read_runs(list(not_started)) if r.state and r.state.is_running()]
            if started:
                break
            time.sleep(0.3)
        time.sleep(OUTAGE_S)
    finally:
        moto.start()
    outage = time.monotonic() - outage_t0

    final = wait_final(ids, BATCH_TIMEOUT_S)
    failed = {runs[r.id]: r.state.message for r in final if not r.state.is_completed()}
    store = open_store()
    missing = [k for k in keys if not results_of(store, shas[k])]
    assert not missing and not failed, (
        f"lost to a {outage:.0f}s store outage: {missing}; failed runs: {failed}\n"
        f"--- w1\n{faults_cluster.workers[0].tail()}"
    )
    for k in keys:
        stored = results_of(store, shas[k])
        assert len(stored) == 1
        json.loads(store.get_bytes(stored[0]))  # complete, parseable


# ----------------------------------------------------------------------------- worker killed


def test_worker_killed_mid_document_leaves_nothing_half_written(faults_cluster: Cluster) -> None:
    from pipeline.loading import sha256_of
    from pipeline.model import ExtractionResult
    from pipeline.processing import put_upload
    from pipeline.store import open_store

    store = open_store()
    data = scanned_pdf("kill", pages=3)
    key, _ = put_upload(store, "S-FAULT-KILL", "scan.pdf", data)
    sha = sha256_of(data)
    first = submit([key])

    # wait until a worker has claimed the document and is extracting it
    deadline = time.monotonic() + BATCH_TIMEOUT_S
    while time.monotonic() < deadline:
        run = index_run(sha)
        if run is not None and run.state == "running":
            break
        time.sleep(0.3)
    else:
        pytest.fail(f"no worker started on {key}")
    time.sleep(1.0)  # well inside OCR of the first page
    victims = [w for w in faults_cluster.workers if w.flow_run_pids()]
    assert len(victims) == 1, "exactly one worker runs the document"
    victim = victims[0]
    victim.kill()  # SIGKILL worker and flow-run process: a machine dying
    faults_cluster.workers.remove(victim)

    time.sleep(1.0)
    assert not results_of(store, sha), "a killed run must not leave an extraction result"
    for k in (i.key for i in store.list(f"results/{sha}/")):
        assert not k.endswith(".json"), f"half-written result {k}"
    assert index_run(sha).state == "running"  # the dead worker's claim, until its lease expires
    assert not read_runs(list(first))[0].state.is_completed()

    # the rerun (a re-delivered event, the watcher, or staff) completes it on a surviving worker
    again = submit([key])
    final = wait_final(list(again), BATCH_TIMEOUT_S + LEASE_S)
    assert final[0].state.is_completed(), final[0].state.message
    stored = results_of(store, sha)
    assert len(stored) == 1
    result = ExtractionResult.model_validate_json(store.get_bytes(stored[0]))
    assert result.document.pages == 3 and [p.text_source for p in result.pages] == ["ocr"] * 3
    run = index_run(sha)
    assert run.state == "completed" and run.attempts == 2  # the killed attempt counts


# ----------------------------------------------------------------------------- repeated failure


def test_document_failing_three_times_is_marked_failed_and_not_retried(
    faults_cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A persistent fault (the result's key is occupied by a folder in a local store, so every
    save fails after a full extraction): three attempts, then the document is failed with its
    error and neither a batch nor a new run extracts it again (``--failed`` would)."""
    from flows.process_document import process_document
    from flows.reprocess import reprocess
    from pipeline.index import MAX_ATTEMPTS, Selection, open_index
    from pipeline.loading import sha256_of
    from pipeline.processing import put_upload
    from pipeline.store import open_store
    from pipeline.store.keys import result_key
    from pipeline.version import PIPELINE_VERSION

    monkeypatch.setenv("EVIDENCE_STORE", "local")
    monkeypatch.setenv("EVIDENCE_STORE_PATH", str(tmp_path / "store"))
    store = open_store()
    data = make_pdf(900)
    key, _ = put_upload(store, "S-FAULT-FAIL", "bad.pdf", data)
    sha = sha256_of(data)
    (tmp_path / "store" / result_key(sha, PIPELINE_VERSION)).mkdir(parents=True)

    selection = Selection(submissions=("S-FAULT-FAIL",))
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = reprocess(selection, refresh_reviews=False)
        assert report.failed == 1 and report.processed == 0, report
        assert index_run(sha).attempts == attempt
    run = index_run(sha)
    assert run.state == "failed" and run.error and "StoreError" in run.error
    doc = open_index().document(key)
    assert doc is not None and doc.latest_status == "failed" and doc.error

    # not retried any more: the batch skips it with the reason, a run gives up at once
    report = reprocess(selection, refresh_reviews=False)
    assert report.failed == 0 and report.processed == 0 and report.skipped == 1, report
    assert report.failures and report.failures[0].error.startswith("not retried")
    t0 = time.monotonic()
    with pytest.raises(Exception, match="failed 3 times"):
        process_document(key)
    assert time.monotonic() - t0 < 20, "a given-up document must not be extracted again"
    assert index_run(sha).attempts == MAX_ATTEMPTS


# ----------------------------------------------------------------------------- OCR timeout


def test_ocr_timeout_is_an_error_item_on_that_page(
    faults_cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.process_document import process_document
    from pipeline.model import ExtractionResult
    from pipeline.processing import put_upload
    from pipeline.store import open_store

    monkeypatch.setenv("EVIDENCE_OCR_TIMEOUT", "0.01")
    monkeypatch.setenv("EVIDENCE_LICENCE_REREAD", "0")
    store = open_store()
    key, _ = put_upload(store, "S-FAULT-OCR", "mixed.pdf", mixed_pdf())
    summary = process_document(key)
    result = ExtractionResult.model_validate_json(store.get_bytes(summary.result_key))
    assert result.document.pages == 2
    assert [(p.index, p.text_source) for p in result.pages if p.index == 0] == [(0, "text_layer")]
    timeouts = [e for e in result.errors if e.code == "ocr_timeout"]
    assert timeouts and all(e.page == 1 for e in timeouts), result.errors
    assert all(e.page != 0 for e in result.errors), "page 0 must come through"
    assert result.status == "partial_success"
