"""Prefect flow ``review_submission``: run the formal-review rules on a submission in the store and
record the outcome in the index (however the run was started: CLI, dispatcher or a deployment)."""

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


@task(name="record_review", retries=IO_RETRIES, retry_delay_seconds=IO_RETRY_DELAYS, cache_policy=NO_CACHE)
def record_review_task(store: ObjectStore, submission_id: str, result: ReviewResult, review_key: str) -> None:
    """The review's status and findings into the index, so the UI and CLI see them without
    reading the store; the submission's summary comes from its ``declared.yaml``."""
    from pipeline.index import open_index
    from pipeline.processing import load_declared

    index = open_index()
    index.ensure_submission(submission_id, load_declared(store, submission_id))
    index.record_review(
        submission_id,
        status=result.status,
        review_key=review_key,
        findings=[(f.rule, f.outcome, f.severity) for f in result.findings],
        applicant_name=result.applicant,
        solution_name=result.solution,
    )


@flow(name="review_submission")
def review_submission(
    submission_id: str, process_missing: bool = True, event_id: int | None = None
) -> ReviewResult:
    """Review one submission from its stored extraction results; documents without a result are
    processed first (``process_missing``), so the review never misses an upload. The outcome is
    written to the store (JSON + HTML) and recorded in the index. ``event_id``: the event this run
    was started for (deployment mode), marked processed when it ends."""
    from flows.dispatch import event_done_at_exit

    with event_done_at_exit(event_id):
        return _review_submission(submission_id, process_missing)


def _review_submission(submission_id: str, process_missing: bool) -> ReviewResult:
    logger = get_run_logger()
    store = open_store()
    if process_missing:
        prefix = submission_prefix(submission_id)
        for info in store.list(prefix):
            if not info.key.endswith("/declared.yaml"):
                process_document(info.key)
    result, key, pending = review_task(store, submission_id)
    record_review_task(store, submission_id, result, key)
    logger.info(
        "review of %s: %s (%s); %d documents pending", submission_id, result.status, key, len(pending)
    )
    return result
