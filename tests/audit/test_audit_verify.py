"""verify finds tampering done behind the app's back, and names the first broken link.

Tampering needs the append-only triggers out of the way first, as an attacker with table
rights would do: DROP TRIGGER on SQLite, DISABLE TRIGGER USER on PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.audit.event import AUDIT_TABLE, event_hash, iter_rows, row_dict
from bot.audit.log import GENESIS_HASH, AuditLog, EventKind, chain_head, verify
from bot.db import is_postgres
from bot.errors import AuditIntegrityError
from bot.redaction import Redactor

EVENTS = 120


@pytest.fixture
def chained(engine: Engine) -> Engine:
    log = AuditLog(engine, Redactor())
    for index in range(EVENTS):
        kind = EventKind.TOOL_CALL if index % 2 else EventKind.MODEL_OUTPUT
        log.record(kind, task_id=f"task-{index // 10}", data={"index": index})
    return engine


def tamper(engine: Engine, *statements: str) -> None:
    """Run statements with the append-only triggers switched off."""
    with engine.begin() as conn:
        if is_postgres(engine):
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_delete"))
        for statement in statements:
            conn.execute(text(statement))


def rehash(engine: Engine, seq: int) -> None:
    """Recompute one row's hash after its contents changed, as a careful attacker would."""
    rows = iter_rows(engine, where=[AUDIT_TABLE.c.seq == seq])
    new_hash = event_hash(row_dict(next(iter(rows))))
    tamper(engine, f"UPDATE audit_event SET hash = '{new_hash}' WHERE seq = {seq}")


def test_untouched_chain_verifies_across_batches(chained: Engine) -> None:
    report = verify(chained, batch_size=7)
    assert report.ok, report.reason
    assert (report.events_checked, report.head_seq, report.first_bad_seq) == (EVENTS, EVENTS, None)
    assert (report.head_seq, report.head_hash) == chain_head(chained)
    report.raise_if_broken()


def test_empty_log_verifies(engine: Engine) -> None:
    report = verify(engine)
    assert report.ok and report.events_checked == 0
    assert (report.head_seq, report.head_hash) == (0, GENESIS_HASH)
    assert verify(engine, expected_head=(0, GENESIS_HASH)).ok


@pytest.mark.parametrize("seq", [1, 40, 63, EVENTS])
def test_altered_data_is_found_at_its_row(chained: Engine, seq: int) -> None:
    tamper(chained, f"""UPDATE audit_event SET data = '{{"index":-1}}' WHERE seq = {seq}""")
    report = verify(chained, batch_size=7)
    assert not report.ok
    assert report.first_bad_seq == seq
    assert report.events_checked == seq - 1
    assert "altered" in report.reason
    with pytest.raises(AuditIntegrityError, match=f"seq {seq}"):
        report.raise_if_broken()


def test_altered_row_with_recomputed_hash_breaks_the_next_link(chained: Engine) -> None:
    tamper(chained, "UPDATE audit_event SET actor = 'someone-else' WHERE seq = 30")
    rehash(chained, 30)
    report = verify(chained)
    assert not report.ok and report.first_bad_seq == 31
    assert "prev_hash of seq 31" in report.reason


def test_deleted_middle_row_is_named(chained: Engine) -> None:
    tamper(chained, "DELETE FROM audit_event WHERE seq = 50")
    report = verify(chained, batch_size=7)
    assert not report.ok and report.first_bad_seq == 50
    assert "deleted" in report.reason and "49 to 51" in report.reason


def test_deleted_range_is_named(chained: Engine) -> None:
    tamper(chained, "DELETE FROM audit_event WHERE seq BETWEEN 70 AND 74")
    report = verify(chained)
    assert not report.ok and report.first_bad_seq == 70
    assert "70..74" in report.reason


def test_deleted_and_renumbered_rows_are_found(chained: Engine) -> None:
    tamper(
        chained,
        "DELETE FROM audit_event WHERE seq = 20",
        # Renumber upward through a free range so no two rows ever share a seq.
        f"UPDATE audit_event SET seq = seq + {EVENTS * 10} WHERE seq > 20",
        f"UPDATE audit_event SET seq = seq - {EVENTS * 10} - 1 WHERE seq > {EVENTS * 10}",
    )
    report = verify(chained)
    assert not report.ok and report.first_bad_seq == 20


def test_swapped_rows_are_found(chained: Engine) -> None:
    tamper(
        chained,
        "UPDATE audit_event SET seq = -1 WHERE seq = 10",
        "UPDATE audit_event SET seq = 10 WHERE seq = 11",
        "UPDATE audit_event SET seq = 11 WHERE seq = -1",
    )
    report = verify(chained)
    assert not report.ok and report.first_bad_seq == 10


def test_deleted_tail_needs_the_remembered_head(chained: Engine) -> None:
    remembered = chain_head(chained)
    tamper(chained, f"DELETE FROM audit_event WHERE seq > {EVENTS - 3}")
    alone = verify(chained)
    assert alone.ok and alone.head_seq == EVENTS - 3
    anchored = verify(chained, expected_head=remembered)
    assert not anchored.ok and anchored.first_bad_seq == EVENTS - 2
    assert "cut from the end" in anchored.reason


def test_rewritten_last_row_needs_the_remembered_head(chained: Engine) -> None:
    remembered = chain_head(chained)
    tamper(chained, f"UPDATE audit_event SET actor = 'forger' WHERE seq = {EVENTS}")
    rehash(chained, EVENTS)
    assert verify(chained).ok
    anchored = verify(chained, expected_head=remembered)
    assert not anchored.ok and anchored.first_bad_seq == EVENTS
    assert "rewritten" in anchored.reason


def test_remembered_older_head_still_verifies(chained: Engine) -> None:
    seq = 60
    rows = iter_rows(chained, where=[AUDIT_TABLE.c.seq == seq])
    assert verify(chained, expected_head=(seq, next(iter(rows)).hash)).ok
    assert not verify(chained, expected_head=(seq, "f" * 64)).ok
