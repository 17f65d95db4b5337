"""Prefect flow ``reprocess``: staff batch re-processing over a bounded thread pool.

One flow run keeps at most ``concurrency`` document tasks in flight on a
``ThreadPoolTaskRunner``. Each task takes documents from the batch's feed (``flows.feed``), one
at a time, while it has run for less than ``task_budget_s``: a scan is a task of its own, a run
of small text-layer PDFs shares one, so Prefect's cost per task run (25–35 ms of CPU) is not
paid per page. A document is ``pipeline.index.work.process_key``: idempotent, recorded per
document in the index, never raising for a document problem. So a batch is resumable: after a
crash a rerun finds the finished documents current ("unchanged") and runs only the rest
(``force`` redoes everything). The affected submissions' reviews are refreshed at the end.

Progress goes to in-process observers (``observe``: the CLI's progress bar) as each document
finishes; a flow run started elsewhere reports through the index (``runs``/``documents``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any, cast

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from pydantic import BaseModel, Field

from flows.feed import DEFAULT_TASK_BUDGET_S, DocumentFeed, Finished
from pipeline.config_hash import config_hash
from pipeline.index import Index, Selection, WorkKey, open_index
from pipeline.index.plan import ALREADY_PROCESSED, Plan, PlanItem, plan_reprocess
from pipeline.index.work import WorkOutcome, process_key
from pipeline.options import PipelineOptions
from pipeline.store import ObjectStore, open_store

#: Upper bound of ``concurrency`` (the thread pool's size).
MAX_CONCURRENCY = 32
#: Document tasks in a row that fail before taking a document stop the batch (no endless resubmits).
MAX_IDLE_TASK_FAILURES = 3


class BatchProgress(BaseModel):
    """Counts so far; ``last`` is the document that just finished."""

    total: int
    done: int = 0
    processed: int = 0
    unchanged: int = 0
    failed: int = 0
    elapsed: float = 0.0
    last: WorkOutcome | None = None


class Failure(BaseModel):
    key: str
    error: str


class ReprocessReport(BaseModel):
    """The summary printed at the end of ``evidence reprocess``."""

    pipeline_version: str
    config_hash: str
    selected: int
    processed: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0
    same_content: int = 0
    failures: list[Failure] = Field(default_factory=list)
    reviews: list[str] = Field(default_factory=list)
    seconds: float = 0.0
    document_tasks: int = 0


ProgressObserver = Callable[[BatchProgress], None]
_observers: list[ProgressObserver] = []


@contextmanager
def observe(observer: ProgressObserver) -> Iterator[None]:
    """Call ``observer`` with the batch progress after every document (in-process runs only).
    An exception raised by the observer stops the flow (the CLI's Ctrl-C; crash tests)."""
    _observers.append(observer)
    try:
        yield
    finally:
        _observers.remove(observer)


def _notify(progress: BatchProgress) -> None:
    for observer in list(_observers):
        observer(progress)


@task(name="reprocess-documents", cache_policy=NO_CACHE)
def reprocess_documents(store: ObjectStore, index: Index, feed: DocumentFeed, lane: int, chash: str) -> int:
    """Process documents taken from ``feed`` until it is empty or closed, or this task has run
    for ``feed.budget_s``; report each to the feed. Returns how many it processed. A document's
    problem never raises (``process_key`` records it); an infrastructure error is that
    document's failure and the task goes on with the next."""
    options: PipelineOptions | None = None
    started, done = time.perf_counter(), 0
    while (item := feed.take(lane)) is not None:
        try:
            options = options or PipelineOptions.from_env()  # a bad setting fails each document
            outcome = process_key(store, index, item.key, options=options, chash=chash, force=item.force)
        except Exception as exc:
            outcome = WorkOutcome(key=item.key, outcome="failed", error=f"{type(exc).__name__}: {exc}")
        feed.finish(lane, item, outcome)
        done += 1
        if time.perf_counter() - started >= feed.budget_s:
            break
    return done


def _lane_done(feed: DocumentFeed, lane: int, future: PrefectFuture[int]) -> None:
    """Done-callback of a document task: tell the flow's loop, with the error if it failed."""
    error: str | None = None
    try:
        future.result(raise_on_failure=True)
    except BaseException as exc:
        error = f"{type(exc).__name__}: {exc}"
    feed.lane_ended(lane, error)


def make_plan(selection: Selection, *, force: bool = False) -> Plan:
    """The plan for ``selection`` under the current configuration (used by ``--dry-run``)."""
    return plan_reprocess(open_index(), open_store(), selection, config_hash=config_hash(), force=force)


# (cast: TaskRunner is invariant in its future type, the decorator's annotation is too narrow)
_RUNNER = cast("TaskRunner[PrefectFuture[Any]]", ThreadPoolTaskRunner(max_workers=MAX_CONCURRENCY))


def default_concurrency() -> int:
    """Documents in flight by default: twice the OCR worker processes. A document's own serial
    work (loading, preprocessing hand-off, extraction, seals, storing) runs beside the OCR of
    other documents' pages, so the OCR processes never wait for work; on the scanned samples
    (2 cores) 4 documents at once took 43 s where 2 took 52 s (bare RapidOCR: 36 s)."""
    from pipeline.parallel import default_workers

    return 2 * default_workers()


@flow(name="reprocess", task_runner=_RUNNER)
def reprocess(
    selection: Selection,
    force: bool = False,
    concurrency: int | None = None,
    refresh_reviews: bool = True,
    task_budget_s: float = DEFAULT_TASK_BUDGET_S,
) -> ReprocessReport:
    """Re-run extraction on the selected documents (see ``pipeline.index.plan`` for the
    reasons a document runs) and refresh the reviews of the submissions that changed.
    ``concurrency``: documents in flight, by default ``default_concurrency()``;
    ``task_budget_s``: a document task takes further documents while it has run for less
    (``flows.feed``: small documents share a task run instead of paying one each)."""
    logger = get_run_logger()
    t0 = time.perf_counter()
    concurrency = max(1, min(concurrency or default_concurrency(), MAX_CONCURRENCY))
    store, index = open_store(), open_index()
    chash = config_hash()
    plan = plan_reprocess(index, store, selection, config_hash=chash, force=force)
    todo: list[PlanItem] = plan.to_run
    report = ReprocessReport(
        pipeline_version=plan.pipeline_version,
        config_hash=chash,
        selected=len(plan.items),
        unchanged=plan.count("unchanged"),
        skipped=plan.count("gave_up"),
        same_content=plan.count("same_content"),
    )
    report.failures.extend(
        Failure(key=i.key, error=f"not retried: {i.detail}") for i in plan.items if i.reason == "gave_up"
    )
    for item in plan.items:  # bytes already processed under another key: link the result
        if item.detail == ALREADY_PROCESSED and item.sha256 is not None:
            index.attach_result(
                WorkKey(sha256=item.sha256, pipeline_version=plan.pipeline_version, config_hash=chash)
            )
    progress = BatchProgress(total=len(todo))
    logger.info(
        "reprocess: %d selected, %d to run, %d unchanged (pipeline %s, config %s)",
        len(plan.items),
        len(todo),
        report.unchanged,
        plan.pipeline_version,
        chash,
    )
    changed: set[str] = set()
    feed = DocumentFeed(todo, budget_s=task_budget_s)
    running: set[int] = set()  # lanes in flight; a lane is the number of the task that holds it
    idle_failures = 0

    def fill() -> None:
        while len(running) < concurrency and feed.pending:
            lane = report.document_tasks
            report.document_tasks += 1
            running.add(lane)
            future = reprocess_documents.submit(store, index, feed, lane, chash)
            future.add_done_callback(partial(_lane_done, feed, lane))

    def count(item: PlanItem, outcome: WorkOutcome) -> None:
        progress.done += 1
        unreadable = outcome.summary is not None and outcome.summary.status == "failure"
        if outcome.outcome == "processed" and not unreadable:
            progress.processed += 1
            report.processed += 1
            changed.add(item.submission_id)
        elif outcome.outcome == "processed":  # the run completed; the result says the document is unusable
            progress.failed += 1
            report.failed += 1
            assert outcome.summary is not None
            reason = "; ".join(outcome.summary.errors) or "result status failure"
            report.failures.append(Failure(key=item.key, error=reason))
            changed.add(item.submission_id)
        elif outcome.outcome == "unchanged":
            progress.unchanged += 1
            report.unchanged += 1
        else:
            progress.failed += 1
            report.failed += 1
            report.failures.append(Failure(key=item.key, error=outcome.error or outcome.outcome))
            changed.add(item.submission_id)
        progress.elapsed = time.perf_counter() - t0
        progress.last = outcome
        _notify(progress)

    try:
        fill()
        while running:
            message = feed.reports.get()
            if isinstance(message, Finished):
                count(message.item, message.outcome)
                continue
            running.discard(message.lane)
            held = feed.reclaim(message.lane)
            if held is not None:  # the task itself failed (infrastructure) while on this document
                error = message.error or "the document task ended without a result"
                count(held, WorkOutcome(key=held.key, outcome="failed", error=error))
            if message.error and not feed.taken(message.lane):
                idle_failures += 1  # Prefect could not run the task at all
                if idle_failures >= MAX_IDLE_TASK_FAILURES:
                    raise RuntimeError(f"文档任务无法运行 document tasks keep failing: {message.error}")
            else:
                idle_failures = 0
            fill()
    finally:
        feed.close()  # stopping (an observer raised, Ctrl-C): tasks finish their document and stop
    if refresh_reviews:
        from flows.dispatch import review_and_record

        for sid in sorted(changed):
            key = review_and_record(sid)  # the review_submission flow, as a subflow
            if key:
                report.reviews.append(sid)
    report.seconds = round(time.perf_counter() - t0, 2)
    logger.info(
        "reprocess done: %d processed, %d unchanged, %d failed, %d reviews in %.1fs",
        report.processed,
        report.unchanged,
        report.failed,
        len(report.reviews),
        report.seconds,
    )
    return report
