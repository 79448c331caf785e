"""Check the audit chain end to end and name the first broken link.

verify streams rows in seq order and recomputes every hash. A row altered behind the app's
back fails its own hash; a deleted or reordered row leaves a gap in seq or a prev_hash that
does not match. Rows cut from the end leave a shorter chain that is still whole: only a head
remembered elsewhere (`expected_head`, e.g. from a digest post or an export) can show that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.engine import Engine

from bot.audit.event import AUDIT_TABLE, GENESIS_HASH, event_hash, iter_rows, row_dict
from bot.errors import AuditIntegrityError


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    events_checked: int
    first_bad_seq: int | None
    reason: str
    head_seq: int
    head_hash: str

    def raise_if_broken(self) -> None:
        if not self.ok:
            raise AuditIntegrityError(
                f"audit chain broken at seq {self.first_bad_seq}: {self.reason}"
            )


def chain_head(engine: Engine) -> tuple[int, str]:
    """(seq, hash) of the newest event, or (0, 64 zeros) for an empty log."""
    query = select(AUDIT_TABLE.c.seq, AUDIT_TABLE.c.hash).order_by(AUDIT_TABLE.c.seq.desc())
    with engine.connect() as conn:
        head = conn.execute(query.limit(1)).first()
    return (head.seq, head.hash) if head is not None else (0, GENESIS_HASH)


def _link_problem(row: Row[Any], seq: int, prev_hash: str) -> tuple[int, str] | None:
    """(bad seq, reason) if row does not follow (seq, prev_hash) or its hash is wrong."""
    if row.seq > seq + 1:
        missing = f"{seq + 1}" if row.seq == seq + 2 else f"{seq + 1}..{row.seq - 1}"
        return seq + 1, f"seq jumps from {seq} to {row.seq}: row(s) {missing} deleted"
    if row.seq <= seq:
        return row.seq, f"seq {row.seq} follows seq {seq}: rows reordered or duplicated"
    if row.prev_hash != prev_hash:
        return row.seq, (
            f"prev_hash of seq {row.seq} is not the hash of seq {seq}: "
            "a row was replaced, moved, or deleted and the rest renumbered"
        )
    if event_hash(row_dict(row)) != row.hash:
        return row.seq, f"hash of seq {row.seq} does not match its contents: row altered or moved"
    return None


def _head_problem(
    seq: int, head_hash: str, expected_head: tuple[int, str], seen_hash: str | None
) -> tuple[int, str] | None:
    expected_seq, expected_hash = expected_head
    if expected_seq == 0:
        return None
    if seq < expected_seq:
        return seq + 1, (
            f"log ends at seq {seq} but seq {expected_seq} was recorded earlier: "
            "rows cut from the end"
        )
    if seen_hash != expected_hash:
        return expected_seq, (
            f"seq {expected_seq} has hash {(seen_hash or '')[:12]}…, expected "
            f"{expected_hash[:12]}…: the chain was rewritten"
        )
    return None


def verify(
    engine: Engine, *, batch_size: int = 10_000, expected_head: tuple[int, str] | None = None
) -> VerifyReport:
    """Recompute the whole chain; stop at the first broken link and say what broke."""
    seq, head_hash, checked = 0, GENESIS_HASH, 0
    seen_expected: str | None = None
    for row in iter_rows(engine, batch_size=batch_size):
        problem = _link_problem(row, seq, head_hash)
        if problem is not None:
            return VerifyReport(False, checked, problem[0], problem[1], seq, head_hash)
        seq, head_hash, checked = row.seq, row.hash, checked + 1
        if expected_head is not None and seq == expected_head[0]:
            seen_expected = head_hash
    if expected_head is not None:
        problem = _head_problem(seq, head_hash, expected_head, seen_expected)
        if problem is not None:
            return VerifyReport(False, checked, problem[0], problem[1], seq, head_hash)
    return VerifyReport(True, checked, None, f"{checked} events verified", seq, head_hash)
