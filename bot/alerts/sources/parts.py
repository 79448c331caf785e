"""Pieces the identity-provider normalizers share: key lookups that forgive letter case,
identities from login names, the vendors' severity and outcome words, geo, titles, and an Alert
constructor that turns a validation problem into AlertRejected."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from bot.alerts.model import Alert, AlertRejected, Geo, Identity, IdentityKind, Outcome, Severity
from bot.alerts.sources.fields import no_event_time, parse_time

PLACEHOLDERS = frozenset({"", "unknown", "null", "none", "n/a", "-", "not available"})
TITLE_PART = 120  # characters of one title part (action, actor, target)

SEVERITY_WORDS: dict[str, Severity] = {
    "debug": "info", "verbose": "info", "info": "info", "information": "info",
    "informational": "info", "none": "info", "low": "low", "medium": "medium",
    "moderate": "medium", "warn": "medium", "warning": "medium", "high": "high",
    "error": "high", "severe": "high", "critical": "critical", "fatal": "critical",
}  # fmt: skip
OUTCOME_WORDS: dict[str, Outcome] = {
    "success": "success", "succeeded": "success", "successful": "success", "allow": "success",
    "allowed": "success", "true": "success", "ok": "success", "pass": "success",
    "failure": "failure", "failed": "failure", "fail": "failure", "deny": "failure",
    "denied": "failure", "false": "failure", "error": "failure", "blocked": "failure",
    "rejected": "failure", "unauthorized": "failure", "forbidden": "failure",
}  # fmt: skip


def get(mapping: Any, key: str) -> Any:
    """mapping[key], or the value of the one key equal to it ignoring case; None otherwise."""
    if not isinstance(mapping, Mapping):
        return None
    if key in mapping:
        return mapping[key]
    wanted = key.lower()
    for name, value in mapping.items():
        if isinstance(name, str) and name.lower() == wanted:
            return value
    return None


def look(event: Any, path: str) -> Any:
    """Dotted lookup like fields.dig, but each key also matches in another letter case."""
    value = event
    for step in path.split("."):
        if isinstance(value, list) and step.isdigit():
            value = value[int(step)] if int(step) < len(value) else None
        else:
            value = get(value, step)
        if value is None:
            return None
    return value


def scalar_text(value: Any) -> str | None:
    """A non-placeholder string or number as stripped text; anything else None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    cleaned = str(value).strip()
    return None if cleaned.lower() in PLACEHOLDERS else cleaned


def first(event: Any, *paths: str) -> str | None:
    """The first path (case-forgiving) that holds real text."""
    for path in paths:
        found = scalar_text(look(event, path))
        if found is not None:
            return found
    return None


def mapping_at(event: Any, path: str) -> Mapping[str, Any]:
    value = look(event, path)
    return value if isinstance(value, Mapping) else {}


def list_at(event: Any, path: str) -> list[Any]:
    value = look(event, path)
    return value if isinstance(value, list) else []


def looks_like_email(value: str | None) -> bool:
    if not value or " " in value or value.count("@") != 1:
        return False
    local, domain = value.split("@")
    return bool(local) and "." in domain.strip(".")


def identity(
    kind: IdentityKind,
    *,
    login: str | None = None,
    name: str | None = None,
    provider_id: str | None = None,
    email: str | None = None,
) -> Identity | None:
    """An Identity, the login taken as email when it is one; None when nothing names it."""
    if login and looks_like_email(login) and not email:
        email = login
    elif login and not name:
        name = login
    found = Identity(kind=kind, provider_id=provider_id, email=email, name=name)
    return None if found.is_empty() else found


def severity_word(value: Any) -> Severity:
    """info|low|medium|high|critical from the vendor's word ("WARN", "Informational", "none"…)."""
    if not isinstance(value, str):
        return "unknown"
    return SEVERITY_WORDS.get(value.strip().lower(), "unknown")


def outcome_word(value: Any) -> Outcome:
    if isinstance(value, bool):
        return "success" if value else "failure"
    word = scalar_text(value)
    return OUTCOME_WORDS.get(word.lower(), "unknown") if word else "unknown"


def clean_ip(value: Any) -> str | None:
    """An IP address from text that may carry a port ("1.2.3.4:443", "[2001:db8::1]:443")."""
    raw = scalar_text(value)
    if raw is None:
        return None
    candidates = [raw, raw.strip("[]")]
    if raw.startswith("[") and "]:" in raw:
        candidates.append(raw[1 : raw.index("]")])
    if raw.count(":") == 1:
        candidates.append(raw.split(":")[0])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        parsed = float(value)
    except ValueError:
        return None
    return parsed if math.isfinite(parsed) else None


def make_geo(
    country: str | None,
    region: str | None = None,
    city: str | None = None,
    latitude: Any = None,
    longitude: Any = None,
) -> Geo | None:
    lat, lon = number(latitude), number(longitude)
    if lat is not None and not -90 <= lat <= 90:
        lat = None
    if lon is not None and not -180 <= lon <= 180:
        lon = None
    geo = Geo(country=country, region=region, city=city, latitude=lat, longitude=lon)
    return geo if any(value is not None for value in geo.model_dump().values()) else None


def title_for(vendor: str, event_type: str, actor: Identity | None, target: Identity | None) -> str:
    """'Vendor: action by actor on target', each part cut short."""
    title = f"{vendor}: {_short(event_type)}"
    if actor is not None:
        title += f" by {_short(actor.label)}"
    if target is not None and (actor is None or target.label != actor.label):
        title += f" on {_short(target.label)}"
    return title


def _short(value: str) -> str:
    return value if len(value) <= TITLE_PART else value[: TITLE_PART - 1] + "…"


def build_alert(source: str, event: Mapping[str, Any], **fields: Any) -> Alert:
    """The Alert, with the whole event as raw; a field that does not validate is a rejection."""
    try:
        return Alert(source=source, raw=dict(event), **fields)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem.get("loc", ())) or "event"
        raise AlertRejected(f"{where}: {problem.get('msg', 'invalid')}", source=source) from exc


def required_time(event: Any, source: str, *paths: str) -> datetime:
    """The first readable time among paths (case-forgiving); AlertRejected when there is none."""
    return pick_time(source, *((path, look(event, path)) for path in paths))


def pick_time(source: str, *candidates: tuple[str, Any]) -> datetime:
    """The first readable time among (where, value) pairs; AlertRejected naming where looked."""
    for _where, value in candidates:
        parsed = parse_time(value)
        if parsed is not None:
            return parsed
    return no_event_time(source, ", ".join(where for where, _value in candidates))


def required_text(event: Any, source: str, *paths: str) -> str:
    found = first(event, *paths)
    if found is None:
        raise AlertRejected(f"no event type (looked in {', '.join(paths)})", source=source)
    return found
