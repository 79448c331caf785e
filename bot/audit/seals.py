"""Walk the audit chain holding it to things the database does not hold: each row's seal
under the audit key, and signed checkpoints of earlier heads.

The unkeyed chain (audit_verify) shows rows changed by anyone who did not recompute the
hashes. This adds what such a person cannot fake without the key file: a forged or rewritten
row lacks a valid seal; a chain rebuilt from some point on no longer matches the hash a
checkpoint signed there; a log cut short ends before the last checkpoint. Rows written before
sealing was turned on carry no seal; once a sealed row appears, every later one must be sealed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row
from sqlalchemy.engine import Engine

from bot.audit.event import GENESIS_HASH, event_hash, iter_rows, row_dict
from bot.audit.keys import AuditKey, CheckpointSigner
from bot.audit.verify import VerifyReport, _link_problem

if TYPE_CHECKING:
    from bot.audit.signed_head import Checkpoint

Problem = tuple[int, str]


class ChainWalker:
    """Feed rows in seq order with step(); finish() names the first problem, or None.

    From genesis when `anchor` is None, else from the anchor checkpoint's own row, whose hash
    must still be the signed one."""

    def __init__(
        self,
        key: AuditKey,
        anchor: Checkpoint | None = None,
        checkpoints: Iterable[Checkpoint] = (),
    ) -> None:
        self._key = key
        self._anchor = anchor
        self._checkpoints = {c.seq: c for c in checkpoints}
        self._sealing = anchor is not None
        self.seq, self.head_hash, self.checked = 0, GENESIS_HASH, 0
        self.problem: Problem | None = None

    def step(self, row: Row[Any]) -> None:
        if self.problem is None:
            self.problem = self._row_problem(row)
            if self.problem is None:
                self.seq, self.head_hash, self.checked = row.seq, row.hash, self.checked + 1

    def finish(self) -> Problem | None:
        if self.problem is not None:
            return self.problem
        if self._anchor is not None and self.checked == 0:
            return self._anchor.seq, (
                f"the row signed by the checkpoint at seq {self._anchor.seq} and all after it "
                "are gone: rows cut from the end"
            )
        beyond = [seq for seq in self._checkpoints if seq > self.seq]
        if beyond:
            return self.seq + 1, (
                f"log ends at seq {self.seq} but a signed checkpoint covers seq {max(beyond)}: "
                "rows cut from the end"
            )
        return None

    def _row_problem(self, row: Row[Any]) -> Problem | None:
        if self.checked == 0 and self._anchor is not None:
            problem = self._anchor_problem(row, self._anchor)
        else:
            problem = _link_problem(row, self.seq, self.head_hash)
        if problem is None:
            problem = self._seal_problem(row)
        signed = self._checkpoints.get(row.seq)
        if problem is None and signed is not None and signed.hash != row.hash:
            problem = (
                row.seq,
                (
                    f"seq {row.seq} is not the row the checkpoint signed: "
                    "the chain was rewritten and its hashes recomputed"
                ),
            )
        return problem

    @staticmethod
    def _anchor_problem(row: Row[Any], anchor: Checkpoint) -> Problem | None:
        if row.seq != anchor.seq or row.hash != anchor.hash:
            return anchor.seq, (
                f"seq {anchor.seq} no longer holds the row the last checkpoint signed: "
                "rewritten or removed"
            )
        if event_hash(row_dict(row)) != row.hash:
            return row.seq, f"hash of seq {row.seq} does not match its contents: row altered"
        return None

    def _seal_problem(self, row: Row[Any]) -> Problem | None:
        if row.mac is None and not self._sealing:
            return None
        self._sealing = True
        if not self._key.seal_ok(row.hash, row.mac):
            return row.seq, (
                f"seq {row.seq} is not sealed by the audit key: written or rewritten outside socbot"
            )
        return None


def verify_against_checkpoints(
    engine: Engine,
    key: AuditKey,
    signer: CheckpointSigner,
    checkpoints: list[Checkpoint],
    *,
    batch_size: int = 10_000,
) -> VerifyReport:
    """The whole chain: links, hashes, seals, and every checkpoint's signature and row."""
    for checkpoint in checkpoints:
        if not signer.verify(checkpoint.message(), checkpoint.signature):
            reason = f"the checkpoint of seq {checkpoint.seq} does not carry a valid signature"
            return VerifyReport(False, 0, checkpoint.seq, reason, 0, GENESIS_HASH)
    walker = ChainWalker(key, None, checkpoints)
    for row in iter_rows(engine, batch_size=batch_size):
        walker.step(row)
        if walker.problem is not None:
            break
    problem = walker.finish()
    if problem is not None:
        return VerifyReport(
            False, walker.checked, problem[0], problem[1], walker.seq, walker.head_hash
        )
    reason = f"{walker.checked} events verified against {len(checkpoints)} signed checkpoints"
    return VerifyReport(True, walker.checked, None, reason, walker.seq, walker.head_hash)
