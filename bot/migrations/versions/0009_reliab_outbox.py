"""Slack replies as an outbox: an answer is kept until Slack has it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

Plain SQLAlchemy types, as in 0001: this file keeps meaning what it meant when the models
move on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("thread_ts", sa.String(length=40), nullable=False),
        sa.Column("question_ts", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("task_id", sa.String(length=40), nullable=False),
        sa.Column("text", sa.String(), nullable=True),
        sa.Column("thread_text", sa.String(), nullable=True),
        sa.Column("proposals_json", sa.String(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("posted_ts", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "question_ts", name="uq_slack_outbox_question"),
    )
    op.create_index("ix_slack_outbox_due", "slack_outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_slack_outbox_due", table_name="slack_outbox")
    op.drop_table("slack_outbox")
