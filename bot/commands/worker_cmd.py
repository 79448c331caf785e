"""socbot worker: being written."""

from __future__ import annotations

import argparse

from bot.commands.common import Subparsers, add_command
from bot.errors import ConfigError


def register(commands: Subparsers) -> None:
    add_command(commands, "worker", worker, "worker (not built yet)")


def worker(args: argparse.Namespace) -> int:
    raise ConfigError("socbot worker is not built yet")
