"""An analyst's answer is an outbox item: kept until Slack has it, retried when Slack fails,
shown in /healthz while it waits, and a question Slack delivers again is answered once, or
again when the first try ended without an answer."""

from __future__ import annotations

import time
from typing import Any

from bot.slack.answers.store import ConversationStore
from tests.slack.thread_checks import MakeApp, replies_in, tasks_of_kind
from tests.support.fakes import ModelTurn, ScriptedModel
from tests.support.slack import ALERTS_CHANNEL, ANALYST, BOT_USER_ID, ServedSlack, app_mention
from tests.support.slack_standin import SlackStandIn, SlackUser

QUESTION = f"<@{BOT_USER_ID}> who else signed in from 185.220.101.34?"
ANSWER = "Nobody else signed in from that address this week."


def pending_replies(served: ServedSlack) -> Any:
    response = served.get("/healthz")
    assert response.status == 200
    return response.json()["outbox"]["pending_replies"]


def wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def ask(served: ServedSlack, event: dict[str, Any]) -> None:
    """Deliver the event (a fresh event id each time, as a redelivery may carry) and let the
    workers finish with it."""
    assert served.post_event(event).status == 200
    wait_until(lambda: served.service.gate.admission.pending == 0, 10, "not admitted")
    time.sleep(0.2)  # Bolt hands the admitted event to its listener after the ack
    served.wait_idle()


def test_an_answer_slack_could_not_take_waits_in_the_outbox_and_is_posted_later(
    slack_app: MakeApp, slack_standin: SlackStandIn
) -> None:
    model = ScriptedModel([ANSWER])
    served = slack_app(model=model)
    slack_standin.outage(None, seconds=120)  # every method: no error notice goes out either
    event = app_mention(QUESTION)

    ask(served, event)
    assert replies_in(slack_standin, ALERTS_CHANNEL, event["ts"]) == []
    assert pending_replies(served) == 1
    ask(served, event)  # Slack delivers the unanswered mention again meanwhile
    assert len(model.requests) == 1  # the answer is waiting, not asked for twice
    assert pending_replies(served) == 1
    slack_standin.end_faults()

    wait_until(lambda: replies_in(slack_standin, ALERTS_CHANNEL, event["ts"]), 15, "never posted")
    [reply] = replies_in(slack_standin, ALERTS_CHANNEL, event["ts"])
    assert ANSWER in reply["text"]
    wait_until(lambda: pending_replies(served) == 0, 5, "still pending after posting")
    store = ConversationStore(served.runtime.engine, served.runtime.redactor)
    kept = store.thread(ALERTS_CHANNEL, event["ts"])
    assert [(m.role, m.ts) for m in kept] == [("user", event["ts"]), ("assistant", reply["ts"])]
    time.sleep(1.5)  # the drainer keeps running: nothing is posted twice
    assert len(replies_in(slack_standin, ALERTS_CHANNEL, event["ts"])) == 1


def test_a_question_whose_first_try_ended_without_an_answer_is_answered_when_delivered_again(
    slack_app: MakeApp, slack_standin: SlackStandIn
) -> None:
    slack_standin.add_user(SlackUser(ANALYST, email="analyst@example.com"))
    model = ScriptedModel([ModelTurn(raises=RuntimeError("the model process died")), ANSWER])
    served = slack_app(model=model)
    event = app_mention(QUESTION)

    ask(served, event)
    slack_standin.wait_for("chat.postEphemeral")  # the asker was told it failed
    assert replies_in(slack_standin, ALERTS_CHANNEL, event["ts"]) == []
    ask(served, event)

    [reply] = replies_in(slack_standin, ALERTS_CHANNEL, event["ts"])
    assert ANSWER in reply["text"]
    assert [status for _, _, status in tasks_of_kind(served.runtime, "thread")] == ["error", "ok"]
    ask(served, event)  # and once answered, a third delivery changes nothing
    assert len(model.requests) == 2
    assert len(replies_in(slack_standin, ALERTS_CHANNEL, event["ts"])) == 1
