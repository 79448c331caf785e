"""Intake: every alert socbot receives (webhook, CLI, Slack channel) comes in through here.

`Intake(runtime).accept(body, source=..., via=...)` reads the body (payload), normalizes
it, and in one transaction stores either the alert, placed in a triage group (dedupe,
storm) with its audit row, or the rejection with the payload and its audit row. When it
returns, what it says happened is committed: nothing is lost, and a caller answering 2xx
after it answers for a durable alert. `accept_many` does the same for a batch in one
transaction (one commit for many alerts: the webhook's batcher and `alerts ingest`).

Nothing here posts to Slack: the triage worker publishes triages and duplicate counters.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from bot.alerts.intake.normalize import detect_source, known_sources, normalize_event
from bot.alerts.intake.payload import Body, PayloadTooLarge, parse_event, raw_body
from bot.alerts.intake.store import IntakeOutcome, IntakeStore, Prepared, Problem, Rejection
from bot.db_deadline import with_deadline
from bot.errors import AlertRejected, IntakeBusy, IntakeUnavailable
from bot.redaction import Redactor
from bot.runtime import Runtime

log = logging.getLogger(__name__)

VIAS = ("webhook", "cli", "slack")

__all__ = [
    "VIAS",
    "Intake",
    "IntakeBusy",
    "IntakeItem",
    "IntakeOutcome",
    "IntakeUnavailable",
    "Prepared",
    "Problem",
    "Rejection",
    "prepare_item",
]


@dataclass(frozen=True)
class IntakeItem:
    body: Body
    source: str | None
    via: str
    size: int | None = None  # bytes declared by the sender, when more than body holds
    origin: Sequence[str] | None = None  # who posted it, when someone did (Slack ids)


class Intake:
    def __init__(self, runtime: Runtime, *, deadline_seconds: float | None = None) -> None:
        """deadline_seconds: how long a store may wait on the database (None: no deadline)."""
        self._settings = runtime.settings
        self._redactor = runtime.redactor
        self.engine = runtime.engine
        store_engine = runtime.engine
        if deadline_seconds is not None:
            store_engine = with_deadline(store_engine, deadline_seconds)
        self._store = IntakeStore(
            store_engine,
            runtime.audit,
            window_seconds=runtime.settings.dedupe_window_seconds,
            storm_threshold=runtime.settings.storm_threshold_per_minute,
        )

    @property
    def max_bytes(self) -> int:
        return self._settings.alert_max_bytes

    def accept(
        self,
        body: Body,
        *,
        source: str | None = None,
        via: str = "cli",
        size: int | None = None,
        origin: Sequence[str] | None = None,
    ) -> IntakeOutcome:
        """Store one alert (or its rejection) durably and say which it was."""
        return self.accept_many([IntakeItem(body, source, via, size, origin)])[0]

    def accept_many(self, items: Sequence[IntakeItem]) -> list[IntakeOutcome]:
        """accept() for each item, with one commit for them all."""
        return self.store([self.prepare(item) for item in items])

    def store(
        self, prepared: Sequence[Prepared | Rejection], *, deadline: float | None = None
    ) -> list[IntakeOutcome]:
        """Store prepared items in one transaction; IntakeUnavailable if it cannot commit
        (IntakeBusy if not within deadline seconds, when one is given)."""
        return self._store.store(prepared, deadline=deadline)

    def reject(
        self,
        body: Body,
        *,
        reason: str,
        problem: Problem,
        source: str | None,
        via: str,
        size: int | None = None,
    ) -> IntakeOutcome:
        """Keep a payload refused before normalizing (bad signature, unknown source)."""
        refused = self.rejection(
            body, reason=reason, problem=problem, source=source, via=via, size=size
        )
        return self.store([refused])[0]

    def rejection(
        self,
        body: Body,
        *,
        reason: str,
        problem: Problem,
        source: str | None,
        via: str,
        size: int | None = None,
    ) -> Rejection:
        """A payload refused before normalizing, ready to store."""
        raw = raw_body(body, self.max_bytes, size=size)
        return Rejection(raw, reason, problem, source, _via(via))

    def prepare(self, item: IntakeItem) -> Prepared | Rejection:
        """Read and normalize, no database: the alert to store, or the rejection to keep."""
        return prepare_item(item, self.max_bytes, self._redactor)


def prepare_item(item: IntakeItem, max_bytes: int, redactor: Redactor) -> Prepared | Rejection:
    """The alert item's body makes (a new id, normalized, redacted), or why it makes none."""
    raw = raw_body(item.body, max_bytes, size=item.size)
    via = _via(item.via)
    try:
        event = parse_event(item.body, raw, max_bytes)
        name = _source_name(item.source, event)
        alert = normalize_event(event, name, redactor=redactor)
    except PayloadTooLarge as exc:
        return Rejection(raw, exc.reason, "too_large", item.source, via)
    except AlertRejected as exc:
        problem: Problem = "unknown_source" if _unknown(item.source) else "invalid"
        return Rejection(raw, _reason(exc), problem, item.source, via)
    except RecursionError:
        return Rejection(raw, "the event is nested too deeply to read", "invalid", item.source, via)
    except Exception as exc:  # a normalizer bug must not lose the payload or answer 500
        log.exception("normalizing an alert failed unexpectedly")
        reason = f"the event could not be normalized ({type(exc).__name__})"
        return Rejection(raw, reason, "invalid", item.source, via)
    return Prepared(new_alert_id(), alert, via, tuple(item.origin or ()))


def new_alert_id() -> str:
    return "alert_" + uuid.uuid4().hex[:16]


def _source_name(given: str | None, event: dict[str, object]) -> str:
    if given is None:
        return detect_source(event)
    if _unknown(given):
        raise AlertRejected(f"unknown source {given[:80]!r}; known: {', '.join(known_sources())}")
    return given


def _unknown(source: str | None) -> bool:
    return source is not None and source not in known_sources()


def _reason(exc: AlertRejected) -> str:
    return f"{exc.source}: {exc.reason}" if exc.source else exc.reason


def _via(via: str) -> str:
    if via not in VIAS:
        raise ValueError(f"via must be one of {', '.join(VIAS)}, not {via!r}")
    return via
