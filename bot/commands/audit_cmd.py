"""socbot audit: verify the chain, export events, draw one task's lineage."""

from __future__ import annotations

import argparse
import sys

from bot.audit.log import export_events, parse_since, render_lineage, task_lineage, verify
from bot.commands import audit_tamper_cmd
from bot.commands.common import Subparsers, add_command, runtime_for


def register(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "audit",
        help="the append-only, hash-chained audit log",
        description="Every prompt, output, tool call, decision, approval and credential event.",
    )
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verifying = add_command(
        sub,
        "verify",
        verify_chain,
        "recompute the hash chain; name the first broken link and exit 1 if any",
        reads_only=True,
    )
    audit_tamper_cmd.add_checkpoint_option(verifying)
    audit_tamper_cmd.register(sub)
    exporting = add_command(
        sub, "export", export_audit, "write events as JSON lines or CSV to stdout", reads_only=True
    )
    exporting.add_argument(
        "--format", choices=("jsonl", "csv"), default="jsonl", help="jsonl (default) or csv"
    )
    exporting.add_argument("--task", help="only this task's events")
    exporting.add_argument("--since", help="only events since: 7d, 24h, 30m or an ISO date")
    show = add_command(
        sub,
        "show",
        show_task,
        "one task's lineage: who asked, prompts, outputs, decisions, approvals, "
        "credentials, result",
        reads_only=True,
    )
    show.add_argument("task_id")


def verify_chain(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    # With the audit key configured, seals and checkpoints are always checked.
    if getattr(args, "checkpoints", None) is not None or runtime.tamper is not None:
        report = audit_tamper_cmd.verify_with_checkpoints(runtime, args.checkpoints)
    else:
        report = verify(runtime.engine)
    if report.ok:
        print(
            f"audit chain ok: {report.events_checked} events, head seq {report.head_seq}, "
            f"head hash {report.head_hash}"
        )
        return 0
    print(f"audit chain BROKEN at seq {report.first_bad_seq}: {report.reason}")
    return 1


def export_audit(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    since = parse_since(args.since) if args.since else None
    for line in export_events(runtime.engine, fmt=args.format, task_id=args.task, since=since):
        sys.stdout.write(line if line.endswith("\n") else line + "\n")
    return 0


def show_task(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    events = task_lineage(runtime.engine, args.task_id)
    if not events:
        print(f"no audit events for task {args.task_id}")
        return 1
    print(render_lineage(events))
    return 0
