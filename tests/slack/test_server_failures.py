"""When Slack or a listener fails: Web API rate limits and dropped connections are retried,
and a failing listener tells the user an error id that the log and the audit trail carry."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable

import pytest
from sqlalchemy import select, text

from bot.audit.event import AuditEvent
from tests.slack.probes import EXPLODE_IN_LISTENER, EXPLODE_IN_WORKER, PROBE, probe_listeners
from tests.support.slack import ALERTS_CHANNEL, ANALYST, ServedSlack, app_mention
from tests.support.slack_standin import SlackStandIn, SlackUser

ERROR_ID = re.compile(r"error id `([0-9a-f]{8})`")


@pytest.fixture
def served(slack_app: Callable[..., ServedSlack], slack_standin: SlackStandIn) -> ServedSlack:
    slack_standin.add_user(SlackUser(ANALYST, email="analyst@example.com"))
    return slack_app(registrars=[probe_listeners])


def test_a_rate_limited_post_is_retried_after_retry_after(
    served: ServedSlack, slack_standin: SlackStandIn
) -> None:
    slack_standin.rate_limit_next("chat.postMessage", times=2, retry_after=0)
    assert served.post_event(app_mention(f"{PROBE} patient")).status == 200
    slack_standin.wait_for("chat.postMessage", timeout=15)
    served.wait_idle()
    statuses = [c.status for c in slack_standin.calls("chat.postMessage")]
    assert statuses == [429, 429, 200]
    [message] = slack_standin.messages(ALERTS_CHANNEL)
    assert message["text"].startswith("echo patient")


def test_a_dropped_connection_is_retried(served: ServedSlack, slack_standin: SlackStandIn) -> None:
    slack_standin.drop_next("chat.postMessage")
    assert served.post_event(app_mention(f"{PROBE} again")).status == 200
    slack_standin.wait_for("chat.postMessage", timeout=15)
    served.wait_idle()
    assert [c.status for c in slack_standin.calls("chat.postMessage")] == [0, 200]
    assert len(slack_standin.messages(ALERTS_CHANNEL)) == 1


@pytest.mark.parametrize("marker", [EXPLODE_IN_WORKER, EXPLODE_IN_LISTENER])
def test_a_failing_listener_tells_the_user_an_error_id_the_log_and_audit_carry(
    served: ServedSlack,
    slack_standin: SlackStandIn,
    caplog: pytest.LogCaptureFixture,
    marker: str,
) -> None:
    caplog.set_level(logging.ERROR)
    mention = app_mention(f"{marker} now")
    assert served.post_event(mention).status == 200
    [note] = slack_standin.wait_for("chat.postEphemeral")
    assert (note.params["user"], note.params["channel"]) == (ANALYST, ALERTS_CHANNEL)
    assert note.params["thread_ts"] == mention["ts"]
    found = ERROR_ID.search(note.params["text"])
    assert found, note.params["text"]
    error_id = found[1]
    assert len(note.params["text"]) < 300
    assert "blew up" not in note.params["text"]  # the user gets the id, not the internals
    [logged] = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged.exc_info is not None and "blew up" in str(logged.exc_info[1])
    assert "Traceback" in caplog.text
    with served.runtime.engine.connect() as conn:
        rows = conn.execute(
            select(AuditEvent.actor, AuditEvent.data).where(AuditEvent.kind == "error")
        ).all()
    assert [(actor, json.loads(data)["error_id"]) for actor, data in rows] == [(ANALYST, error_id)]
    assert slack_standin.calls("chat.postMessage") == []


def test_when_the_database_fails_an_event_is_still_acked_and_the_asker_told(
    served: ServedSlack, slack_standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    with served.runtime.engine.begin() as conn:
        conn.execute(text("DROP TABLE slack_event"))  # every claim now fails
    response = served.post_event(app_mention(f"{PROBE} lost"))
    assert response.status == 200  # Slack's ack never waits for the database
    [note] = slack_standin.wait_for("chat.postEphemeral")
    assert note.params["user"] == ANALYST
    assert "receiving your mention failed" in note.params["text"]
    found = ERROR_ID.search(note.params["text"])
    assert found and any(found[1] in r.getMessage() and r.exc_info for r in caplog.records)
    served.wait_idle()
    assert slack_standin.calls("chat.postMessage") == []  # not admitted: nothing acted
