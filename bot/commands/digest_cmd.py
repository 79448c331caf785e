"""socbot digest: the governance digest of a week (or the last N days) from the audit log."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import utcnow
from bot.commands.common import Subparsers, add_command, runtime_for
from bot.digest.chart import render_chart
from bot.digest.compute import compute_digest
from bot.digest.formats import FORMATS, render
from bot.digest.publish import digest_options
from bot.digest.window import Window, digest_zone, previous_window, since_window, week_window
from bot.errors import ConfigError

HELP = "the governance digest: alert, action, risk, credential, policy and audit figures"


def register(commands: Subparsers) -> None:
    parser = add_command(commands, "digest", digest, HELP, reads_only=True)
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--since", metavar="AGO", help="the last 7d, 24h, … or since an ISO date")
    when.add_argument("--week", metavar="YYYY-Www", help="an ISO week, e.g. 2026-W47")
    parser.add_argument("--format", choices=FORMATS, default="text", help="default: text")
    parser.add_argument("--chart", metavar="FILE", help="also write the chart as PNG to FILE")
    parser.add_argument(
        "--no-verify",
        action="store_true",
        help="skip verifying the audit chain (it reads the whole log)",
    )


def digest(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    now = utcnow()
    zone = digest_zone(runtime.settings.digest_timezone)
    window = chosen_window(args, zone, now)
    options = digest_options(runtime, verify_chain=not args.no_verify)
    result = compute_digest(runtime.engine, window, previous_window(window, zone), options, now=now)
    if args.chart:
        write_chart(Path(args.chart), render_chart(result))
    text = render(result, args.format)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 1 if result.chain.checked and not result.chain.ok else 0


def chosen_window(args: argparse.Namespace, zone: ZoneInfo, now: datetime) -> Window:
    if args.week:
        return week_window(args.week, zone)
    return since_window(args.since or "7d", now)


def write_chart(path: Path, png: bytes) -> None:
    try:
        path.write_bytes(png)
    except OSError as exc:
        raise ConfigError(f"cannot write the chart to {path}: {exc.strerror}") from exc
