"""The digest's reads: window edges are exact whichever way SQLite spelled a time, and the
digest reads without holding SQLite's write lock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.audit.log import export_events
from bot.digest.queries import Span, count_kinds
from bot.digest.reader import to_micros
from bot.digest.snapshot import audit_snapshot, audit_snapshots
from bot.runtime import Runtime
from tests.digest.activity import THIS_MONDAY
from tests.digest.clock import FakeClock, install


def test_rows_on_the_edge_of_a_window_fall_on_the_right_side(
    make_runtime: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first append of a process is written by SQLAlchemy ('… 00:00:00.000000'), later
    ones by the log's fast path, through which a whole second reads '… 00:00:00+00:00'."""
    clock = FakeClock(THIS_MONDAY - timedelta(seconds=1), tick=timedelta(0))
    install(monkeypatch, clock)
    runtime = make_runtime(seed=False)
    runtime.audit.record("limit.hit", data={"limit": "before"})
    for edge in (THIS_MONDAY, THIS_MONDAY + timedelta(days=7)):
        clock.set(edge)
        runtime.audit.record("limit.hit", data={"limit": "on the edge"})
    week = Span(THIS_MONDAY, THIS_MONDAY + timedelta(days=7))
    with audit_snapshot(runtime.engine) as reader:
        assert count_kinds(reader, week)["limit.hit"] == 1
        before = Span(THIS_MONDAY - timedelta(days=7), THIS_MONDAY)
        assert count_kinds(reader, before)["limit.hit"] == 1
        times = [at for (at,) in reader.rows(f"SELECT {reader.at_micros()} FROM audit_event", {})]
    exported = [line for line in export_events(runtime.engine) if '"limit.hit"' in line]
    assert len(exported) == 3
    assert sorted(times)[-2:] == [to_micros(THIS_MONDAY), to_micros(week.end)]


def test_a_digest_read_does_not_hold_up_audit_appends(
    make_runtime: Callable[..., Runtime],
) -> None:
    runtime = make_runtime(seed=False)
    runtime.audit.record("limit.hit", data={"limit": "tokens"})
    appended = threading.Event()
    with audit_snapshot(runtime.engine) as reader:
        assert count_kinds(
            reader, Span(THIS_MONDAY - timedelta(days=3650), THIS_MONDAY + timedelta(days=3650))
        )

        def append() -> None:
            runtime.audit.record("limit.hit", data={"limit": "seconds"})
            appended.set()

        writer = threading.Thread(target=append)
        writer.start()
        assert appended.wait(10), "an audit append waited for the digest's read"
        writer.join()
        wide = Span(THIS_MONDAY - timedelta(days=3650), THIS_MONDAY + timedelta(days=3650))
        assert count_kinds(reader, wide)["limit.hit"] == 1  # the snapshot stays as it was


def test_readers_of_one_snapshot_agree_though_rows_land_between_them(
    make_runtime: Callable[..., Runtime],
) -> None:
    runtime = make_runtime(seed=False)
    runtime.audit.record("limit.hit", data={"limit": "tokens"})
    wide = Span(THIS_MONDAY - timedelta(days=3650), THIS_MONDAY + timedelta(days=3650))
    with audit_snapshots(runtime.engine, 2) as (first, second):
        before = count_kinds(first, wide)["limit.hit"]
        writer = threading.Thread(
            target=runtime.audit.record, args=("limit.hit",), kwargs={"data": {"limit": "turns"}}
        )
        writer.start()
        writer.join(10)
        assert count_kinds(second, wide)["limit.hit"] == before == 1
    with audit_snapshot(runtime.engine) as later:
        assert count_kinds(later, wide)["limit.hit"] == 2


def test_a_credential_revoked_twice_keeps_every_lag(
    make_runtime: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The broker revokes once; a log that says otherwise still has each row's lag counted."""
    from bot.digest.kpi_credentials import credential_kpis

    clock = FakeClock(THIS_MONDAY + timedelta(hours=1), tick=timedelta(seconds=1))
    install(monkeypatch, clock)
    runtime = make_runtime(seed=False)
    issued = {"credential_id": "cred_twice", "scopes": ["a:read", "b:read"]}
    runtime.audit.record("credential.issued", data=issued)
    for lag in (4.0, 10.0):
        runtime.audit.record(
            "credential.revoked", data={"credential_id": "cred_twice", "lag_ms": lag}
        )
    week = Span(THIS_MONDAY, THIS_MONDAY + timedelta(days=7))
    with audit_snapshot(runtime.engine) as reader:
        kpis = credential_kpis(reader, week, count_kinds(reader, week))
    assert kpis.revocation_lag_median_ms == 7.0
    assert kpis.lifetime_max_s == 1.0  # to the first revocation
    assert kpis.credential_seconds == 2.0  # one second, two scopes
