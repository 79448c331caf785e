"""Benchmark the audit log: chained appends against plain inserts, and verify on a big chain.

Run on demand, from the repository root (not collected by pytest):

    PYTHONPATH=. python bench/bench_audit.py --events 5000 --verify-events 1000000

Appends: one writer on SQLite (a temp file) and PostgreSQL (a temp schema). "chained" is
AuditLog.record (redaction, chain lock, hash, insert); "plain" inserts the same row shape into
an unchained twin table with the same indexes, done the same way as AuditLog does it on that
backend: on PostgreSQL one autocommit statement on a kept connection, on SQLite one pooled
transaction per event. "pooled" is the plain insert in one pooled transaction per event, for
reference. They run in alternating rounds in the same process, so a busy machine slows all
alike. Verify: a chain of --verify-events rows is bulk-loaded with precomputed hashes (COPY on
PostgreSQL), then bot.audit.log.verify streams and rechecks all of it.
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Column, MetaData, Table, text
from sqlalchemy.engine import Engine

from bot.audit.event import AUDIT_TABLE, GENESIS_HASH, ROW_COLUMNS, seal
from bot.audit.log import (
    AuditLog,
    AutocommitConnections,
    EventKind,
    install_append_only_triggers,
    keeps_connections,
    verify,
)
from bot.canonical import canonical_json
from bot.clock import utcnow
from bot.db import is_postgres, make_engine
from bot.redaction import Redactor

ROUNDS = 5
LOAD_BATCH = 20_000
Appender = Callable[[int], None]


@dataclass
class Timing:
    wall: float = 0.0
    cpu: float = 0.0  # this process's CPU: the Python side of an append, free of disk noise


@dataclass
class AppendResult:
    backend: str
    strategy: str
    events: int
    timings: dict[str, Timing]  # chained, plain, pooled


def sample_data(index: int) -> dict[str, Any]:
    return {
        "args": {"identity": "alice@lab.example", "hours": 24},
        "text": "Checking recent sign-ins for alice before deciding on containment.",
        "index": index,
    }


def plain_twin(metadata: MetaData) -> Table:
    """audit_event's columns and indexes under another name, with no chain and no triggers."""
    columns = [
        Column(
            c.name,
            c.type,
            primary_key=c.primary_key,
            autoincrement=False,
            nullable=c.nullable,
            index=bool(c.index),
        )
        for c in AUDIT_TABLE.columns
    ]
    return Table("audit_event_plain", metadata, *columns)


def create_tables(engine: Engine) -> Table:
    metadata = MetaData()
    plain = plain_twin(metadata)
    AUDIT_TABLE.create(engine)
    plain.create(engine)
    install_append_only_triggers(engine)
    return plain


def plain_row(seq: int) -> dict[str, Any]:
    filler = "0" * 64
    return {
        "seq": seq,
        "ts": utcnow(),
        "task_id": "bench-task",
        "actor": "socbot",
        "kind": str(EventKind.TOOL_CALL),
        "tool": "get_identity",
        "data": canonical_json(sample_data(seq)),
        "policy_version": None,
        "prompt_hash": None,
        "tool_hash": None,
        "prev_hash": filler,
        "hash": filler,
        "mac": None,
    }


def pooled_appender(engine: Engine, plain: Table, seq_offset: int) -> Appender:
    """The plain insert in one pooled transaction per event."""
    insert = plain.insert()

    def append(index: int) -> None:
        with engine.begin() as conn:
            conn.execute(insert, plain_row(seq_offset + index + 1))

    return append


def kept_appender(connections: AutocommitConnections, seq_offset: int) -> Appender:
    """The plain insert as one autocommit statement on a kept connection, as AuditLog does."""
    values = ", ".join(f"%({name})s" for name in ROW_COLUMNS)
    insert = f"INSERT INTO audit_event_plain ({', '.join(ROW_COLUMNS)}) VALUES ({values})"

    def append(index: int) -> None:
        if connections.execute(insert, plain_row(seq_offset + index + 1)) != 1:
            raise RuntimeError("plain insert stored nothing")

    return append


def chained_appender(log: AuditLog) -> Appender:
    def append(index: int) -> None:
        log.record(
            EventKind.TOOL_CALL, task_id="bench-task", tool="get_identity", data=sample_data(index)
        )

    return append


def bench_redactor() -> Redactor:
    redactor = Redactor()
    for _ in range(50):  # a realistic number of issued secrets to look for
        redactor.add_secret("scb_" + secrets.token_urlsafe(32))
    return redactor


def timed_range(append: Appender, start: int, stop: int, timing: Timing) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    for index in range(start, stop):
        append(index)
    timing.wall += time.perf_counter() - wall
    timing.cpu += time.process_time() - cpu


def run_rounds(appenders: dict[str, Appender], events: int) -> dict[str, Timing]:
    timings = {name: Timing() for name in appenders}
    per_round = events // ROUNDS
    for round_start in range(0, per_round * ROUNDS, per_round):
        for name, append in appenders.items():
            timed_range(append, round_start, round_start + per_round, timings[name])
    return timings


def bench_appends(backend: str, engine: Engine, events: int) -> AppendResult:
    plain, log = create_tables(engine), AuditLog(engine, bench_redactor())
    kept = AutocommitConnections(engine) if keeps_connections(engine) else None
    events = max(1, events // ROUNDS) * ROUNDS
    appenders = {
        "chained": chained_appender(log),
        "plain": kept_appender(kept, 0) if kept else pooled_appender(engine, plain, 0),
        "pooled": pooled_appender(engine, plain, events),
    }
    try:
        timings = run_rounds(appenders, events)
    finally:
        log.close()
        if kept is not None:
            kept.close()
    report = verify(engine)
    assert report.ok and report.head_seq == events, report
    strategy = "kept autocommit" if kept else "pooled txn"
    return AppendResult(backend, strategy, events, timings)


def chain_batches(count: int) -> Iterator[list[dict[str, Any]]]:
    """count sealed rows, oldest first, in batches; one second apart, ending now."""
    prev_hash, start = GENESIS_HASH, utcnow() - timedelta(seconds=count)
    kinds = list(EventKind)
    for batch_start in range(1, count + 1, LOAD_BATCH):
        batch = []
        for seq in range(batch_start, min(batch_start + LOAD_BATCH, count + 1)):
            fields = {
                "ts": start + timedelta(seconds=seq),
                "task_id": f"task-{seq // 12}",
                "kind": str(kinds[seq % len(kinds)]),
                "actor": "socbot",
                "tool": None,
                "data": canonical_json(sample_data(seq)),
                "policy_version": None,
                "prompt_hash": None,
                "tool_hash": None,
            }
            row = seal(fields, seq, prev_hash)
            prev_hash = row["hash"]
            batch.append(row)
        yield batch


def load_chain(engine: Engine, count: int) -> None:
    AUDIT_TABLE.create(engine)
    install_append_only_triggers(engine)
    for batch in chain_batches(count):
        if is_postgres(engine):
            copy_rows(engine, batch)
        else:
            with engine.begin() as conn:
                conn.execute(AUDIT_TABLE.insert(), batch)


def copy_rows(engine: Engine, batch: list[dict[str, Any]]) -> None:
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:  # type: ignore[attr-defined]
            sql = f"COPY audit_event ({', '.join(ROW_COLUMNS)}) FROM STDIN"
            with cursor.copy(sql) as copy:
                for row in batch:
                    copy.write_row([row[name] for name in ROW_COLUMNS])
        raw.commit()
    finally:
        raw.close()


def bench_verify(engine: Engine, count: int) -> tuple[float, float, int]:
    """(load seconds, verify seconds, peak RSS MiB after verify)."""
    began = time.perf_counter()
    load_chain(engine, count)
    loaded = time.perf_counter()
    report = verify(engine)
    verified = time.perf_counter()
    assert report.ok and report.events_checked == count, report
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return loaded - began, verified - loaded, peak_mib


@contextmanager
def sqlite_engine() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def postgres_engine(url: str, synchronous_commit: str) -> Iterator[Engine]:
    schema, admin = f"bench_audit_{uuid.uuid4().hex[:10]}", make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    options = f"-csearch_path%3D{schema}%20-csynchronous_commit%3D{synchronous_commit}"
    engine = make_engine(f"{url}{'&' if '?' in url else '?'}options={options}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def print_appends(results: list[AppendResult], note: str) -> None:
    print(f"\nappends, one writer, {ROUNDS} alternating rounds{note}")
    print("chain cost = chained time ÷ plain time; cpu = this process's CPU per event")
    print(
        f"{'backend':<11}{'plain done as':<16}{'events':>7}{'chained ev/s':>13}{'plain ev/s':>11}"
        f"{'chain cost':>11}{'pooled ev/s':>12}{'cpu chained':>12}{'cpu plain':>10}"
    )
    for r in results:
        chained, plain, pooled = (r.timings[name] for name in ("chained", "plain", "pooled"))
        print(
            f"{r.backend:<11}{r.strategy:<16}{r.events:>7}{r.events / chained.wall:>13,.0f}"
            f"{r.events / plain.wall:>11,.0f}{chained.wall / plain.wall:>10.2f}x"
            f"{r.events / pooled.wall:>12,.0f}{chained.cpu * 1e6 / r.events:>9.0f} µs"
            f"{plain.cpu * 1e6 / r.events:>7.0f} µs"
        )


def print_verify(backend: str, count: int, figures: tuple[float, float, int]) -> None:
    load, seconds, peak = figures
    print(
        f"{backend:<11}{count:>10,}{load:>9.1f}s{seconds:>10.1f}s{count / seconds:>12,.0f}"
        f"{seconds * 1_000_000 / count:>11.1f}s{peak:>9} MiB"
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000, help="appends per backend")
    parser.add_argument("--verify-events", type=int, default=1_000_000, help="chain length")
    default_url = os.environ.get(
        "SOCBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument("--postgres-url", default=default_url, help="'' to skip PostgreSQL")
    parser.add_argument(
        "--pg-synchronous-commit",
        choices=["on", "off"],
        default="on",
        help="off only to see what is left when commits skip the disk flush (diagnosis)",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    backends: list[tuple[str, Callable[[], Any]]] = [("sqlite", sqlite_engine)]
    if args.postgres_url:
        sync = args.pg_synchronous_commit
        backends.append(("postgresql", lambda: postgres_engine(args.postgres_url, sync)))
    results = []
    for name, open_engine in backends:
        with open_engine() as engine:
            results.append(bench_appends(name, engine, args.events))
    sync_note = "" if args.pg_synchronous_commit == "on" else "; PostgreSQL synchronous_commit=off"
    print_appends(results, sync_note)
    print(f"\nverify ({datetime.now(UTC):%Y-%m-%d %H:%M}Z)")
    print(
        f"{'backend':<11}{'events':>10}{'load':>10}{'verify':>11}{'ev/s':>12}"
        f"{'per 1M':>12}{'peak RSS':>13}"
    )
    for name, open_engine in backends:
        with open_engine() as engine:
            print_verify(name, args.verify_events, bench_verify(engine, args.verify_events))


if __name__ == "__main__":
    main(sys.argv[1:])
