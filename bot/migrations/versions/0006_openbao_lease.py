"""OpenBao leases: the accessor of the OpenBao token that mirrors each per-call credential.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

Plain SQLAlchemy types, as in 0001: this file keeps meaning what it meant when the models
move on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "openbao_lease",
        sa.Column("credential_id", sa.String(length=40), nullable=False),
        sa.Column("task_id", sa.String(length=40), nullable=False),
        sa.Column("accessor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("credential_id"),
    )
    op.create_index("ix_openbao_lease_task_id", "openbao_lease", ["task_id"])


def downgrade() -> None:
    op.drop_index("ix_openbao_lease_task_id", table_name="openbao_lease")
    op.drop_table("openbao_lease")
