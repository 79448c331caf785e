"""Pieces the normalizers share on top of fields.py: keys a log pipeline has re-spelled,
identities from login names and machine-looking names, the vendors' severity and outcome words,
IP addresses, geo, titles, and an Alert constructor that turns a validation problem into
AlertRejected."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from bot.alerts.model import Alert, Geo, Identity, IdentityKind, Outcome, Severity
from bot.alerts.sources.fields import number, scalar_text
from bot.errors import AlertRejected

MAX_FOLD_DEPTH = 32  # vendor events are shallow; deeper values are kept as they are
MAX_LABEL = 80  # characters of a label in a describe() title
TITLE_PART = 120  # characters of one title_for() part (action, actor, target)
PANTHER_AT_SIGN = "at_sign_"  # some pipelines spell a leading "@" this way (@type, @timestamp)
MACHINE_NAME_WORDS = frozenset(
    {
        "svc", "service", "srv", "bot", "robot", "ci", "cd", "cicd", "deploy", "deployer",
        "automation", "terraform", "jenkins", "pipeline", "daemon", "integration", "sa", "etl",
    }
)  # fmt: skip
_WORDS = re.compile(r"[a-z0-9]+")

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


def fold_keys(value: Any, depth: int = 0) -> Any:
    """A copy with every key lower-cased and "at_sign_x" spelled "@x", so one lookup path fits
    the vendor's camelCase and the all-lower-case spelling some pipelines store."""
    if depth >= MAX_FOLD_DEPTH:
        return value
    if isinstance(value, Mapping):
        return {_fold_key(key): fold_keys(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [fold_keys(item, depth + 1) for item in value]
    return value


def _fold_key(key: Any) -> Any:
    if not isinstance(key, str):
        return key
    lowered = key.lower()
    if lowered.startswith(PANTHER_AT_SIGN):
        return "@" + lowered[len(PANTHER_AT_SIGN) :]
    return lowered


def top_level(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event's own keys folded as fold_keys does, without copying anything below them."""
    return {_fold_key(key): value for key, value in event.items()}


def ip_or_none(value: str | None) -> str | None:
    """value when it is an IPv4/IPv6 address; vendors also put hostnames and words there."""
    return _ip(value.strip()) if value else None


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
    return next(filter(None, map(_ip, candidates)), None)


def _ip(candidate: str) -> str | None:
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def looks_like_machine(name: str | None) -> bool:
    """True when a word of name (split on anything not a letter or digit) marks a machine
    account: svc-ci-deployer, reporting-bot, terraform_sync. Vendors rarely say so themselves."""
    if not name:
        return False
    lowered = name.lower()
    return lowered.endswith("[bot]") or bool(MACHINE_NAME_WORDS & set(_WORDS.findall(lowered)))


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
    """An Identity, the login taken as email when it is one, else as the name; a login that
    is not an email beside a display name is kept as the login, not dropped for the display
    name. None when nothing names it."""
    if login and looks_like_email(login) and not email:
        email, login = login, None
    elif login and not name:
        name, login = login, None
    elif login and login.lower() in {(v or "").lower() for v in (name, email, provider_id)}:
        login = None
    found = Identity(kind=kind, provider_id=provider_id, email=email, login=login, name=name)
    return identity_or_none(found)


def identity_or_none(identity: Identity) -> Identity | None:
    return None if identity.is_empty() else identity


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
    title = f"{vendor}: {_cut(event_type, TITLE_PART)}"
    if actor is not None:
        title += f" by {_cut(actor.label, TITLE_PART)}"
    if target is not None and (actor is None or target.label != actor.label):
        title += f" on {_cut(target.label, TITLE_PART)}"
    return title


def describe(
    vendor: str,
    action: str,
    actor: Identity | None,
    target: Identity | None,
    *,
    failure: str | None = None,
) -> str:
    """'AWS: CreateAccessKey by alice for svc-ci-deployer (failed: AccessDenied)'.

    failure is None when the action did not fail, "" when it failed for an unnamed reason."""
    parts = [f"{vendor}: {action}"]
    if actor is not None:
        parts.append(f"by {short_label(actor)}")
    target_label = _target_label(actor, target)
    if target is not None and target_label:
        parts.append(f"{'on' if target.kind == 'unknown' else 'for'} {target_label}")
    title = " ".join(parts)
    if failure is None:
        return title
    return f"{title} (failed: {failure})" if failure else f"{title} (failed)"


def short_label(identity: Identity) -> str:
    """How describe() names someone: a login or email, else the last part of an ARN or id."""
    label = (
        identity.name
        or identity.login
        or identity.email
        or _arn_tail(identity.arn)
        or identity.provider_id
    )
    return _cut(label or "?", MAX_LABEL)


def _arn_tail(arn: str | None) -> str | None:
    if not arn:
        return None
    return arn.replace(":", "/").rstrip("/").rsplit("/", 1)[-1] or arn


def _target_label(actor: Identity | None, target: Identity | None) -> str | None:
    """The target's label, unless it only repeats the actor's: nothing when the actor acts on
    itself, the key id when it acts on its own key."""
    if target is None:
        return None
    label = short_label(target)
    if target.kind == "access_key" and actor is not None and label == short_label(actor):
        return target.provider_id
    same = actor is not None and actor.kind == target.kind and label == short_label(actor)
    return None if same else label


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def build_alert(source: str, **values: Any) -> Alert:
    """Alert(source=source, **values), with a value the model refuses reported as AlertRejected."""
    try:
        return Alert(source=source, **values)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem.get("loc", ())) or "event"
        raise AlertRejected(f"{where}: {problem.get('msg', 'invalid')}", source=source) from exc
