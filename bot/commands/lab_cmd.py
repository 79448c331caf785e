"""socbot lab: seed and inspect the embedded simulated organisation."""

from __future__ import annotations

import argparse
import json

from bot.commands.common import Subparsers, add_command, runtime_for
from tools.providers.lab.provider import describe_identity_for_operator, lab_overview
from tools.providers.lab.seed import seed_lab


def register(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "lab",
        help="the embedded simulated organisation",
        description="The lab provider: people, service accounts, keys, grants, sessions.",
    )
    sub = parser.add_subparsers(dest="lab_command", metavar="ACTION", required=True)
    seeding = add_command(sub, "seed", seed_command, "create (or reset) the lab organisation")
    seeding.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    showing = add_command(
        sub, "show", show_command, "counts, or one identity as an operator sees it", reads_only=True
    )
    showing.add_argument("identity", nargs="?", help="id, email, name, ARN or Slack id")


def seed_command(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    summary = seed_lab(runtime.engine, seed=args.seed)
    print(f"lab seeded: {summary}")
    return 0


def show_command(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    if args.identity:
        data = describe_identity_for_operator(runtime.engine, args.identity)
    else:
        data = lab_overview(runtime.engine)
    print(json.dumps(data, indent=2, sort_keys=True, default=str))
    return 0
