"""The gate every Slack request passes before a listener sees it.

Dropped at once, without a database write: socbot's own messages and other bots' messages
(except in the alert-intake channel, where integrations post alerts).

An Events API event is acked at once and admitted later, on an admission thread: its
event_id is claimed in the database (bot.slack.event_claims; the first claim wins, across processes
sharing PostgreSQL), events from another workspace are refused on record (slack.refused),
and only then is the request dispatched again, past this gate, to the listeners. So Slack's
ack never waits for the database, and a retried or replayed event never acts twice. When
admission itself fails (the database is down), the person who mentioned or wrote to socbot
is told, with an error id. When the admission queue is full, the event is answered 503, so
Slack delivers it again later.

Slash commands and other requests whose answer is the ack are admitted inline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse

from bot.audit.event import EventKind
from bot.slack.context import SlackContext
from bot.slack.event_claims import claim_event
from bot.slack.workers import ReplyTo, ThreadWorkerPool

log = logging.getLogger(__name__)

ADMITTED = "socbot_admitted"  # request.context flag: passed the gate once, dispatched again
ADMISSION_THREADS = 4
ADMISSION_BACKLOG = 20_000  # events acked but not yet admitted; beyond it, 503 and Slack retries


def acked() -> BoltResponse:
    return BoltResponse(status=200, body="")


class EventGate:
    """Install on a Bolt app with install(app); close() when the app stops."""

    def __init__(self, ctx: SlackContext, threads: int = ADMISSION_THREADS) -> None:
        self.ctx = ctx
        self.admission = ThreadWorkerPool(
            ctx.client,
            ctx.runtime.audit,
            threads,
            name="slack-admission",
            backlog=ADMISSION_BACKLOG,
        )
        self._app: App | None = None

    def install(self, app: App) -> None:
        self._app = app
        app.use(self._middleware)

    def close(self, timeout: float) -> bool:
        return self.admission.shutdown(timeout)

    def _middleware(
        self, body: dict[str, Any], request: BoltRequest, next: Callable[[], None]
    ) -> BoltResponse | None:
        if request.context.get(ADMITTED):
            next()
            return None
        event = event_of(body)
        if event and is_bot_message_to_ignore(self.ctx, event):
            return acked()
        if event and body.get("event_id"):
            reply_to, user = where_to_reply(body) if addressed_to_socbot(event) else (None, None)
            what = f"receiving your {request_kind(body)}"
            if self.admission.offer(what, self._admit_later, request, reply_to=reply_to, user=user):
                return acked()
            return BoltResponse(status=503, body="busy")  # Slack retries it later
        if not self._admit(body):
            return acked()
        next()
        return None

    def _admit_later(self, request: BoltRequest) -> None:
        if not self._admit(request.body):
            return
        request.context[ADMITTED] = True
        # Its signature was checked on arrival; a wait in the admission queue must not let
        # the five-minute timestamp window expire it now. Socket Mode requests skip the check.
        request.mode = "socket_mode"
        assert self._app is not None, "EventGate.install was not called"
        self._app.dispatch(request)

    def _admit(self, body: dict[str, Any]) -> bool:
        event = event_of(body)
        if event and body.get("event_id") and not self._first_delivery(body, event):
            return False
        stranger = foreign_team(self.ctx, body)
        if stranger is not None:
            refuse_foreign(self.ctx, body, stranger)
            return False
        return True

    def _first_delivery(self, body: dict[str, Any], event: dict[str, Any]) -> bool:
        event_id = str(body["event_id"])
        engine = self.ctx.runtime.engine
        first = claim_event(engine, event_id, body.get("team_id"), event_kind(event))
        if not first:
            log.info("dropped Slack event %s: already handled", event_id)
        return first


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def event_of(body: dict[str, Any]) -> dict[str, Any]:
    """The event inside an Events API envelope; {} for anything else."""
    return as_dict(body.get("event")) if body.get("type") == "event_callback" else {}


def event_kind(event: dict[str, Any]) -> str:
    return "/".join(str(part) for part in (event.get("type"), event.get("subtype")) if part)


def is_bot_message_to_ignore(ctx: SlackContext, event: dict[str, Any]) -> bool:
    """socbot's own messages always; other bots' messages except in the alert-intake
    channel, where integrations post the alerts socbot ingests."""
    if event.get("type") not in ("message", "app_mention"):
        return False
    own = event.get("user") == ctx.bot_user_id or (
        ctx.bot_id is not None and event.get("bot_id") == ctx.bot_id
    )
    if own:
        return True
    from_bot = bool(event.get("bot_id")) or event.get("subtype") == "bot_message"
    intake = ctx.settings.slack_alert_intake_channel
    return from_bot and not (intake and event.get("channel") == intake)


def foreign_team(ctx: SlackContext, body: dict[str, Any]) -> str | None:
    """The other workspace a request comes from, or None when it is ours (or says nothing)."""
    if ctx.team_id is None:
        return None
    event = as_dict(body.get("event"))
    team = body.get("team")
    candidates = (
        body.get("team_id"),
        team.get("id") if isinstance(team, dict) else None,
        event.get("user_team"),
        event.get("team") if isinstance(event.get("team"), str) else None,
    )
    return next((t for t in candidates if t and t != ctx.team_id), None)


def refuse_foreign(ctx: SlackContext, body: dict[str, Any], team: str) -> None:
    event = as_dict(body.get("event"))
    user = event.get("user") or body.get("user_id") or as_dict(body.get("user")).get("id")
    item = as_dict(event.get("item"))
    data = {
        "why": f"from another workspace ({team})",
        "channel": event.get("channel") or item.get("channel") or body.get("channel_id"),
        "ts": event.get("ts") or item.get("ts"),
        "event": event_kind(event) if event else body.get("command") or body.get("type"),
    }
    log.warning("dropped a Slack request from workspace %s", team)
    ctx.runtime.audit.record(EventKind.SLACK_EVENT_REFUSED, actor=str(user or team), data=data)


def addressed_to_socbot(event: dict[str, Any]) -> bool:
    """A mention or a direct message: someone waits for an answer (or an error id)."""
    return event.get("type") == "app_mention" or event.get("channel_type") == "im"


def where_to_reply(body: dict[str, Any]) -> tuple[ReplyTo | None, str | None]:
    """(channel, thread) and user of a request a person made, when it names them."""
    event = as_dict(body.get("event"))
    if event:
        where = as_dict(event.get("item")) or event  # a reaction's message, or the event
        channel, user = where.get("channel"), event.get("user")
        thread = where.get("thread_ts") or where.get("ts")
        return ((channel, thread) if channel else None), user
    channel, user = body.get("channel_id"), body.get("user_id")  # a slash command
    return ((channel, None) if channel else None), user


def request_kind(body: dict[str, Any]) -> str:
    event = as_dict(body.get("event"))
    if event.get("type") == "app_mention":
        return "mention"
    if event:
        return str(event.get("type", "event")).replace("_", " ")
    return f"{body['command']} command" if body.get("command") else "request"
