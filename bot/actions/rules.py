"""Who may approve a tool's actions, how many must, and what came of one verdict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.actions.requests import APPROVED


@dataclass(frozen=True)
class ApproverRule:
    """Who may approve a tool's actions now, and how many must."""

    users: frozenset[str]
    usergroups: frozenset[str]
    quorum: int


class UsergroupDirectory(Protocol):
    def members(self, usergroup_id: str) -> frozenset[str]: ...


class NoUsergroups:
    """Used where no Slack workspace is reachable (the CLI): only named users count."""

    def members(self, usergroup_id: str) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True)
class ApprovalOutcome:
    request_id: str
    counted: bool
    status: str
    reason: str
    approvals: int
    quorum: int

    @property
    def ready_to_execute(self) -> bool:
        return self.counted and self.status == APPROVED


ApproverRuleLookup = Callable[[str], ApproverRule | None]
