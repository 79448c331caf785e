"""Weekly digest: one row per ISO week posted, and the (kind, ts) index the digest reads by.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

Types in plain SQLAlchemy, as in 0001. digest_post.week is the key: claiming a week is an
insert that only one worker can win. ix_audit_event_kind_ts serves every digest query (rows of
one kind in one stretch of time); it is declared beside the digest_post model.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_post",
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("message_ts", sa.String(length=40), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("head_seq", sa.Integer(), nullable=True),
        sa.Column("head_hash", sa.String(length=64), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("week"),
    )
    op.create_index(op.f("ix_digest_post_posted_at"), "digest_post", ["posted_at"], unique=False)
    op.create_index("ix_audit_event_kind_ts", "audit_event", ["kind", "ts"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_event_kind_ts", table_name="audit_event")
    op.drop_index(op.f("ix_digest_post_posted_at"), table_name="digest_post")
    op.drop_table("digest_post")
