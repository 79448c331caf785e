"""Rate limits count what runs, not what is parked; one task may park only so many actions.

The outside attack used up revoke_sessions' hourly limit by having one injected triage park
junk requests, so the real one was denied. Now parked requests do not count, execution is
what is counted (and checked again just before running), and a task's parking is capped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.actions.approvals import EXECUTED, PENDING, VOIDED
from bot.runtime import Runtime
from tests.support.approvals import about, audit_rows, execute, tool_runs
from tests.support.gate_checks import policy_text

MakeRuntime = Callable[..., Runtime]
REASON = "MFA push fatigue, then an approved push from a new country"
JUNK_TARGETS = ("p-maria-chen", "svc-data-etl", "svc-monitoring")


def limited(calls: int, parked: int = 5) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        data["tools"]["revoke_sessions"]["rate_limit"] = {"calls": calls, "per_seconds": 3600}
        data["task_limits"]["parked_actions"] = parked

    return edit


def park_in_one_task(runtime: Runtime, targets: tuple[str, ...]) -> list[Any]:
    with runtime.tasks.run("triage", "alert:injected", runtime.task_limits()) as task:
        return [
            runtime.executor.call(
                task,
                "revoke_sessions",
                json.dumps({"identity": who, "reason": REASON}),
                actor="model:hostile",
            )
            for who in targets
        ]


def test_junk_parked_by_one_triage_does_not_use_up_the_limit(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(policy_text=policy_text(limited(calls=2)))
    junk = park_in_one_task(runtime, JUNK_TARGETS)
    assert [o.status for o in junk] == ["awaiting_approval"] * 3

    [real] = park_in_one_task(runtime, ("p-tom-becker",))

    assert real.status == "awaiting_approval", real.content
    assert real.request_id is not None
    assert runtime.approvals.decide(real.request_id, "U0IDADMIN2", "approve").ready_to_execute
    assert execute(runtime, real.request_id).status == "ok"
    assert runtime.approvals.get(real.request_id).status == EXECUTED


def test_execution_counts_against_the_limit_and_checks_it_before_running(
    make_runtime: MakeRuntime,
) -> None:
    runtime = make_runtime(policy_text=policy_text(limited(calls=1)))
    first, second = park_in_one_task(runtime, ("p-maria-chen", "p-tom-becker"))
    for outcome in (first, second):
        assert runtime.approvals.decide(outcome.request_id, "U0IDADMIN2", "approve").counted

    assert execute(runtime, first.request_id).status == "ok"
    late = execute(runtime, second.request_id)

    assert (late.status, late.rule) == ("denied", "approval.void")
    assert "limited to 1 runs per 3600s" in late.content["reason"]
    assert runtime.approvals.get(second.request_id).status == VOIDED
    assert tool_runs(runtime, "revoke_sessions") == 1
    [voided] = about(audit_rows(runtime, "action.voided"), second.request_id)
    assert "1 ran" in voided["data"]["reason"]


def test_one_task_may_park_only_as_many_actions_as_policy_allows(
    make_runtime: MakeRuntime,
) -> None:
    runtime = make_runtime(policy_text=policy_text(limited(calls=30, parked=2)))
    outcomes = park_in_one_task(runtime, JUNK_TARGETS)

    assert [o.status for o in outcomes] == ["awaiting_approval", "awaiting_approval", "denied"]
    assert outcomes[2].rule == "task_limits.parked_actions"
    assert "already asked for 2 actions" in outcomes[2].content["reason"]
    assert [r.status for r in runtime.approvals.list_requests()] == [PENDING, PENDING]
    decisions = [r["data"] for r in audit_rows(runtime, "policy.decision")]
    assert decisions[-1]["rule"] == "task_limits.parked_actions"
    [other] = park_in_one_task(runtime, ("p-tom-becker",))  # the cap is per task
    assert other.status == "awaiting_approval"
