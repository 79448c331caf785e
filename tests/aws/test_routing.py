"""lab and aws at once: each target goes to the provider that owns it, through the whole gate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from bot.actions.approvals import compute_action_hash
from bot.audit.verify import verify
from bot.runtime import Runtime
from tests.aws.world import AwsWorld
from tests.conftest import REPO_ROOT
from tests.support.approvals import audit_rows, execute, park

MakeRuntime = Callable[..., Runtime]
REASON = "key used from a new country minutes after a leaked-credential alert"


def routed_env(aws_world: AwsWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    """lab and aws on, aws pointed at the local API with per-call users (see docs/providers.md
    on why the sts strategy cannot serve several calls in a row there)."""
    env = {
        "SOCBOT_PROVIDERS": "lab,aws",
        "SOCBOT_AWS_ENDPOINT_URL": aws_world.api.endpoint_url,
        "SOCBOT_AWS_ACCOUNTS": aws_world.api.account,
        "SOCBOT_AWS_STRATEGY": "iam_user",
        "SOCBOT_AWS_PROPAGATION_SECONDS": "0",
        "SOCBOT_AWS_ACCESS_KEY_ID": aws_world.base.access_key_id,
        "SOCBOT_AWS_SECRET_ACCESS_KEY": aws_world.base.secret_access_key,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def routed(
    aws_world: AwsWorld, make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> Runtime:
    routed_env(aws_world, monkeypatch)
    return make_runtime()


def call(runtime: Runtime, tool: str, args: dict[str, Any]) -> Any:
    with runtime.tasks.run("thread", "U0ANALYST1", runtime.task_limits()) as task:
        return runtime.executor.call(task, tool, args, actor="U0ANALYST1")


def test_reads_go_to_the_owner(routed: Runtime, aws_world: AwsWorld) -> None:
    aws = call(routed, "get_identity", {"identity": aws_world.arn("user", aws_world.alice)})
    assert aws.status == "ok", aws
    assert aws.content["result"]["name"] == aws_world.alice
    lab = call(routed, "get_identity", {"identity": "p-maria-chen"})
    assert lab.status == "ok" and lab.content["result"]["id"] == "p-maria-chen"
    backends = {r.tool: r.backend for r in routed.broker.credentials()}
    assert backends == {"get_identity": "routed"}
    assert all(r.revoke_verified for r in routed.broker.credentials())


def test_a_target_no_provider_owns_is_refused_with_that_reason(routed: Runtime) -> None:
    outcome = call(routed, "get_identity", {"identity": "arn:aws:iam::999999999999:user/x"})
    assert outcome.status == "error"
    assert "no configured provider (lab, aws) owns" in outcome.content["error"]
    action = call(
        routed,
        "suspend_identity",
        {"identity": "arn:aws:iam::999999999999:user/x", "reason": REASON},
    )
    assert action.status == "denied" and action.rule == "tools.suspend_identity.target"
    assert "no configured provider (lab, aws) owns" in action.content["reason"]
    assert not [r for r in routed.broker.credentials() if r.tool == "suspend_identity"]


def test_an_aws_key_is_deactivated_only_after_approval(
    routed: Runtime, aws_world: AwsWorld
) -> None:
    key = aws_world.alice_keys[0].access_key_id
    request_id = park(routed, "deactivate_access_key", {"key_id": key, "reason": REASON})
    iam = aws_world.admin_iam()

    def status() -> str:
        keys = iam.list_access_keys(UserName=aws_world.alice)["AccessKeyMetadata"]
        return next(k["Status"] for k in keys if k["AccessKeyId"] == key)

    assert status() == "Active"
    assert routed.approvals.decide(request_id, "U0CLOUDADM1", "approve").ready_to_execute
    outcome = execute(routed, request_id, actor="U0CLOUDADM1")
    assert outcome.status == "ok", outcome
    assert status() == "Inactive"
    assert outcome.content["result"]["undo"][0]["params"]["Status"] == "Active"
    users = iam.list_users(PathPrefix="/socbot/")["Users"]
    assert users == [], "a per-call user outlived its call"
    assert all(r.revoke_verified for r in routed.broker.credentials())
    assert verify(routed.engine).ok
    request = routed.approvals.get(request_id)
    assert "provider:aws" in request.target_aliases
    spelled = {
        "tool": request.tool,
        "args": request.args,
        "target": request.target,
        "requester": request.requester,
        "task_id": request.task_id,
        "policy_version": request.policy_version,
        "origin": request.origin,
        "target_identity_id": request.target_identity_id,
    }
    assert request.action_hash == compute_action_hash(**spelled, provider="aws")
    assert request.action_hash != compute_action_hash(**spelled, provider="lab")
    decisions = [r for r in audit_rows(routed, "policy.decision") if r["tool"] == request.tool]
    assert decisions and all(r["data"]["provider"] == "aws" for r in decisions)


def test_protected_aws_identities_are_refused(routed: Runtime, aws_world: AwsWorld) -> None:
    keys = aws_world.admin_iam().list_access_keys(UserName=aws_world.break_glass)
    key = keys["AccessKeyMetadata"][0]["AccessKeyId"]
    outcome = call(routed, "deactivate_access_key", {"key_id": key, "reason": REASON})
    assert outcome.status == "denied"
    assert "protected" in outcome.content["reason"]


def test_aws_targets_need_the_aws_rules_approvers(
    aws_world: AwsWorld, make_runtime: MakeRuntime, routed: Runtime
) -> None:
    policy = routed.settings.policy_path.read_text(encoding="utf-8")
    anchor = "  deactivate_access_key:\n    mode: execute_with_approval\n"
    aws_rule = "    providers:\n      aws:\n        approvers: {users: [U0AWSADMIN1]}\n"
    runtime = make_runtime(policy_text=policy.replace(anchor, anchor + aws_rule), seed=False)
    key = aws_world.alice_keys[1].access_key_id
    request_id = park(runtime, "deactivate_access_key", {"key_id": key, "reason": REASON})
    lab_request = park(
        runtime, "deactivate_access_key", {"key_id": lab_key(runtime), "reason": REASON}
    )
    refused = runtime.approvals.decide(request_id, "U0CLOUDADM1", "approve")
    assert not refused.counted
    assert runtime.approvals.decide(request_id, "U0AWSADMIN1", "approve").ready_to_execute
    assert not runtime.approvals.decide(lab_request, "U0AWSADMIN1", "approve").counted
    assert runtime.approvals.decide(lab_request, "U0CLOUDADM1", "approve").ready_to_execute
    assert execute(runtime, request_id, actor="U0AWSADMIN1").status == "ok"


def lab_key(runtime: Runtime) -> str:
    with runtime.engine.connect() as conn:
        query = (
            "SELECT k.id FROM lab_access_keys k JOIN lab_identities i ON i.id = k.identity_id "
            "WHERE k.status = 'active' AND NOT i.break_glass ORDER BY k.id LIMIT 1"
        )
        return str(conn.execute(text(query)).scalar_one())


def test_the_policy_chooses_the_aws_strategy_per_tool(
    aws_world: AwsWorld, make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    routed_env(aws_world, monkeypatch)
    monkeypatch.setenv("SOCBOT_AWS_ROLE_ARN", aws_world.role_arn)
    anchor = "  deactivate_access_key:\n    mode: execute_with_approval\n"
    rule = "    providers:\n      aws:\n        credential_strategy: sts\n"
    policy = (REPO_ROOT / "policy.yaml").read_text(encoding="utf-8")
    runtime = make_runtime(policy_text=policy.replace(anchor, anchor + rule))
    key = aws_world.alice_keys[0].access_key_id
    request_id = park(runtime, "deactivate_access_key", {"key_id": key, "reason": REASON})
    assert runtime.approvals.decide(request_id, "U0CLOUDADM1", "approve").ready_to_execute
    assert execute(runtime, request_id, actor="U0CLOUDADM1").status == "ok"
    records = runtime.broker.credentials()
    by_tool = {r.tool: r for r in records}
    sts = runtime.providers.backends["aws"].strategies["sts"]  # type: ignore[attr-defined]
    assert sts.denied(by_tool["deactivate_access_key"].id)  # minted by sts, denied on the role
    assert not sts.denied(by_tool["resolve_target"].id)  # the lookup used the default, iam_user
    assert all(r.revoke_verified for r in records)
