"""Tables of the reviewer web UI (``evidence serve``): users, sessions, login failures,
decisions, the audit log, the submission listing and re-processing jobs.

They live in the index database beside the pipeline's tables (migration ``0002_web_ui``) and
share its ``Base`` and naming convention. Decisions are keyed by ``(submission_id, rule)``, never
by a result or review id, so they survive re-processing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.index.models import Base, UTCDateTime, utcnow

ROLES = ("reviewer", "staff", "admin")


class UIUser(Base):
    """A person who may log in. ``password_hash`` is an argon2id hash (never the password)."""

    __tablename__ = "ui_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UISession(Base):
    """A server-side session. ``id`` is the SHA-256 of the random token in the cookie, so a
    leaked database does not hand out live cookies; ``csrf_token`` guards every form."""

    __tablename__ = "ui_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class UILoginFailure(Base):
    """A failed login, counted per (ip, username) in a sliding window for rate limiting."""

    __tablename__ = "ui_login_failures"
    __table_args__ = (Index("ix_ui_login_failures_ip_user_at", "ip", "username", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ip: Mapped[str] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UIDecision(Base):
    """A reviewer's decision on one rule of one submission (``confirm`` / ``override`` /
    ``clear_hold``). History is kept; the newest row per (submission, rule) is current."""

    __tablename__ = "ui_decisions"
    __table_args__ = (Index("ix_ui_decisions_submission_rule", "submission_id", "rule", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(String(128))
    rule: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    #: The rule's outcome when the decision was made, and the review it was made on.
    outcome: Mapped[str | None] = mapped_column(String(32))
    review_key: Mapped[str | None] = mapped_column(String(1024))
    username: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UIAudit(Base):
    """Who did what, when: logins, decisions, holds cleared, re-processing, users added."""

    __tablename__ = "ui_audit"
    __table_args__ = (Index("ix_ui_audit_submission_id", "submission_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    submission_id: Mapped[str | None] = mapped_column(String(128))
    target: Mapped[str | None] = mapped_column(String(1024))
    detail: Mapped[str] = mapped_column(Text, default="")
    ip: Mapped[str | None] = mapped_column(String(64))


class UISubmissionListing(Base):
    """One row per submission for the submissions table: the index's summary plus counts from
    the newest review, with non-null sort columns and an index per sort key (keyset paging).
    Synchronised from ``submissions`` (``source_updated_at``) and the review JSON."""

    __tablename__ = "ui_submission_listing"
    __table_args__ = (
        Index("ix_ui_listing_status", "status", "submission_id"),
        Index("ix_ui_listing_region", "region", "submission_id"),
        Index("ix_ui_listing_applicant", "applicant_name", "submission_id"),
        Index("ix_ui_listing_uscc", "uscc"),
        Index("ix_ui_listing_failed", "failed_rules", "submission_id"),
        Index("ix_ui_listing_sensitive", "sensitive_hits", "submission_id"),
        Index("ix_ui_listing_processed", "last_processed", "submission_id"),
    )

    submission_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    applicant_name: Mapped[str] = mapped_column(String(300), default="")
    uscc: Mapped[str] = mapped_column(String(32), default="")
    region: Mapped[str] = mapped_column(String(16), default="")
    solution_name: Mapped[str] = mapped_column(String(300), default="")
    #: pass / needs_review / fail / held / processing / failed
    status: Mapped[str] = mapped_column(String(32), default="processing")
    review_status: Mapped[str] = mapped_column(String(32), default="pending")
    #: What the status is once a sensitive-content hold has been cleared by a reviewer.
    status_without_hold: Mapped[str] = mapped_column(String(32), default="pending")
    hold_cleared: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_rules: Mapped[int] = mapped_column(Integer, default=0)
    review_rules: Mapped[int] = mapped_column(Integer, default=0)
    sensitive_hits: Mapped[int] = mapped_column(Integer, default=0)
    documents_count: Mapped[int] = mapped_column(Integer, default=0)
    #: ISO 8601 UTC of the newest review ('' when never reviewed): sortable and never NULL.
    last_processed: Mapped[str] = mapped_column(String(32), default="")
    review_key: Mapped[str | None] = mapped_column(String(1024))
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UIJob(Base):
    """A re-processing job started from the UI (a document or a whole submission)."""

    __tablename__ = "ui_jobs"
    __table_args__ = (Index("ix_ui_jobs_submission_id", "submission_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    submission_id: Mapped[str] = mapped_column(String(128))
    target: Mapped[str] = mapped_column(String(1024))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    username: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
