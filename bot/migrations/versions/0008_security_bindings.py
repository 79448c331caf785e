"""Security bindings: who posted an alert, the identity an action was approved for, every
policy version's text, and the webhook deliveries already taken (replay refusal).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

Plain SQLAlchemy types, as in 0001: this file keeps meaning what it meant when the models
move on. The new columns are nullable: rows from before this revision hold none.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.add_column(sa.Column("origin_json", sa.Text(), nullable=True))
    with op.batch_alter_table("action_request") as batch:
        batch.add_column(sa.Column("origin_json", sa.String(), nullable=True))
        batch.add_column(sa.Column("target_identity_id", sa.String(length=200), nullable=True))
    create_policy_version()
    create_webhook_receipt()


def downgrade() -> None:
    op.drop_index("ix_webhook_receipt_received_at", table_name="webhook_receipt")
    op.drop_table("webhook_receipt")
    op.drop_table("policy_version")
    with op.batch_alter_table("action_request") as batch:
        batch.drop_column("target_identity_id")
        batch.drop_column("origin_json")
    with op.batch_alter_table("alert") as batch:
        batch.drop_column("origin_json")


def create_policy_version() -> None:
    op.create_table(
        "policy_version",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )


def create_webhook_receipt() -> None:
    op.create_table(
        "webhook_receipt",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(
        "ix_webhook_receipt_received_at", "webhook_receipt", ["received_at"], unique=False
    )
