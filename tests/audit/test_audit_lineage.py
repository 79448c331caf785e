"""One task's lineage: the events of that task only, drawn so an analyst can follow them."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.audit.log import AuditLog, EventKind, render_lineage, task_lineage
from bot.redaction import Redactor

START = datetime(2024, 5, 10, 9, 0, 0, tzinfo=UTC)
POLICY = secrets.token_hex(32)
PROMPT = secrets.token_hex(32)


@pytest.fixture
def story(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """A triage task with one read-only call and one approved action, beside another task."""
    clock = iter(START + timedelta(milliseconds=250 * step) for step in range(100))
    monkeypatch.setattr("bot.audit.log.utcnow", lambda: next(clock))
    log = AuditLog(engine, Redactor())
    task = "task-7f3c"
    log.record(
        EventKind.TASK_START,
        task_id=task,
        actor="U0ANALYST",
        data={"requested_by": "U0ANALYST", "request": "triage alert ALRT-42\nmore"},
    )
    log.record(
        EventKind.PROMPT,
        task_id=task,
        prompt_hash=PROMPT,
        data={"template": "triage_system", "text": "You are socbot.\nRules…"},
    )
    log.record(EventKind.TASK_START, task_id="other-task", data={"request": "unrelated"})
    log.record(
        EventKind.MODEL_OUTPUT,
        task_id=task,
        data={
            "content": "Checking alice first.",
            "tool_calls": [{"id": "c1", "name": "get_identity", "arguments": "{}"}],
        },
    )
    log.record(
        EventKind.TOOL_CALL,
        task_id=task,
        tool="get_identity",
        data={"args": {"identity": "alice@lab.example"}},
    )
    log.record(
        EventKind.POLICY_DECISION,
        task_id=task,
        tool="get_identity",
        policy_version=POLICY,
        data={"decision": "read_only", "rule": "tools.get_identity"},
    )
    log.record(
        EventKind.CREDENTIAL_ISSUED,
        task_id=task,
        tool="get_identity",
        data={"credential_id": "cred_01", "scopes": ["directory:read"], "ttl_seconds": 60},
    )
    log.record(
        EventKind.TOOL_RESULT,
        task_id=task,
        tool="get_identity",
        data={"status": "ok", "summary": "alice, 2 sessions"},
    )
    log.record(EventKind.CREDENTIAL_REVOKED, task_id=task, data={"credential_id": "cred_01"})
    log.record(
        EventKind.APPROVAL_GRANTED,
        task_id=task,
        actor="U0IDADMIN1",
        data={"approver": "U0IDADMIN1", "action_hash": "ab" * 32},
    )
    log.record(
        EventKind.CREDENTIAL_ISSUED,
        task_id=task,
        tool="suspend_identity",
        data={"credential_id": "cred_02", "scopes": ["identity:write"]},
    )
    log.record(EventKind.TASK_END, task_id=task, data={"result": "contained"})
    return engine


def test_lineage_holds_only_that_task_in_order(story: Engine) -> None:
    events = task_lineage(story, "task-7f3c")
    assert len(events) == 11
    assert all(event.task_id == "task-7f3c" for event in events)
    assert [event.seq for event in events] == sorted(event.seq for event in events)
    assert events[0].ts == START and events[0].ts.tzinfo is not None
    assert task_lineage(story, "no-such-task") == []


def test_render_tells_the_story(story: Engine) -> None:
    drawing = render_lineage(task_lineage(story, "task-7f3c"))
    lines = drawing.splitlines()
    assert lines[0] == "task task-7f3c: 11 events, 2024-05-10 09:00:00Z → 09:00:02.750Z (2.75s)"
    expected_in_order = [
        'asked by U0ANALYST: "triage alert ALRT-42"',
        f'triage_system #{PROMPT[:8]} "You are socbot."',
        '"Checking alice first." → calls get_identity',
        'get_identity {"identity": "alice@lab.example"}',
        f"get_identity → read_only by tools.get_identity (policy #{POLICY[:8]})",
        "cred_01 [directory:read] ttl 60s",
        "get_identity ok: alice, 2 sessions",
        "U0IDADMIN1 on action #abababab",
        "result: contained",
        "credentials:",
        "cred_01 [directory:read] issued 09:00:01.500 → revoked 09:00:02.000, lifetime 0.5s",
        "cred_02 [identity:write] issued 09:00:02.500 → NOT revoked",
    ]
    positions = [drawing.find(fragment) for fragment in expected_in_order]
    assert -1 not in positions, [
        f for f, p in zip(expected_in_order, positions, strict=True) if p < 0
    ]
    assert positions == sorted(positions)
    assert "unrelated" not in drawing
    assert lines[1].startswith("├─") and lines[11].startswith("└─")


def test_render_falls_back_to_compact_data(engine: Engine) -> None:
    log = AuditLog(engine, Redactor())
    log.record(EventKind.LIMIT_HIT, task_id="t", data={"limit": "tool_calls", "used": 31})
    log.record(EventKind.INJECTION_SUSPECT, task_id="t", data={"field": "alert.title"})
    drawing = render_lineage(task_lineage(engine, "t"))
    assert "limit.hit" in drawing and "tool_calls" in drawing
    assert '{"field": "alert.title"}' in drawing


def test_render_of_nothing_says_so() -> None:
    assert render_lineage([]) == "no audit events for this task"
