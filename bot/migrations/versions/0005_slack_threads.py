"""Slack threads: the conversation kept per thread, trimmed to the token budget when used,
and the triage posts that open alert threads.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22

Plain SQLAlchemy types, as in 0001: this file keeps meaning what it meant when the models
move on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_slack_thread_message()
    create_slack_triage_post()


def downgrade() -> None:
    op.drop_table("slack_triage_post")
    op.drop_table("slack_thread_message")


def utc_time(name: str) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def text_column(name: str, length: int | None = None, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def create_slack_thread_message() -> None:
    op.create_table(
        "slack_thread_message",
        sa.Column("id", sa.Integer(), nullable=False),
        text_column("channel", 40),
        text_column("thread_ts", 40),
        text_column("ts", 40),
        text_column("role", 10),
        text_column("user_id", 40, nullable=True),
        text_column("text"),
        text_column("task_id", 40, nullable=True),
        utc_time("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "ts", name="uq_slack_thread_message_ts"),
    )
    op.create_index(
        "ix_slack_thread_message_thread",
        "slack_thread_message",
        ["channel", "thread_ts"],
        unique=False,
    )


def create_slack_triage_post() -> None:
    op.create_table(
        "slack_triage_post",
        sa.Column("id", sa.Integer(), nullable=False),
        text_column("channel", 40),
        text_column("ts", 40),
        text_column("group_id", 64),
        text_column("alert_ids_json"),
        text_column("task_id", 40),
        text_column("facts_json"),
        text_column("blocks_json"),
        text_column("text"),
        utc_time("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "ts", name="uq_slack_triage_post_ts"),
    )
    op.create_index(
        op.f("ix_slack_triage_post_group_id"), "slack_triage_post", ["group_id"], unique=False
    )
