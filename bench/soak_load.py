"""Load, sampling and faults for bench_soak.py.

- Sender: signed Okta-shaped alerts at a steady rate over keep-alive connections, with storm
  bursts and repeats (duplicates); a 503 is sent again after its Retry-After and a timeout
  at once, as real senders do, so a slow database shows up as alerts stored twice.
- Sampler: the server process's RSS and open fds, and the triage backlog, every few seconds.
- Faults: Slack 5xx or 429 windows on the stand-in, a PostgreSQL table lock (or an SQLite
  write lock) held by another connection.
"""

from __future__ import annotations

import http.client
import json
import queue
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from intake_load import okta_event

from bot.alerts.intake.signature import signed_headers

SEND_TIMEOUT = 10.0  # what a vendor's webhook sender typically waits
EVENT_TYPES = 200  # spread over so many types that steady traffic is not a storm
STORM_SIZE = 50
REPEAT_SHARE = 0.1


@dataclass
class Sent:
    at: float  # monotonic, when first sent
    latency: float
    status: int
    uuid: str
    alert_id: str | None
    attempts: int


@dataclass
class Sender:
    """Sends alerts to host:port at `rate` per second until stopped."""

    port: int
    secret: str
    rate: float
    storm_every: float
    threads: int = 16
    results: list[Sent] = field(default_factory=list)
    retries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _queue: queue.Queue[tuple[dict[str, Any], float, int] | None] = field(
        default_factory=queue.Queue
    )
    _recent: list[dict[str, Any]] = field(default_factory=list)

    def run(self, seconds: float) -> None:
        workers = [threading.Thread(target=self._work, daemon=True) for _ in range(self.threads)]
        for worker in workers:
            worker.start()
        self._pace(seconds)
        for _ in workers:
            self._queue.put(None)
        for worker in workers:
            worker.join(120)

    def _pace(self, seconds: float) -> None:
        started = time.monotonic()
        next_storm, sent = started + self.storm_every, 0
        while (now := time.monotonic()) < started + seconds:
            due = int((now - started) * self.rate)
            while sent < due:
                self._queue.put((self._event(sent), time.monotonic(), 1))
                sent += 1
            if now >= next_storm:
                for n in range(STORM_SIZE):
                    event = okta_event(f"storm{n}@lab.example", at=_now(), event_type="bench.storm")
                    self._queue.put((event, time.monotonic(), 1))
                next_storm += self.storm_every
            time.sleep(0.005)

    def _event(self, n: int) -> dict[str, Any]:
        if self._recent and random.random() < REPEAT_SHARE:
            # The same finding again under a new vendor id: a duplicate by fingerprint. (A
            # retry keeps its vendor id, so alerts stored twice are told apart from these.)
            return {**random.choice(self._recent), "uuid": str(uuid.uuid4())}
        event = okta_event(
            f"user{n % 997}@lab.example", at=_now(), event_type=f"bench.signal.{n % EVENT_TYPES}"
        )
        self._recent = [*self._recent[-50:], event]
        return event

    def _work(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=SEND_TIMEOUT)
        while (item := self._queue.get()) is not None:
            event, first_at, attempts = item
            conn = self._send(conn, event, first_at, attempts)

    def _send(
        self, conn: http.client.HTTPConnection, event: dict[str, Any], first: float, attempts: int
    ) -> http.client.HTTPConnection:
        body = json.dumps(event).encode()
        started = time.monotonic()
        try:
            conn.request("POST", "/alerts/okta", body, signed_headers(self.secret, body))
            response = conn.getresponse()
            raw, status = response.read(), response.status
            wait = float(response.headers.get("retry-after") or 1)
        except (OSError, http.client.HTTPException):
            conn.close()  # timed out or dropped: the sender does not know; it sends again
            self._retry(event, first, attempts, 0.0)
            return http.client.HTTPConnection("127.0.0.1", self.port, timeout=SEND_TIMEOUT)
        if status == 503:
            self._retry(event, first, attempts, wait)
            return conn
        alert_id = json.loads(raw).get("alert_id") if status == 202 else None
        sent = Sent(first, time.monotonic() - started, status, event["uuid"], alert_id, attempts)
        with self._lock:
            self.results.append(sent)
        return conn

    def _retry(self, event: dict[str, Any], first: float, attempts: int, wait: float) -> None:
        with self._lock:
            self.retries += 1
        timer = threading.Timer(wait, self._queue.put, args=((event, first, attempts + 1),))
        timer.daemon = True
        timer.start()


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Sample:
    at: float
    rss_mib: float
    fds: int
    backlog: int


class Sampler:
    """Every `every` seconds: the process's RSS and fds, and backlog() (triage not yet posted)."""

    def __init__(self, pid: Callable[[], int], backlog: Callable[[], int], every: float) -> None:
        self._pid = pid
        self._backlog = backlog
        self._every = every
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Sampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        started = time.monotonic()
        while not self._stop.is_set():
            try:
                rss, fds = process_rss_fds(self._pid())
                backlog = self._backlog()
            except Exception:  # the process was restarted under us: skip one sample
                backlog, rss, fds = -1, 0.0, 0
            self.samples.append(Sample(time.monotonic() - started, rss, fds, backlog))
            self._stop.wait(self._every)


def process_rss_fds(pid: int) -> tuple[float, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    return rss_kib / 1024, len(list(Path(f"/proc/{pid}/fd").iterdir()))


@dataclass(frozen=True)
class Fault:
    kind: str  # slack500 | slack429 | dblock
    start: float
    seconds: float

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """kind@start+seconds, e.g. slack500@60+30."""
        kind, _, rest = spec.partition("@")
        start, _, seconds = rest.partition("+")
        if kind not in ("slack500", "slack429", "dblock") or not start or not seconds:
            raise ValueError(f"fault {spec!r}: expected slack500|slack429|dblock@START+SECONDS")
        return cls(kind, float(start), float(seconds))


def hold_database_lock(database_url: str, seconds: float) -> None:
    """A real lock on the intake's table from another connection, held for seconds."""
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(database_url.split("///", 1)[1], isolation_level=None, timeout=60)
        conn.execute("BEGIN IMMEDIATE")
        time.sleep(seconds)
        conn.rollback()
        conn.close()
        return
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("LOCK TABLE alert IN ACCESS EXCLUSIVE MODE")
        time.sleep(seconds)
        conn.rollback()
