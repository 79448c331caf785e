"""Analysts talk to socbot in Slack threads: signed events in over HTTP, answers out through
the Web API stand-in, the scripted model in between.

A mention is answered in its thread; the thread is the conversation (stored, trimmed to the
token budget); a DM works the same; bots, edits and other channels' chatter are ignored.
"""

from __future__ import annotations

from bot.agent.tokens import TokenCounter
from bot.slack.answers.prompt import HISTORY_SHARE
from bot.slack.answers.store import ConversationStore, Role
from tests.slack.thread_checks import (
    DM_CHANNEL,
    INTAKE_CHANNEL,
    MakeApp,
    last_user_text,
    post_and_settle,
    replies_in,
    tasks_of_kind,
)
from tests.support.fakes import ScriptedModel
from tests.support.gate_checks import with_task_limits
from tests.support.slack import ALERTS_CHANNEL, ANALYST, BOT_USER_ID, app_mention, message
from tests.support.slack_standin import SlackStandIn

QUESTION = "is p-maria-chen's account in trouble?"


def test_a_mention_is_answered_in_its_thread(
    slack_app: MakeApp, slack_standin: SlackStandIn
) -> None:
    model = ScriptedModel(["Nothing alarming for p-maria-chen in what I can see."])
    served = slack_app(model=model)
    event = app_mention(f"<@{BOT_USER_ID}> {QUESTION}")

    post_and_settle(served, event, posts=1)

    [reply] = replies_in(slack_standin, ALERTS_CHANNEL, event["ts"])
    assert "Nothing alarming for p-maria-chen" in reply["text"]
    [request] = model.requests
    asked = last_user_text(request)
    assert QUESTION in asked and f"<@{BOT_USER_ID}>" not in asked
    # The analyst's words arrive fenced as data, after the thread prompt's instructions.
    assert asked.index("DATA: message from user u0analyst1") < asked.index(QUESTION)
    [(task_id, actor, status)] = tasks_of_kind(served.runtime, "thread")
    assert (actor, status) == (ANALYST, "ok")
    store = ConversationStore(served.runtime.engine, served.runtime.redactor)
    kept = store.thread(ALERTS_CHANNEL, event["ts"])
    assert [(m.role, m.ts, m.task_id) for m in kept] == [
        ("user", event["ts"], task_id),
        ("assistant", reply["ts"], task_id),
    ]


def test_a_follow_up_in_the_thread_sees_the_earlier_turns(
    slack_app: MakeApp, slack_standin: SlackStandIn
) -> None:
    model = ScriptedModel(["First answer: two failed pushes.", "Second answer: yes."])
    served = slack_app(model=model)
    first = app_mention(f"<@{BOT_USER_ID}> {QUESTION}")
    post_and_settle(served, first, posts=1)
    follow_up = app_mention(f"<@{BOT_USER_ID}> and should we act?", thread_ts=first["ts"])
    post_and_settle(served, follow_up, posts=2)

    assert len(replies_in(slack_standin, ALERTS_CHANNEL, first["ts"])) == 2
    second = model.requests[1]
    roles = [m["role"] for m in second.messages]
    assert roles == ["system", "user", "assistant", "user"]
    earlier_question, earlier_answer = second.messages[1]["content"], second.messages[2]["content"]
    assert QUESTION in earlier_question and "DATA: earlier message" in earlier_question
    assert earlier_answer == "First answer: two failed pushes."
    assert "and should we act?" in last_user_text(second)
    # Another thread is another conversation: none of this one is carried over.
    elsewhere = app_mention(f"<@{BOT_USER_ID}> hello")
    model.add("Hello.")
    post_and_settle(served, elsewhere, posts=3)
    assert [m["role"] for m in model.requests[2].messages] == ["system", "user"]


def test_a_long_thread_is_trimmed_to_the_history_budget(
    slack_app: MakeApp, slack_standin: SlackStandIn
) -> None:
    tokens = 8_000
    model = ScriptedModel(["Short answer."])
    served = slack_app(model=model, policy_text=with_task_limits(tokens=tokens))
    root = app_mention(f"<@{BOT_USER_ID}> start")
    store = ConversationStore(served.runtime.engine, served.runtime.redactor)
    for number in range(60):  # ~ 60 × 120 tokens: far more than a quarter of 8000
        role: Role = "user" if number % 2 == 0 else "assistant"
        body = f"turn {number:02d} " + "lorem ipsum dolor sit amet " * 20
        store.append(
            channel=ALERTS_CHANNEL,
            thread_ts=root["ts"],
            ts=f"{1_600_000_000 + number}.000100",
            role=role,
            text=body,
            user_id=ANALYST,
        )
    post_and_settle(served, app_mention(f"<@{BOT_USER_ID}> latest?", thread_ts=root["ts"]), posts=1)

    [request] = model.requests
    history = request.messages[1:-1]
    counter = TokenCounter()
    assert counter.count_messages(history) <= tokens * HISTORY_SHARE
    assert "earlier messages omitted to fit the token budget" in history[0]["content"]
    shown = " ".join(str(m["content"]) for m in history)
    assert "turn 59" in shown and "turn 58" in shown  # the newest turns stay
    assert "turn 00" not in shown and "turn 10" not in shown  # the oldest go
    assert "latest?" in last_user_text(request)
    assert replies_in(slack_standin, ALERTS_CHANNEL, root["ts"])


def test_a_direct_message_is_answered(slack_app: MakeApp, slack_standin: SlackStandIn) -> None:
    model = ScriptedModel(["Answered in the DM."])
    served = slack_app(model=model)
    event = message("who is svc-ci-deployer?", channel=DM_CHANNEL, channel_type="im")

    post_and_settle(served, event, posts=1)

    [reply] = replies_in(slack_standin, DM_CHANNEL, event["ts"])
    assert reply["text"] == "Answered in the DM."
    assert "who is svc-ci-deployer?" in last_user_text(model.requests[0])


def test_bots_edits_and_plain_channel_chatter_are_not_answered(
    slack_app: MakeApp, slack_standin: SlackStandIn
) -> None:
    model = ScriptedModel()  # any call to it fails the test
    served = slack_app(model=model, slack_alert_intake_channel=INTAKE_CHANNEL)
    ignored = [
        message("a bot in a DM", channel=DM_CHANNEL, channel_type="im", bot_id="B0OTHER"),
        message("socbot itself", channel=DM_CHANNEL, channel_type="im", user=BOT_USER_ID),
        message(
            "edited", channel=DM_CHANNEL, channel_type="im", subtype="message_changed", user=None
        ),
        message("no mention, in a channel"),
        app_mention(f"<@{BOT_USER_ID}> in the intake channel", channel=INTAKE_CHANNEL),
    ]
    for event in ignored:
        assert served.post_event(event).status == 200
    # A person's DM after them is answered: the listener works, and had any of the above been
    # taken for a question, it would have been answered too (the script holds one answer).
    model.add("Still here.")
    sentinel = message("ping", channel=DM_CHANNEL, channel_type="im")
    post_and_settle(served, sentinel, posts=1)

    [post] = slack_standin.calls("chat.postMessage")
    assert post.params["thread_ts"] == sentinel["ts"]
    assert len(model.requests) == 1
    [(_, actor, _)] = tasks_of_kind(served.runtime, "thread")
    assert actor == ANALYST


def test_a_bare_mention_gets_a_hint_and_no_model_turn(
    slack_app: MakeApp, slack_standin: SlackStandIn
) -> None:
    model = ScriptedModel()
    served = slack_app(model=model)
    event = app_mention(f"<@{BOT_USER_ID}>")

    post_and_settle(served, event, posts=1)

    [reply] = replies_in(slack_standin, ALERTS_CHANNEL, event["ts"])
    assert "Ask me about an alert" in reply["text"]
    assert model.requests == []
