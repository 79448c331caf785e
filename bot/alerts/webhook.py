"""Placeholder: the alert webhook is being written."""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import BaseRoute

from bot.runtime import Runtime


def alert_routes(
    runtime: Runtime, on_accepted: Callable[[], None] | None = None
) -> list[BaseRoute]:
    """POST /alerts/{source}."""
    return []
