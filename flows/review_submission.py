"""Prefect flow ``review_submission``: run the formal-review rules on a submission in the store."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.process_document import IO_RETRIES, IO_RETRY_DELAYS, process_document
from pipeline.store import ObjectStore, open_store
from pipeline.store.keys import submission_prefix
from validators.model import ReviewResult
from validators.submission import review_in_store


@task(name="review", retries=IO_RETRIES, retry_delay_seconds=IO_RETRY_DELAYS, cache_policy=NO_CACHE)
def review_task(store: ObjectStore, submission_id: str) -> tuple[ReviewResult, str, list[str]]:
    return review_in_store(store, submission_id)


@flow(name="review_submission")
def review_submission(submission_id: str, process_missing: bool = True) -> ReviewResult:
    """Review one submission from its stored extraction results; documents without a result are
    processed first (``process_missing``), so the review never misses an upload."""
    logger = get_run_logger()
    store = open_store()
    if process_missing:
        prefix = submission_prefix(submission_id)
        for info in store.list(prefix):
            if not info.key.endswith("/declared.yaml"):
                process_document(info.key)
    result, key, pending = review_task(store, submission_id)
    logger.info(
        "review of %s: %s (%s); %d documents pending", submission_id, result.status, key, len(pending)
    )
    return result
