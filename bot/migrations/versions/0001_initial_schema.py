"""Initial schema: the audit log, tasks, credentials, approvals and the lab's organisation.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Types are spelled in plain SQLAlchemy, not the models' SQLModel types, so this file keeps
meaning what it meant when the models move on. Times are timestamps with a time zone; no
column has a server default (every default is set by the application). The append-only
triggers on audit_event are installed for the dialect in use.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from bot.audit.triggers import APPEND_ONLY_TRIGGER_SQL
from bot.errors import ConfigError

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_audit_event()
    create_task()
    create_credential()
    create_action_request()
    create_approval()
    create_lab_directory()
    create_lab_activity()
    create_lab_credentials()
    install_append_only_triggers()


def downgrade() -> None:
    for table in (
        "lab_credentials",
        "lab_auth_events",
        "lab_sessions",
        "lab_oauth_grants",
        "lab_access_keys",
        "lab_memberships",
        "lab_groups",
        "lab_identities",
        "approval",
        "action_request",
        "credential",
        "task",
        "audit_event",  # its triggers go with it
    ):
        op.drop_table(table)
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_event_refuse_change()")


def utc_time(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def text_column(name: str, length: int | None = None, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def add_indexes(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def create_audit_event() -> None:
    op.create_table(
        "audit_event",
        # seq is assigned by the writer under its lock, so the chain has no gaps: no sequence.
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        utc_time("ts"),
        text_column("task_id", 64, nullable=True),
        text_column("kind", 64),
        text_column("actor", 128),
        text_column("tool", 128, nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        text_column("policy_version", 64, nullable=True),
        text_column("prompt_hash", 64, nullable=True),
        text_column("tool_hash", 64, nullable=True),
        text_column("prev_hash", 64),
        text_column("hash", 64),
        sa.PrimaryKeyConstraint("seq"),
    )
    add_indexes("audit_event", "kind", "task_id", "tool", "ts")


def create_task() -> None:
    op.create_table(
        "task",
        text_column("id", 40),
        text_column("kind", 20),
        text_column("actor", 120),
        text_column("status", 20),
        utc_time("started_at"),
        utc_time("deadline_at"),
        utc_time("ended_at", nullable=True),
        text_column("owner_host", 255),
        sa.Column("owner_pid", sa.Integer(), nullable=False),
        text_column("summary", 500, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    add_indexes("task", "ended_at", "kind", "status")


def create_credential() -> None:
    op.create_table(
        "credential",
        text_column("id", 40),
        text_column("task_id", 40),
        text_column("tool", 80),
        text_column("scopes"),
        text_column("backend", 40),
        text_column("fingerprint", 16),
        utc_time("issued_at"),
        utc_time("expires_at"),
        utc_time("revoked_at", nullable=True),
        text_column("revoke_reason", 120, nullable=True),
        sa.Column("revoke_lag_ms", sa.Float(), nullable=True),
        sa.Column("revoke_verified", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    add_indexes("credential", "expires_at", "revoked_at", "task_id")


def create_action_request() -> None:
    op.create_table(
        "action_request",
        text_column("id", 40),
        text_column("task_id", 40),
        text_column("tool", 80),
        text_column("args_json"),
        text_column("target", 300, nullable=True),
        text_column("target_aliases_json"),
        text_column("requester", 120),
        text_column("policy_version", 64),
        text_column("policy_rule", 200),
        text_column("action_hash", 64),
        sa.Column("quorum", sa.Integer(), nullable=False),
        text_column("status", 20),
        text_column("status_reason", 500, nullable=True),
        text_column("evidence_json"),
        utc_time("created_at"),
        utc_time("expires_at", nullable=True),
        utc_time("decided_at", nullable=True),
        utc_time("executed_at", nullable=True),
        text_column("execution_task_id", 40, nullable=True),
        text_column("result_json", nullable=True),
        text_column("slack_channel", 40, nullable=True),
        text_column("slack_ts", 40, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    add_indexes("action_request", "action_hash", "expires_at", "status", "task_id")


def create_approval() -> None:
    op.create_table(
        "approval",
        sa.Column("id", sa.Integer(), nullable=False),
        text_column("request_id", 40),
        text_column("approver", 120),
        text_column("verdict", 10),
        text_column("action_hash", 64),
        text_column("via", 20),
        utc_time("created_at"),
        utc_time("withdrawn_at", nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["action_request.id"]),
        sa.PrimaryKeyConstraint("id"),
        # One verdict per approver per action: quorum counts people, not clicks.
        sa.UniqueConstraint("request_id", "approver", name="uq_approval_approver"),
    )
    add_indexes("approval", "request_id")


def create_lab_directory() -> None:
    op.create_table(
        "lab_identities",
        text_column("id", 120),
        text_column("kind", 20),
        text_column("name", 200),
        text_column("email", 200, nullable=True),
        text_column("arn", 200, nullable=True),
        text_column("slack_user_id", 20, nullable=True),
        text_column("department", 80),
        text_column("title", 120),
        text_column("owner_id", 120, nullable=True),
        text_column("status", 20),
        sa.Column("privileged", sa.Boolean(), nullable=False),
        sa.Column("break_glass", sa.Boolean(), nullable=False),
        sa.Column("mfa_enrolled", sa.Boolean(), nullable=False),
        sa.Column("mfa_factors", sa.JSON(), nullable=False),
        utc_time("created_at"),
        utc_time("last_login", nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("arn"),
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("slack_user_id"),
    )
    op.create_table(
        "lab_groups",
        text_column("id", 120),
        text_column("name", 200),
        text_column("description", 300),
        sa.Column("privileged", sa.Boolean(), nullable=False),
        sa.Column("grants", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "lab_memberships",
        text_column("identity_id", 120),
        text_column("group_id", 120),
        utc_time("added_at"),
        text_column("added_by", 120),
        sa.ForeignKeyConstraint(["group_id"], ["lab_groups.id"]),
        sa.ForeignKeyConstraint(["identity_id"], ["lab_identities.id"]),
        sa.PrimaryKeyConstraint("identity_id", "group_id"),
    )


def create_lab_activity() -> None:
    create_lab_access_keys()
    create_lab_oauth_grants()
    create_lab_sessions()
    create_lab_auth_events()


def create_lab_access_keys() -> None:
    op.create_table(
        "lab_access_keys",
        text_column("id", 128),
        text_column("identity_id", 120),
        text_column("status", 20),
        utc_time("created_at"),
        utc_time("last_used_at", nullable=True),
        text_column("last_used_ip", 64, nullable=True),
        text_column("last_used_region", 40, nullable=True),
        text_column("secret_sha256", 64),
        sa.ForeignKeyConstraint(["identity_id"], ["lab_identities.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    add_indexes("lab_access_keys", "identity_id")


def create_lab_oauth_grants() -> None:
    op.create_table(
        "lab_oauth_grants",
        text_column("id", 120),
        text_column("identity_id", 120),
        text_column("app_name", 200),
        text_column("app_id", 120),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("risky", sa.Boolean(), nullable=False),
        utc_time("created_at"),
        utc_time("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(["identity_id"], ["lab_identities.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    add_indexes("lab_oauth_grants", "identity_id")


def create_lab_sessions() -> None:
    op.create_table(
        "lab_sessions",
        text_column("id", 120),
        text_column("identity_id", 120),
        text_column("ip", 64),
        text_column("user_agent", 300),
        text_column("country", 2),
        utc_time("created_at"),
        utc_time("expires_at"),
        utc_time("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(["identity_id"], ["lab_identities.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    add_indexes("lab_sessions", "identity_id")


def create_lab_auth_events() -> None:
    op.create_table(
        "lab_auth_events",
        sa.Column("id", sa.Integer(), nullable=False),
        text_column("identity_id", 120),
        utc_time("occurred_at"),
        text_column("event_type", 40),
        text_column("outcome", 20),
        text_column("ip", 64),
        text_column("country", 2),
        text_column("user_agent", 300),
        text_column("detail", 300),
        sa.ForeignKeyConstraint(["identity_id"], ["lab_identities.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    add_indexes("lab_auth_events", "identity_id", "occurred_at")


def create_lab_credentials() -> None:
    op.create_table(
        "lab_credentials",
        text_column("credential_id", 120),
        text_column("secret_sha256", 64),
        sa.Column("scopes", sa.JSON(), nullable=False),
        text_column("task_id", 120),
        utc_time("issued_at"),
        utc_time("expires_at"),
        utc_time("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("credential_id"),
        sa.UniqueConstraint("secret_sha256"),
    )
    add_indexes("lab_credentials", "task_id")


def install_append_only_triggers() -> None:
    # The dialect comes from the context, not a connection, so `upgrade --sql` works too.
    dialect = op.get_context().dialect.name
    statements = APPEND_ONLY_TRIGGER_SQL.get(dialect)
    if statements is None:
        raise ConfigError(f"no append-only audit triggers for {dialect}: use SQLite or PostgreSQL")
    for statement in statements:
        op.execute(statement)
