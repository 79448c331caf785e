"""socbot actions: list, show, approve, reject and withdraw parked actions."""

from __future__ import annotations

import argparse
import json

from bot.actions.approvals import ActionRequest
from bot.clock import as_utc
from bot.commands.common import Subparsers, add_command, print_table, runtime_for, short
from bot.runtime import Runtime


def register(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "actions",
        help="parked actions and their approvals",
        description="Actions the model asked for that need human approval, and drafts.",
    )
    sub = parser.add_subparsers(dest="actions_command", metavar="ACTION", required=True)
    listing = add_command(sub, "list", list_actions, "list actions, newest first", reads_only=True)
    listing.add_argument("--status", help="only this status (pending, approved, executed, …)")
    show = add_command(
        sub, "show", show_action, "one action, its arguments and approvals", reads_only=True
    )
    show.add_argument("request_id")
    for verb in ("approve", "reject", "withdraw"):
        cmd = add_command(sub, verb, decide_action, f"{verb} an action as a named approver")
        cmd.add_argument("request_id")
        cmd.add_argument(
            "--as",
            dest="approver",
            required=True,
            metavar="APPROVER_ID",
            help="the approver's Slack user id, e.g. U0IDADMIN1",
        )
        cmd.set_defaults(verb=verb)
        if verb == "approve":
            cmd.add_argument(
                "--no-execute",
                action="store_true",
                help="only record the approval; do not run the action at quorum",
            )


def list_actions(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    rows = [
        (
            r.id,
            r.status,
            r.tool,
            short(r.target, 36),
            r.quorum,
            r.requester,
            as_utc(r.created_at).strftime("%Y-%m-%d %H:%M"),
        )
        for r in runtime.approvals.list_requests(args.status)
    ]
    print_table(("ID", "STATUS", "TOOL", "TARGET", "QUORUM", "REQUESTER", "CREATED"), rows)
    return 0


def show_action(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    print(describe(runtime, runtime.approvals.get(args.request_id)))
    return 0


def describe(runtime: Runtime, request: ActionRequest) -> str:
    approvals = runtime.approvals.approvals_of(request.id, counted_only=False)
    lines = [
        f"{request.id}  {request.status}"
        + (f" ({request.status_reason})" if request.status_reason else ""),
        f"  action     {request.tool}({json.dumps(request.args, sort_keys=True)})",
        f"  target     {request.target}",
        f"  requested  by {request.requester} in {request.task_id}",
        f"  policy     {request.policy_rule} @ {request.policy_version[:12]}",
        f"  hash       {request.short_hash}",
        f"  quorum     {request.quorum}",
        f"  expires    {as_utc(request.expires_at).isoformat() if request.expires_at else '-'}",
    ]
    for approval in approvals:
        state = "withdrawn" if approval.withdrawn_at else approval.verdict
        lines.append(f"  verdict    {approval.approver}: {state} via {approval.via}")
    if request.result_json:
        lines.append(f"  result     {short(request.result_json, 200)}")
    return "\n".join(lines)


def decide_action(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    if args.verb == "withdraw":
        done = runtime.approvals.withdraw(args.request_id, args.approver)
        print("withdrawn" if done else "nothing to withdraw: no open approval by that approver")
        return 0 if done else 1
    outcome = runtime.approvals.decide(args.request_id, args.approver, args.verb)
    if not outcome.counted:
        print(f"not counted: {outcome.reason}")
        return 1
    print(
        f"{args.verb} counted: {outcome.approvals} of {outcome.quorum}; action is {outcome.status}"
    )
    if outcome.ready_to_execute and not getattr(args, "no_execute", False):
        result = runtime.executor.execute_approved(
            args.request_id, actor=args.approver, limits=runtime.task_limits()
        )
        print(f"executed: {result.status} {short(result.for_model(), 200)}")
        return 0 if result.status == "ok" else 1
    return 0
