"""socbot triage: take one alert in through the intake (stored, deduped), triage it now with
the configured model, and print what came of it."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bot.alerts.intake.pipeline import Intake, IntakeOutcome
from bot.alerts.triage.groups import group_of, load_group, stored_result
from bot.alerts.triage.publish import NoPublisher
from bot.alerts.triage.verdict import TriageResult
from bot.alerts.triage.worker import TriageWorker
from bot.commands.common import Subparsers, add_command, runtime_for, short
from bot.errors import AlertError
from bot.runtime import Runtime


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
    cmd.add_argument("--source", metavar="S", help="the alert's source (default: tell by shape)")


def triage(args: argparse.Namespace) -> int:
    text = _read(args.file)
    runtime = runtime_for(args)
    outcome = Intake(runtime).accept(text, source=args.source, via="cli")
    if outcome.status == "rejected":
        raise AlertError(_rejection_message(args.file, text, outcome))
    if outcome.status == "duplicate":
        return _report_duplicate(runtime, outcome, as_json=args.json)
    result = triage_accepted(runtime, outcome, args.actor)
    print(result.model_dump_json(indent=2) if args.json else render_triage(result))
    return 0


def _read(source: str) -> str:
    try:
        return sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise AlertError(f"cannot read {source}: {reason}") from exc


def _rejection_message(source: str, text: str, outcome: IntakeOutcome) -> str:
    where = "stdin" if source == "-" else source
    kept = f"(kept as {outcome.rejected_id}; see socbot alerts rejected)"
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"{where}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}) {kept}"
    except ValueError:
        pass
    return f"{where}: {outcome.reason} {kept}"


def triage_accepted(runtime: Runtime, outcome: IntakeOutcome, actor: str) -> TriageResult:
    """Triage the group an alert just accepted by the intake joined, now, in this process."""
    worker = TriageWorker(runtime, NoPublisher(), name=f"cli:{os.getpid()}")
    claim = worker.queue.claim(worker.name, group_id=str(outcome.group_id))
    if claim is None:  # a storm may have merged its group into its own since
        group_id = group_of(runtime.engine, str(outcome.alert_id))
        claim = worker.queue.claim(worker.name, group_id=group_id) if group_id else None
    if claim is None:
        raise AlertError(
            f"alert {outcome.alert_id} is stored in group {outcome.group_id}, which a worker "
            "is triaging already; see socbot alerts queue"
        )
    work = worker.work_on(claim, actor=actor)
    if work.result is None:
        raise AlertError(
            f"triage of alert {outcome.alert_id} failed ({short(work.error, 200)}); "
            f"group {outcome.group_id} is {work.status}"
        )
    return work.result


def _report_duplicate(runtime: Runtime, outcome: IntakeOutcome, *, as_json: bool) -> int:
    loaded = load_group(runtime.engine, str(outcome.group_id))
    result = stored_result(loaded.record)
    if as_json:
        print(result.model_dump_json(indent=2) if result else "null")
        return 0
    print(
        f"duplicate of alert {outcome.duplicate_of} ({outcome.duplicates} so far), stored as "
        f"{outcome.alert_id}; group {outcome.group_id} is {loaded.record.status}"
    )
    if result is not None:
        print(render_triage(result))
    return 0


def render_triage(result: TriageResult) -> str:
    lines = [
        f"{result.verdict.upper()} · {result.severity} · confidence {result.confidence:.2f}"
        f"   [engine: {result.engine}, task {result.task_id}]",
        f"  {result.summary}",
    ]
    if result.verdict_problem:
        lines.insert(0, f"WARNING: the model's verdict could not be read: {result.verdict_problem}")
    lines.extend(f"  model server problem: {warning}" for warning in result.model_warnings)
    if result.fell_back_because:
        lines.append(
            f"  note: the model gave no usable answer ({short(result.fell_back_because, 200)});"
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
