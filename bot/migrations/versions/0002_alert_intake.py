"""Alert intake: alerts, rejected alerts, the triage queue and storm groups.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

Plain SQLAlchemy types, as in 0001. Vendor text that can be long (event types, vendor ids)
is TEXT and never indexed; the dedupe and storm indexes hold sha256 hex digests instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_alert()
    create_rejected_alert()
    create_triage_group()


def downgrade() -> None:
    for table in ("triage_group", "rejected_alert", "alert"):
        op.drop_table(table)


def utc_time(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def text_column(name: str, length: int | None = None, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def long_text(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def integer(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=False)


def flag(name: str) -> sa.Column[bool]:
    return sa.Column(name, sa.Boolean(), nullable=False)


def add_indexes(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def create_alert() -> None:
    op.create_table(
        "alert",
        text_column("id", 40),
        utc_time("received_at"),
        text_column("source", 120),
        long_text("vendor_event_id", nullable=True),
        long_text("event_type"),
        text_column("fingerprint", 64),
        text_column("storm_key", 64),
        utc_time("occurred_at"),
        long_text("normalized"),
        text_column("status", 20),
        text_column("group_id", 40, nullable=True),
        text_column("duplicate_of", 40, nullable=True),
        integer("duplicate_count"),
        text_column("via", 20),
        sa.PrimaryKeyConstraint("id"),
    )
    add_indexes("alert", "duplicate_of", "group_id")
    op.create_index("ix_alert_dedupe", "alert", ["fingerprint", "occurred_at"], unique=False)
    op.create_index("ix_alert_storm_rate", "alert", ["storm_key", "received_at"], unique=False)


def create_rejected_alert() -> None:
    op.create_table(
        "rejected_alert",
        text_column("id", 40),
        utc_time("received_at"),
        text_column("source", 120, nullable=True),
        text_column("reason", 500),
        long_text("payload"),
        text_column("encoding", 10),
        integer("size"),
        flag("truncated"),
        text_column("via", 20),
        sa.PrimaryKeyConstraint("id"),
    )
    add_indexes("rejected_alert", "received_at")


def create_triage_group() -> None:
    op.create_table(
        "triage_group",
        text_column("id", 40),
        text_column("key", 80),
        text_column("kind", 10),
        text_column("source", 120),
        long_text("event_type"),
        text_column("status", 20),
        integer("attempts"),
        utc_time("next_attempt_at"),
        utc_time("lease_until", nullable=True),
        text_column("worker", 120, nullable=True),
        integer("alert_count"),
        text_column("first_alert_id", 40),
        utc_time("created_at"),
        utc_time("updated_at"),
        text_column("merged_into", 40, nullable=True),
        text_column("post_channel", 40, nullable=True),
        text_column("post_ts", 40, nullable=True),
        flag("publish_pending"),
        integer("duplicate_count"),
        integer("duplicates_shown"),
        flag("duplicates_pending"),
        utc_time("duplicates_shown_at", nullable=True),
        text_column("last_error", 500, nullable=True),
        text_column("task_id", 40, nullable=True),
        text_column("verdict", 20, nullable=True),
        text_column("severity", 20, nullable=True),
        long_text("result", nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    add_indexes("triage_group", "created_at", "duplicates_pending", "publish_pending")
    op.create_index(
        "ix_triage_group_claim", "triage_group", ["status", "next_attempt_at"], unique=False
    )
    op.create_index("ix_triage_group_open", "triage_group", ["key", "status"], unique=False)
