"""socbot detection: check a rules file the way `socbot policy check` checks policy.yaml."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from bot.commands.common import Subparsers, add_command, print_table, settings
from bot.detection.loader import load_rules


def register(commands: Subparsers) -> None:
    cmd = add_command(
        commands,
        "detection",
        check,
        "check detection rules (shipped, plus an admin file)",
        database=False,
    )
    cmd.add_argument(
        "action", choices=["check"], help="check: load and validate every rule, list per source"
    )
    cmd.add_argument(
        "file",
        nargs="?",
        type=Path,
        metavar="FILE",
        help="an admin rules file (default: SOCBOT_DETECTION_RULES, if set)",
    )


def check(args: argparse.Namespace) -> int:
    admin = args.file or settings().detection_rules
    rules = load_rules(admin)  # RulesError names file:line; the CLI prints it and exits 2
    per_source = Counter(source for rule in rules for source in rule.sources)
    print(f"{len(rules)} rules ok" + (f" (with {admin})" if admin else " (shipped only)"))
    print_table(("source", "rules"), sorted(per_source.items()))
    return 0
