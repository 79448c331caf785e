"""Alert intake benchmarks, on demand from the repository root:

    PYTHONPATH=. python bench/bench_intake.py [--only webhook|storm|tokens] [--postgres-url URL]

webhook  Signed alerts POSTed over loopback keep-alive connections to the webhook (uvicorn
         in a child process) until --requests are answered; the rate counts 202s, and every
         202 is checked against the rows in the database afterwards (accepted = durable).
storm    --storm alerts in one minute of event time over 50 identities, ingested while two
         triage workers run; model conversations and publisher posts are counted against the
         number of triage groups. Once with repeats (dedupe collapses them), once with a
         distinct target per alert (only storm grouping collapses them).
tokens   Prompt tokens per triage: the data block the model sees (normalized fields plus
         the compacted event) against the raw event's JSON, per platform, and for a storm
         group against the JSON of all its alerts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from intake_load import (  # noqa: E402
    CountingModel,
    CountingPublisher,
    okta_event,
    send_all,
    start_servers,
    storm_events,
)
from sqlalchemy import text  # noqa: E402

from bot.agent.offline import OfflineEngine  # noqa: E402
from bot.agent.tokens import TokenCounter  # noqa: E402
from bot.alerts.intake.normalize import normalize_event  # noqa: E402
from bot.alerts.intake.pipeline import Intake, IntakeItem  # noqa: E402
from bot.alerts.intake.signature import signed_headers  # noqa: E402
from bot.alerts.triage.model_input import alert_text, group_text  # noqa: E402
from bot.alerts.triage.worker import TriageWorker  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import make_engine  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.schema import create_schema  # noqa: E402
from tools.providers.lab.seed import seed_lab  # noqa: E402

DATA = REPO_ROOT / ".." / "shared" / "data" / "identity-events-dev.jsonl"
SECRET = "bench-webhook-secret"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def databases(args: argparse.Namespace, folder: Path) -> list[tuple[str, str, str | None]]:
    """(label, url, schema to drop) for SQLite and, if asked, PostgreSQL."""
    found = [("SQLite", f"sqlite:///{folder / 'bench.db'}", None)]
    if args.postgres_url:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with make_engine(args.postgres_url).begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        found.append(
            ("PostgreSQL", f"{args.postgres_url}?options=-csearch_path%3D{schema}", schema)
        )
    return found


def drop_schema(args: argparse.Namespace, schema: str | None) -> None:
    if schema:
        with make_engine(args.postgres_url).begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def settings_for(url: str, **extra: Any) -> Settings:
    return Settings(
        _env_file=None,
        database_url=url,
        policy_path=REPO_ROOT / "policy.yaml",
        openai_api_key=None,
        alert_secrets={"okta": SECRET},
        **extra,
    )


# -- webhook ---------------------------------------------------------------------------------


def bench_webhook(label: str, url: str, requests: int, conns: int, servers: int) -> None:
    create_schema(make_engine(url))
    before = _count(url, "SELECT count(*) FROM alert")
    events = [okta_event(f"user{n}@lab.example", at=_now()) for n in range(requests)]
    bodies = [json.dumps(event).encode() for event in events]
    load = [("/alerts/okta", body, signed_headers(SECRET, body)) for body in bodies]
    warm = min(200, requests)
    running = start_servers(settings_for(url), servers)
    try:
        send_all(running.ports, load[:warm], conns)  # warm-up, not counted
        result = send_all(running.ports, load[warm:], conns)
    finally:
        cpu = running.close()
    stored = _count(url, "SELECT count(*) FROM alert") - before
    answered = result.statuses.get(202, 0)
    print(
        f"{label:<11} {servers} process(es): {answered / result.seconds:>6,.0f} alerts/s "
        f"accepted over {conns} connections; statuses {dict(sorted(result.statuses.items()))}; "
        f"{stored:,} rows stored for {answered + warm:,} answers 202; server CPU "
        f"{cpu / (answered + warm) * 1000:.2f} ms per alert"
    )


def _now() -> Any:
    from bot.clock import utcnow

    return utcnow()


def _count(url: str, sql: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


# -- storm -----------------------------------------------------------------------------------


def bench_storm(label: str, url: str, count: int, *, distinct: bool) -> None:
    counter = TokenCounter()
    model = CountingModel(OfflineEngine(counter))
    runtime = Runtime(settings_for(url), model_override=model)
    seed_lab(runtime.engine)
    publisher = CountingPublisher()
    stop = threading.Event()
    workers = [TriageWorker(runtime, publisher, poll_seconds=0.2) for _ in range(2)]
    threads = [threading.Thread(target=w.run_forever, args=(stop,)) for w in workers]
    for thread in threads:
        thread.start()
    events = storm_events(count, 50, distinct_targets=distinct)
    started = time.perf_counter()
    intake = Intake(runtime)
    for start in range(0, count, 200):
        items = [IntakeItem(e, "okta", "webhook") for e in events[start : start + 200]]
        intake.accept_many(items)
        for worker in workers:
            worker.wake()
    ingest_seconds = time.perf_counter() - started
    _wait_drained(runtime)
    stop.set()
    for thread in threads:
        thread.join(60)
    _report_storm(label, url, count, distinct, model, publisher, ingest_seconds)


def _wait_drained(runtime: Runtime, limit: float = 600) -> None:
    deadline = time.monotonic() + limit
    pending = (
        "SELECT count(*) FROM triage_group WHERE status IN ('queued', 'running') OR publish_pending"
    )
    while _count(runtime.settings.database_url, pending) and time.monotonic() < deadline:
        time.sleep(0.2)


def _report_storm(
    label: str,
    url: str,
    count: int,
    distinct: bool,
    model: CountingModel,
    publisher: CountingPublisher,
    ingest_seconds: float,
) -> None:
    groups = _count(url, "SELECT count(*) FROM triage_group WHERE status <> 'merged'")
    storms = _count(url, "SELECT count(*) FROM triage_group WHERE kind = 'storm'")
    dupes = _count(url, "SELECT count(*) FROM alert WHERE status = 'duplicate'")
    verdict = "ok" if model.conversations <= groups and publisher.posts <= groups else "OVER"
    kind = "distinct targets" if distinct else "repeats"
    print(
        f"{label:<11} {kind:<16} {count:,} alerts ({dupes:,} duplicates) in "
        f"{ingest_seconds:.1f} s: {groups} groups ({storms} storm), "
        f"{model.conversations} triages ({model.turns} model turns), {publisher.posts} posts, "
        f"{publisher.duplicate_updates} counter updates [{verdict}]"
    )


# -- tokens ----------------------------------------------------------------------------------


def bench_tokens(data: Path) -> None:
    counter = TokenCounter()
    ratios: dict[str, list[tuple[int, int]]] = defaultdict(list)
    failed = 0
    for record in _records(data):
        try:
            alert = normalize_event(record["event"])
        except Exception:
            failed += 1
            continue
        raw = counter.count(json.dumps(record["event"]))
        ratios[record.get("platform", "?")].append((raw, counter.count(alert_text(alert))))
    everything = [pair for pairs in ratios.values() for pair in pairs]
    print(f"{'platform':<17}{'n':>5}{'raw':>9}{'prompt':>9}{'total':>8}{'median':>8}")
    for name, pairs in [*sorted(ratios.items(), key=lambda i: -len(i[1])), ("overall", everything)]:
        raw, sent = sum(p[0] for p in pairs), sum(p[1] for p in pairs)
        median = statistics.median(p[1] / p[0] for p in pairs)
        print(f"{name:<17}{len(pairs):>5}{raw:>9}{sent:>9}{sent / raw:>8.1%}{median:>8.1%}")
    print(f"({failed} events did not normalize and are left out)")
    _storm_tokens(counter)


def _storm_tokens(counter: TokenCounter) -> None:
    events = storm_events(10_000, 50, distinct_targets=True)
    alerts = [normalize_event(event, "okta") for event in events[:50:10]]
    sent = counter.count(group_text(alerts, len(events), is_storm=True, variety=len(events)))
    raw = sum(counter.count(json.dumps(event)) for event in events)
    print(f"storm of {len(events):,}: {sent:,} prompt tokens vs {raw:,} raw ({sent / raw:.3%})")


def _records(path: Path) -> Any:
    if not path.exists():
        demo = sorted((REPO_ROOT / "bot" / "demo_alerts").glob("*.json"))
        return [{"event": json.loads(p.read_text()), "platform": p.stem[3:8]} for p in demo]
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("webhook", "storm", "tokens"))
    parser.add_argument("--requests", type=int, default=5_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--servers", type=int, nargs="+", default=[1, 2], help="webhook processes, per run"
    )
    parser.add_argument("--storm", type=int, default=10_000)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="'' to skip PostgreSQL")
    args = parser.parse_args()
    if args.only in (None, "tokens"):
        bench_tokens(args.data)
    for section in ("webhook", "storm"):
        if args.only not in (None, section):
            continue
        for variant in (False, True) if section == "storm" else (False,):
            with tempfile.TemporaryDirectory() as folder:
                for label, url, schema in databases(args, Path(folder)):
                    try:
                        if section == "webhook":
                            for servers in args.servers:
                                bench_webhook(label, url, args.requests, args.connections, servers)
                        else:
                            bench_storm(label, url, args.storm, distinct=variant)
                    finally:
                        drop_schema(args, schema)


if __name__ == "__main__":
    main()
