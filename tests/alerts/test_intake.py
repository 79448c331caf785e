"""Intake: an alert is stored with its audit row in one transaction, deduped by fingerprint
within the window, and anything unusable is kept as a rejection with a reason."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

import pytest

from bot.alerts.intake.pipeline import Intake, IntakeItem, IntakeUnavailable
from bot.alerts.model import Alert
from bot.clock import utcnow
from bot.errors import AuditWriteError
from tests.alerts.intake_helpers import (
    MakeRuntime,
    acme,
    acme_event,
    audit_data,
    body,
    rows,
    scalar,
)

__all__ = ["acme"]  # a fixture, used by name

RECEIVED_KEYS = {
    "alert_id",
    "source",
    "event_type",
    "fingerprint",
    "vendor_severity",
    "occurred_at",
    "actor",
    "target",
    "group_id",
}
pytestmark = pytest.mark.usefixtures("acme")


def make_intake(make_runtime: MakeRuntime, **settings: Any) -> Intake:
    return Intake(make_runtime(seed=False, **settings))


def test_an_accepted_alert_is_stored_normalized_queued_and_audited(
    make_runtime: MakeRuntime,
) -> None:
    intake = make_intake(make_runtime)
    event = acme_event(target="bo@example.org", password="hunter2-is-my-password")
    outcome = intake.accept(body(event), source="acme", via="webhook")
    assert outcome.status == "accepted" and outcome.alert_id and outcome.group_id
    (row,) = rows(intake.engine, "SELECT * FROM alert")
    assert (row.id, row.status, row.group_id, row.via) == (
        outcome.alert_id,
        "accepted",
        outcome.group_id,
        "webhook",
    )
    stored = Alert.model_validate_json(row.normalized)
    assert stored.actor is not None and stored.actor.email == "ana@example.org"
    assert "hunter2" not in row.normalized  # the raw event is kept redacted
    group = rows(intake.engine, "SELECT * FROM triage_group")[0]
    assert (group.id, group.status, group.alert_count, group.first_alert_id) == (
        outcome.group_id,
        "queued",
        1,
        outcome.alert_id,
    )
    (received,) = audit_data(intake.engine, "alert.received")
    assert set(received) >= RECEIVED_KEYS
    assert received["alert_id"] == outcome.alert_id and received["group_id"] == outcome.group_id
    assert (received["actor"], received["target"]) == ("ana@example.org", "bo@example.org")
    assert received["fingerprint"] == outcome.fingerprint


def test_the_same_alert_again_within_the_window_is_a_counted_duplicate(
    make_runtime: MakeRuntime,
) -> None:
    intake = make_intake(make_runtime, dedupe_window_seconds=600)
    first = intake.accept(acme_event(at="2026-11-22T10:00:00Z"), source="acme")
    later = [
        intake.accept(acme_event(at=f"2026-11-22T10:0{minute}:00Z"), source="acme")
        for minute in (1, 5, 9)
    ]
    assert [o.status for o in later] == ["duplicate"] * 3
    assert {o.duplicate_of for o in later} == {first.alert_id}
    assert {o.group_id for o in later} == {first.group_id}
    assert [o.duplicates for o in later] == [1, 2, 3]
    assert scalar(intake.engine, "SELECT count(*) FROM triage_group") == 1
    count = "SELECT duplicate_count FROM alert WHERE id = :i"
    assert scalar(intake.engine, count, i=first.alert_id) == 3
    dupes = audit_data(intake.engine, "alert.duplicate")
    assert [d["count"] for d in dupes] == [1, 2, 3]
    assert {d["duplicate_of"] for d in dupes} == {first.alert_id}


@pytest.mark.parametrize(
    "other",
    [
        acme_event(at="2026-11-22T10:10:01Z"),  # outside the 600 s window
        acme_event(user="bo@example.org"),  # another actor
        acme_event(kind="login.succeeded"),  # another type
        acme_event(target="cy@example.org"),  # another target
    ],
    ids=["later", "actor", "type", "target"],
)
def test_a_different_fingerprint_or_time_is_a_new_alert(
    make_runtime: MakeRuntime, other: dict[str, Any]
) -> None:
    intake = make_intake(make_runtime, dedupe_window_seconds=600)
    first = intake.accept(acme_event(), source="acme")
    second = intake.accept(other, source="acme")
    assert second.status == "accepted" and second.group_id != first.group_id


def test_the_source_is_detected_when_not_given(make_runtime: MakeRuntime) -> None:
    outcome = make_intake(make_runtime).accept(json.dumps(acme_event()))
    assert outcome.status == "accepted"
    assert scalar(make_intake(make_runtime).engine, "SELECT source FROM alert") == "acme"


NESTED = ("[" * 5_000) + ("]" * 5_000)
REJECTIONS = [
    (b'{"acme_event": "x", ', "invalid", "not valid JSON: line 1"),
    (b"[1, 2, 3]", "invalid", "one JSON object, not an array"),
    (b'{"acme_event": "x", "n": NaN}', "invalid", "NaN is not a JSON number"),
    (NESTED.encode(), "invalid", "nested"),
    (b'{"a":' * 100 + b"1" + b"}" * 100, "invalid", "nested deeper than 64"),
    (b"\xff\xfe{not text", "invalid", "not UTF-8"),
    (body({"acme_event": ["not", "text"], "at": "2026-11-22T10:00:00Z"}), "invalid", "missing"),
    (body(acme_event(explode=True)), "invalid", "could not be normalized (ZeroDivisionError)"),
]


@pytest.mark.parametrize(("payload", "problem", "reason"), REJECTIONS)
def test_unusable_input_is_kept_with_its_reason(
    make_runtime: MakeRuntime, payload: bytes, problem: str, reason: str
) -> None:
    intake = make_intake(make_runtime)
    outcome = intake.accept(payload, source="acme", via="webhook")
    assert (outcome.status, outcome.problem) == ("rejected", problem)
    assert outcome.reason is not None and reason in outcome.reason
    (row,) = rows(intake.engine, "SELECT * FROM rejected_alert")
    assert (row.id, row.reason, row.size, row.truncated) == (
        outcome.rejected_id,
        outcome.reason,
        len(payload),
        False,
    )
    kept = base64.b64decode(row.payload) if row.encoding == "base64" else row.payload.encode()
    assert kept == payload
    (audited,) = audit_data(intake.engine, "alert.rejected")
    assert audited == {
        "rejected_id": outcome.rejected_id,
        "source": "acme",
        "reason": outcome.reason,
        "size": len(payload),
    }
    assert scalar(intake.engine, "SELECT count(*) FROM alert") == 0


def test_an_event_without_a_time_is_timed_on_arrival(make_runtime: MakeRuntime) -> None:
    intake = make_intake(make_runtime)
    before = utcnow()
    outcome = intake.accept(body({"acme_event": "login.failed", "user": "u"}), source="acme")
    assert outcome.status == "accepted"
    stored = Alert.model_validate_json(rows(intake.engine, "SELECT normalized FROM alert")[0][0])
    assert stored.time_estimated and before <= stored.occurred_at <= utcnow()


def test_an_unknown_source_is_refused_and_kept(make_runtime: MakeRuntime) -> None:
    intake = make_intake(make_runtime)
    outcome = intake.accept(body(acme_event()), source="nosuchvendor")
    assert (outcome.status, outcome.problem) == ("rejected", "unknown_source")
    assert outcome.reason is not None and "unknown source 'nosuchvendor'" in outcome.reason
    undetectable = intake.accept(b'{"hello": "world"}')
    assert (undetectable.status, undetectable.problem) == ("rejected", "invalid")
    assert "could not tell which vendor" in str(undetectable.reason)


def test_a_body_over_the_cap_keeps_its_first_cap_bytes(make_runtime: MakeRuntime) -> None:
    intake = make_intake(make_runtime, alert_max_bytes=2_048)
    payload = body(acme_event(note="x" * 5_000))
    outcome = intake.accept(payload, source="acme")
    assert (outcome.status, outcome.problem) == ("rejected", "too_large")
    (row,) = rows(intake.engine, "SELECT * FROM rejected_alert")
    assert row.payload == payload[:2_048].decode() and row.truncated
    assert row.size == len(payload) and f"{len(payload):,} bytes" in row.reason


def test_text_no_database_can_store_is_replaced_not_refused(make_runtime: MakeRuntime) -> None:
    intake = make_intake(make_runtime)
    event = acme_event(user="nul\u0000@example.org", note="lone \ud800 surrogate")
    raw = json.dumps(event)  # escapes both, as a sender's JSON would
    outcome = intake.accept(raw, source="acme")
    assert outcome.status == "accepted"
    stored = Alert.model_validate_json(rows(intake.engine, "SELECT normalized FROM alert")[0][0])
    assert stored.actor is not None and stored.actor.email == "nul\ufffd@example.org"
    assert stored.raw["note"] == "lone \ufffd surrogate"


def test_a_batch_is_stored_in_order_with_one_commit(make_runtime: MakeRuntime) -> None:
    intake = make_intake(make_runtime)
    items = [
        IntakeItem(body(acme_event("a@example.org")), "acme", "cli"),
        IntakeItem(b"nope", "acme", "cli"),
        IntakeItem(body(acme_event("a@example.org")), "acme", "cli"),
        IntakeItem(acme_event("b@example.org"), None, "slack"),
    ]
    outcomes = intake.accept_many(items)
    assert [o.status for o in outcomes] == ["accepted", "rejected", "duplicate", "accepted"]
    assert outcomes[2].duplicate_of == outcomes[0].alert_id
    vias = rows(intake.engine, "SELECT via FROM alert ORDER BY received_at")
    assert [v[0] for v in vias] == ["cli", "cli", "slack"]


def test_nothing_is_stored_when_the_audit_row_cannot_be(
    make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime(seed=False)
    intake = Intake(runtime)

    def broken(*_: Any, **__: Any) -> None:
        raise AuditWriteError("audit log write failed")

    monkeypatch.setattr(runtime.audit, "record", broken)
    with pytest.raises(IntakeUnavailable, match="could not be stored"):
        intake.accept(body(acme_event()), source="acme")
    with pytest.raises(IntakeUnavailable):
        intake.accept(b"not json", source="acme")
    for table in ("alert", "triage_group", "rejected_alert"):
        assert scalar(intake.engine, f"SELECT count(*) FROM {table}") == 0


def test_concurrent_copies_of_one_alert_store_one_first_alert(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(seed=False)
    intakes = [Intake(runtime) for _ in range(6)]
    barrier = threading.Barrier(len(intakes))
    statuses: list[str] = []

    def send(intake: Intake) -> None:
        barrier.wait(timeout=10)
        for _ in range(5):
            statuses.append(intake.accept(body(acme_event()), source="acme").status)

    threads = [threading.Thread(target=send, args=(i,)) for i in intakes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == ["accepted"] + ["duplicate"] * 29
    assert scalar(runtime.engine, "SELECT count(*) FROM triage_group") == 1
    assert scalar(runtime.engine, "SELECT max(duplicate_count) FROM alert") == 29
