"""Prefect flow ``process_document``: a thin wrapper over ``pipeline.processing``.

Retries sit only on store I/O and on OCR/extraction; everything else is plain function calls."""

from __future__ import annotations

import time

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from pipeline.loading import sha256_of
from pipeline.model import ExtractionResult
from pipeline.options import PipelineOptions
from pipeline.processing import (
    ProcessSummary,
    Upload,
    existing_result,
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


@task(name="existing-result", retries=IO_RETRIES, retry_delay_seconds=IO_RETRY_DELAYS, cache_policy=NO_CACHE)
def existing_result_task(store: ObjectStore, sha256: str) -> ExtractionResult | None:
    return existing_result(store, sha256)


@task(name="extract", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def extract_task(upload: Upload, options: PipelineOptions) -> ExtractionOutcome:
    return extract_upload(upload, options)


@task(name="save-result", retries=IO_RETRIES, retry_delay_seconds=IO_RETRY_DELAYS, cache_policy=NO_CACHE)
def save_result_task(store: ObjectStore, outcome: ExtractionOutcome, overwrite: bool) -> str:
    return save_outcome(store, outcome, overwrite=overwrite)


@flow(name="process_document", log_prints=False)
def process_document(key: str, force: bool = False) -> ProcessSummary:
    """Extract one upload (``uploads/<submission>/<file>``) and store its result.

    An upload whose content already has a result for this pipeline version is not re-read
    unless ``force`` is set."""
    logger = get_run_logger()
    t0 = time.perf_counter()
    store = open_store()
    options = PipelineOptions.from_env()
    upload = fetch_upload_task(store, key)
    sha = sha256_of(upload.data)
    if not force:
        previous = existing_result_task(store, sha)
        if previous is not None:
            logger.info("result for %s already stored (sha256 %s); skipped", key, sha[:12])
            return summarize(key, previous, reused=True, seconds=time.perf_counter() - t0)
    outcome = extract_task(upload, options)
    save_result_task(store, outcome, overwrite=force)
    result = outcome.result
    logger.info(
        "processed %s: %s, %d pages, %d fields, %d errors",
        key,
        result.document.doc_type,
        result.document.pages,
        len(result.fields),
        len(result.errors),
    )
    return summarize(key, result, reused=False, seconds=time.perf_counter() - t0)
