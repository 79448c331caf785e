"""Slack user-group membership for approver rules, read with usergroups.users.list.

Answers are cached for a short while (SOCBOT_USERGROUP_CACHE_SECONDS), so a burst of
reactions costs one Web API call, and someone removed from a group stops counting soon after.
It fails closed: when Slack cannot say who is in a group, nobody is, and the error is logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from slack_sdk import WebClient

if TYPE_CHECKING:
    from bot.slack.context import SlackContext

log = logging.getLogger(__name__)


class SlackUsergroupDirectory:
    """bot.actions.approvals.UsergroupDirectory over the Slack Web API."""

    def __init__(
        self,
        client: WebClient,
        ttl_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._clock = clock
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def members(self, usergroup_id: str) -> frozenset[str]:
        cached = self._cached(usergroup_id)
        if cached is not None:
            return cached
        members = self._fetch(usergroup_id)
        if members is None:
            return frozenset()  # not cached: the next reaction asks Slack again
        with self._lock:
            self._cache[usergroup_id] = (self._clock() + self._ttl, members)
        return members

    def forget(self) -> None:
        """Drop every cached answer (tests, or after a policy change)."""
        with self._lock:
            self._cache.clear()

    def _cached(self, usergroup_id: str) -> frozenset[str] | None:
        with self._lock:
            entry = self._cache.get(usergroup_id)
        if entry is None or entry[0] <= self._clock():
            return None
        return entry[1]

    def _fetch(self, usergroup_id: str) -> frozenset[str] | None:
        try:
            response = self._client.usergroups_users_list(usergroup=usergroup_id)
            users = response.get("users")
        except Exception as exc:  # any failure means: not known to be a member
            log.warning("usergroups.users.list %s failed: %s; counting nobody", usergroup_id, exc)
            return None
        if not isinstance(users, list):
            log.warning("usergroups.users.list %s gave no user list; counting nobody", usergroup_id)
            return None
        return frozenset(u for u in users if isinstance(u, str))


def ensure_usergroup_directory(ctx: SlackContext) -> None:
    """Give the runtime's approval rules this directory, unless it already has one. It must
    happen before the ApprovalBook is built; if it was built already, say so loudly."""
    runtime = ctx.runtime
    if runtime.usergroups is not None:
        return
    if "approvals" in vars(runtime):
        log.error(
            "approval rules were built without Slack user groups: members of approver user "
            "groups will not count; build the Runtime with usergroups=SlackUsergroupDirectory"
        )
        return
    runtime.usergroups = SlackUsergroupDirectory(ctx.client, ctx.settings.usergroup_cache_seconds)
