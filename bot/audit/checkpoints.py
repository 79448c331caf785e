"""Signed checkpoints of the audit chain's head, kept in the database and published outside it.

Every `every_events` appends, or once `every_seconds` have passed and the head has moved, the
Checkpointer first checks the rows since the last checkpoint (chain links, hashes, and each
row's seal under the key outside the database), then signs (seq, hash, time) and stores the
checkpoint in audit_checkpoint and in every sink (a JSON lines file, syslog, a Slack post).
A segment that fails the check is not signed: the alarm callbacks hear why.
`socbot audit verify --checkpoints` later holds the chain to the published checkpoints.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import DateTime, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel

from bot.audit.event import AUDIT_TABLE, iter_rows
from bot.audit.keys import AuditKey, CheckpointSigner
from bot.audit.seals import ChainWalker
from bot.audit.signed_head import Checkpoint, signed_message
from bot.clock import as_utc, utcnow
from bot.db import session_scope
from bot.errors import AuditIntegrityError

log = logging.getLogger(__name__)


class AuditCheckpointRow(SQLModel, table=True):
    __tablename__ = "audit_checkpoint"

    head_seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    head_hash: str = Field(max_length=64)
    ts: datetime = Field(sa_type=DateTime(timezone=True))
    key_id: str = Field(max_length=80)
    signature: str = Field(max_length=255)


CheckpointSink = Callable[[Checkpoint], None]
TamperAlarm = Callable[[str], None]


class JsonlSink:
    """Appends each checkpoint as one line and syncs it to disk before returning."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, checkpoint: Checkpoint) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.write(checkpoint.to_json() + "\n")
            out.flush()
            os.fsync(out.fileno())


class SyslogSink:
    """Sends each checkpoint to syslog: a socket path (/dev/log) or host:port (UDP)."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        target: str | tuple[str, int] = (host, int(port)) if host and port.isdigit() else address
        self._handler = logging.handlers.SysLogHandler(address=target)

    def __call__(self, checkpoint: Checkpoint) -> None:
        record = logging.LogRecord(
            "socbot.audit",
            logging.INFO,
            __file__,
            0,
            "socbot-audit-checkpoint %s",
            (checkpoint.to_json(),),
            None,
        )
        self._handler.emit(record)


def load_checkpoints(path: Path) -> list[Checkpoint]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Checkpoint.from_json(line) for line in lines if line.strip()]


def stored_checkpoints(engine: Engine) -> list[Checkpoint]:
    table = AuditCheckpointRow.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(select(table).order_by(table.c.head_seq)).all()
    return [Checkpoint(r.head_seq, r.head_hash, as_utc(r.ts), r.key_id, r.signature) for r in rows]


class Checkpointer:
    def __init__(
        self,
        engine: Engine,
        key: AuditKey,
        signer: CheckpointSigner,
        *,
        every_events: int,
        every_seconds: float,
        sinks: list[CheckpointSink] | None = None,
        alarms: list[TamperAlarm] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._key = key
        self._signer = signer
        self._every_events = every_events
        self._every = timedelta(seconds=every_seconds)
        self.sinks = list(sinks or [])
        self.alarms = list(alarms or [])
        self._clock = clock
        self._started = clock()
        self._retry_at_seq = 0
        self._busy = threading.Lock()
        self._last: Checkpoint | None = None
        self._loaded = False

    def on_append(self, seq: int) -> None:
        """AuditLog's hook: checkpoint when enough events or enough time have passed."""
        if seq < self._retry_at_seq or not self._busy.acquire(blocking=False):
            return  # before the retry point, or another thread is checkpointing right now
        try:
            self._checkpoint_if_due(seq)
        finally:
            self._busy.release()

    def _checkpoint_if_due(self, seq: int) -> None:
        last = self.last()
        last_seq, last_ts = (last.seq, last.ts) if last is not None else (0, self._started)
        if seq - last_seq >= self._every_events or (
            seq > last_seq and self._clock() - last_ts >= self._every
        ):
            try:
                self.checkpoint()
            except AuditIntegrityError:
                # Alarmed already; check again after another batch, not on every append.
                self._retry_at_seq = seq + self._every_events
                raise

    def last(self) -> Checkpoint | None:
        if not self._loaded:
            stored = stored_checkpoints(self._engine)
            self._last = stored[-1] if stored else None
            self._loaded = True
        return self._last

    def checkpoint(self) -> Checkpoint | None:
        """Check the rows since the last checkpoint, then sign and publish the head.
        None when the head has not moved; AuditIntegrityError when the rows fail the check."""
        self._loaded = False  # another process may have checkpointed since
        last = self.last()
        walker = ChainWalker(self._key, last)
        after = last.seq - 1 if last is not None else 0
        for row in iter_rows(self._engine, where=[AUDIT_TABLE.c.seq > after]):
            walker.step(row)
        problem = walker.finish()
        if problem is not None:
            message = f"audit checkpoint refused at seq {problem[0]}: {problem[1]}"
            self._raise_alarm(message)
            raise AuditIntegrityError(message)
        if walker.seq == 0 or (last is not None and walker.seq == last.seq):
            return None
        return self._sign_and_publish(walker.seq, walker.head_hash)

    def _sign_and_publish(self, seq: int, head_hash: str) -> Checkpoint:
        ts = self._clock()
        checkpoint = Checkpoint(
            seq,
            head_hash,
            ts,
            self._signer.key_id,
            self._signer.sign(signed_message(seq, head_hash, ts, self._signer.key_id)),
        )
        try:
            with session_scope(self._engine) as session:
                session.add(
                    AuditCheckpointRow(
                        head_seq=seq,
                        head_hash=head_hash,
                        ts=ts,
                        key_id=checkpoint.key_id,
                        signature=checkpoint.signature,
                    )
                )
        except IntegrityError:
            pass  # another process signed this same head first; publishing it again is harmless
        self._last = checkpoint
        for sink in self.sinks:
            try:
                sink(checkpoint)
            except Exception:
                log.exception("could not publish audit checkpoint %d", seq)
        return checkpoint

    def _raise_alarm(self, message: str) -> None:
        log.error("%s", message)
        for alarm in self.alarms:
            try:
                alarm(message)
            except Exception:
                log.exception("audit tamper alarm failed")
