"""Slack front end: the events already seen (dedupe of retried and replayed deliveries).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

Plain SQLAlchemy types, like 0001; times are timestamps with a time zone.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_event",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=True),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index(
        op.f("ix_slack_event_received_at"), "slack_event", ["received_at"], unique=False
    )


def downgrade() -> None:
    op.drop_table("slack_event")
