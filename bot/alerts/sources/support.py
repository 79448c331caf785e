"""Helpers the cloud and GitHub normalizers share on top of fields.py: reading events whose keys
a log pipeline has re-spelled, checking IPs, building titles, and building the Alert itself
so that a malformed value comes out as AlertRejected rather than a validation error."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from bot.alerts.model import Alert, AlertRejected, Identity

MAX_FOLD_DEPTH = 32  # vendor events are shallow; deeper values are kept as they are
MAX_LABEL = 80
PANTHER_AT_SIGN = "at_sign_"  # some pipelines spell a leading "@" this way (@type, @timestamp)
MACHINE_NAME_WORDS = frozenset(
    {
        "svc", "service", "srv", "bot", "robot", "ci", "cd", "cicd", "deploy", "deployer",
        "automation", "terraform", "jenkins", "pipeline", "daemon", "integration", "sa", "etl",
    }
)  # fmt: skip
_WORDS = re.compile(r"[a-z0-9]+")


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
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def looks_like_machine(name: str | None) -> bool:
    """True when a word of name (split on anything not a letter or digit) marks a machine
    account: svc-ci-deployer, reporting-bot, terraform_sync. Vendors rarely say so themselves."""
    if not name:
        return False
    lowered = name.lower()
    return lowered.endswith("[bot]") or bool(MACHINE_NAME_WORDS & set(_WORDS.findall(lowered)))


def short_label(identity: Identity) -> str:
    """How a title names someone: a login or email, else the last part of an ARN or id."""
    label = identity.name or identity.email or _arn_tail(identity.arn) or identity.provider_id
    label = label or "?"
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _arn_tail(arn: str | None) -> str | None:
    if not arn:
        return None
    return arn.replace(":", "/").rstrip("/").rsplit("/", 1)[-1] or arn


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


def identity_or_none(identity: Identity) -> Identity | None:
    return None if identity.is_empty() else identity


def build_alert(source: str, **fields: Any) -> Alert:
    """Alert(source=source, **fields), with a value the model refuses reported as AlertRejected."""
    try:
        return Alert(source=source, **fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error.get("loc", ())) or "event"
        raise AlertRejected(f"{where}: {error.get('msg', 'invalid')}", source=source) from exc
