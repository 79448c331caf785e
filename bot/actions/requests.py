"""The stored shapes of parked actions and of the verdicts on them, and the action hash.

The action hash covers everything that defines an action: tool, canonical arguments, target,
requester, task and the policy version it was parked under. Approvals attach to it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.canonical import hash_value

PENDING, APPROVED, REJECTED, EXPIRED = "pending", "approved", "rejected", "expired"
WITHDRAWN, EXECUTING, EXECUTED, FAILED, VOIDED = (
    "withdrawn",
    "executing",
    "executed",
    "failed",
    "voided",
)
RECOMMENDED = "recommended"
# Ran past its time limit: the provider may or may not have acted. Never retried blindly.
UNKNOWN = "unknown"
OPEN_STATUSES = (PENDING, APPROVED)


class ActionRequest(SQLModel, table=True):
    __tablename__ = "action_request"

    id: str = Field(primary_key=True, max_length=40)
    task_id: str = Field(index=True, max_length=40)
    tool: str = Field(max_length=80)
    args_json: str
    target: str | None = Field(default=None, max_length=300)
    target_aliases_json: str = "[]"
    requester: str = Field(max_length=120)
    policy_version: str = Field(max_length=64)
    policy_rule: str = Field(max_length=200)
    action_hash: str = Field(index=True, max_length=64)
    quorum: int = 1
    status: str = Field(default=PENDING, index=True, max_length=20)
    status_reason: str | None = Field(default=None, max_length=500)
    evidence_json: str = "{}"
    created_at: datetime
    expires_at: datetime | None = Field(default=None, index=True)
    decided_at: datetime | None = None
    executed_at: datetime | None = None
    execution_task_id: str | None = Field(default=None, max_length=40)
    result_json: str | None = None
    slack_channel: str | None = Field(default=None, max_length=40)
    slack_ts: str | None = Field(default=None, max_length=40)

    @property
    def args(self) -> dict[str, Any]:
        return dict(json.loads(self.args_json))

    @property
    def target_aliases(self) -> frozenset[str]:
        return frozenset(json.loads(self.target_aliases_json))

    @property
    def short_hash(self) -> str:
        return self.action_hash[:10]


class Approval(SQLModel, table=True):
    __tablename__ = "approval"
    __table_args__ = (UniqueConstraint("request_id", "approver", name="uq_approval_approver"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(foreign_key="action_request.id", index=True, max_length=40)
    approver: str = Field(max_length=120)
    verdict: str = Field(max_length=10)  # approve | reject
    action_hash: str = Field(max_length=64)
    via: str = Field(default="cli", max_length=20)
    created_at: datetime
    withdrawn_at: datetime | None = None


def compute_action_hash(
    *,
    tool: str,
    args: dict[str, Any],
    target: str | None,
    requester: str,
    task_id: str,
    policy_version: str,
) -> str:
    return hash_value(
        {
            "tool": tool,
            "args": args,
            "target": target,
            "requester": requester,
            "task_id": task_id,
            "policy_version": policy_version,
        }
    )


def hash_matches(request: ActionRequest) -> bool:
    """The stored request still spells the action it was parked as."""
    return request.action_hash == compute_action_hash(
        tool=request.tool,
        args=request.args,
        target=request.target,
        requester=request.requester,
        task_id=request.task_id,
        policy_version=request.policy_version,
    )
