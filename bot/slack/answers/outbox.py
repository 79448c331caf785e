"""Posting the outbox's replies (bot.slack.answers.outbox_store), now or when Slack answers again.

`deliver(ctx, reply)` posts one reply in its thread, keeps it in the thread's memory and posts
its drafts and approval cards below it. When Slack fails, the reply stays pending: for an
outage or a rate limit it is retried when the method's backoff ends (bot.slack.paced_client);
when Slack refuses the reply itself, a few more times, then it is given up.

`OutboxDrainer` is the thread `socbot serve` runs to post what is due.
"""

from __future__ import annotations

import logging
import threading

from bot.alerts.triage.verdict import ProposedAction
from bot.errors import RetryLater
from bot.slack.answers.outbox_store import FAILED, OutboxStore, Reply
from bot.slack.answers.store import ConversationStore
from bot.slack.approvals.proposals import post_proposals
from bot.slack.context import SlackContext

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0


def deliver(ctx: SlackContext, reply: Reply, outbox: OutboxStore | None = None) -> bool:
    """Post reply; True when Slack took it, False when it stays pending (or was given up)."""
    outbox = outbox or OutboxStore(ctx.runtime.engine)
    try:
        response = ctx.client.chat_postMessage(
            channel=reply.channel,
            thread_ts=reply.thread_ts,
            text=reply.text,
            unfurl_links=False,
            unfurl_media=False,
        )
    except RetryLater as exc:  # the outage is logged once, by the client
        outbox.deferred(reply.id, _first_line(exc), exc.retry_at)
        return False
    except Exception as exc:
        if outbox.refused(reply.id, _first_line(exc)) == FAILED:
            log.error("gave up posting the reply to %s/%s: %s", reply.channel, reply.thread_ts, exc)
        else:
            log.warning("Slack refused the reply to %s/%s: %s", reply.channel, reply.thread_ts, exc)
        return False
    ts = str(response["ts"])
    outbox.posted(reply.id, ts)
    _remember(ctx, reply, ts)
    _post_proposals(ctx, reply)
    return True


def _remember(ctx: SlackContext, reply: Reply, ts: str) -> None:
    store = ConversationStore(ctx.runtime.engine, ctx.runtime.redactor)
    store.append(
        channel=reply.channel,
        thread_ts=reply.thread_ts,
        ts=ts,
        role="assistant",
        text=reply.thread_text,
        user_id=ctx.bot_user_id,
        task_id=reply.task_id,
    )


def _post_proposals(ctx: SlackContext, reply: Reply) -> None:
    actions = [ProposedAction.model_validate(p) for p in reply.proposals]
    try:
        post_proposals(ctx, actions, channel=reply.channel, thread_ts=reply.thread_ts)
    except Exception as exc:  # the answer is out; the requests stay listed in the CLI
        log.warning("drafts and cards under %s/%s failed: %s", reply.channel, reply.thread_ts, exc)


def _first_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"


class OutboxDrainer:
    """A thread that posts due replies: every POLL_SECONDS, or at once after wake()."""

    def __init__(self, ctx: SlackContext, poll_seconds: float = POLL_SECONDS) -> None:
        self._ctx = ctx
        self._outbox = OutboxStore(ctx.runtime.engine)
        self._poll = poll_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slack-outbox", daemon=True)

    def start(self) -> OutboxDrainer:
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def drain(self) -> int:
        """Post every reply due now; how many Slack took."""
        posted = 0
        while not self._stop.is_set() and (reply := self._outbox.claim_due()) is not None:
            posted += deliver(self._ctx, reply, self._outbox)
        return posted

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.drain()
            except Exception:  # a database hiccup must not end the drainer
                log.exception("posting the Slack outbox failed")
            self._wake.wait(self._poll)
            self._wake.clear()
