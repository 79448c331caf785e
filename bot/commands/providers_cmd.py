"""socbot providers check: per provider, what is configured, whether it answers, and what
each tool's credential would be allowed to do. Changes nothing anywhere."""

from __future__ import annotations

import argparse
from typing import Any

from bot.commands.common import Subparsers, add_command, runtime_for
from bot.providers.settings import AwsSettings, ProviderSettings, configured_providers
from bot.runtime import Runtime
from tools.errors import AwsError
from tools.providers.aws.iam_actions import actions_for, unknown_scopes
from tools.providers.aws.secrets import EnvSecretSource, SecretSource
from tools.providers.aws.session import base_keys, client, translate


def register(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "providers",
        help="identity providers: check their settings and reachability",
        description="The identity providers socbot acts on (SOCBOT_PROVIDERS).",
    )
    sub = parser.add_subparsers(dest="providers_command", metavar="ACTION", required=True)
    add_command(
        sub, "check", check_providers, "say what is configured, whether it answers, what it may do"
    )


def check_providers(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    names = configured_providers(ProviderSettings().providers, runtime.settings.provider)
    print(f"providers: {', '.join(names)}")
    healthy = True
    for name in names:
        print(f"\n[{name}]")
        healthy &= _check_lab(runtime) if name == "lab" else _check_aws(runtime, EnvSecretSource())
    return 0 if healthy else 1


def _check_lab(runtime: Runtime) -> bool:
    from tools.providers.lab.operator import lab_overview

    overview = lab_overview(runtime.engine)
    identities = sum(overview["identities_by_kind"].values())
    print("  configured: embedded lab in the socbot database")
    print(f"  answers: yes ({identities} identities, {overview['groups']} groups)")
    if not identities:
        print("  WARNING: the lab is empty: `socbot lab seed` fills it")
    return True


def _check_aws(runtime: Runtime, secrets: SecretSource) -> bool:
    settings = AwsSettings()
    config = settings.config()
    print(f"  region: {config.region}")
    print(f"  endpoint: {config.endpoint_url or 'AWS (default endpoints)'}")
    print(f"  accounts: {', '.join(sorted(config.accounts)) or 'ANY (set SOCBOT_AWS_ACCOUNTS)'}")
    print(f"  strategy: {config.strategy}; role: {config.role_arn or 'not set'}")
    healthy = _aws_answers(config, secrets)
    print("  what each tool's credential may do (IAM actions; sts: on the target's ARN only):")
    for name, rule in sorted(runtime.policies.current.tools.items()):
        unknown = unknown_scopes(rule.scopes)
        actions = [a for a in actions_for(rule.scopes) if a != "iam:ListAccountAliases"]
        note = f"  (no AWS meaning: {', '.join(unknown)})" if unknown else ""
        print(f"    {name} [{rule.mode}]: {', '.join(actions) or 'nothing'}{note}")
    return healthy


def _aws_answers(config: Any, secrets: SecretSource) -> bool:
    try:
        keys = base_keys(secrets)
        print(f"  base keys: from {secrets.name} (key id …{keys.access_key_id[-4:]})")
        who = client(config, keys, "sts").get_caller_identity()
    except Exception as exc:
        error = exc if isinstance(exc, AwsError) else translate(exc, "calling sts")
        print(f"  answers: NO: {error}")
        return False
    account = str(who.get("Account", ""))
    print(f"  answers: yes, as {who.get('Arn')}")
    if not config.allows_account(account):
        print(f"  WARNING: account {account} is not in SOCBOT_AWS_ACCOUNTS")
        return False
    return True
