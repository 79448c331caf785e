"""socbot policy: check a policy file, explain a tool's rule, summarise the policy."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.commands.common import (
    Subparsers,
    add_command,
    add_policy_option,
    print_table,
    settings_for,
)
from bot.errors import PolicyError
from bot.policy import check_against_registry, explain, load_policy
from bot.policy.location import resolve_policy_path
from tools import REGISTRY


def register(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "policy",
        help="check and explain policy.yaml",
        description="policy.yaml declares what the model may do with each tool.",
    )
    sub = parser.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    check = add_command(
        sub,
        "check",
        check_policy,
        "validate a policy file (exit 1 with file:line: reason if broken)",
        database=False,
    )
    add_policy_option(check, "--file")
    check.add_argument("file", nargs="?", metavar="FILE", help="the same as --policy FILE")
    explain_cmd = add_command(
        sub, "explain", explain_tool, "say in words what the bot may do with a tool", database=False
    )
    explain_cmd.add_argument("tool")
    add_policy_option(explain_cmd, "--file")
    show = add_command(
        sub, "show", show_policy, "one line per tool: mode, scopes, approvers", database=False
    )
    add_policy_option(show, "--file")


def _path(args: argparse.Namespace) -> Path:
    """The positional FILE of `policy check`, else --policy (or --file), else the settings."""
    given = getattr(args, "file", None)
    if given:
        return Path(given)
    return resolve_policy_path(settings_for(args))


def check_policy(args: argparse.Namespace) -> int:
    path = _path(args)
    try:
        policy = load_policy(path)
    except PolicyError as exc:
        print(exc)  # file:line: reason, and exit 1 as the help promises
        return 1
    problems = check_against_registry(policy, REGISTRY)
    for problem in problems:
        print(f"{path}: {problem}")
    if problems:
        return 1
    print(f"{path}: ok — {len(policy.tools)} tools, version {policy.version[:12]}")
    return 0


def explain_tool(args: argparse.Namespace) -> int:
    print(explain(load_policy(_path(args)), args.tool))
    return 0


def show_policy(args: argparse.Namespace) -> int:
    policy = load_policy(_path(args))
    rows = [
        (
            name,
            rule.mode,
            ",".join(sorted(rule.scopes)),
            rule.quorum if rule.mode == "execute_with_approval" else "",
        )
        for name, rule in sorted(policy.tools.items())
    ]
    print(f"policy version {policy.version}")
    print_table(("TOOL", "MODE", "SCOPES", "QUORUM"), rows)
    return 0
