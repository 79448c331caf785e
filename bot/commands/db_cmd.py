"""socbot db: bring the database schema up to date."""

from __future__ import annotations

import argparse

from bot.commands.common import Subparsers, add_command, runtime_for


def register(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "db", help="database schema", description="Database schema management."
    )
    sub = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    add_command(sub, "upgrade", upgrade, "apply every pending migration")


def upgrade(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    engine = runtime.engine  # building the engine applies pending migrations
    print(f"schema up to date on {engine.url.render_as_string(hide_password=True)}")
    return 0
