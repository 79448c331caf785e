"""A message socbot posted somewhere, found again by a later update or reply."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PostRef:
    """Where a message is (Slack: channel and ts), for updates and thread replies."""

    channel: str
    ts: str
