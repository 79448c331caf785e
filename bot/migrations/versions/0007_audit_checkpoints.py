"""Audit tamper evidence: a keyed seal per row, signed checkpoints of the head, and
PostgreSQL's append-only triggers made to fire under session_replication_role=replica too.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

Plain SQLAlchemy types, as in 0001: this file keeps meaning what it meant when the models
move on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# ENABLE ALWAYS: a session that sets session_replication_role=replica skips ordinary triggers.
ALWAYS_FIRE = (
    "ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_append_only",
    "ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_no_truncate",
)


def upgrade() -> None:
    op.add_column("audit_event", sa.Column("mac", sa.String(length=64), nullable=True))
    op.create_table(
        "audit_checkpoint",
        sa.Column("head_seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=80), nullable=False),
        sa.Column("signature", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("head_seq"),
    )
    if op.get_context().dialect.name == "postgresql":
        for statement in ALWAYS_FIRE:
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("audit_checkpoint")
    op.drop_column("audit_event", "mac")
