"""Reviewer web UI tables: users, sessions, login failures, decisions, audit log, submission
listing (with an index per sort key) and re-processing jobs (``pipeline.index.ui_models``).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ui_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_login_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ui_users")),
        sa.UniqueConstraint("username", name=op.f("uq_ui_users_username")),
    )
    op.create_table(
        "ui_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ui_sessions")),
    )
    op.create_index("ix_ui_sessions_user_id", "ui_sessions", ["user_id"])
    op.create_index("ix_ui_sessions_expires_at", "ui_sessions", ["expires_at"])
    op.create_table(
        "ui_login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ui_login_failures")),
    )
    op.create_index("ix_ui_login_failures_ip_user_at", "ui_login_failures", ["ip", "username", "at"])
    op.create_table(
        "ui_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("submission_id", sa.String(length=128), nullable=False),
        sa.Column("rule", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("review_key", sa.String(length=1024), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ui_decisions")),
    )
    op.create_index("ix_ui_decisions_submission_rule", "ui_decisions", ["submission_id", "rule", "id"])
    op.create_table(
        "ui_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("submission_id", sa.String(length=128), nullable=True),
        sa.Column("target", sa.String(length=1024), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ui_audit")),
    )
    op.create_index("ix_ui_audit_submission_id", "ui_audit", ["submission_id", "id"])
    op.create_table(
        "ui_submission_listing",
        sa.Column("submission_id", sa.String(length=128), nullable=False),
        sa.Column("applicant_name", sa.String(length=300), nullable=False),
        sa.Column("uscc", sa.String(length=32), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("solution_name", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("review_status", sa.String(length=32), nullable=False),
        sa.Column("status_without_hold", sa.String(length=32), nullable=False),
        sa.Column("hold_cleared", sa.Boolean(), nullable=False),
        sa.Column("failed_rules", sa.Integer(), nullable=False),
        sa.Column("review_rules", sa.Integer(), nullable=False),
        sa.Column("sensitive_hits", sa.Integer(), nullable=False),
        sa.Column("documents_count", sa.Integer(), nullable=False),
        sa.Column("last_processed", sa.String(length=32), nullable=False),
        sa.Column("review_key", sa.String(length=1024), nullable=True),
        sa.Column("source_updated_at", TS, nullable=True),
        sa.Column("synced_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("pk_ui_submission_listing")),
    )
    for name, cols in (
        ("ix_ui_listing_status", ["status", "submission_id"]),
        ("ix_ui_listing_region", ["region", "submission_id"]),
        ("ix_ui_listing_applicant", ["applicant_name", "submission_id"]),
        ("ix_ui_listing_uscc", ["uscc"]),
        ("ix_ui_listing_failed", ["failed_rules", "submission_id"]),
        ("ix_ui_listing_sensitive", ["sensitive_hits", "submission_id"]),
        ("ix_ui_listing_processed", ["last_processed", "submission_id"]),
    ):
        op.create_index(name, "ui_submission_listing", cols)
    op.create_table(
        "ui_jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("submission_id", sa.String(length=128), nullable=False),
        sa.Column("target", sa.String(length=1024), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ui_jobs")),
    )
    op.create_index("ix_ui_jobs_submission_id", "ui_jobs", ["submission_id", "id"])


def downgrade() -> None:
    for table in (
        "ui_jobs",
        "ui_submission_listing",
        "ui_audit",
        "ui_decisions",
        "ui_login_failures",
        "ui_sessions",
        "ui_users",
    ):
        op.drop_table(table)
