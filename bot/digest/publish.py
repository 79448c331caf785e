"""Posting the weekly digest exactly once per ISO week: claim the week, compute, post, record.

The post is due every week on the configured weekday and hour in the digest's time zone
(Monday 09:00 by default) and reports the ISO week before the one it is due in. Any number of
workers may try at once, on schedule, at start-up or on a retry: the week's digest_post row
(bot.digest.store) lets exactly one through. With Slack configured (SLACK_BOT_TOKEN and
SOCBOT_DIGEST_CHANNEL) the digest goes to the channel with the chart in its thread
(bot.slack.digest_poster); otherwise it is written to the log, which says why.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol

from bot.clock import utcnow
from bot.config import Settings
from bot.db import session_scope
from bot.digest.chart import render_chart
from bot.digest.compute import DigestOptions, compute_digest
from bot.digest.formats import to_text
from bot.digest.model import Digest
from bot.digest.store import (
    FAILED,
    LOGGED,
    POSTED,
    claim_week,
    finish_statement,
    last_verified_head,
)
from bot.digest.window import digest_zone, previous_week, previous_window, week_of, week_window
from bot.errors import ConfigError
from bot.posts import PostRef
from bot.runtime import Runtime

log = logging.getLogger(__name__)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NOT_CONFIGURED = (
    "Slack is not configured for the digest (SLACK_BOT_TOKEN and SOCBOT_DIGEST_CHANNEL)"
)


@dataclass(frozen=True)
class PostOutcome:
    week: str
    status: str  # posted | logged | failed | skipped
    detail: str


class DigestPoster(Protocol):
    where: str  # said in the worker's start-up summary

    def post(self, week: str, digest: Digest, chart: bytes) -> PostRef | None:
        """Deliver the digest; its message when posted, None when only logged."""
        ...


def weekday(name: str) -> str:
    """The configured weekday as the name APScheduler's cron takes: names, never numbers
    (APScheduler counts Monday as 0, cron counts Sunday as 0)."""
    given = name.strip().lower()
    if given not in WEEKDAYS and given not in WEEKDAY_NAMES:
        raise ConfigError(
            f"SOCBOT_DIGEST_DAY={name!r} is not a weekday name: use mon, tue, wed, thu, fri, "
            "sat or sun"
        )
    return given[:3]


@dataclass(frozen=True)
class Due:
    at: datetime  # when the post was due, UTC
    week: str  # the ISO week it reports


def latest_due(now: datetime, settings: Settings) -> Due:
    """The most recent moment at or before now the weekly post was due, and its week."""
    zone = digest_zone(settings.digest_timezone)
    local = now.astimezone(zone)
    day = WEEKDAYS.index(weekday(settings.digest_day_of_week))
    date = local.date() - timedelta(days=local.weekday() - day)
    due = datetime.combine(date, time(settings.digest_hour), tzinfo=zone)
    if due > local:
        due = datetime.combine(date - timedelta(days=7), time(settings.digest_hour), tzinfo=zone)
    return Due(due.astimezone(UTC), previous_week(week_of(due, zone)))


def digest_options(runtime: Runtime, *, verify_chain: bool = True) -> DigestOptions:
    """Settings, policy and the last remembered chain head, as the digest needs them."""
    settings = runtime.settings
    return DigestOptions(
        sla_hours=float(runtime.policies.current.defaults.containment_sla_hours),
        prices=settings.model_prices,
        timezone=settings.digest_timezone,
        verify_chain=verify_chain,
        expected_head=last_verified_head(runtime.engine) if verify_chain else None,
    )


def weekly_digest(runtime: Runtime, week: str, now: datetime) -> Digest:
    zone = digest_zone(runtime.settings.digest_timezone)
    window = week_window(week, zone)
    options = digest_options(runtime)
    return compute_digest(runtime.engine, window, previous_window(window, zone), options, now=now)


def new_claimer() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def post_due_digest(
    runtime: Runtime, poster: DigestPoster, *, now: datetime | None = None, claimer: str = ""
) -> PostOutcome:
    """Post the digest that is due now, unless it went out already or is going out."""
    now = now or utcnow()
    return post_week(
        runtime, poster, latest_due(now, runtime.settings).week, now=now, claimer=claimer
    )


def post_week(
    runtime: Runtime, poster: DigestPoster, week: str, *, now: datetime, claimer: str = ""
) -> PostOutcome:
    claimer = claimer or new_claimer()
    if not claim_week(runtime.engine, week, claimer, now):
        return PostOutcome(week, "skipped", "already posted, or another worker holds it")
    try:
        digest = weekly_digest(runtime, week, now)
        ref = poster.post(week, digest, render_chart(digest))
    except Exception as exc:
        log.exception("the digest of %s could not be posted; a later run retries", week)
        _finish(runtime, week, claimer, FAILED, now, error=f"{type(exc).__name__}: {exc}")
        return PostOutcome(week, "failed", str(exc))
    return _record(runtime, week, claimer, digest, ref, now)


def _record(
    runtime: Runtime, week: str, claimer: str, digest: Digest, ref: PostRef | None, now: datetime
) -> PostOutcome:
    chain = digest.chain
    head = (chain.head_seq, chain.head_hash) if chain.checked and chain.ok else None
    status = POSTED if ref is not None else LOGGED
    with session_scope(runtime.engine) as session:
        statement = finish_statement(
            week,
            claimer,
            status=status,
            at=now,
            channel=ref.channel if ref else None,
            message_ts=ref.ts if ref else None,
            head=head,
        )
        session.execute(statement)
        if ref is not None:
            runtime.audit.record(
                "digest.posted",
                actor="scheduler",
                data={
                    "week": week,
                    "channel": ref.channel,
                    "ts": ref.ts,
                    "chain_ok": chain.ok,
                    "head_seq": chain.head_seq,
                    "head_hash": chain.head_hash,
                },
                session=session,
            )
    where = f"{ref.channel} at {ref.ts}" if ref else "the log"
    return PostOutcome(week, status, f"digest of {week} went to {where}")


def _finish(
    runtime: Runtime, week: str, claimer: str, status: str, now: datetime, *, error: str
) -> None:
    with session_scope(runtime.engine) as session:
        session.execute(finish_statement(week, claimer, status=status, at=now, error=error))


class LogPoster:
    """Without Slack: the digest goes to the log, which says why it was not posted."""

    def __init__(self, reason: str = NOT_CONFIGURED) -> None:
        self.where = f"the log ({reason})"
        self._reason = reason

    def post(self, week: str, digest: Digest, chart: bytes) -> None:
        log.warning(
            "%s, so the digest of %s is logged instead:\n%s", self._reason, week, to_text(digest)
        )
        return None
