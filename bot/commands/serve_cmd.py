"""socbot serve: being written."""

from __future__ import annotations

import argparse

from bot.commands.common import Subparsers, add_command
from bot.errors import ConfigError


def register(commands: Subparsers) -> None:
    add_command(commands, "serve", serve, "serve (not built yet)")


def serve(args: argparse.Namespace) -> int:
    raise ConfigError("socbot serve is not built yet")
