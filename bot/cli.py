"""The socbot command. Every subcommand explains itself with --help.

Only the chosen command's module is imported: `socbot --help` and `socbot policy check` do
not pay for SQLAlchemy, Slack or matplotlib. COMMANDS lists each command's module and the
one-line summary the overview shows (a test keeps it equal to the module's own)."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import traceback
from collections.abc import Sequence

from bot import __version__
from bot.boundary.logs import install_log_redaction
from bot.commands.failures import explain_failure
from bot.observability.logs import configure_logging

DESCRIPTION = """\
socbot: a SOC copilot for identity alerts with bounded autonomy.
The model investigates and recommends; only policy.yaml and humans grant power.
Start with `socbot demo` (no keys needed)."""

COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("init_cmd", "write a starter policy.yaml and .env into a folder"),
    "demo": (
        "demo_cmd",
        "seed the lab, triage sample alerts offline, approve and run one action, "
        "verify the audit chain",
    ),
    "serve": ("serve_cmd", "run the Slack app, the alert webhook and /healthz"),
    "worker": (
        "worker_cmd",
        "run the scheduler: the weekly digest post, approval expiry, credential sweep",
    ),
    "triage": ("triage_cmd", "triage one alert (a JSON file, or - for stdin)"),
    "alerts": ("alerts_cmd", "alert intake: normalize, ingest, rejected alerts, the triage queue"),
    "policy": ("policy_cmd", "check and explain policy.yaml"),
    "actions": ("actions_cmd", "parked actions and their approvals"),
    "audit": ("audit_cmd", "the append-only, hash-chained audit log"),
    "credentials": ("credentials_cmd", "per-task credentials: list and sweep"),
    "lab": ("lab_cmd", "the embedded simulated organisation"),
    "db": ("db_cmd", "database schema"),
    "digest": (
        "digest_cmd",
        "the governance digest: alert, action, risk, credential, policy and audit figures",
    ),
    "eval": (
        "eval_cmd",
        "triage each labelled event of a JSONL file on its own (throwaway database) and print "
        "the confusion matrix, balanced accuracy, precision and recall per platform",
    ),
    "detection": ("detection_cmd", "check detection rules (shipped, plus an admin file)"),
}
# Options the top level takes before the command; those that take a value.
GLOBAL_VALUE_OPTIONS = frozenset({"--database", "--policy"})


def command_module(name: str) -> object:
    return importlib.import_module(f"bot.commands.{COMMANDS[name][0]}")


def build_parser(load: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser with the commands in `load` (every command when None) fully registered and
    the rest as one-line entries for the overview."""
    parser = argparse.ArgumentParser(
        prog="socbot",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"socbot {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail to stderr")
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback when a command fails"
    )
    parser.add_argument(
        "--database", metavar="URL", help="database URL for any command (default: DATABASE_URL)"
    )
    parser.add_argument(
        "--policy", metavar="FILE", help="policy file for any command (default: SOCBOT_POLICY)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, summary) in COMMANDS.items():
        if load is None or name in load:
            command_module(name).register(commands)  # type: ignore[attr-defined]
        else:
            commands.add_parser(name, help=summary, add_help=False)
    return parser


def chosen_command(argv: Sequence[str]) -> str | None:
    """The command word in argv, skipping the top-level options and their values."""
    skip_value = False
    for word in argv:
        if skip_value:
            skip_value = False
        elif word in GLOBAL_VALUE_OPTIONS:
            skip_value = True
        elif not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    command = chosen_command(words)
    parser = build_parser(load=[command] if command else [])
    args = parser.parse_args(words)
    # Until a command reads its settings (which may choose JSON), plain lines on stderr.
    configure_logging(logging.DEBUG if args.verbose else logging.WARNING, "text")
    install_log_redaction()
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("socbot: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        message = explain_failure(exc)
        if message is None:
            raise
        if args.debug:
            traceback.print_exc()
        print(f"socbot: {message}", file=sys.stderr)
        return 2
