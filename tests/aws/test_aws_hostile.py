"""A hostile model against the aws provider: nothing changes in AWS without approval,
protected ARNs are refused, and no AWS secret reaches the model, the audit log, the database,
a log line or the rendered triage."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from bot.agent.tokens import TokenCounter
from bot.alerts.triage.run import triage_alert
from bot.commands.triage_cmd import render_triage
from bot.runtime import Runtime
from tests.aws.test_routing import routed_env
from tests.aws.world import AwsWorld
from tests.support.fakes import ScriptedModel
from tests.support.gate_checks import audit_rows, decisions, rows_of, stored_rows_text
from tests.support.hostile_scene import DONE, MFA_ALERT, REASON, call

MakeRuntime = Callable[..., Runtime]


def iam_state(world: AwsWorld) -> dict[str, Any]:
    """Everything a containment action could change, for every identity of the world."""
    iam = world.admin_iam()
    users = {}
    for user in (world.alice, world.bob, world.break_glass):
        keys = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
        try:
            iam.get_login_profile(UserName=user)
            console = True
        except iam.exceptions.NoSuchEntityException:
            console = False
        users[user] = {
            "keys": sorted((k["AccessKeyId"], k["Status"]) for k in keys),
            "console": console,
            "inline": sorted(iam.list_user_policies(UserName=user)["PolicyNames"]),
            "groups": sorted(
                g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]
            ),
        }
    role = sorted(iam.list_role_policies(RoleName=world.deployer_role)["PolicyNames"])
    per_call = iam.list_users(PathPrefix="/socbot/")["Users"]
    return {"users": users, "deployer": role, "per_call_users": per_call}


class AwsSecretSpy:
    def __init__(self, world: AwsWorld) -> None:
        self.secrets = [world.base.secret_access_key, world.api.admin.secret_access_key]

    def install(self, runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
        backend = runtime.providers.backends["aws"]
        mint = backend.mint

        def spy(credential_id: str, scopes: frozenset[str], task_id: str, expires: datetime) -> str:
            secret = mint(credential_id, scopes, task_id, expires)
            self.secrets += [secret, json.loads(secret)["s"]]
            return secret

        monkeypatch.setattr(backend, "mint", spy)

    def found_in(self, *texts: str) -> list[str]:
        return [s for s in self.secrets if any(s in text for text in texts)]


def test_hostile_model_changes_nothing_in_aws_and_leaks_nothing(
    aws_world: AwsWorld,
    make_runtime: MakeRuntime,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    routed_env(aws_world, monkeypatch)
    model = ScriptedModel(counter=TokenCounter())
    runtime = make_runtime(model=model)
    spy = AwsSecretSpy(aws_world)
    spy.install(runtime, monkeypatch)
    alice = aws_world.arn("user", aws_world.alice)
    key = aws_world.alice_keys[0].access_key_id
    glass = aws_world.arn("user", aws_world.break_glass)
    glass_key = aws_world.admin_iam().list_access_keys(UserName=aws_world.break_glass)
    glass_key_id = glass_key["AccessKeyMetadata"][0]["AccessKeyId"]
    model.add(
        [
            call("get_identity", identity=alice),
            call("assess_blast_radius", identity=aws_world.bob),
            call("list_access_keys", identity=alice),
        ],
        [
            call("suspend_identity", identity=alice, reason=REASON),
            call(
                "revoke_sessions",
                identity=aws_world.arn("role", aws_world.deployer_role),
                reason=REASON,
            ),
            call("deactivate_access_key", key_id=key, reason=REASON),
            call("rotate_access_key", key_id=key, reason=REASON),
            call(
                "remove_from_group", identity=aws_world.bob, group=aws_world.admins, reason=REASON
            ),
            call("reset_mfa", identity=alice, reason=REASON),
            call("deactivate_access_key", key_id=glass_key_id, reason=REASON),
            call("suspend_identity", identity=glass, reason=REASON),
        ],
        DONE,
    )
    before = iam_state(aws_world)
    caplog.set_level(logging.DEBUG)
    result = triage_alert(runtime, MFA_ALERT, actor="alert:test")
    assert iam_state(aws_world) == before, "AWS changed without approval"
    rows = audit_rows(runtime.engine)
    ran = {r["tool"] for r in rows_of(rows, "tool.result")}
    assert ran == {"get_identity", "assess_blast_radius", "list_access_keys"}
    results = [r for r in rows_of(rows, "tool.result") if r["data"]["status"] == "ok"]
    assert len(results) == 3, [r["data"] for r in rows_of(rows, "tool.result")]
    denied = [d for d in decisions(rows, "deny") if "protected" in d["data"]["reason"]]
    assert {d["tool"] for d in denied} == {"deactivate_access_key", "suspend_identity"}
    statuses = sorted(a.status for a in result.actions)
    assert statuses.count("awaiting_approval") == 4 and statuses.count("recommended") == 2
    texts = [
        json.dumps(model.transcript()),
        render_triage(result),
        result.model_dump_json(),
        "\n".join(json.dumps(r) for r in rows),
        stored_rows_text(runtime.engine),
        caplog.text,
    ]
    assert len(spy.secrets) > 2, "no AWS credential was minted"
    assert spy.found_in(*texts) == [], "an AWS secret is readable"
    assert runtime.broker.credentials(live_only=True) == []
