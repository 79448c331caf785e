"""An approval is for one exact action under one policy: anything that changes after it was
given (the stored action, the policy, who may approve) voids it at execution time."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from bot.actions.approvals import EXECUTED, VOIDED, compute_action_hash
from bot.canonical import canonical_json
from bot.runtime import Runtime
from tests.support.approvals import (
    REASON,
    about,
    audit_rows,
    edit_policy,
    execute,
    park_revoke_sessions,
    sessions_state,
    set_request_columns,
    tool_runs,
)

MakeRuntime = Callable[..., Runtime]
TARGETS = ("p-maria-chen", "p-tom-becker")


def approved_revoke_sessions(runtime: Runtime) -> str:
    request_id = park_revoke_sessions(runtime, "p-maria-chen")
    assert runtime.approvals.decide(request_id, "U0IDADMIN2", "approve").ready_to_execute
    return request_id


def lab_sessions(runtime: Runtime) -> dict[str, Any]:
    return {identity: sessions_state(runtime, identity) for identity in TARGETS}


def execute_expecting_void(runtime: Runtime, request_id: str, because: str) -> None:
    before = lab_sessions(runtime)

    outcome = execute(runtime, request_id)

    assert (outcome.status, outcome.rule) == ("denied", "approval.void"), outcome
    assert because in outcome.content["reason"]
    assert runtime.approvals.get(request_id).status == VOIDED
    voided = about(audit_rows(runtime, "action.voided"), request_id)
    assert [because in row["data"]["reason"] for row in voided] == [True]
    assert about(audit_rows(runtime, "action.executed"), request_id) == []
    assert tool_runs(runtime, "revoke_sessions") == 0
    assert lab_sessions(runtime) == before


TOM_ARGS = canonical_json({"identity": "p-tom-becker", "reason": REASON})


@pytest.mark.parametrize(
    "tampering",
    [
        {"args_json": canonical_json({"identity": "p-maria-chen", "reason": "routine cleanup"})},
        {"target": "p-tom-becker"},
        {"args_json": TOM_ARGS, "target": "p-tom-becker"},
    ],
    ids=["arguments", "target", "arguments-and-target"],
)
def test_an_action_changed_after_approval_is_voided(
    make_runtime: MakeRuntime, tampering: dict[str, str]
) -> None:
    runtime = make_runtime()
    request_id = approved_revoke_sessions(runtime)

    set_request_columns(runtime, request_id, **tampering)

    execute_expecting_void(runtime, request_id, "no longer matches its action hash")


def test_a_changed_action_with_a_recomputed_hash_is_still_voided(
    make_runtime: MakeRuntime,
) -> None:
    runtime = make_runtime()
    request_id = approved_revoke_sessions(runtime)
    stored = runtime.approvals.get(request_id)
    forged_hash = compute_action_hash(
        tool=stored.tool,
        args=json.loads(TOM_ARGS),
        target="p-tom-becker",
        requester=stored.requester,
        task_id=stored.task_id,
        policy_version=stored.policy_version,
    )

    set_request_columns(
        runtime, request_id, args_json=TOM_ARGS, target="p-tom-becker", action_hash=forged_hash
    )

    execute_expecting_void(runtime, request_id, "an approval was given for a different action")


REVOKE_SESSIONS_RULE = """  revoke_sessions:
    mode: execute_with_approval
    scopes: [sessions:revoke]
    ttl_seconds: 120
    approvers: {groups: [identity-admins]}
    quorum: 1"""
IDENTITY_ADMINS = "users: [U0IDADMIN1, U0IDADMIN2, U0IDADMIN3]"
PROTECTED = '  - "break-glass-*"\n'

POLICY_EDITS = {
    "tool-now-recommend-only": (
        REVOKE_SESSIONS_RULE,
        REVOKE_SESSIONS_RULE.replace("execute_with_approval", "recommend"),
        "no longer allows it with approval",
    ),
    "target-now-protected": (
        PROTECTED,
        PROTECTED + '  - "maria.chen@lab.example"\n',
        "no longer allows it with approval",
    ),
    "approver-left-the-group": (
        IDENTITY_ADMINS,
        "users: [U0IDADMIN1, U0IDADMIN3]",
        "only 0 of the 1 approvals needed still count",
    ),
    "quorum-raised": (
        REVOKE_SESSIONS_RULE,
        REVOKE_SESSIONS_RULE.replace("quorum: 1", "quorum: 2"),
        "only 1 of the 2 approvals needed still count",
    ),
}


@pytest.mark.parametrize("edit", POLICY_EDITS.values(), ids=POLICY_EDITS.keys())
def test_a_policy_change_after_approval_that_would_not_allow_it_voids_it(
    make_runtime: MakeRuntime, edit: tuple[str, str, str]
) -> None:
    runtime = make_runtime()
    request_id = approved_revoke_sessions(runtime)
    old, new, because = edit

    edit_policy(runtime, old, new)

    execute_expecting_void(runtime, request_id, because)


def test_a_policy_change_that_still_allows_it_lets_it_run(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    request_id = approved_revoke_sessions(runtime)

    edit_policy(runtime, IDENTITY_ADMINS, "users: [U0IDADMIN1, U0IDADMIN2, U0IDADMIN4]")

    assert execute(runtime, request_id).status == "ok"
    assert runtime.approvals.get(request_id).status == EXECUTED
    assert tool_runs(runtime, "revoke_sessions") == 1
