"""Idempotent processing of one upload: the store holds the bytes and results, the index decides
who does the work. Plain functions (no Prefect): the ``process_document`` flow calls them between
its tasks, and ``reprocess`` calls ``process_key`` per document.

Work is keyed by ``(sha256, pipeline_version, config_hash)``. Before extracting, a worker claims
the run in the index (one atomic UPDATE): the same bytes under two keys, or an event delivered
twice, cost one extraction; a second worker waits for the first and reuses its result.

A result for the same version but another config hash is *stale*: before the new result is
written to ``results/<sha256>/<version>/extraction.json`` the old one is copied to
``results/<sha256>/<version>/config-<old hash>/extraction.json`` and the index points at the copy,
so earlier results stay readable."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from pydantic import BaseModel, ConfigDict

from pipeline.errors import EvidenceError, ObjectNotFoundError, RunBusyError
from pipeline.index.models import UNKNOWN_CONFIG
from pipeline.index.repo import Claim, Index, NewResult, WorkKey
from pipeline.loading import sha256_of
from pipeline.model import ExtractionResult
from pipeline.options import PipelineOptions
from pipeline.processing import (
    ProcessSummary,
    Upload,
    existing_result,
    extract_upload,
    fetch_upload,
    load_declared,
    save_outcome,
    summarize,
)
from pipeline.runner import ExtractionOutcome
from pipeline.store import ObjectStore
from pipeline.store.keys import (
    DECLARED_FILE_NAME,
    EXTRACTION_FILE_NAME,
    result_key,
    results_prefix,
    submission_prefix,
    validate_key,
)
from pipeline.version import PIPELINE_VERSION

log = logging.getLogger(__name__)

ENV_RUN_WAIT_S = "EVIDENCE_RUN_WAIT_S"
ENV_RUN_LEASE_S = "EVIDENCE_RUN_LEASE_S"
POLL_S = 0.25


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


def lease_seconds() -> float:
    """``EVIDENCE_RUN_LEASE_S`` (default 300): a run without a heartbeat for longer is presumed
    dead (its worker renews it every quarter lease while it works)."""
    from pipeline.index.repo import DEFAULT_LEASE_S

    return _env_float(ENV_RUN_LEASE_S, DEFAULT_LEASE_S)


@contextmanager
def keep_alive(index: Index, work: WorkKey, worker: str | None = None) -> Iterator[None]:
    """Renew the run's heartbeat every quarter lease while the block runs (a background thread),
    so a long document is never taken for a dead one, while a killed worker's run is free again
    one lease after its last beat. A failed renewal is logged and tried again at the next beat."""
    worker = worker or worker_name()
    every = max(0.05, lease_seconds() / 4)
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                if not index.renew_run(work, worker):
                    log.warning("run %s… is no longer held by %s", work.sha256[:12], worker)
                    return
            except Exception as exc:  # database briefly unreachable: the next beat tries again
                log.warning("heartbeat for run %s… failed: %s", work.sha256[:12], type(exc).__name__)

    thread = threading.Thread(target=beat, name=f"evidence-heartbeat-{work.sha256[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def wait_seconds() -> float:
    """``EVIDENCE_RUN_WAIT_S`` (default 600): how long to wait for another worker's run."""
    return _env_float(ENV_RUN_WAIT_S, 600.0)


def work_key(sha256: str, options: PipelineOptions | None = None, chash: str | None = None) -> WorkKey:
    """The work key of content ``sha256`` under the current pipeline version and configuration."""
    if chash is None:
        from pipeline.config_hash import config_hash

        chash = config_hash(options)
    return WorkKey(sha256=sha256, pipeline_version=PIPELINE_VERSION, config_hash=chash)


def archive_key(sha256: str, version: str, chash: str) -> str:
    """Where a stale result (same version, other config) is kept when a new one replaces it."""
    return validate_key(f"{results_prefix(sha256, version)}config-{chash}/{EXTRACTION_FILE_NAME}")


def new_result(result: ExtractionResult, key: str) -> NewResult:
    return NewResult(
        result_key=key,
        status=result.status,
        doc_type=result.document.doc_type,
        pages=result.document.pages,
        field_count=len(result.fields),
        error_count=len(result.errors),
    )


def _stored_config_hash(store: ObjectStore, key: str) -> str | None:
    """The ``config_hash`` written inside a stored result, when results carry one."""
    try:
        raw = json.loads(store.get_bytes(key))
    except (ObjectNotFoundError, ValueError):
        return None
    value = raw.get("config_hash") if isinstance(raw, dict) else None
    return str(value) if value else None


def record_upload(index: Index, upload: Upload, sha256: str) -> None:
    """Register the upload (and its submission's declared summary) in the index."""
    if upload.submission_id is None:
        return
    index.ensure_submission(upload.submission_id, upload.declared)
    index.upsert_document(
        upload.key,
        upload.submission_id,
        upload.file_name,
        sha256=sha256,
        size=len(upload.data),
        declared_category=upload.declared_category,
    )


class Decision(BaseModel):
    """What to do with an upload: ``reuse`` a current result, ``run`` it (claim held), or
    nothing because it ``gave_up`` after repeated failures."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    action: Literal["reuse", "run", "gave_up"]
    work: WorkKey
    result: ExtractionResult | None = None
    error: str | None = None


def _adopt_if_current(index: Index, store: ObjectStore, work: WorkKey) -> ExtractionResult | None:
    """A result in the store that the index does not know (made before the index existed) is
    adopted as current unless it says it was made under another config."""
    if index.results_for(work.sha256):
        return None
    stored = existing_result(store, work.sha256, work.pipeline_version)
    if stored is None:
        return None
    key = result_key(work.sha256, work.pipeline_version)
    inner = _stored_config_hash(store, key)
    if inner is not None and inner != work.config_hash:
        index.complete_run(
            work.model_copy(update={"config_hash": inner}), new_result(stored, key), adopted=True
        )
        return None
    index.complete_run(work, new_result(stored, key), adopted=True)
    return stored


def decide(
    index: Index,
    store: ObjectStore,
    work: WorkKey,
    *,
    key: str,
    force: bool = False,
    worker: str | None = None,
    wait_s: float | None = None,
) -> Decision:
    """Reuse a current result, or claim the run (waiting while another worker holds it)."""
    worker = worker or worker_name()
    wait_s = wait_seconds() if wait_s is None else wait_s
    if not force:
        adopted = _adopt_if_current(index, store, work)
        if adopted is not None:
            return Decision(action="reuse", work=work, result=adopted)
    deadline = time.monotonic() + wait_s
    while True:
        claim: Claim = index.claim_run(work, key=key, worker=worker, force=force, lease_s=lease_seconds())
        if claim.outcome == "claimed":
            index.mark_documents(work.sha256, "processing")
            return Decision(action="run", work=work)
        if claim.outcome == "completed":
            recorded = index.result(work)
            stored = existing_result(store, work.sha256, work.pipeline_version)
            if (
                recorded is not None
                and stored is not None
                and recorded.result_key == result_key(work.sha256, work.pipeline_version)
            ):
                index.attach_result(work)
                return Decision(action="reuse", work=work, result=stored)
            force = True  # recorded but missing from the store: make it again
            continue
        if claim.outcome == "gave_up":
            return Decision(action="gave_up", work=work, error=claim.run.error)
        if time.monotonic() >= deadline:
            raise RunBusyError(
                f"文档正在由其他进程处理 {key} is being processed by {claim.run.worker} since "
                f"{claim.run.started_at}; waited {wait_s:.0f}s. Retry later, or raise {ENV_RUN_WAIT_S}"
            )
        time.sleep(POLL_S)


def make_room(index: Index, store: ObjectStore, work: WorkKey) -> None:
    """Before writing a new result: archive a stored result of the same version made under
    another config (so it stays readable) and point its index row at the copy."""
    canonical = result_key(work.sha256, work.pipeline_version)
    for previous in index.results_for(work.sha256):
        if (
            previous.pipeline_version != work.pipeline_version
            or previous.config_hash == work.config_hash
            or previous.result_key != canonical
        ):
            continue
        target = archive_key(work.sha256, work.pipeline_version, previous.config_hash or UNKNOWN_CONFIG)
        if store.exists(canonical):
            store.put_bytes(
                target, store.get_bytes(canonical), content_type="application/json", overwrite=True
            )
        previous_work = WorkKey(
            sha256=previous.sha256,
            pipeline_version=previous.pipeline_version,
            config_hash=previous.config_hash,
        )
        index.move_result(previous_work, target)


def record_success(index: Index, work: WorkKey, result: ExtractionResult, key: str) -> None:
    index.complete_run(work, new_result(result, key))


def record_failure(index: Index, work: WorkKey, exc: BaseException) -> str:
    """Mark the run failed; returns the error text recorded (type and message, no document text)."""
    message = exc.message if isinstance(exc, EvidenceError) else str(exc)
    error = f"{type(exc).__name__}: {message}"[:4000]
    index.fail_run(work, error)
    return error


class WorkOutcome(BaseModel):
    """What ``process_key`` did with one upload."""

    key: str
    sha256: str | None = None
    outcome: Literal["processed", "unchanged", "failed", "gave_up"]
    summary: ProcessSummary | None = None
    error: str | None = None
    seconds: float = 0.0


def process_key(
    store: ObjectStore,
    index: Index,
    key: str,
    *,
    options: PipelineOptions | None = None,
    chash: str | None = None,
    force: bool = False,
    worker: str | None = None,
) -> WorkOutcome:
    """Process one upload idempotently; never raises for a document problem (the outcome says
    ``failed`` with the error, and the run is recorded failed)."""
    t0 = time.perf_counter()
    options = options if options is not None else PipelineOptions.from_env()
    try:
        upload = fetch_upload(store, key)
    except EvidenceError as exc:
        return WorkOutcome(key=key, outcome="failed", error=f"{exc.code}: {exc.message}")
    sha = sha256_of(upload.data)
    work = work_key(sha, options, chash)
    record_upload(index, upload, sha)
    try:
        decision = decide(index, store, work, key=key, force=force, worker=worker)
    except RunBusyError as exc:
        return WorkOutcome(key=key, sha256=sha, outcome="failed", error=exc.message)
    if decision.action == "reuse":
        assert decision.result is not None
        return WorkOutcome(
            key=key,
            sha256=sha,
            outcome="unchanged",
            summary=summarize(key, decision.result, reused=True),
            seconds=time.perf_counter() - t0,
        )
    if decision.action == "gave_up":
        return WorkOutcome(key=key, sha256=sha, outcome="gave_up", error=decision.error)
    try:
        with keep_alive(index, work, worker):
            outcome: ExtractionOutcome = extract_upload(upload, options)
        make_room(index, store, work)
        rkey = save_outcome(store, outcome, overwrite=True)
        record_success(index, work, outcome.result, rkey)
    except Exception as exc:  # a failure on one document never stops a batch
        error = record_failure(index, work, exc)
        return WorkOutcome(
            key=key, sha256=sha, outcome="failed", error=error, seconds=time.perf_counter() - t0
        )
    seconds = time.perf_counter() - t0
    return WorkOutcome(
        key=key,
        sha256=sha,
        outcome="processed",
        summary=summarize(key, outcome.result, reused=False, seconds=seconds),
        seconds=seconds,
    )


def submission_ready(store: ObjectStore, index: Index, submission_id: str) -> bool:
    """True when the submission has its ``declared.yaml`` and every document it expects has a
    result: the files listed under ``materials`` (all uploads when it lists none)."""
    declared = load_declared(store, submission_id)
    if declared is None:
        return False
    done = {
        d.file_name
        for d in index.documents(submission_id)
        if d.latest_status in ("success", "partial_success", "failure")
    }
    listed = [
        str(m["file"]) for m in declared.get("materials") or [] if isinstance(m, dict) and m.get("file")
    ]
    if not listed:
        listed = [
            info.key.rsplit("/", 1)[-1]
            for info in store.list(submission_prefix(submission_id))
            if not info.key.endswith("/" + DECLARED_FILE_NAME)
        ]
    return bool(listed) and all(name in done for name in listed)
