"""Listeners for tests whose effect is a Web API call the stand-in records.

They match only app_mention events whose text carries their marker, and they are registered
before socbot's own listeners, so the real listeners keep every other event.
"""

from __future__ import annotations

import os
import time
from typing import Any

from slack_bolt import Ack, App

from bot.slack.context import SlackContext

PROBE = "probe:"  # the mention is echoed in the thread by a worker
EXPLODE_IN_WORKER = "explode-in-worker:"  # the worker's job raises
EXPLODE_IN_LISTENER = "explode-in-listener:"  # the listener itself raises, after acking
SLOW = "slow:"  # like PROBE, but the worker takes SLOW_SECONDS first
SLOW_SECONDS = 1.5


class ProbeFailure(RuntimeError):
    pass


def _has(marker: str) -> Any:
    def matches(event: dict[str, Any]) -> bool:
        return marker in str(event.get("text", ""))

    return matches


def probe_listeners(app: App, ctx: SlackContext) -> None:
    def echo_later(event: dict[str, Any], marker: str, delay: float) -> None:
        text = f"echo {event['text'].split(marker, 1)[1].strip()} from pid {os.getpid()}"
        thread = event.get("thread_ts") or event["ts"]

        def work() -> None:
            time.sleep(delay)
            ctx.client.chat_postMessage(channel=event["channel"], thread_ts=thread, text=text)

        ctx.workers.submit(
            "the probe", work, reply_to=(event["channel"], thread), user=event.get("user")
        )

    @app.event("app_mention", matchers=[_has(PROBE)])
    def echo(event: dict[str, Any], ack: Ack) -> None:
        ack()
        echo_later(event, PROBE, 0)

    @app.event("app_mention", matchers=[_has(SLOW)])
    def echo_slowly(event: dict[str, Any], ack: Ack) -> None:
        ack()
        echo_later(event, SLOW, SLOW_SECONDS)

    @app.event("app_mention", matchers=[_has(EXPLODE_IN_WORKER)])
    def explode_later(event: dict[str, Any], ack: Ack) -> None:
        ack()

        def work() -> None:
            raise ProbeFailure("the probe's worker job blew up")

        thread = event.get("thread_ts") or event["ts"]
        ctx.workers.submit(
            "answering your probe", work, reply_to=(event["channel"], thread), user=event["user"]
        )

    @app.event("app_mention", matchers=[_has(EXPLODE_IN_LISTENER)])
    def explode_now(event: dict[str, Any], ack: Ack) -> None:
        ack()
        raise ProbeFailure("the probe's listener blew up")
