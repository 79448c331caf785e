"""Each policy version's text kept in the database, and what a new one changed.

PolicyStore calls on_loaded(policy, previous) as a version comes into force: its text is
kept (bot.policy.history), the differences from the previous version are returned for the
policy.loaded audit row, and changes that widen power are handed to every watcher (the Slack
front end posts them to the approvals channel).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine

from bot.policy.diff import Change, policy_changes, widening
from bot.policy.history import remember
from bot.policy.model import Policy

log = logging.getLogger(__name__)

Watcher = Callable[[Policy, Policy, list[Change]], None]


class PolicyVersions:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.watchers: list[Watcher] = []

    def on_loaded(self, policy: Policy, previous: Policy | None) -> dict[str, Any]:
        remember(self._engine, policy.version, policy.content, policy.source)
        if previous is None:
            return {}
        changes = policy_changes(previous, policy)
        wider = widening(changes)
        if wider:
            log.warning("policy %s widens power: %s", policy.version[:12], wider)
            for watcher in list(self.watchers):
                try:
                    watcher(policy, previous, wider)
                except Exception:  # a failed notice must not keep the policy from loading
                    log.exception("a policy watcher failed")
        return {
            "changes": [c.line() for c in changes],
            "widening": [c.line() for c in wider],
        }
