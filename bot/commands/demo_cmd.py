"""socbot demo: the whole bounded-autonomy loop on the embedded lab, offline, in seconds."""

from __future__ import annotations

import argparse
import json
import time
from importlib import resources
from pathlib import Path

from bot.actions.approvals import PENDING
from bot.agent.offline import OfflineEngine
from bot.agent.tokens import TokenCounter
from bot.alerts.intake.pipeline import Intake
from bot.alerts.triage.verdict import TriageResult
from bot.audit.log import verify
from bot.commands.common import Subparsers, add_command, settings_for
from bot.commands.triage_cmd import render_triage, triage_accepted
from bot.errors import ApprovalError
from bot.runtime import Runtime
from tools.providers.lab.seed import seed_lab

DEMO_DATABASE = "socbot-demo.db"
DEMO_APPROVER = "U0IDADMIN1"  # Ana Lima, Head of Identity, in the lab and in policy.yaml
NOT_AN_APPROVER = "U0NOTALLOWED"


def register(commands: Subparsers) -> None:
    cmd = add_command(
        commands,
        "demo",
        demo,
        "seed the lab, triage sample alerts offline, approve and run one action, "
        "verify the audit chain",
    )
    cmd.add_argument(
        "--keep", action="store_true", help=f"reuse {DEMO_DATABASE} instead of starting it afresh"
    )


def demo(args: argparse.Namespace) -> int:
    started = time.monotonic()
    runtime = _demo_runtime(args)
    _heading("1. The lab")
    print(f"seeded: {seed_lab(runtime.engine)}")
    print(f"policy {runtime.policies.current.version[:12]} from {runtime.settings.policy_path}")
    results = _triage_all(runtime)
    request_id = _approve_one(runtime, results)
    ok = _closing_checks(runtime, request_id)
    print(
        f"\ndone in {time.monotonic() - started:.1f}s. Explore with --database "
        f"{runtime.settings.database_url}: socbot alerts queue, socbot actions list, "
        "socbot audit show TASK, socbot credentials list, socbot digest --since 1d"
    )
    return 0 if ok else 1


def _demo_runtime(args: argparse.Namespace) -> Runtime:
    url = args.database
    if url is None:
        path = Path(DEMO_DATABASE)
        if not args.keep:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    config = settings_for(args).model_copy(update={"database_url": url})
    return Runtime(config, model_override=OfflineEngine(TokenCounter(config.token_encoding)))


def _heading(text: str) -> None:
    print(f"\n== {text} " + "=" * max(0, 70 - len(text)))


def _demo_alerts() -> list[tuple[str, str]]:
    folder = resources.files("bot.demo_alerts")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".json")), key=lambda f: f.name)
    return [(f.name, f.read_text(encoding="utf-8")) for f in files]


def _triage_all(runtime: Runtime) -> list[TriageResult]:
    _heading("2. Intake and triage (offline engine: deterministic rules, same gate as any model)")
    results = []
    intake = Intake(runtime)
    for name, text in _demo_alerts():
        outcome = intake.accept(text, via="cli")
        print(f"\n-- {name}: {outcome.status} as {outcome.alert_id or outcome.rejected_id}")
        if outcome.status != "accepted":  # a kept database has seen these alerts already
            continue
        result = triage_accepted(runtime, outcome, "alert:demo")
        print(render_triage(result))
        results.append(result)
    return results


def _approve_one(runtime: Runtime, results: list[TriageResult]) -> str | None:
    _heading("3. Approvals")
    pending = runtime.approvals.list_requests(PENDING)
    for request in pending:
        print(
            f"  {request.id}  {request.tool}({request.target})  needs {request.quorum}  "
            f"hash {request.short_hash}"
        )
    # The oldest quorum-of-one action: in the sample alerts, revoking the MFA-fatigue sessions.
    chosen = next((r for r in reversed(pending) if r.quorum == 1), None)
    if chosen is None:
        print("  nothing parked with a quorum of one; nothing to approve")
        return None
    refused = runtime.approvals.decide(chosen.id, NOT_AN_APPROVER, "approve", via="demo")
    print(f"\n  {NOT_AN_APPROVER} tries to approve {chosen.id}: not counted — {refused.reason}")
    outcome = runtime.approvals.decide(chosen.id, DEMO_APPROVER, "approve", via="demo")
    print(
        f"  {DEMO_APPROVER} approves {chosen.id}: {outcome.approvals} of {outcome.quorum}, "
        f"{outcome.status}"
    )
    executed = runtime.executor.execute_approved(
        chosen.id, actor=DEMO_APPROVER, limits=runtime.task_limits()
    )
    print(
        f"  executed once with a fresh credential: {executed.status} "
        f"{json.dumps(executed.content.get('result', executed.content))[:160]}"
    )
    try:
        runtime.executor.execute_approved(
            chosen.id, actor=DEMO_APPROVER, limits=runtime.task_limits()
        )
        print("  ERROR: the action ran a second time")
    except ApprovalError as exc:
        print(f"  a second execution is refused: {exc}")
    return chosen.id


def _closing_checks(runtime: Runtime, request_id: str | None) -> bool:
    _heading("4. Accountability")
    report = verify(runtime.engine)
    print(
        f"  audit chain: {'verified' if report.ok else 'BROKEN'} — "
        f"{report.events_checked} events, head {str(report.head_hash)[:16]}"
    )
    runtime.broker.sweep()
    live = runtime.broker.credentials(live_only=True)
    issued = runtime.broker.credentials()
    print(f"  credentials: {len(issued)} issued, {len(live)} still live")
    if request_id:
        request = runtime.approvals.get(request_id)
        print(
            f"  lineage of the executed action: socbot audit show "
            f"{request.execution_task_id} --database {runtime.settings.database_url}"
        )
    return report.ok and not live
