"""What the Slack conversation, triage-post and intake-channel tests share: reading the
stand-in's threads, the model's requests, the audit log and the lab."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from bot.audit.log import export_events
from bot.runtime import Runtime
from tests.support.fakes import ModelRequest
from tests.support.slack import ServedSlack
from tests.support.slack_standin import SlackStandIn

MakeApp = Callable[..., ServedSlack]
DM_CHANNEL = "D0ANALYST1"
INTAKE_CHANNEL = "C0INTAKE"
APPROVALS_CHANNEL = "C0APPROVALS"


def post_and_settle(served: ServedSlack, event: dict[str, Any], *, posts: int) -> None:
    """POST the event, then wait until socbot has made `posts` chat.postMessage calls in all
    and its workers are idle. (Bolt hands an event to its listener after the ack, so
    waiting for the workers alone could look before the work was even handed over.)"""
    assert served.post_event(event).status == 200
    served.standin.wait_for("chat.postMessage", posts, timeout=15)
    served.wait_idle()


def replies_in(standin: SlackStandIn, channel: str, thread_ts: str) -> list[dict[str, Any]]:
    """socbot's messages in the thread (the root left out), oldest first."""
    return [
        m
        for m in standin.messages(channel)
        if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts and m.get("bot_id")
    ]


def top_level_posts(standin: SlackStandIn, channel: str) -> list[dict[str, Any]]:
    return [m for m in standin.messages(channel) if not m.get("thread_ts") and m.get("bot_id")]


def audit_rows(runtime: Runtime, kind: str | None = None) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in export_events(runtime.engine)]
    return [row for row in rows if kind is None or row["kind"] == kind]


def user_texts(request: ModelRequest) -> list[str]:
    return request.texts("user")


def last_user_text(request: ModelRequest) -> str:
    return user_texts(request)[-1]


def tasks_of_kind(runtime: Runtime, kind: str) -> list[tuple[Any, ...]]:
    query = text("SELECT id, actor, status FROM task WHERE kind = :k ORDER BY started_at")
    with runtime.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query, {"k": kind})]


def blocks_text(message: dict[str, Any]) -> str:
    """Every text a message shows: its text and every text inside its blocks."""
    found = [str(message.get("text") or "")]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("text"), str):
                found.append(value["text"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(message.get("blocks") or [])
    return "\n".join(found)
