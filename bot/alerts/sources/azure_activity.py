"""Placeholder: the azure_activity normalizer is being written."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.alerts.model import Alert, AlertRejected

NAME = "azure_activity"


def matches(event: Mapping[str, Any]) -> bool:
    return False


def normalize(event: Any) -> Alert:
    raise AlertRejected("this normalizer is not built yet", source=NAME)
