"""Where a finished triage goes. The intake queue calls a TriagePublisher; the Slack front end
implements one that posts to the alerts channel, and without Slack nothing is posted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.alerts.model import Alert
from bot.alerts.triage.verdict import TriageResult
from bot.posts import PostRef


@dataclass(frozen=True)
class TriageGroup:
    """What one triage covered: one alert, or a storm group of alerts alike."""

    group_id: str
    alert_ids: Sequence[str]
    alerts: Sequence[Alert]  # the first alerts of the group, in arrival order (a sample)
    total: int  # how many alerts the group holds, sample or not
    is_storm: bool = False


class TriagePublisher(Protocol):
    def publish_triage(self, group: TriageGroup, result: TriageResult) -> PostRef | None:
        """Post the triage (summary, drafts, approval cards); the post's ref, if any."""
        ...

    def publish_duplicates(self, post: PostRef, first_alert_id: str, count: int) -> None:
        """Update the first alert's post: `count` duplicates seen so far."""
        ...


class NoPublisher:
    """Used when Slack is not configured: the triage stays in the database and the audit log."""

    def publish_triage(self, group: TriageGroup, result: TriageResult) -> PostRef | None:
        return None

    def publish_duplicates(self, post: PostRef, first_alert_id: str, count: int) -> None:
        return None
