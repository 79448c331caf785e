"""socbot digest: being written."""

from __future__ import annotations

import argparse

from bot.commands.common import Subparsers, add_command
from bot.errors import ConfigError


def register(commands: Subparsers) -> None:
    add_command(commands, "digest", digest, "digest (not built yet)")


def digest(args: argparse.Namespace) -> int:
    raise ConfigError("socbot digest is not built yet")
