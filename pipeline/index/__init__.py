"""The index database (SQLAlchemy; SQLite by default, PostgreSQL by URL): submissions, documents,
runs, results, findings, events and watcher checkpoints, so the UI and the CLI query without
scanning the store.

``open_index()`` reads ``EVIDENCE_DB_URL`` and applies the Alembic migrations (upgrade head) on
first use; ``pipeline.index.work`` does idempotent processing of one upload on top of it."""

from pipeline.index.db import IndexDatabaseError, IndexSettings, dispose_all
from pipeline.index.repo import (
    DEFAULT_LEASE_S,
    MAX_ATTEMPTS,
    UNKNOWN_CONFIG,
    CheckpointView,
    Claim,
    DocumentView,
    EventView,
    Index,
    NewResult,
    ResultView,
    RunView,
    Selection,
    SubmissionView,
    WorkKey,
    open_index,
)

__all__ = [
    "DEFAULT_LEASE_S",
    "MAX_ATTEMPTS",
    "UNKNOWN_CONFIG",
    "CheckpointView",
    "Claim",
    "DocumentView",
    "EventView",
    "Index",
    "IndexDatabaseError",
    "IndexSettings",
    "NewResult",
    "ResultView",
    "RunView",
    "Selection",
    "SubmissionView",
    "WorkKey",
    "dispose_all",
    "open_index",
]
