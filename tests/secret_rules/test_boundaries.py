"""Each chokepoint on its own: the model wrapper, the Slack client, the database write
guard and the log filter redact what crosses them and leave everything else as it was."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.boundary.database import writes_guarded_table
from bot.boundary.logs import RedactingFilter
from bot.boundary.model import RedactingModel, redacting
from bot.errors import ModelError
from bot.redaction import Redactor
from bot.slack.redacting import redact_calls
from tests.support.fakes import ModelTurn, ScriptedModel
from tests.support.secret_canaries import one_of_each
from tests.support.slack_standin import SlackStandIn

CANARIES = one_of_each(seed=77)
TEXT = "\n".join(canary.text for canary in CANARIES)


def leaked(output: str) -> list[str]:
    return [canary.kind for canary in CANARIES if canary.survives_in(output)]


def test_the_model_is_sent_and_returns_only_redacted_text() -> None:
    inner = ScriptedModel([ModelTurn(content=f"answer {TEXT}", calls=(("get_identity", TEXT),))])
    model = redacting(inner)
    reply = model.complete([{"role": "user", "content": TEXT}], [])
    assert leaked(str(inner.requests[0].messages)) == []
    assert leaked(reply.content or "") == [] and leaked(reply.tool_calls[0].arguments) == []
    assert reply.content is not None and reply.content.startswith("answer ")
    assert redacting(model) is model and model.engine == inner.engine


def test_a_model_error_is_raised_redacted() -> None:
    inner = ScriptedModel([ModelTurn(raises=ModelError(f"server said {TEXT}"))])
    with pytest.raises(ModelError) as raised:
        RedactingModel(inner).complete([{"role": "user", "content": "hi"}], [])
    assert leaked(str(raised.value)) == [] and "server said" in str(raised.value)


def test_slack_calls_go_out_redacted_and_the_client_is_kept() -> None:
    with SlackStandIn() as standin:
        client = WebClient(token=standin.token, base_url=standin.api_url)
        assert redact_calls(client) is client and redact_calls(client) is client
        client.chat_postMessage(
            channel="C0ALERTS",
            text=TEXT,
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": TEXT}}],
        )
        [call] = standin.calls("chat.postMessage")
        assert leaked(str(call.params)) == []
        assert call.params["channel"] == "C0ALERTS" and call.ok


def test_every_write_to_socbots_tables_is_redacted(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO rejected_alert (id, received_at, reason, payload, encoding, size,"
                " truncated, via) VALUES ('r1', '2026-01-01 00:00:00', 'bad', :raw, 'utf-8',"
                " 10, false, 'cli')"
            ),
            {"raw": TEXT},
        )
        conn.execute(text("UPDATE rejected_alert SET reason = :why"), {"why": TEXT[:400]})
        stored = conn.execute(text("SELECT payload, reason FROM rejected_alert")).one()
        # Reads are not rewritten: a lookup by a value finds what was stored.
        found = conn.execute(text("SELECT id FROM rejected_alert WHERE id = :id"), {"id": "r1"})
        assert found.scalar_one() == "r1"
    assert leaked(stored.payload) == [] and "[REDACTED:" in stored.payload
    assert "[REDACTED:" in stored.reason and CANARIES[0].secret not in stored.reason


def test_the_audit_log_and_provider_tables_are_left_to_themselves() -> None:
    assert writes_guarded_table('INSERT INTO "alert" (id) VALUES (?)')
    assert writes_guarded_table("UPDATE triage_group SET status = ?")
    assert not writes_guarded_table("INSERT INTO audit_event (seq) VALUES (?)")
    assert not writes_guarded_table("INSERT INTO lab_credentials (id) VALUES (?)")
    assert not writes_guarded_table("SELECT * FROM alert")


def test_log_records_are_redacted_with_their_arguments_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("tests.boundary")
    log_filter = RedactingFilter(Redactor())
    logger.addFilter(log_filter)
    try:
        with caplog.at_level(logging.INFO, logger="tests.boundary"):
            logger.info("saw %s", TEXT)
            try:
                raise RuntimeError(TEXT)
            except RuntimeError:
                logger.exception("failed")
            logger.info("count=%d of %s", 3, "plain words")
    finally:
        logger.removeFilter(log_filter)
    assert leaked(caplog.text) == []
    assert "Traceback" in caplog.text and "RuntimeError" in caplog.text
    plain: Any = caplog.records[-1]
    assert plain.args == (3, "plain words")  # untouched when nothing needed redacting
