"""socbot audit verify --checkpoints, keygen, checkpoint: tamper evidence from the command line."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.audit.health import append_only_problems
from bot.audit.keys import AuditKey
from bot.audit.seals import verify_against_checkpoints
from bot.audit.tamper import checkpoints_for_verify
from bot.audit.verify import VerifyReport
from bot.commands.common import Subparsers, add_command, runtime_for
from bot.errors import AuditIntegrityError, ConfigError
from bot.runtime import Runtime


def register(sub: Subparsers) -> None:
    keygen = add_command(
        sub,
        "keygen",
        generate_key,
        "create an Ed25519 audit key file (SOCBOT_AUDIT_KEY_FILE)",
        database=False,
    )
    keygen.add_argument("path", type=Path, help="where to write it; it must not exist")
    add_command(
        sub, "checkpoint", write_checkpoint, "check the rows since the last checkpoint, then sign"
    )


def add_checkpoint_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--checkpoints",
        nargs="?",
        const="",
        default=None,
        metavar="FILE",
        help="also hold the chain to signed checkpoints and row seals: FILE, else "
        "SOCBOT_AUDIT_CHECKPOINT_FILE, else the database's copy",
    )


def verify_with_checkpoints(runtime: Runtime, path: str | None) -> VerifyReport:
    tamper = runtime.tamper
    if tamper is None:
        raise ConfigError("--checkpoints needs the audit key: set SOCBOT_AUDIT_KEY_FILE")
    checkpoints, source = checkpoints_for_verify(runtime.settings, runtime.engine, path)
    print(f"checkpoints: {len(checkpoints)} from {source}")
    if not checkpoints:
        print(
            "warning: no signed checkpoints to hold the chain to; only row seals are checked, "
            "and a log rewritten with its seals cleared would pass"
        )
    for problem in append_only_problems(runtime.engine):
        print(f"warning: {problem}")
    return verify_against_checkpoints(runtime.engine, tamper.key, tamper.signer, checkpoints)


def generate_key(args: argparse.Namespace) -> int:
    key = AuditKey.generate(args.path)
    print(f"wrote {args.path} ({key.key_id}); set SOCBOT_AUDIT_KEY_FILE={args.path}")
    return 0


def write_checkpoint(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    if runtime.tamper is None:
        raise ConfigError("checkpoints need the audit key: set SOCBOT_AUDIT_KEY_FILE")
    try:
        checkpoint = runtime.tamper.checkpointer.checkpoint()
    except AuditIntegrityError as exc:
        print(str(exc))
        return 1
    if checkpoint is None:
        print("nothing new since the last checkpoint")
    else:
        print(f"checkpoint signed: seq {checkpoint.seq}, hash {checkpoint.hash}")
    return 0
