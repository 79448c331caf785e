"""Tamper evidence wired from settings: the key file that seals rows, the signer of checkpoints
(the key file, or OpenBao transit), the checkpointer and where it publishes. See docs/audit.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.audit.checkpoints import (
    Checkpointer,
    CheckpointSink,
    JsonlSink,
    SyslogSink,
    load_checkpoints,
    stored_checkpoints,
)
from bot.audit.keys import AuditKey, CheckpointSigner, TransitSigner
from bot.audit.signed_head import Checkpoint
from bot.config import Settings
from bot.errors import ConfigError


@dataclass
class TamperEvidence:
    key: AuditKey
    signer: CheckpointSigner
    checkpointer: Checkpointer


def build_tamper_evidence(settings: Settings, engine: Engine) -> TamperEvidence | None:
    """None when no audit key file is configured (the unkeyed chain only)."""
    if settings.audit_key_file is None:
        return None
    key = AuditKey.load(settings.audit_key_file)
    signer = _signer(settings, key)
    sinks: list[CheckpointSink] = []
    if settings.audit_checkpoint_file is not None:
        sinks.append(JsonlSink(settings.audit_checkpoint_file))
    if settings.audit_checkpoint_syslog:
        sinks.append(SyslogSink(settings.audit_checkpoint_syslog))
    checkpointer = Checkpointer(
        engine,
        key,
        signer,
        every_events=settings.audit_checkpoint_events,
        every_seconds=settings.audit_checkpoint_minutes * 60,
        sinks=sinks,
    )
    return TamperEvidence(key, signer, checkpointer)


def _signer(settings: Settings, key: AuditKey) -> CheckpointSigner:
    if not settings.audit_transit_key:
        return key
    from bot.openbao.client import connect

    return TransitSigner(
        connect(settings), settings.audit_transit_key, settings.audit_transit_mount
    )


def checkpoints_for_verify(
    settings: Settings, engine: Engine, path: str | None
) -> tuple[list[Checkpoint], str]:
    """The checkpoints to hold the chain to, and where they came from: the file given, else
    the configured checkpoint file, else the database's own copy (weakest: an attacker with
    the database can delete those)."""
    chosen = path or (str(settings.audit_checkpoint_file) if settings.audit_checkpoint_file else "")
    if chosen:
        try:
            return load_checkpoints_file(chosen), chosen
        except FileNotFoundError:
            raise ConfigError(f"checkpoint file {chosen} does not exist") from None
    return stored_checkpoints(engine), "the database's audit_checkpoint table"


def load_checkpoints_file(path: str) -> list[Checkpoint]:
    try:
        return load_checkpoints(Path(path))
    except (ValueError, KeyError) as exc:
        raise ConfigError(f"checkpoint file {path} has a malformed line: {exc}") from None
