"""socbot credentials: list issued credentials and sweep the ones that should be gone."""

from __future__ import annotations

import argparse
import time

from bot.clock import as_utc, utcnow
from bot.commands.common import Subparsers, add_command, print_table, runtime_for
from bot.tasks.credentials import CredentialBroker
from bot.tasks.sweep import SweepReport


def register(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "credentials",
        help="per-task credentials: list and sweep",
        description="Credentials the broker issued. Secrets are never stored or shown.",
    )
    sub = parser.add_subparsers(dest="credentials_command", metavar="ACTION", required=True)
    listing = add_command(
        sub, "list", list_credentials, "list credentials, oldest first", reads_only=True
    )
    listing.add_argument("--live", action="store_true", help="only credentials not yet revoked")
    sweep = add_command(
        sub,
        "sweep",
        sweep_credentials,
        "revoke every credential whose task is over, whose process died or whose ttl passed",
    )
    sweep.add_argument(
        "--every", type=float, metavar="SECONDS", help="keep sweeping, this many seconds apart"
    )


def list_credentials(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    now = utcnow()
    rows = []
    for r in runtime.broker.credentials(live_only=args.live):
        state = (
            "revoked" if r.revoked_at else ("expired" if as_utc(r.expires_at) <= now else "LIVE")
        )
        rows.append(
            (
                r.id,
                r.task_id,
                r.tool,
                ",".join(r.scope_list),
                r.fingerprint,
                as_utc(r.issued_at).strftime("%H:%M:%S"),
                state,
                f"{r.revoke_lag_ms:.1f}" if r.revoke_lag_ms is not None else "",
            )
        )
    print_table(("ID", "TASK", "TOOL", "SCOPES", "FINGERPRINT", "ISSUED", "STATE", "LAG MS"), rows)
    return 0


def sweep_credentials(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    broker = runtime.broker  # building it sweeps once: what that revoked belongs in this report
    code = _sweep_once(broker, runtime.startup_sweep)
    while args.every:
        time.sleep(args.every)
        code = _sweep_once(broker)
    return code


def _sweep_once(broker: CredentialBroker, earlier: SweepReport | None = None) -> int:
    report = broker.sweep()
    examined = report.examined if earlier is None else earlier.examined
    revoked = [*(earlier.revoked if earlier else ()), *report.revoked]
    failed = [*(earlier.failed if earlier else ()), *report.failed]
    print(f"examined {examined} live credentials; revoked {len(revoked)}")
    for r in revoked:
        print(f"  {r.credential_id}  verified={r.verified}  lag={r.lag_ms:.0f} ms")
    for failure in failed:
        print(f"WARNING: {failure}; it stays on the sweep list")
    return 1 if failed else 0
