"""socbot triage: triage one alert with the configured model and print what came of it."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from bot.alerts.triage import TriageResult, triage_alert
from bot.commands.common import Subparsers, add_command, read_json_input, runtime_for, short
from bot.errors import AlertError


def register(commands: Subparsers) -> None:
    cmd = add_command(commands, "triage", triage, "triage one alert (a JSON file, or - for stdin)")
    cmd.add_argument("file", metavar="FILE|-")
    cmd.add_argument("--json", action="store_true", help="print the triage result as JSON")
    cmd.add_argument(
        "--as",
        dest="actor",
        default="alert:cli",
        help="who asks (recorded as the requester; default alert:cli)",
    )


def triage(args: argparse.Namespace) -> int:
    alert = read_json_input(args.file)
    if not isinstance(alert, Mapping):
        raise AlertError("an alert must be one JSON object")
    runtime = runtime_for(args)
    result = triage_alert(runtime, alert, actor=args.actor)
    print(result.model_dump_json(indent=2) if args.json else render_triage(result))
    return 0


def render_triage(result: TriageResult) -> str:
    lines = [
        f"{result.verdict.upper()} · {result.severity} · confidence {result.confidence:.2f}"
        f"   [engine: {result.engine}, task {result.task_id}]",
        f"  {result.summary}",
    ]
    if result.fell_back_because:
        lines.append(
            f"  note: the model was unreachable ({short(result.fell_back_because, 80)});"
            " the offline engine answered instead"
        )
    if result.stopped_by:
        lines.append(f"  stopped early: the task hit its {result.stopped_by} limit")
    if result.injection_suspect:
        lines.append(f"  injection suspected in the alert: {result.injection_suspect[0]!r}")
    if result.evidence:
        lines.append("  evidence: " + "; ".join(result.evidence[:6]))
    if result.investigated:
        lines.append("  investigated: " + ", ".join(result.investigated))
    if result.blast_radius:
        lines.append(f"  blast radius: {result.blast_radius.get('score', '?')}")
    lines.extend(_action_lines(result))
    return "\n".join(lines)


def _action_lines(result: TriageResult) -> list[str]:
    lines = []
    for action in result.actions:
        if action.status == "awaiting_approval":
            lines.append(
                f"  PARKED for approval: {action.tool}  → {action.request_id}"
                f" (needs {action.detail.get('approvals_needed')})"
            )
        elif action.status == "recommended":
            lines.append(f"  recommended (draft, never runs): {action.tool} → {action.request_id}")
        else:
            reason = action.detail.get("reason") or action.detail.get("error")
            lines.append(f"  {action.status}: {action.tool} — {short(str(reason), 100)}")
    return lines
