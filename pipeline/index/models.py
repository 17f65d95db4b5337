"""SQLAlchemy 2.0 models of the index database (schema changes go through Alembic migrations).

Times are stored in UTC and read back timezone-aware (``UTCDateTime``). Work is keyed by
``(sha256, pipeline_version, config_hash)`` in ``runs`` and ``results``; ``config_hash`` is
``"unknown"`` (never NULL, so the unique constraints hold) for results made before the index
recorded it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

UNKNOWN_CONFIG = "unknown"

# Run states.
QUEUED = "queued"
RUNNING = "running"
COMPLETED = "completed"
FAILED = "failed"
RUN_STATES = (QUEUED, RUNNING, COMPLETED, FAILED)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone: we add it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the index; use datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Submission(Base):
    """One submission (申报): declared data summary, review status and counts."""

    __tablename__ = "submissions"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    applicant_name: Mapped[str | None] = mapped_column(String(300))
    uscc: Mapped[str | None] = mapped_column(String(32), index=True)
    region: Mapped[str | None] = mapped_column(String(16))
    solution_name: Mapped[str | None] = mapped_column(String(300))
    #: ``pending`` until reviewed, then the review status (pass / needs_review / fail).
    status: Mapped[str] = mapped_column(String(32), default="pending")
    documents_count: Mapped[int] = mapped_column(Integer, default=0)
    processed_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    review_key: Mapped[str | None] = mapped_column(String(1024))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Document(Base):
    """One upload (``uploads/<submission>/<file>``) and the state of its latest result."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    key: Mapped[str] = mapped_column(String(1024), unique=True)
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    size: Mapped[int | None] = mapped_column(BigInteger)
    etag: Mapped[str | None] = mapped_column(String(80))
    declared_category: Mapped[str | None] = mapped_column(String(64))
    doc_type: Mapped[str | None] = mapped_column(String(64), index=True)
    pages: Mapped[int | None] = mapped_column(Integer)
    #: ``new`` (not processed yet), ``processing``, a result status (success / partial_success /
    #: failure) or ``failed`` (the run itself failed; see ``error``).
    latest_status: Mapped[str] = mapped_column(String(32), default="new")
    result_key: Mapped[str | None] = mapped_column(String(1024))
    pipeline_version: Mapped[str | None] = mapped_column(String(64))
    config_hash: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Run(Base):
    """The extraction work for one ``(sha256, pipeline_version, config_hash)``: at most one row,
    claimed atomically, so the same bytes cost one run however often they arrive."""

    __tablename__ = "runs"
    __table_args__ = (UniqueConstraint("sha256", "pipeline_version", "config_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    pipeline_version: Mapped[str] = mapped_column(String(64))
    config_hash: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default=QUEUED, index=True)
    #: Attempts since the last forced claim; a run failed ``MAX_ATTEMPTS`` times is not retried
    #: automatically.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    key: Mapped[str | None] = mapped_column(String(1024))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    worker: Mapped[str | None] = mapped_column(String(200))
    #: Renewed by the worker while it holds the run; a run whose heartbeat (or start, before the
    #: first beat) is older than the lease is presumed dead and may be claimed again.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Result(Base):
    """A stored extraction result. Several rows per sha256 (one per version / config)."""

    __tablename__ = "results"
    __table_args__ = (UniqueConstraint("sha256", "pipeline_version", "config_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    pipeline_version: Mapped[str] = mapped_column(String(64))
    config_hash: Mapped[str] = mapped_column(String(32))
    result_key: Mapped[str] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(32))
    doc_type: Mapped[str | None] = mapped_column(String(64))
    pages: Mapped[int] = mapped_column(Integer, default=0)
    field_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FindingRow(Base):
    """One finding of a submission's latest review."""

    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_submission_rule", "submission_id", "rule"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"))
    review_key: Mapped[str] = mapped_column(String(1024))
    rule: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Event(Base):
    """An upload notification (webhook) or discovery (watcher), recorded before it is acted on.

    ``dedupe_key`` = ``bucket/key@etag`` (or ``@sequencer`` when no etag), UNIQUE: a redelivered
    event, or the webhook and the watcher seeing the same object, is recorded once."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_pending", "processed_at", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(32))
    event_name: Mapped[str] = mapped_column(String(100))
    bucket: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(1024))
    etag: Mapped[str | None] = mapped_column(String(80))
    sequencer: Mapped[str | None] = mapped_column(String(80))
    size: Mapped[int | None] = mapped_column(BigInteger)
    dedupe_key: Mapped[str] = mapped_column(String(1300), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)


class WatcherCheckpoint(Base):
    """A polling watcher's durable progress. The set of seen objects is the ``events`` table;
    this row says when the last complete scan started and finished."""

    __tablename__ = "watcher_checkpoints"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    store: Mapped[str] = mapped_column(String(500))
    scans: Mapped[int] = mapped_column(Integer, default=0)
    objects_seen: Mapped[int] = mapped_column(Integer, default=0)
    last_scan_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_scan_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
