"""Readers shared by the Microsoft normalizers (Entra ID and the Azure activity log): the Azure
Monitor diagnostic envelope, its Level numbers and result words, and Entra location objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.alerts.model import Geo, Outcome, Severity
from bot.alerts.sources import fields as read
from bot.alerts.sources import parts

# Azure Monitor "Level": 1 Critical, 2 Error, 3 Warning, 4 Informational, 5 Verbose.
LEVEL_NUMBERS: dict[int, Severity] = {1: "critical", 2: "high", 3: "medium", 4: "info", 5: "info"}


ENVELOPE_KEYS = ("time", "eventTimestamp", "resourceId", "properties")


def is_envelope(event: Mapping[str, Any]) -> bool:
    """The Azure Monitor diagnostic/activity envelope: operationName, category, and a time,
    resourceId or properties (a missing time is then rejected by name, not as a stranger)."""
    return (
        read.get(event, "operationName") is not None
        and read.get(event, "category") is not None
        and any(read.get(event, key) is not None for key in ENVELOPE_KEYS)
    )


def body(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The record itself: the envelope's properties, or the event when it has no envelope."""
    properties = read.get(event, "properties")
    if isinstance(properties, Mapping) and is_envelope(event):
        return properties
    return event


def envelope(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The envelope around body(event), or {} when the event is a bare record."""
    return event if body(event) is not event else {}


def category(event: Mapping[str, Any]) -> str:
    """The category in lower case; the activity API nests it as {"value": …}."""
    return (read.first(event, "category", "category.value") or "").lower()


def level(value: Any) -> Severity:
    """Severity from an Azure Level: a number 1-5, its text form, or a word like 'Warning'."""
    found = read.number(value)
    if found is not None and found.is_integer():
        return LEVEL_NUMBERS.get(int(found), "unknown")
    return parts.severity_word(value)


def result(value: Any) -> Outcome:
    """Outcome from a resultType/status word or an Entra error code ("0" is success)."""
    found = read.number(value)
    if found is not None and not isinstance(value, bool):
        return "success" if found == 0 else "failure"
    return parts.outcome_word(value)


def location_geo(location: Any) -> Geo | None:
    """An Entra sign-in/risk location: city, state, countryOrRegion, geoCoordinates."""
    if not isinstance(location, Mapping):
        return None
    return parts.make_geo(
        read.first(location, "countryOrRegion", "countryCode", "countryLetterCode"),
        read.first(location, "state"),
        read.first(location, "city"),
        read.look(location, "geoCoordinates.latitude"),
        read.look(location, "geoCoordinates.longitude"),
    )


def detail(entries: Any, key: str) -> str | None:
    """The value of one {key, value} pair in a list like additionalDetails."""
    if not isinstance(entries, list):
        return None
    for entry in entries:
        if (read.first(entry, "key", "Name") or "").lower() == key.lower():
            return read.first(entry, "value", "Value")
    return None
