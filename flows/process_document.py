"""Prefect flow ``process_document``: a thin wrapper over ``pipeline.processing`` and the index's
idempotent work bookkeeping (``pipeline.index.work``).

Retries sit only on store I/O and on OCR/extraction; everything else is plain function calls."""

from __future__ import annotations

import time

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from pipeline.errors import RunGaveUpError
from pipeline.index import MAX_ATTEMPTS, Index, WorkKey, open_index
from pipeline.index.work import (
    Decision,
    decide,
    keep_alive,
    make_room,
    record_failure,
    record_success,
    record_upload,
    submission_ready,
    work_key,
)
from pipeline.loading import sha256_of
from pipeline.options import PipelineOptions
from pipeline.processing import (
    ProcessSummary,
    Upload,
    extract_upload,
    fetch_upload,
    save_outcome,
    summarize,
)
from pipeline.runner import ExtractionOutcome
from pipeline.store import ObjectStore, open_store

IO_RETRIES = 3
IO_RETRY_DELAYS: list[float] = [1.0, 4.0, 10.0]


@task(name="fetch-upload", retries=IO_RETRIES, retry_delay_seconds=IO_RETRY_DELAYS, cache_policy=NO_CACHE)
def fetch_upload_task(store: ObjectStore, key: str) -> Upload:
    return fetch_upload(store, key)


@task(name="extract", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def extract_task(upload: Upload, options: PipelineOptions) -> ExtractionOutcome:
    return extract_upload(upload, options)


@task(name="open-store", retries=IO_RETRIES, retry_delay_seconds=IO_RETRY_DELAYS, cache_policy=NO_CACHE)
def open_store_task() -> ObjectStore:
    """Open (and for S3, check the bucket of) the configured store; retried through outages."""
    return open_store()


@task(name="decide", retries=IO_RETRIES, retry_delay_seconds=IO_RETRY_DELAYS, cache_policy=NO_CACHE)
def decide_task(index: Index, store: ObjectStore, work: WorkKey, key: str, force: bool) -> Decision:
    return decide(index, store, work, key=key, force=force)


@task(name="save-result", retries=IO_RETRIES, retry_delay_seconds=IO_RETRY_DELAYS, cache_policy=NO_CACHE)
def save_result_task(store: ObjectStore, outcome: ExtractionOutcome, overwrite: bool) -> str:
    return save_outcome(store, outcome, overwrite=overwrite)


@flow(name="process_document", log_prints=False)
def process_document(
    key: str, force: bool = False, review_when_complete: bool = False, event_id: int | None = None
) -> ProcessSummary:
    """Extract one upload (``uploads/<submission>/<file>``) and store its result.

    Work is keyed by (content sha256, pipeline version, config hash) in the index: content that
    already has a current result is not re-read unless ``force`` is set, and the same content
    arriving twice costs one run. ``review_when_complete``: afterwards, review the submission if
    every document it lists now has a result (used by the upload triggers). ``event_id``: the
    upload event this run was started for (deployment mode), marked processed when it ends."""
    from flows.dispatch import event_done_at_exit

    with event_done_at_exit(event_id):
        return _process_document(key, force, review_when_complete)


def _process_document(key: str, force: bool, review_when_complete: bool) -> ProcessSummary:
    logger = get_run_logger()
    t0 = time.perf_counter()
    store = open_store_task()
    index = open_index()
    options = PipelineOptions.from_env()
    upload = fetch_upload_task(store, key)
    sha = sha256_of(upload.data)
    work = work_key(sha, options)
    record_upload(index, upload, sha)
    decision = decide_task(index, store, work, key, force)
    if decision.action == "gave_up":
        raise RunGaveUpError(
            f"已连续失败 {key} failed {MAX_ATTEMPTS} times ({decision.error}); "
            "fix the cause, then run `evidence reprocess --failed`"
        )
    if decision.action == "reuse":
        assert decision.result is not None
        logger.info("result for %s already stored (sha256 %s); skipped", key, sha[:12])
        summary = summarize(key, decision.result, reused=True, seconds=time.perf_counter() - t0)
    else:
        try:
            with keep_alive(index, work):
                outcome = extract_task(upload, options)
            make_room(index, store, work)
            rkey = save_result_task(store, outcome, True)
            record_success(index, work, outcome.result, rkey)
        except BaseException as exc:
            record_failure(index, work, exc)
            raise
        result = outcome.result
        logger.info(
            "processed %s: %s, %d pages, %d fields, %d errors",
            key,
            result.document.doc_type,
            result.document.pages,
            len(result.fields),
            len(result.errors),
        )
        summary = summarize(key, result, reused=False, seconds=time.perf_counter() - t0)
    if review_when_complete and upload.submission_id and submission_ready(store, index, upload.submission_id):
        from flows.dispatch import review_and_record

        review_and_record(upload.submission_id)
    return summary
