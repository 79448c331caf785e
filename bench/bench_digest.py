"""Benchmark the weekly digest over a million audit events, on SQLite and PostgreSQL.

Run on demand, from the repository root (not collected by pytest):

    PYTHONPATH=. python bench/bench_digest.py --events 1000000
    PYTHONPATH=. python bench/bench_digest.py --events 100000 --postgres-url '' --repeat 1

bench/digest_events.py writes two ISO weeks (2026-W46 and 2026-W47) of activity as sealed,
chained audit rows into a SQLite file built by the real migrations. The file is kept under
--cache and reused, since it takes about two minutes to make. It is then copied row for row
into a fresh PostgreSQL schema (COPY, then VACUUM ANALYZE, the state autovacuum keeps a live
table in). Every measurement runs in a fresh Python process, so its peak RSS is its own:
- digest (--repeat times): compute_digest for 2026-W47 beside 2026-W46, as the Monday post
  would, without the chain check; its wall and CPU time, then the chart;
- heap: the same under tracemalloc, for the Python heap peak (slower, so not timed);
- verify: the chain check alone (bot.audit.verify over the whole log).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bench.digest_events import activity
from bot.audit.event import AUDIT_TABLE, ROW_COLUMNS
from bot.clock import as_utc
from bot.db import make_engine
from bot.digest.chart import render_chart
from bot.digest.compute import DigestOptions, check_chain, compute_digest
from bot.digest.window import digest_zone, previous_window, week_window
from bot.schema import create_schema

WEEK, ZONE = "2026-W47", digest_zone("UTC")
POSTED_AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # the Monday post after W47
LOAD_BATCH = 20_000
PRICES = {"gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00)}


def sqlite_file(cache: Path, events: int) -> Path:
    """The generated log as a SQLite file, made once per size and kept."""
    path = cache / f"digest-{events}.db"
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{partial}")
    create_schema(engine)
    began = time.perf_counter()
    batch: list[dict[str, Any]] = []
    first = week_window("2026-W46", ZONE)
    for row in activity(first.start, week_window(WEEK, ZONE).end, events):
        batch.append(row)
        if len(batch) == LOAD_BATCH:
            _insert(engine, batch)
    _insert(engine, batch)
    engine.dispose()
    partial.rename(path)
    print(f"generated {events:,} events into {path} in {time.perf_counter() - began:.0f} s")
    return path


def _insert(engine: Engine, batch: list[dict[str, Any]]) -> None:
    if batch:
        with engine.begin() as conn:
            conn.execute(AUDIT_TABLE.insert(), batch)
        batch.clear()


def copy_to_postgres(source: Path, engine: Engine) -> None:
    create_schema(engine)
    reader = sqlite3.connect(source)
    raw = engine.raw_connection()
    try:
        cursor = reader.execute(f"SELECT {', '.join(ROW_COLUMNS)} FROM audit_event ORDER BY seq")
        with (
            raw.cursor() as pg,
            pg.copy(  # type: ignore[attr-defined]
                f"COPY audit_event ({', '.join(ROW_COLUMNS)}) FROM STDIN"
            ) as copy,
        ):
            while rows := cursor.fetchmany(LOAD_BATCH):
                for row in rows:
                    copy.write_row(_pg_row(row))
        raw.commit()
        # The steady state autovacuum keeps a live table in: statistics and visibility map.
        raw.driver_connection.autocommit = True
        raw.driver_connection.execute("VACUUM ANALYZE audit_event")
        raw.driver_connection.autocommit = False
    finally:
        raw.close()
        reader.close()


def _pg_row(row: tuple[Any, ...]) -> list[Any]:
    return [row[0], as_utc(datetime.fromisoformat(row[1])), *row[2:]]


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    schema, admin = f"bench_digest_{uuid.uuid4().hex[:10]}", make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def measure(url: str, mode: str) -> dict[str, Any]:
    """In this fresh process: the digest and chart ("digest"), the digest under tracemalloc
    ("heap"), or the chain check ("verify"); times and peak memory."""
    engine = make_engine(url)
    if mode == "verify":
        began = time.perf_counter()
        chain = check_chain(engine, None)
        return {"verify_s": time.perf_counter() - began, "chain_ok": chain.ok, **_rss()}
    window = week_window(WEEK, ZONE)
    options = DigestOptions(sla_hours=4, prices=PRICES, verify_chain=False)
    if mode == "heap":
        tracemalloc.start()
    began, cpu = time.perf_counter(), time.process_time()
    digest = compute_digest(engine, window, previous_window(window, ZONE), options, now=POSTED_AT)
    computed, cpu = time.perf_counter(), time.process_time() - cpu
    if mode == "heap":
        return {"heap_peak_mib": tracemalloc.get_traced_memory()[1] / 2**20}
    png = render_chart(digest)
    return {
        "events": digest.current.events + digest.previous.events,
        "digest_s": computed - began,
        "digest_cpu_s": cpu,
        "chart_s": time.perf_counter() - computed,
        "chart_bytes": len(png),
        "executed": digest.current.actions.executed,
        "complete_share": digest.current.completeness.share,
        **_rss(),
    }


def _rss() -> dict[str, float]:
    return {"rss_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_measure(url: str, mode: str) -> dict[str, Any]:
    command = [sys.executable, __file__, "--measure", url, "--mode", mode]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def report(backend: str, url: str, repeat: int) -> None:
    runs = sorted((run_measure(url, "digest") for _ in range(repeat)), key=lambda r: r["digest_s"])
    best, middle = runs[0], runs[len(runs) // 2]
    heap = run_measure(url, "heap")
    chain = run_measure(url, "verify")
    print(
        f"{backend:<11}{best['events']:>10,}{best['digest_s']:>10.2f}{middle['digest_s']:>10.2f}"
        f"{best['digest_cpu_s']:>10.2f}{best['chart_s']:>10.2f}"
        f"{max(r['rss_peak_mib'] for r in runs):>10.0f}{heap['heap_peak_mib']:>10.1f}"
        f"{chain['verify_s']:>10.1f}"
    )
    print(
        f"{'':11}executed {best['executed']:,}, lineage complete {best['complete_share']:.3f}; "
        f"verify: chain ok {chain['chain_ok']}, peak RSS {chain['rss_peak_mib']:.0f} MiB"
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/socbot-bench-digest"))
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "SOCBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="'' skips PostgreSQL",
    )
    parser.add_argument("--repeat", type=int, default=3, help="digest runs per backend")
    parser.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="digest", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.mode)))
        return
    source = sqlite_file(args.cache, args.events)
    print(f"\ndigest of {WEEK} beside the week before; times in seconds, memory in MiB")
    print("best/median: digest wall time over --repeat fresh processes; cpu: that process's")
    header = ("backend", "events", "best", "median", "cpu", "chart", "RSS peak", "heap", "verify")
    print("".join(f"{name:<11}" if i == 0 else f"{name:>10}" for i, name in enumerate(header)))
    report("SQLite", f"sqlite:///{source}", args.repeat)
    if args.postgres_url:
        with postgres_schema(args.postgres_url) as url:
            engine = make_engine(url)
            began = time.perf_counter()
            copy_to_postgres(source, engine)
            engine.dispose()
            print(f"{'':11}(copied to PostgreSQL in {time.perf_counter() - began:.0f} s)")
            report("PostgreSQL", url, args.repeat)


if __name__ == "__main__":
    main(sys.argv[1:])
