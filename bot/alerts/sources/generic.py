"""Placeholder: generic YAML-configured mappings are being written."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.alerts.model import Alert, AlertRejected


def mapping_names() -> list[str]:
    """The configured mapping names, in detection order."""
    return []


def detect(event: Mapping[str, Any]) -> str | None:
    """The name of the configured mapping that matches event, or None."""
    return None


def normalize(event: Any, mapping_name: str) -> Alert:
    raise AlertRejected("generic mappings are not built yet", source=f"generic:{mapping_name}")
