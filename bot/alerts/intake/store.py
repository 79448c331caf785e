"""The intake's one transaction: alerts (deduped, placed in a triage group) and rejections are
stored with their audit rows, which commit with them or not at all.

The audit rows are written after the data changes, at the end of the transaction, so the
audit chain's lock is held for as short a time as the batch allows.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.alerts.intake.dedupe import (
    Original,
    count_duplicate,
    find_original,
    fingerprint,
    hold_keys,
    storm_key,
)
from bot.alerts.intake.payload import RawBody, keepable
from bot.alerts.intake.storm import Arrival, Placement, place
from bot.alerts.model import Alert
from bot.alerts.tables import ACCEPTED, DUPLICATE, AlertRecord, RejectedAlert
from bot.audit.log import AuditLog
from bot.clock import utcnow
from bot.db import session_scope
from bot.db_deadline import is_deadline_error, with_deadline
from bot.errors import AuditWriteError, IntakeBusy, IntakeUnavailable

Status = Literal["accepted", "duplicate", "rejected"]
# Why a rejection happened, for an HTTP status: 401, 404, 413, 422, 409.
Problem = Literal["unauthorized", "unknown_source", "too_large", "invalid", "replay"]
AuditRow = tuple[str, str, dict[str, Any]]  # kind, actor, data


_INSERT_ALERT = insert(AlertRecord.__table__)  # type: ignore[attr-defined]
_INSERT_REJECTED = insert(RejectedAlert.__table__)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class IntakeOutcome:
    status: Status
    alert_id: str | None = None
    rejected_id: str | None = None
    reason: str | None = None
    group_id: str | None = None
    fingerprint: str | None = None
    problem: Problem | None = None
    duplicate_of: str | None = None
    duplicates: int = 0  # for a duplicate: how many the first alert counts now
    storm: bool = False


@dataclass(frozen=True)
class Prepared:
    alert_id: str
    alert: Alert
    via: str
    origin: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rejection:
    raw: RawBody
    reason: str
    problem: Problem
    source: str | None
    via: str


class IntakeStore:
    def __init__(
        self, engine: Engine, audit: AuditLog, *, window_seconds: int, storm_threshold: int
    ) -> None:
        self._engine = engine
        self._audit = audit
        self._window = window_seconds
        self._threshold = storm_threshold

    def store(
        self, items: Sequence[Prepared | Rejection], *, deadline: float | None = None
    ) -> list[IntakeOutcome]:
        """Store every item in one transaction; IntakeUnavailable when it cannot commit, or
        IntakeBusy when the database did not answer within deadline seconds."""
        engine = self._engine if deadline is None else with_deadline(self._engine, deadline)
        try:
            with session_scope(engine) as session:
                conn = session.connection()
                hold_keys(conn, [storm_key(i.alert) for i in items if isinstance(i, Prepared)])
                audit_rows: list[AuditRow] = []
                outcomes = [self._store_one(conn, item, audit_rows) for item in items]
                for kind, actor, data in audit_rows:
                    self._audit.record(kind, actor=actor, data=data, session=session)
        except (SQLAlchemyError, AuditWriteError) as exc:
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            if is_deadline_error(exc):
                why = f"the database did not answer in time: {first_line[:200]}"
                raise IntakeBusy(why) from exc
            raise IntakeUnavailable(f"the alert could not be stored: {first_line[:200]}") from exc
        return outcomes

    def _store_one(
        self, conn: Connection, item: Prepared | Rejection, audit_rows: list[AuditRow]
    ) -> IntakeOutcome:
        if isinstance(item, Rejection):
            return _store_rejection(conn, item, audit_rows)
        print_ = fingerprint(item.alert)
        original = find_original(conn, print_, item.alert.occurred_at, self._window)
        if original is not None:
            return _store_duplicate(conn, item, print_, original, audit_rows)
        return self._store_first(conn, item, print_, audit_rows)

    def _store_first(
        self, conn: Connection, item: Prepared, print_: str, audit_rows: list[AuditRow]
    ) -> IntakeOutcome:
        alert, now = item.alert, utcnow()
        arrival = Arrival(
            item.alert_id, print_, storm_key(alert), alert.source, alert.event_type, now
        )
        placement = place(conn, arrival, self._threshold)
        conn.execute(_INSERT_ALERT, _record(item, print_, arrival, ACCEPTED, placement.group_id))
        audit_rows.append(
            ("alert.received", f"alert:{item.via}", _received(item, print_, placement))
        )
        if placement.storm_opened:
            audit_rows.append(("alert.storm", "intake", _storm(arrival, placement)))
        return IntakeOutcome(
            "accepted",
            alert_id=item.alert_id,
            group_id=placement.group_id,
            fingerprint=print_,
            storm=placement.is_storm,
        )


def _store_duplicate(
    conn: Connection,
    item: Prepared,
    print_: str,
    original: Original,
    audit_rows: list[AuditRow],
) -> IntakeOutcome:
    count = count_duplicate(conn, original)
    alert = item.alert
    arrival = Arrival(
        item.alert_id, print_, storm_key(alert), alert.source, alert.event_type, utcnow()
    )
    record = _record(item, print_, arrival, DUPLICATE, original.group_id)
    conn.execute(_INSERT_ALERT, {**record, "duplicate_of": original.id})
    data = {
        "alert_id": item.alert_id,
        "duplicate_of": original.id,
        "fingerprint": print_,
        "count": count,
        "group_id": original.group_id,
    }
    audit_rows.append(("alert.duplicate", f"alert:{item.via}", data))
    return IntakeOutcome(
        "duplicate",
        alert_id=item.alert_id,
        group_id=original.group_id,
        fingerprint=print_,
        duplicate_of=original.id,
        duplicates=count,
    )


def _store_rejection(
    conn: Connection, item: Rejection, audit_rows: list[AuditRow]
) -> IntakeOutcome:
    payload, encoding = keepable(item.raw)
    source = item.source[:120] if item.source is not None else None
    reason = item.reason[:500]
    rejected_id = "rej_" + uuid.uuid4().hex[:16]
    conn.execute(
        _INSERT_REJECTED,
        {
            "id": rejected_id,
            "received_at": utcnow(),
            "source": source,
            "reason": reason,
            "payload": payload,
            "encoding": encoding,
            "size": item.raw.size,
            "truncated": item.raw.truncated,
            "via": item.via,
        },
    )
    data = {"rejected_id": rejected_id, "source": source, "reason": reason, "size": item.raw.size}
    audit_rows.append(("alert.rejected", f"alert:{item.via}", data))
    return IntakeOutcome("rejected", rejected_id=rejected_id, reason=reason, problem=item.problem)


def _record(
    item: Prepared, print_: str, arrival: Arrival, status: str, group_id: str | None
) -> dict[str, Any]:
    """The alert row's values (inserted as a statement: cheaper than the ORM's unit of work)."""
    alert = item.alert
    return {
        "id": item.alert_id,
        "received_at": arrival.received_at,
        "source": alert.source,
        "vendor_event_id": alert.vendor_event_id,
        "event_type": alert.event_type,
        "fingerprint": print_,
        "storm_key": arrival.storm_key,
        "occurred_at": alert.occurred_at,
        "normalized": alert.model_dump_json(),
        "status": status,
        "group_id": group_id,
        "duplicate_count": 0,
        "via": item.via,
        "origin_json": json.dumps(sorted(item.origin)) if item.origin else None,
    }


def _received(item: Prepared, print_: str, placement: Placement) -> dict[str, Any]:
    alert = item.alert
    return {
        "alert_id": item.alert_id,
        "source": alert.source,
        "event_type": alert.event_type,
        "fingerprint": print_,
        "vendor_severity": alert.vendor_severity,
        "occurred_at": alert.occurred_at.isoformat(),
        "actor": alert.actor.label if alert.actor and not alert.actor.is_empty() else None,
        "target": alert.target.label if alert.target and not alert.target.is_empty() else None,
        "group_id": placement.group_id,
        "storm": placement.is_storm,
        **({"origin": sorted(item.origin)} if item.origin else {}),
    }


def _storm(arrival: Arrival, placement: Placement) -> dict[str, Any]:
    return {
        "group_id": placement.group_id,
        "fingerprint_group": arrival.storm_key,
        "alerts": placement.alerts_in_group,
        "source": arrival.source,
        "event_type": arrival.event_type,
    }
