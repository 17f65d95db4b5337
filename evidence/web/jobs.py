"""Re-processing started by staff from the UI: a job table in the index and one background
thread that runs the jobs in order, recording progress (done / total / failed) as it goes.

The default executor runs the product's flows: ``flows.reprocess.reprocess`` (forced) for a
submission, ``flows.process_document.process_document`` (forced) plus
``flows.dispatch.review_and_record`` for one document. ``direct_executor`` does the same work
with the plain functions the flows wrap (``pipeline.index.work.process_key``), without Prefect."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update

from pipeline.errors import EvidenceError
from pipeline.index import Index
from pipeline.index.db import with_retry
from pipeline.index.models import utcnow
from pipeline.index.ui_models import UIJob
from pipeline.store import ObjectStore
from pipeline.store.keys import submission_prefix

log = logging.getLogger(__name__)

Progress = Callable[[int, int, int], None]  # (done, total, failed)


class JobView(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    kind: str
    submission_id: str
    target: str
    state: str
    total: int
    done: int
    failed: int
    error: str | None
    username: str
    created_at: datetime
    finished_at: datetime | None


Executor = Callable[["JobView", Progress], None]


def _document_keys(store: ObjectStore, submission_id: str) -> list[str]:
    return [
        i.key for i in store.list(submission_prefix(submission_id)) if not i.key.endswith("/declared.yaml")
    ]


def flow_executor(store: ObjectStore, index: Index) -> Executor:
    def run(job: JobView, progress: Progress) -> None:
        from flows.dispatch import review_and_record

        if job.kind == "document":
            from flows.process_document import process_document

            progress(0, 1, 0)
            summary = process_document(job.target, force=True)
            review_and_record(job.submission_id)
            progress(1, 1, int(summary.status == "failure"))
            return
        from flows.reprocess import BatchProgress, observe, reprocess
        from pipeline.index import Selection

        def seen(p: BatchProgress) -> None:
            progress(p.done, p.total, p.failed)

        progress(0, len(_document_keys(store, job.submission_id)), 0)
        with observe(seen):
            reprocess(Selection(submissions=(job.submission_id,)), force=True, concurrency=1)

    return run


def direct_executor(store: ObjectStore, index: Index) -> Executor:
    """The flows' work without Prefect (tests, or a UI without an orchestration backend)."""

    def run(job: JobView, progress: Progress) -> None:
        from pipeline.index.work import process_key
        from validators.submission import review_in_store

        keys = [job.target] if job.kind == "document" else _document_keys(store, job.submission_id)
        failed = 0
        progress(0, len(keys), 0)
        for n, key in enumerate(keys, 1):
            outcome = process_key(store, index, key, force=True)
            failed += outcome.outcome in ("failed", "gave_up")
            progress(n, len(keys), failed)
        review, rkey, _ = review_in_store(store, job.submission_id)
        index.record_review(
            job.submission_id,
            status=review.status,
            review_key=rkey,
            findings=[(f.rule, f.outcome, f.severity) for f in review.findings],
            applicant_name=review.applicant,
            solution_name=review.solution,
        )

    return run


class JobRunner:
    """Queue of UI jobs, run one at a time on a daemon thread."""

    def __init__(
        self, index: Index, executor: Executor, on_finish: Callable[[str], None] | None = None
    ) -> None:
        self.index = index
        self.executor = executor
        self.on_finish = on_finish
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._fail_interrupted()
            self._thread = threading.Thread(target=self._loop, name="evidence-ui-jobs", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    @with_retry
    def submit(self, kind: str, submission_id: str, target: str, username: str) -> JobView:
        with self.index.session() as s, s.begin():
            row = UIJob(
                kind=kind, submission_id=submission_id, target=target, state="queued", username=username
            )
            s.add(row)
            s.flush()
            view = JobView.model_validate(row)
        self._wake.set()
        return view

    @with_retry
    def jobs(self, submission_id: str | None = None, limit: int = 20) -> list[JobView]:
        with self.index.session() as s:
            q = select(UIJob).order_by(UIJob.id.desc()).limit(limit)
            if submission_id is not None:
                q = q.where(UIJob.submission_id == submission_id)
            return [JobView.model_validate(j) for j in s.execute(q).scalars()]

    @with_retry
    def job(self, job_id: int) -> JobView | None:
        with self.index.session() as s:
            row = s.get(UIJob, job_id)
            return JobView.model_validate(row) if row is not None else None

    @with_retry
    def _update(self, job_id: int, **values: object) -> None:
        with self.index.session() as s, s.begin():
            s.execute(update(UIJob).where(UIJob.id == job_id).values(**values))

    @with_retry
    def _next(self) -> JobView | None:
        with self.index.session() as s:
            row = s.execute(
                select(UIJob).where(UIJob.state == "queued").order_by(UIJob.id).limit(1)
            ).scalar_one_or_none()
            return JobView.model_validate(row) if row is not None else None

    def _fail_interrupted(self) -> None:
        """Jobs left ``running`` by a previous process will never finish: mark them failed."""
        with self.index.session() as s, s.begin():
            s.execute(
                update(UIJob)
                .where(UIJob.state == "running")
                .values(
                    state="failed",
                    error="界面进程重启，任务中断 interrupted by a restart",
                    finished_at=utcnow(),
                )
            )

    def run_pending(self) -> int:
        """Run every queued job now (in this thread); returns how many ran."""
        ran = 0
        while (job := self._next()) is not None:
            self._run(job)
            ran += 1
        return ran

    def _run(self, job: JobView) -> None:
        self._update(job.id, state="running")

        def progress(done: int, total: int, failed: int) -> None:
            self._update(job.id, done=done, total=total, failed=failed)

        try:
            self.executor(job, progress)
            self._update(job.id, state="done", finished_at=utcnow())
        except Exception as exc:  # recorded on the job; the runner goes on
            message = exc.message if isinstance(exc, EvidenceError) else f"{type(exc).__name__}: {exc}"
            log.warning("UI job %d (%s %s) failed: %s", job.id, job.kind, job.submission_id, message)
            self._update(job.id, state="failed", error=message[:4000], finished_at=utcnow())
        if self.on_finish is not None:
            self.on_finish(job.submission_id)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=5.0)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.run_pending()
            except Exception:
                log.exception("UI job runner error")
