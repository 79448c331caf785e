"""socbot init: write a starter policy.yaml and .env into a folder, for a new installation."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from bot.bundled import default_policy, env_example
from bot.commands.common import Subparsers, add_command
from bot.errors import ConfigError

HELP = "write a starter policy.yaml and .env into a folder"
NEXT_STEPS = """\
next:
  1. edit {policy}: who approves what (Slack user ids), which tools may act
  2. fill in {env}: DATABASE_URL, the Slack tokens, a model key (all optional for a first try)
  3. from {folder}: socbot policy check, then socbot demo or socbot serve"""


def register(commands: Subparsers) -> None:
    cmd = add_command(commands, "init", init, HELP, database=False)
    cmd.add_argument(
        "folder", nargs="?", default=".", metavar="DIR", help="where to write (default: here)"
    )
    cmd.add_argument(
        "--force", action="store_true", help="overwrite policy.yaml and .env if they exist"
    )


def init(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    targets = {folder / "policy.yaml": default_policy(), folder / ".env": env_example()}
    existing = [str(path) for path in targets if path.exists()]
    if existing and not args.force:
        raise ConfigError(
            f"{' and '.join(existing)} already exist; nothing written (--force overwrites them)"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for target, source in targets.items():
            shutil.copyfile(source, target)
    except OSError as exc:
        raise ConfigError(f"cannot write into {folder}: {exc.strerror or exc}") from exc
    for target in targets:
        print(f"wrote {target}")
    print(NEXT_STEPS.format(policy=folder / "policy.yaml", env=folder / ".env", folder=folder))
    return 0
