"""Prefect flow ``review_submission``: run the formal-review rules on a submission in the store."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.process_document import IO_RETRIES, IO_RETRY_DELAYS, process_document
from pipeline.index import open_index
from pipeline.processing import load_declared
from pipeline.store import ObjectStore, open_store
from pipeline.store.keys import submission_prefix
from validators.model import ReviewResult
from validators.submission import review_in_store


@task(name="review", retries=IO_RETRIES, retry_delay_seconds=IO_RETRY_DELAYS, cache_policy=NO_CACHE)
def review_task(store: ObjectStore, submission_id: str) -> tuple[ReviewResult, str, list[str]]:
    return review_in_store(store, submission_id)


@task(name="record-review", retries=IO_RETRIES, retry_delay_seconds=IO_RETRY_DELAYS, cache_policy=NO_CACHE)
def record_review_task(submission_id: str, result: ReviewResult, key: str) -> None:
    """Index the review's status and findings, so the UI and the CLI query without the store."""
    index = open_index()
    index.ensure_submission(submission_id, load_declared(open_store(), submission_id))
    index.record_review(
        submission_id,
        status=result.status,
        review_key=key,
        findings=[(f.rule, f.outcome, f.severity) for f in result.findings],
        applicant_name=result.applicant,
        solution_name=result.solution,
    )


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
