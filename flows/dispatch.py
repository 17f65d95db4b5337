"""How runs are started for upload events: in this process, or through Prefect deployments.

``EVIDENCE_DISPATCH`` chooses:

- ``inprocess`` (default, the embedded mode): a queue and background worker threads
  (``EVIDENCE_DISPATCH_WORKERS``, default 1) run the flows in this process; an event is marked
  processed in the index when its flow run has finished, so after a crash the webhook/watcher
  re-dispatches it.
- ``deployment`` (scale-out): ``prefect.deployments.run_deployment`` creates a flow run for the
  deployments named by ``EVIDENCE_DEPLOYMENT_PROCESS`` (default
  ``process_document/default``, as in ``prefect.yaml``) and ``EVIDENCE_DEPLOYMENT_REVIEW`` (default
  ``review_submission/default``) without waiting. Workers pick them up; the flow run marks the
  event processed when it ends (``event_id`` parameter), so a run lost with its worker leaves the
  event pending and ``redispatch_pending`` sends it again after ``redispatch_after_seconds()``.
  The idempotency key is the event id plus its previous dispatch time: the same dispatch made
  twice (a retry, a race) creates one run, a re-dispatch after a lost run creates a new one.

Both implement ``pipeline.events.Dispatcher``."""

from __future__ import annotations

import contextvars
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from pipeline.errors import ConfigError, EvidenceError
from pipeline.index import Index, open_index
from pipeline.store import ObjectStore, open_store
from pipeline.store.keys import declared_key

log = logging.getLogger(__name__)

ENV_DISPATCH = "EVIDENCE_DISPATCH"
ENV_DISPATCH_WORKERS = "EVIDENCE_DISPATCH_WORKERS"
ENV_DEPLOYMENT_PROCESS = "EVIDENCE_DEPLOYMENT_PROCESS"
ENV_DEPLOYMENT_REVIEW = "EVIDENCE_DEPLOYMENT_REVIEW"
DEFAULT_PROCESS_DEPLOYMENT = "process_document/default"
DEFAULT_REVIEW_DEPLOYMENT = "review_submission/default"


def latest_review_key(store: ObjectStore, submission_id: str) -> str | None:
    """The newest ``reviews/<id>/<timestamp>.json`` (timestamps sort as text)."""
    keys = [i.key for i in store.list(f"reviews/{submission_id}/") if i.key.endswith(".json")]
    return keys[-1] if keys else None


def review_and_record(submission_id: str, *, process_missing: bool = False) -> str | None:
    """Run the ``review_submission`` flow (which records its findings in the index) when the
    submission has its ``declared.yaml``. Returns the review's key, or None when it has none yet."""
    from flows.review_submission import review_submission

    store = open_store()
    if not store.exists(declared_key(submission_id)):
        log.info("review of %s skipped: no declared.yaml yet", submission_id)
        return None
    review_submission(submission_id, process_missing=process_missing)
    return latest_review_key(store, submission_id) or ""


@contextmanager
def event_done_at_exit(event_id: int | None) -> Iterator[None]:
    """Around a flow run started for an event (deployment mode): when the block ends, the event
    is marked processed, with the error when the block raised (which is raised again)."""
    try:
        yield
    except BaseException as exc:
        mark_event_done(event_id, exc)
        raise
    mark_event_done(event_id, None)


def mark_event_done(event_id: int | None, error: BaseException | None) -> None:
    """Called by a flow run started for an event (deployment mode) when it ends: the event is
    processed, with the error when the run failed. Never raises (the run's outcome matters more)."""
    if event_id is None:
        return
    message = None
    if error is not None:
        message = error.message if isinstance(error, EvidenceError) else f"{type(error).__name__}: {error}"
    try:
        open_index().mark_event(event_id, processed=True, error=message[:2000] if message else None)
    except Exception as exc:  # the event stays pending and is dispatched again later
        log.warning("could not mark event %d processed: %s", event_id, type(exc).__name__)


Job = tuple[Literal["process", "review"], str, int | None]


class InProcessDispatcher:
    """Runs flows on background threads of this process (embedded mode)."""

    def __init__(
        self,
        index: Index | None = None,
        *,
        workers: int = 1,
        process: Callable[[str], object] | None = None,
        review: Callable[[str], object] | None = None,
    ) -> None:
        self._index = index
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._pending: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._process = process or _run_process_document
        self._review = review or (lambda sid: review_and_record(sid))
        self.completed = 0
        self.failed = 0
        # Each worker runs in a copy of the creator's context, so Prefect settings made current
        # there (a test harness, a profile) apply to the flows it runs.
        self._threads = [
            threading.Thread(
                target=contextvars.copy_context().run,
                args=(self._work,),
                name=f"evidence-dispatch-{n}",
                daemon=True,
            )
            for n in range(max(1, workers))
        ]
        for t in self._threads:
            t.start()

    @property
    def index(self) -> Index:
        if self._index is None:
            self._index = open_index()
        return self._index

    def _submit(self, job: Job) -> None:
        kind, target, event_id = job
        with self._lock:
            if (kind, target) in self._pending:
                if event_id is not None:  # already queued: this event is covered by that run
                    self.index.mark_event(event_id, dispatched=True, processed=True)
                return
            self._pending.add((kind, target))
        if event_id is not None:
            self.index.mark_event(event_id, dispatched=True)
        self._queue.put(job)

    def process(self, key: str, *, event_id: int | None = None) -> None:
        self._submit(("process", key, event_id))

    def review(self, submission_id: str, *, event_id: int | None = None) -> None:
        self._submit(("review", submission_id, event_id))

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                self._queue.task_done()
                return
            kind, target, event_id = job
            with self._lock:
                self._pending.discard((kind, target))
            error: str | None = None
            try:
                (self._process if kind == "process" else self._review)(target)
                self.completed += 1
            except Exception as exc:  # recorded on the event and in the run; the worker goes on
                self.failed += 1
                error = exc.message if isinstance(exc, EvidenceError) else f"{type(exc).__name__}: {exc}"
                log.warning("%s of %s failed: %s", kind, target, error)
            finally:
                if event_id is not None:
                    try:
                        self.index.mark_event(event_id, processed=True, error=error)
                    except Exception as exc:
                        log.warning("could not mark event %d processed: %s", event_id, exc)
                self._queue.task_done()

    def join(self) -> None:
        """Wait until every queued job has finished."""
        self._queue.join()

    def close(self, *, wait: bool = True) -> None:
        """Stop the workers (after the queued jobs when ``wait``)."""
        if wait:
            self.join()
        for _ in self._threads:
            self._queue.put(None)
        if wait:
            for t in self._threads:
                t.join()


def _run_process_document(key: str) -> object:
    from flows.process_document import process_document

    return process_document(key, review_when_complete=True)


class DeploymentDispatcher:
    """Creates flow runs of Prefect deployments (scale-out); workers on other machines run them."""

    def __init__(
        self,
        index: Index | None = None,
        *,
        process_deployment: str | None = None,
        review_deployment: str | None = None,
    ) -> None:
        self._index = index
        self.process_deployment = process_deployment or os.environ.get(
            ENV_DEPLOYMENT_PROCESS, DEFAULT_PROCESS_DEPLOYMENT
        )
        self.review_deployment = review_deployment or os.environ.get(
            ENV_DEPLOYMENT_REVIEW, DEFAULT_REVIEW_DEPLOYMENT
        )

    @property
    def index(self) -> Index:
        if self._index is None:
            self._index = open_index()
        return self._index

    def _run(self, deployment: str, parameters: dict[str, object], event_id: int | None, kind: str) -> None:
        from prefect.deployments import run_deployment

        idempotency_key = None
        if event_id is not None:
            event = self.index.event(event_id)
            previous = event.dispatched_at.isoformat() if event and event.dispatched_at else "first"
            idempotency_key = f"evidence-event-{event_id}-{kind}-{previous}"
            parameters = {**parameters, "event_id": event_id}
        run_deployment(
            deployment,
            parameters=parameters,
            timeout=0,
            as_subflow=False,
            idempotency_key=idempotency_key,
        )
        if event_id is not None:
            self.index.mark_event(event_id, dispatched=True)

    def process(self, key: str, *, event_id: int | None = None) -> None:
        self._run(self.process_deployment, {"key": key, "review_when_complete": True}, event_id, "process")

    def review(self, submission_id: str, *, event_id: int | None = None) -> None:
        self._run(
            self.review_deployment,
            {"submission_id": submission_id, "process_missing": False},
            event_id,
            "review",
        )

    def join(self) -> None:
        """Nothing to wait for here: the runs belong to the workers."""

    def close(self, *, wait: bool = True) -> None:
        """Nothing to close."""


Dispatcher = InProcessDispatcher | DeploymentDispatcher


def dispatcher_from_env(index: Index | None = None) -> Dispatcher:
    """The dispatcher chosen by ``EVIDENCE_DISPATCH`` (``inprocess`` or ``deployment``)."""
    mode = os.environ.get(ENV_DISPATCH, "inprocess").strip().lower() or "inprocess"
    if mode == "inprocess":
        raw = os.environ.get(ENV_DISPATCH_WORKERS, "1").strip() or "1"
        if not raw.isdigit() or int(raw) < 1:
            raise ConfigError(f"无效的配置 invalid {ENV_DISPATCH_WORKERS}={raw!r}: use a whole number >= 1")
        return InProcessDispatcher(index, workers=int(raw))
    if mode == "deployment":
        return DeploymentDispatcher(index)
    raise ConfigError(
        f"无效的调度方式 invalid {ENV_DISPATCH}={mode!r}: use 'inprocess' (run flows in this process) "
        "or 'deployment' (create runs of Prefect deployments for workers)"
    )
