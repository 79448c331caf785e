"""The socbot command. Every subcommand explains itself with --help."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from bot import __version__
from bot.commands import (
    actions_cmd,
    alerts_cmd,
    audit_cmd,
    credentials_cmd,
    db_cmd,
    demo_cmd,
    digest_cmd,
    lab_cmd,
    policy_cmd,
    providers_cmd,
    serve_cmd,
    triage_cmd,
    worker_cmd,
)
from bot.errors import SocbotError

DESCRIPTION = """\
socbot: a SOC copilot for identity alerts with bounded autonomy.
The model investigates and recommends; only policy.yaml and humans grant power.
Start with `socbot demo` (no keys needed)."""

MODULES = (
    demo_cmd,
    serve_cmd,
    worker_cmd,
    triage_cmd,
    alerts_cmd,
    policy_cmd,
    actions_cmd,
    audit_cmd,
    credentials_cmd,
    providers_cmd,
    lab_cmd,
    db_cmd,
    digest_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="socbot",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"socbot {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except SocbotError as exc:
        print(f"socbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("socbot: interrupted", file=sys.stderr)
        return 130
