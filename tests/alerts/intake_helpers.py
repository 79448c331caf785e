"""Fixtures and helpers the intake, queue, webhook and CLI tests share.

Import the fixtures by name into a test module (`from tests.alerts.intake_helpers import
acme`) to use them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.alerts.sources import SOURCES
from bot.alerts.triage.publish import TriageGroup
from bot.alerts.triage.run import triage_result_data
from bot.alerts.triage.verdict import TriageResult
from bot.posts import PostRef
from tests.alerts import acme_source

MakeRuntime = Callable[..., Any]


@pytest.fixture
def acme(monkeypatch: pytest.MonkeyPatch) -> None:
    """The acme test normalizer, registered as a source for the test."""
    monkeypatch.setitem(SOURCES, acme_source.NAME, acme_source)  # type: ignore[arg-type]


def acme_event(
    user: str = "ana@example.org",
    *,
    kind: str = "login.failed",
    at: str = "2026-11-22T10:00:00Z",
    target: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    event: dict[str, Any] = {"acme_event": kind, "user": user, "at": at, "ip": "203.0.113.5"}
    if target is not None:
        event["target"] = target
    return {**event, **extra}


def body(event: Mapping[str, Any]) -> bytes:
    return json.dumps(event).encode("utf-8")


def rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def audit_data(engine: Engine, kind: str) -> list[dict[str, Any]]:
    found = rows(engine, "SELECT data FROM audit_event WHERE kind = :k ORDER BY seq", k=kind)
    return [json.loads(row.data) for row in found]


@dataclass
class RecordingPublisher:
    """A TriagePublisher that counts what it is asked to post and update."""

    posts: list[tuple[TriageGroup, TriageResult]] = field(default_factory=list)
    duplicates: list[tuple[PostRef, str, int]] = field(default_factory=list)
    fail_posts: int = 0  # raise on this many publish_triage calls first
    lock: threading.Lock = field(default_factory=threading.Lock)

    def publish_triage(self, group: TriageGroup, result: TriageResult) -> PostRef | None:
        with self.lock:
            if self.fail_posts:
                self.fail_posts -= 1
                raise ConnectionError("slack is down")
            self.posts.append((group, result))
            return PostRef("C0ALERTS", f"1764000000.{len(self.posts):06d}")

    def publish_duplicates(self, post: PostRef, first_alert_id: str, count: int) -> None:
        with self.lock:
            self.duplicates.append((post, first_alert_id, count))


@dataclass
class CountingTriage:
    """Stands in for triage_group in queue tests: counts calls per group, can fail or dawdle."""

    calls: list[str] = field(default_factory=list)
    failures: int = 0  # raise on this many calls first
    delay_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(
        self, runtime: Any, group: TriageGroup, *, actor: str, variety: int | None = None
    ) -> TriageResult:
        with self.lock:
            self.calls.append(group.group_id)
            fail = self.failures > 0
            self.failures -= 1 if fail else 0
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        if fail:
            raise RuntimeError("the model fell over")
        result = TriageResult(
            task_id=f"task_{group.group_id[4:]}",
            engine="counting",
            verdict="suspicious",
            severity="low",
            summary=f"{group.total} alerts by {actor}",
        )
        data = triage_result_data(group, result)  # as triage_group records it
        runtime.audit.record("triage.result", task_id=result.task_id, actor=actor, data=data)
        return result


@pytest.fixture
def counting_triage(monkeypatch: pytest.MonkeyPatch) -> CountingTriage:
    counting = CountingTriage()
    monkeypatch.setattr("bot.alerts.triage.worker.triage_group", counting)
    return counting
