"""socbot demo --provider aws: the loop on a local AWS API, lab and aws both on.

Starts moto_server on 127.0.0.1 with request authentication on, seeds an account (users,
a role, groups, keys, a break-glass user, socbot's base principal and role), takes in a
CloudTrail alert of a key used from a new place, triages it offline, approves the parked key
deactivation as a named approver, runs it in AWS with a per-call credential, and ends with
the key inactive, every per-call credential gone and refused, and the audit chain verified.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from typing import Any

from bot.actions.approvals import PENDING
from bot.audit.log import verify
from bot.commands.triage_cmd import render_triage, triage_accepted
from bot.errors import ConfigError
from bot.runtime import Runtime
from tools.providers.aws.local_api import ADMIN_POLICY, LocalAwsApi, moto_binary, start_local_api
from tools.providers.aws.session import client
from tools.providers.aws.setup_docs import base_policy, role_policy, role_trust_policy

APPROVER = "U0CLOUDADM1"  # cloud-admins in policy.yaml
ANALYST = "U0ANALYST1"
DEPLOYER = "svc-ci-deployer"
DEPLOY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:*"], "Resource": "*"}],
}


def start() -> LocalAwsApi:
    binary = moto_binary()
    if binary is None:
        raise ConfigError("the aws demo needs moto_server: pip install -e '.[aws]'")
    return start_local_api(binary)


def seed_account(api: LocalAwsApi) -> dict[str, str]:
    """The demo account; returns the base keys and the names the alert refers to."""
    iam = client(api.config(), api.admin, "iam")
    config = api.config(role_arn=f"arn:aws:iam::{api.account}:role/socbot-actions")

    def doc(document: dict[str, Any]) -> str:
        return json.dumps(document)

    # The local API matches policies on actions only, so the base policy drops its resources.
    iam.create_user(UserName="socbot-base")
    policy = base_policy(config, api.account, resource_scoped=False)
    iam.put_user_policy(UserName="socbot-base", PolicyName="socbot", PolicyDocument=doc(policy))
    base = iam.create_access_key(UserName="socbot-base")["AccessKey"]
    trust = role_trust_policy(f"arn:aws:iam::{api.account}:user/socbot-base")
    iam.create_role(RoleName="socbot-actions", AssumeRolePolicyDocument=doc(trust))
    iam.put_role_policy(
        RoleName="socbot-actions", PolicyName="p", PolicyDocument=doc(role_policy())
    )
    for user in (DEPLOYER, "alice", "break-glass-admin"):
        iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=DEPLOYER)["AccessKey"]["AccessKeyId"]
    iam.create_access_key(UserName="break-glass-admin")
    iam.put_user_policy(UserName=DEPLOYER, PolicyName="deploy", PolicyDocument=doc(DEPLOY_POLICY))
    iam.put_user_policy(
        UserName="break-glass-admin", PolicyName="all", PolicyDocument=doc(ADMIN_POLICY)
    )
    iam.create_group(GroupName="deployers")
    iam.add_user_to_group(GroupName="deployers", UserName=DEPLOYER)
    iam.create_login_profile(UserName="alice", Password="Demo-Only-Passw0rd!")
    return {"key_id": key, "base_key": base["AccessKeyId"], "base_secret": base["SecretAccessKey"]}


def configure(api: LocalAwsApi, seeded: dict[str, str]) -> None:
    """This process's settings: lab and aws on, aws at the local API with per-call users."""
    os.environ.update(demo_environment(api, seeded))


def demo_environment(api: LocalAwsApi, seeded: dict[str, str]) -> dict[str, str]:
    return {
        "SOCBOT_PROVIDERS": "lab,aws",
        "SOCBOT_AWS_ENDPOINT_URL": api.endpoint_url,
        "SOCBOT_AWS_ACCOUNTS": api.account,
        "SOCBOT_AWS_ROLE_ARN": f"arn:aws:iam::{api.account}:role/socbot-actions",
        # sts revocation blocks the whole role on the local API; see docs/providers.md.
        "SOCBOT_AWS_STRATEGY": "iam_user",
        "SOCBOT_AWS_PROPAGATION_SECONDS": "0",
        "SOCBOT_AWS_ACCESS_KEY_ID": seeded["base_key"],
        "SOCBOT_AWS_SECRET_ACCESS_KEY": seeded["base_secret"],
    }


def cloudtrail_alert(api: LocalAwsApi, key_id: str) -> str:
    text = resources.files("bot.demo_alerts").joinpath("02-cloudtrail-key-new-region.json")
    event = json.loads(text.read_text(encoding="utf-8"))
    event["userIdentity"].update(
        {
            "arn": f"arn:aws:iam::{api.account}:user/{DEPLOYER}",
            "accountId": api.account,
            "accessKeyId": key_id,
        }
    )
    event["recipientAccountId"] = api.account
    event["eventID"] = "demo-aws-" + key_id
    return json.dumps(event)


def approve_key_deactivation(runtime: Runtime, key_id: str) -> str | None:
    pending = [
        r
        for r in runtime.approvals.list_requests(PENDING)
        if r.tool == "deactivate_access_key" and r.target == key_id
    ]
    if not pending:
        print("  the offline engine found no corroboration in IAM, so it parked nothing;")
        print(
            f"  analyst {ANALYST} asks for the deactivation in the thread, through the same gate:"
        )
        request_deactivation(runtime, key_id)
        pending = [r for r in runtime.approvals.list_requests(PENDING) if r.target == key_id]
    for each in runtime.approvals.list_requests(PENDING):
        print(f"  {each.id}  {each.tool}({each.target})  needs {each.quorum}")
    if not pending:
        return None
    request = pending[0]
    outcome = runtime.approvals.decide(request.id, APPROVER, "approve", via="demo")
    print(f"  {APPROVER} approves {request.id}: {outcome.approvals} of {outcome.quorum}")
    done = runtime.executor.execute_approved(
        request.id, actor=APPROVER, limits=runtime.task_limits()
    )
    result = done.content.get("result", done.content)
    print(f"  executed in AWS: {done.status}; changes {json.dumps(result.get('changes'))}")
    print(f"  undo, if it was a false positive: {json.dumps(result.get('undo'))}")
    return request.id


def request_deactivation(runtime: Runtime, key_id: str) -> None:
    args = {"key_id": key_id, "reason": "CloudTrail: key used from 203.0.113.77 in a new region"}
    with runtime.tasks.run("thread", ANALYST, runtime.task_limits()) as task:
        outcome = runtime.executor.call(task, "deactivate_access_key", args, actor=ANALYST)
    print(f"  deactivate_access_key({key_id}): {outcome.status} under {outcome.rule}")


def closing_checks(runtime: Runtime, api: LocalAwsApi, key_id: str) -> bool:
    iam = client(api.config(), api.admin, "iam")
    keys = iam.list_access_keys(UserName=DEPLOYER)["AccessKeyMetadata"]
    status = next(k["Status"] for k in keys if k["AccessKeyId"] == key_id)
    print(f"  {key_id} in AWS: {status}")
    leftovers = iam.list_users(PathPrefix="/socbot/")["Users"]
    records = runtime.broker.credentials()
    refused = all(r.revoke_verified for r in records)
    print(
        f"  per-call credentials: {len(records)} issued, "
        f"{sum(1 for r in records if r.revoked_at is None)} live, all refused by AWS after "
        f"revocation: {refused}; per-call users left in AWS: {len(leftovers)}"
    )
    report = verify(runtime.engine)
    print(f"  audit chain: {'verified' if report.ok else 'BROKEN'}, {report.events_checked} events")
    return status == "Inactive" and refused and not leftovers and report.ok


def triage(runtime: Runtime, alert: str) -> None:
    from bot.alerts.intake.pipeline import Intake

    outcome = Intake(runtime).accept(alert, via="cli")
    print(f"  alert {outcome.status} as {outcome.alert_id or outcome.rejected_id}")
    if outcome.status == "accepted":
        print(render_triage(triage_accepted(runtime, outcome, "alert:demo")))
