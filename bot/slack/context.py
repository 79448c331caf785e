"""What every Slack listener is handed: the runtime, the Web API client and the worker pool.

Listeners ack at once and hand slow work (model turns, tool calls, Web API posts) to
`workers`, so Slack always gets its answer within 3 s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from slack_sdk import WebClient

from bot.config import Settings
from bot.runtime import Runtime


class WorkerPool(Protocol):
    def submit(
        self,
        what: str,
        work: Callable[..., Any],
        *args: Any,
        reply_to: tuple[str, str | None] | None = None,
        user: str | None = None,
    ) -> None:
        """Run work(*args) on a worker thread. If it raises, log the stack under a short error
        id, and, when reply_to=(channel, thread_ts) is given, tell the user (ephemerally when
        user is given) that `what` failed, with the error id."""
        ...


@dataclass
class SlackContext:
    runtime: Runtime
    client: WebClient
    workers: WorkerPool
    bot_user_id: str
    bot_id: str | None = None  # the bot's bot_id (messages it posts carry it)
    team_id: str | None = None  # the workspace this app is installed in

    @property
    def settings(self) -> Settings:
        return self.runtime.settings
