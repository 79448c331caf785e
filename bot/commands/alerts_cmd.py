"""socbot alerts: being written."""

from __future__ import annotations

import argparse

from bot.commands.common import Subparsers, add_command
from bot.errors import ConfigError


def register(commands: Subparsers) -> None:
    add_command(commands, "alerts", alerts, "alerts (not built yet)")


def alerts(args: argparse.Namespace) -> int:
    raise ConfigError("socbot alerts is not built yet")
