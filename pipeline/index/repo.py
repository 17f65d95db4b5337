"""Repository functions over the index database: one ``Index`` object, one short transaction per
method (retried as a whole on transient errors), pydantic views as return values.

Nothing here reads the object store or imports Prefect; ``pipeline.index.work`` combines the
index with the store."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, and_, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from pipeline.index.db import IndexSettings, engine_for, with_retry
from pipeline.index.models import (
    COMPLETED,
    FAILED,
    QUEUED,
    RUNNING,
    UNKNOWN_CONFIG,
    Document,
    Event,
    FindingRow,
    Result,
    Run,
    Submission,
    WatcherCheckpoint,
    utcnow,
)

#: A run that failed this many times is not retried automatically (``reprocess --failed`` or
#: ``--force`` retries it).
MAX_ATTEMPTS = 3
#: A run ``running`` for longer than this is presumed dead (worker killed) and may be claimed.
DEFAULT_LEASE_S = 300.0
"""Seconds without a heartbeat after which a running run is presumed dead (see ``work.keep_alive``)."""


class WorkKey(BaseModel):
    """What a run is keyed by: the same bytes under the same version and config are one run."""

    model_config = ConfigDict(frozen=True)

    sha256: str
    pipeline_version: str
    config_hash: str


class _View(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)


class SubmissionView(_View):
    id: str
    applicant_name: str | None
    uscc: str | None
    region: str | None
    solution_name: str | None
    status: str
    documents_count: int
    processed_count: int
    failed_count: int
    review_key: str | None
    reviewed_at: datetime | None
    updated_at: datetime


class DocumentView(_View):
    id: int
    submission_id: str
    key: str
    file_name: str
    sha256: str | None
    size: int | None
    etag: str | None
    declared_category: str | None
    doc_type: str | None
    pages: int | None
    latest_status: str
    result_key: str | None
    pipeline_version: str | None
    config_hash: str | None
    error: str | None
    uploaded_at: datetime
    updated_at: datetime


class RunView(_View):
    id: int
    sha256: str
    pipeline_version: str
    config_hash: str
    state: str
    attempts: int
    error: str | None
    key: str | None
    started_at: datetime | None
    finished_at: datetime | None
    worker: str | None
    heartbeat_at: datetime | None = None


class ResultView(_View):
    sha256: str
    pipeline_version: str
    config_hash: str
    result_key: str
    status: str
    doc_type: str | None
    pages: int
    field_count: int
    error_count: int
    created_at: datetime


class EventView(_View):
    id: int
    source: str
    event_name: str
    bucket: str
    key: str
    etag: str | None
    sequencer: str | None
    size: int | None
    dedupe_key: str
    received_at: datetime
    dispatched_at: datetime | None
    processed_at: datetime | None
    error: str | None


class CheckpointView(_View):
    name: str
    store: str
    scans: int
    objects_seen: int
    last_scan_started_at: datetime | None
    last_scan_finished_at: datetime | None


class Claim(BaseModel):
    """The answer to "may I run this work?".

    ``claimed``: yes, you hold the run now; ``completed``: a current result exists;
    ``running``: another worker holds it (wait); ``gave_up``: failed ``MAX_ATTEMPTS`` times."""

    model_config = ConfigDict(frozen=True)

    outcome: Literal["claimed", "completed", "running", "gave_up"]
    run: RunView


class NewResult(BaseModel):
    """What ``complete_run`` records about a stored result."""

    model_config = ConfigDict(frozen=True)

    result_key: str
    status: str
    doc_type: str | None
    pages: int
    field_count: int
    error_count: int


class Selection(BaseModel):
    """``evidence reprocess`` selectors; given ones are combined with AND."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    submissions: tuple[str, ...] = ()
    doc_type: str | None = None
    stale: bool = False
    failed: bool = False
    since: datetime | None = None
    all: bool = False

    def is_empty(self) -> bool:
        return not (self.submissions or self.doc_type or self.stale or self.failed or self.since or self.all)


def _insert(session: Session, model: type[Any]) -> Any:
    name = session.get_bind().dialect.name
    if name == "sqlite":
        return sqlite.insert(model)
    if name == "postgresql":
        return postgresql.insert(model)
    raise NotImplementedError(f"index database dialect {name!r} is not supported (use SQLite or PostgreSQL)")


def _insert_ignore(session: Session, model: type[Any], values: dict[str, Any], index: list[str]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True if a row was inserted."""
    stmt = _insert(session, model).values(**values).on_conflict_do_nothing(index_elements=index)
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def _declared_text(declared: dict[str, Any], *path: str) -> str | None:
    node: Any = declared
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return str(node)[:300] if node not in (None, "") else None


class Index:
    """The index database. Open with ``open_index()``."""

    def __init__(self, engine: Engine, settings: IndexSettings | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def describe(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def session(self) -> Session:
        return self._sessions()

    # ------------------------------------------------------------------ submissions, documents

    @with_retry
    def ensure_submission(self, submission_id: str, declared: dict[str, Any] | None = None) -> None:
        """Create the submission row if missing; fill its summary from ``declared`` when given."""
        with self._sessions.begin() as s:
            _insert_ignore(s, Submission, {"id": submission_id, "status": "pending"}, ["id"])
            if declared:
                s.execute(
                    update(Submission)
                    .where(Submission.id == submission_id)
                    .values(
                        applicant_name=_declared_text(declared, "applicant", "name"),
                        uscc=_declared_text(declared, "applicant", "uscc"),
                        region=_declared_text(declared, "solution", "region"),
                        solution_name=_declared_text(declared, "solution", "name"),
                        updated_at=utcnow(),
                    )
                )

    @with_retry
    def upsert_document(
        self,
        key: str,
        submission_id: str,
        file_name: str,
        *,
        sha256: str | None = None,
        size: int | None = None,
        etag: str | None = None,
        declared_category: str | None = None,
        uploaded_at: datetime | None = None,
    ) -> DocumentView:
        """Record an upload (idempotent); known values given here replace the stored ones."""
        with self._sessions.begin() as s:
            _insert_ignore(s, Submission, {"id": submission_id, "status": "pending"}, ["id"])
            values: dict[str, Any] = {
                "key": key,
                "submission_id": submission_id,
                "file_name": file_name,
                "latest_status": "new",
                "uploaded_at": uploaded_at or utcnow(),
                "updated_at": utcnow(),
            }
            _insert_ignore(s, Document, values, ["key"])
            changes: dict[str, object] = {
                k: v
                for k, v in (
                    ("sha256", sha256),
                    ("size", size),
                    ("etag", etag),
                    ("declared_category", declared_category),
                )
                if v is not None
            }
            doc = s.execute(select(Document).where(Document.key == key)).scalar_one()
            if changes:
                if sha256 is not None and doc.sha256 not in (None, sha256):
                    # New content under the same key (only possible behind the store's back):
                    # its old result no longer describes it.
                    changes.update(latest_status="new", result_key=None, doc_type=None, pages=None)
                for k, v in changes.items():
                    setattr(doc, k, v)
            s.flush()
            view = DocumentView.model_validate(doc)
        self.refresh_submission(submission_id)
        return view

    @with_retry
    def document(self, key: str) -> DocumentView | None:
        with self._sessions() as s:
            doc = s.execute(select(Document).where(Document.key == key)).scalar_one_or_none()
            return DocumentView.model_validate(doc) if doc is not None else None

    @with_retry
    def documents(self, submission_id: str | None = None) -> list[DocumentView]:
        with self._sessions() as s:
            q = select(Document).order_by(Document.key)
            if submission_id is not None:
                q = q.where(Document.submission_id == submission_id)
            return [DocumentView.model_validate(d) for d in s.execute(q).scalars()]

    @with_retry
    def mark_documents(self, sha256: str, status: str, error: str | None = None) -> None:
        """Set the latest status of every document with this content (``processing``, ``failed``)."""
        with self._sessions.begin() as s:
            s.execute(
                update(Document)
                .where(Document.sha256 == sha256)
                .values(latest_status=status, error=error, updated_at=utcnow())
            )

    @with_retry
    def refresh_submission(self, submission_id: str) -> None:
        """Recount a submission's documents, processed documents and failed documents."""
        done_case = case((Document.latest_status.in_(("success", "partial_success", "failure")), 1), else_=0)
        failed_case = case((Document.latest_status.in_(("failure", "failed")), 1), else_=0)
        with self._sessions.begin() as s:
            counts = s.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(done_case), 0),
                    func.coalesce(func.sum(failed_case), 0),
                )
                .select_from(Document)
                .where(Document.submission_id == submission_id)
            ).one()
            total, done, failed = (int(v) for v in counts)
            s.execute(
                update(Submission)
                .where(Submission.id == submission_id)
                .values(documents_count=total, processed_count=done, failed_count=failed, updated_at=utcnow())
            )

    @with_retry
    def submission(self, submission_id: str) -> SubmissionView | None:
        with self._sessions() as s:
            row = s.get(Submission, submission_id)
            return SubmissionView.model_validate(row) if row is not None else None

    @with_retry
    def submissions(self) -> list[SubmissionView]:
        with self._sessions() as s:
            rows = s.execute(select(Submission).order_by(Submission.id)).scalars()
            return [SubmissionView.model_validate(r) for r in rows]

    @with_retry
    def record_review(
        self,
        submission_id: str,
        *,
        status: str,
        review_key: str,
        findings: Iterable[tuple[str, str, str]],
        applicant_name: str | None = None,
        solution_name: str | None = None,
    ) -> None:
        """Replace the submission's findings with those of its newest review
        (``findings`` as ``(rule, outcome, severity)``)."""
        now = utcnow()
        with self._sessions.begin() as s:
            _insert_ignore(s, Submission, {"id": submission_id, "status": "pending"}, ["id"])
            s.execute(delete(FindingRow).where(FindingRow.submission_id == submission_id))
            s.add_all(
                FindingRow(
                    submission_id=submission_id,
                    review_key=review_key,
                    rule=rule,
                    outcome=outcome,
                    severity=severity,
                    created_at=now,
                )
                for rule, outcome, severity in findings
            )
            values: dict[str, Any] = {
                "status": status,
                "review_key": review_key,
                "reviewed_at": now,
                "updated_at": now,
            }
            if applicant_name:
                values["applicant_name"] = applicant_name[:300]
            if solution_name:
                values["solution_name"] = solution_name[:300]
            s.execute(update(Submission).where(Submission.id == submission_id).values(**values))

    @with_retry
    def findings(self, submission_id: str) -> list[tuple[str, str, str]]:
        with self._sessions() as s:
            rows = s.execute(
                select(FindingRow.rule, FindingRow.outcome, FindingRow.severity)
                .where(FindingRow.submission_id == submission_id)
                .order_by(FindingRow.id)
            ).all()
            return [(r, o, sev) for r, o, sev in rows]

    # ------------------------------------------------------------------------- runs, results

    @with_retry
    def claim_run(
        self,
        work: WorkKey,
        *,
        key: str | None = None,
        worker: str | None = None,
        force: bool = False,
        lease_s: float = DEFAULT_LEASE_S,
    ) -> Claim:
        """Atomically take the run for ``work`` if nobody holds it and it has not completed
        (``force``: also when completed or given up). One conditional UPDATE decides, so of
        several workers exactly one gets ``claimed``."""
        now = utcnow()
        expired = now - timedelta(seconds=lease_s)
        with self._sessions.begin() as s:
            _insert_ignore(
                s,
                Run,
                {**work.model_dump(), "state": QUEUED, "attempts": 0, "key": key, "queued_at": now},
                ["sha256", "pipeline_version", "config_hash"],
            )
            last_sign_of_life = func.coalesce(Run.heartbeat_at, Run.started_at)
            free = or_(
                Run.state == QUEUED,
                and_(Run.state == FAILED, Run.attempts < MAX_ATTEMPTS),
                and_(Run.state == RUNNING, last_sign_of_life < expired),
            )
            if force:
                free = or_(
                    Run.state.in_((QUEUED, COMPLETED, FAILED)),
                    and_(Run.state == RUNNING, last_sign_of_life < expired),
                )
            claimed = s.execute(
                update(Run)
                .where(
                    Run.sha256 == work.sha256,
                    Run.pipeline_version == work.pipeline_version,
                    Run.config_hash == work.config_hash,
                    free,
                )
                .values(
                    state=RUNNING,
                    attempts=1 if force else Run.attempts + 1,
                    started_at=now,
                    heartbeat_at=now,
                    finished_at=None,
                    error=None,
                    worker=worker,
                    key=key if key is not None else Run.key,
                )
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
            run = s.execute(select(Run).where(*self._work_filter(work))).scalar_one()
            view = RunView.model_validate(run)
        if claimed:
            return Claim(outcome="claimed", run=view)
        if view.state == COMPLETED:
            return Claim(outcome="completed", run=view)
        if view.state == RUNNING:
            return Claim(outcome="running", run=view)
        return Claim(outcome="gave_up", run=view)

    @with_retry
    def renew_run(self, work: WorkKey, worker: str) -> bool:
        """Heartbeat: ``worker`` still holds the run. False when it no longer does (the run was
        finished, or claimed by another worker after the lease ran out)."""
        with self._sessions.begin() as s:
            renewed = s.execute(
                update(Run)
                .where(*self._work_filter(work), Run.state == RUNNING, Run.worker == worker)
                .values(heartbeat_at=utcnow())
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
        return bool(renewed)

    @staticmethod
    def _work_filter(work: WorkKey) -> tuple[Any, ...]:
        return (
            Run.sha256 == work.sha256,
            Run.pipeline_version == work.pipeline_version,
            Run.config_hash == work.config_hash,
        )

    @with_retry
    def run(self, work: WorkKey) -> RunView | None:
        with self._sessions() as s:
            row = s.execute(select(Run).where(*self._work_filter(work))).scalar_one_or_none()
            return RunView.model_validate(row) if row is not None else None

    @with_retry
    def runs(self, state: str | None = None) -> list[RunView]:
        with self._sessions() as s:
            q = select(Run).order_by(Run.id)
            if state is not None:
                q = q.where(Run.state == state)
            return [RunView.model_validate(r) for r in s.execute(q).scalars()]

    @with_retry
    def complete_run(self, work: WorkKey, result: NewResult, *, adopted: bool = False) -> None:
        """Record a stored result for ``work``, mark the run completed and point every document
        with this content at it. ``adopted``: the result was found in the store, not made now."""
        now = utcnow()
        with self._sessions.begin() as s:
            values = {**work.model_dump(), **result.model_dump(), "created_at": now}
            stmt = _insert(s, Result).values(**values)
            stmt = stmt.on_conflict_do_update(
                index_elements=["sha256", "pipeline_version", "config_hash"],
                set_={k: stmt.excluded[k] for k in (*result.model_dump(), "created_at")},
            )
            s.execute(stmt)
            _insert_ignore(
                s,
                Run,
                {**work.model_dump(), "state": QUEUED, "attempts": 0, "queued_at": now},
                ["sha256", "pipeline_version", "config_hash"],
            )
            run_values: dict[str, Any] = {"state": COMPLETED, "finished_at": now, "error": None}
            if adopted:
                run_values["started_at"] = func.coalesce(Run.started_at, now)
            s.execute(
                update(Run)
                .where(*self._work_filter(work))
                .values(**run_values)
                .execution_options(synchronize_session=False)
            )
            s.execute(
                update(Document)
                .where(Document.sha256 == work.sha256)
                .values(
                    latest_status=result.status,
                    result_key=result.result_key,
                    doc_type=result.doc_type,
                    pages=result.pages,
                    pipeline_version=work.pipeline_version,
                    config_hash=work.config_hash,
                    error=None,
                    updated_at=now,
                )
            )
            subs = s.execute(
                select(Document.submission_id).where(Document.sha256 == work.sha256).distinct()
            ).scalars()
            affected = list(subs)
        for sid in affected:
            self.refresh_submission(sid)

    @with_retry
    def attach_result(self, work: WorkKey) -> None:
        """Point documents with this content that do not show the current result yet (a second
        upload of the same bytes) at it."""
        with self._sessions.begin() as s:
            row = s.execute(
                select(Result).where(
                    Result.sha256 == work.sha256,
                    Result.pipeline_version == work.pipeline_version,
                    Result.config_hash == work.config_hash,
                )
            ).scalar_one_or_none()
            if row is None:
                return
            affected = list(
                s.execute(
                    update(Document)
                    .where(
                        Document.sha256 == work.sha256,
                        or_(
                            Document.result_key.is_(None),
                            Document.result_key != row.result_key,
                            Document.config_hash.is_(None),
                            Document.config_hash != work.config_hash,
                            Document.pipeline_version != work.pipeline_version,
                        ),
                    )
                    .values(
                        latest_status=row.status,
                        result_key=row.result_key,
                        doc_type=row.doc_type,
                        pages=row.pages,
                        pipeline_version=work.pipeline_version,
                        config_hash=work.config_hash,
                        error=None,
                        updated_at=utcnow(),
                    )
                    .returning(Document.submission_id)
                ).scalars()
            )
        for sid in set(affected):
            self.refresh_submission(sid)

    @with_retry
    def fail_run(self, work: WorkKey, error: str) -> RunView:
        """Mark the run failed with ``error`` (no document text in it); after ``MAX_ATTEMPTS``
        failures it is not retried automatically."""
        now = utcnow()
        with self._sessions.begin() as s:
            s.execute(
                update(Run)
                .where(*self._work_filter(work))
                .values(state=FAILED, error=error[:4000], finished_at=now)
                .execution_options(synchronize_session=False)
            )
            row = s.execute(select(Run).where(*self._work_filter(work))).scalar_one()
            view = RunView.model_validate(row)
            gave_up = view.attempts >= MAX_ATTEMPTS
            s.execute(
                update(Document)
                .where(Document.sha256 == work.sha256)
                .values(
                    latest_status="failed" if gave_up else Document.latest_status,
                    error=error[:4000],
                    updated_at=now,
                )
            )
            affected = list(
                s.execute(
                    select(Document.submission_id).where(Document.sha256 == work.sha256).distinct()
                ).scalars()
            )
        for sid in affected:
            self.refresh_submission(sid)
        return view

    @with_retry
    def result(self, work: WorkKey) -> ResultView | None:
        with self._sessions() as s:
            row = s.execute(
                select(Result).where(
                    Result.sha256 == work.sha256,
                    Result.pipeline_version == work.pipeline_version,
                    Result.config_hash == work.config_hash,
                )
            ).scalar_one_or_none()
            return ResultView.model_validate(row) if row is not None else None

    @with_retry
    def results_for(self, sha256: str) -> list[ResultView]:
        """Every recorded result of this content, newest first."""
        with self._sessions() as s:
            rows = s.execute(
                select(Result)
                .where(Result.sha256 == sha256)
                .order_by(Result.created_at.desc(), Result.id.desc())
            ).scalars()
            return [ResultView.model_validate(r) for r in rows]

    @with_retry
    def move_result(self, work: WorkKey, result_key: str) -> None:
        """Point a recorded result at a new key (the stale result was archived there)."""
        with self._sessions.begin() as s:
            s.execute(
                update(Result)
                .where(
                    Result.sha256 == work.sha256,
                    Result.pipeline_version == work.pipeline_version,
                    Result.config_hash == work.config_hash,
                )
                .values(result_key=result_key)
            )

    # ---------------------------------------------------------------------------- selection

    @with_retry
    def select_documents(
        self, selection: Selection, *, pipeline_version: str, config_hash: str
    ) -> list[DocumentView]:
        """Documents matching every given selector, ordered by key.

        ``stale``: the document has a result, but not for this pipeline version and config hash;
        ``failed``: its run failed, or its current result has status ``failure``."""
        with self._sessions() as s:
            q = select(Document).order_by(Document.key)
            if selection.submissions:
                q = q.where(Document.submission_id.in_(selection.submissions))
            if selection.doc_type:
                q = q.where(Document.doc_type == selection.doc_type)
            if selection.since is not None:
                since = selection.since
                if since.tzinfo is None:
                    since = since.replace(tzinfo=UTC)
                q = q.where(Document.uploaded_at >= since)
            if selection.stale:
                q = q.where(
                    Document.result_key.is_not(None),
                    or_(
                        Document.pipeline_version != pipeline_version,
                        Document.config_hash != config_hash,
                        Document.pipeline_version.is_(None),
                        Document.config_hash.is_(None),
                    ),
                )
            if selection.failed:
                q = q.where(
                    or_(Document.latest_status.in_(("failed", "failure")), Document.error.is_not(None))
                )
            return [DocumentView.model_validate(d) for d in s.execute(q).scalars()]

    # -------------------------------------------------------------------------------- events

    @with_retry
    def record_event(
        self,
        *,
        source: str,
        event_name: str,
        bucket: str,
        key: str,
        etag: str | None,
        sequencer: str | None,
        size: int | None,
        dedupe_key: str,
    ) -> tuple[EventView, bool]:
        """Record an event durably (committed when this returns); ``(event, created)`` where
        ``created`` is False for a duplicate of an earlier event."""
        with self._sessions.begin() as s:
            created = _insert_ignore(
                s,
                Event,
                {
                    "source": source,
                    "event_name": event_name,
                    "bucket": bucket,
                    "key": key,
                    "etag": etag,
                    "sequencer": sequencer,
                    "size": size,
                    "dedupe_key": dedupe_key,
                    "received_at": utcnow(),
                },
                ["dedupe_key"],
            )
            row = s.execute(select(Event).where(Event.dedupe_key == dedupe_key)).scalar_one()
            return EventView.model_validate(row), created

    @with_retry
    def event(self, event_id: int) -> EventView | None:
        with self._sessions() as s:
            row = s.get(Event, event_id)
            return EventView.model_validate(row) if row is not None else None

    @with_retry
    def seen_dedupe_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` are already recorded events."""
        found: set[str] = set()
        with self._sessions() as s:
            for i in range(0, len(keys), 500):
                chunk = list(keys[i : i + 500])
                found.update(s.execute(select(Event.dedupe_key).where(Event.dedupe_key.in_(chunk))).scalars())
        return found

    @with_retry
    def mark_event(
        self, event_id: int, *, dispatched: bool = False, processed: bool = False, error: str | None = None
    ) -> None:
        values: dict[str, Any] = {"error": error}
        if dispatched:
            values["dispatched_at"] = utcnow()
        if processed:
            values["processed_at"] = utcnow()
        with self._sessions.begin() as s:
            s.execute(update(Event).where(Event.id == event_id).values(**values))

    @with_retry
    def pending_events(
        self, *, source: str | None = None, redispatch_after_s: float = 600.0, limit: int = 1000
    ) -> list[EventView]:
        """Recorded events not processed yet and not dispatched recently (a crash between
        recording and dispatching, or a dispatch that was lost)."""
        cutoff = utcnow() - timedelta(seconds=redispatch_after_s)
        with self._sessions() as s:
            q = (
                select(Event)
                .where(
                    Event.processed_at.is_(None),
                    or_(Event.dispatched_at.is_(None), Event.dispatched_at < cutoff),
                )
                .order_by(Event.id)
                .limit(limit)
            )
            if source is not None:
                q = q.where(Event.source == source)
            return [EventView.model_validate(e) for e in s.execute(q).scalars()]

    @with_retry
    def events(self) -> list[EventView]:
        with self._sessions() as s:
            return [
                EventView.model_validate(e) for e in s.execute(select(Event).order_by(Event.id)).scalars()
            ]

    # --------------------------------------------------------------------------- checkpoints

    @with_retry
    def checkpoint(self, name: str) -> CheckpointView | None:
        with self._sessions() as s:
            row = s.get(WatcherCheckpoint, name)
            return CheckpointView.model_validate(row) if row is not None else None

    @with_retry
    def start_scan(self, name: str, store: str) -> None:
        with self._sessions.begin() as s:
            _insert_ignore(
                s,
                WatcherCheckpoint,
                {"name": name, "store": store, "scans": 0, "objects_seen": 0, "updated_at": utcnow()},
                ["name"],
            )
            s.execute(
                update(WatcherCheckpoint)
                .where(WatcherCheckpoint.name == name)
                .values(store=store, last_scan_started_at=utcnow())
            )

    @with_retry
    def finish_scan(self, name: str, new_objects: int) -> None:
        with self._sessions.begin() as s:
            s.execute(
                update(WatcherCheckpoint)
                .where(WatcherCheckpoint.name == name)
                .values(
                    scans=WatcherCheckpoint.scans + 1,
                    objects_seen=WatcherCheckpoint.objects_seen + new_objects,
                    last_scan_finished_at=utcnow(),
                )
            )


def open_index(settings: IndexSettings | None = None, *, migrate: bool = True) -> Index:
    """The index configured by ``EVIDENCE_DB_URL`` (or ``settings``), migrated to the newest
    schema on first use in this process."""
    settings = settings if settings is not None else IndexSettings.from_env()
    return Index(engine_for(settings, migrate=migrate), settings)


__all__ = [
    "DEFAULT_LEASE_S",
    "MAX_ATTEMPTS",
    "UNKNOWN_CONFIG",
    "CheckpointView",
    "Claim",
    "DocumentView",
    "EventView",
    "Index",
    "NewResult",
    "ResultView",
    "RunView",
    "Selection",
    "SubmissionView",
    "WorkKey",
    "open_index",
]
