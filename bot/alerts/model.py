"""The one Alert model every vendor normalizer produces, and the typed rejection they raise.

An Alert keeps what triage, dedupe and the digest need in fixed places (who did what to whom,
from where, when, with what outcome) and the vendor's raw event, redacted, for everything else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from bot.clock import as_utc

IdentityKind = Literal["person", "service_account", "access_key", "oauth_app", "unknown"]
Outcome = Literal["success", "failure", "unknown"]
Severity = Literal["info", "low", "medium", "high", "critical", "unknown"]
MAX_TEXT = 2_000  # any single normalized text field; longer values are cut with an ellipsis


class Identity(BaseModel):
    """Someone or something: a person, a service account, an access key, an OAuth app."""

    kind: IdentityKind = "unknown"
    provider_id: str | None = None  # the vendor's own id (Okta user id, AWS principal id …)
    email: str | None = None
    arn: str | None = None
    login: str | None = None  # the sign-in name when it is not an email (jdoe, svc-sync)
    name: str | None = None  # display name

    @property
    def label(self) -> str:
        """The best single spelling of who this is, for fingerprints and prompts."""
        return self.email or self.arn or self.login or self.name or self.provider_id or "?"

    def is_empty(self) -> bool:
        return not (self.provider_id or self.email or self.arn or self.login or self.name)


class Geo(BaseModel):
    country: str | None = None
    region: str | None = None
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None


class Alert(BaseModel):
    """One normalized identity alert, whatever the vendor."""

    source: str  # the normalizer's name: okta, aws_cloudtrail, … generic:<mapping>
    vendor_event_id: str | None = None
    event_type: str  # the vendor's action name, e.g. user.session.start, ConsoleLogin
    title: str
    occurred_at: datetime
    # True when the event had no readable time and occurred_at is when socbot received it.
    time_estimated: bool = False
    actor: Identity | None = None
    target: Identity | None = None
    source_ip: str | None = None
    user_agent: str | None = None
    geo: Geo | None = None
    outcome: Outcome = "unknown"
    vendor_severity: Severity = "unknown"
    raw: dict[str, Any] = Field(default_factory=dict)  # the vendor's event, redacted

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return as_utc(value)

    @field_validator("title", "event_type", "user_agent", "source_ip", "vendor_event_id")
    @classmethod
    def _bounded(cls, value: str | None) -> str | None:
        if value is not None and len(value) > MAX_TEXT:
            return value[: MAX_TEXT - 1] + "…"
        return value

    def fingerprint_parts(self) -> tuple[str, str, str, str]:
        """(source, type, actor, target): what makes two alerts the same alert for dedupe."""
        actor = self.actor.label if self.actor else "-"
        target = self.target.label if self.target else "-"
        return (self.source, self.event_type, actor.lower(), target.lower())
