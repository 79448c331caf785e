"""Microsoft Graph security alerts (alerts_v2: Entra ID Protection, Defender for Identity, …) as
Alert fields: the accounts, IPs and applications in the alert's evidence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.alerts.model import Geo, Identity
from bot.alerts.sources import fields as read
from bot.alerts.sources import parts

ALERT_MARKERS = ("serviceSource", "detectionSource", "evidence", "alertWebUrl", "providerAlertId")
APP_EVIDENCE = ("oauthapplicationevidence", "cloudapplicationevidence")


def is_security_alert(event: Mapping[str, Any]) -> bool:
    return (
        isinstance(read.get(event, "title"), str)
        and read.get(event, "severity") is not None
        and any(read.get(event, marker) is not None for marker in ALERT_MARKERS)
    )


def fields(event: Mapping[str, Any], source: str) -> dict[str, Any]:
    evidence = [item for item in read.list_at(event, "evidence") if isinstance(item, Mapping)]
    address = _of_type(evidence, "ipevidence")
    return {
        "vendor_event_id": read.first(event, "id"),
        "event_type": read.first(event, "title"),
        "occurred_at": read.required_time(
            event, source, "createdDateTime", "firstActivityDateTime", lookup=read.look
        ),
        "actor": _user(_of_type(evidence, "userevidence")),
        "target": _app(evidence),
        "source_ip": parts.clean_ip(read.first(address, "ipAddress")),
        "geo": _geo(address),
        "vendor_severity": parts.severity_word(read.get(event, "severity")),
    }


def _odata_type(item: Mapping[str, Any]) -> str:
    raw = read.get(item, "@odata.type") or read.get(item, "at_sign_odata_type")
    found = read.scalar_text(raw) or ""
    return found.rsplit(".", 1)[-1].lower()


def _of_type(evidence: list[Mapping[str, Any]], wanted: str) -> Mapping[str, Any]:
    for item in evidence:
        if _odata_type(item) == wanted:
            return item
    if wanted == "userevidence":  # evidence exported without its @odata.type
        return next((item for item in evidence if read.get(item, "userAccount")), {})
    return {}


def _user(item: Mapping[str, Any]) -> Identity | None:
    account = read.mapping_at(item, "userAccount")
    name = read.first(account, "accountName")
    domain = read.first(account, "domainName")
    return parts.identity(
        "person",
        login=read.first(account, "userPrincipalName"),
        name=read.first(account, "displayName")
        or (f"{domain}\\{name}" if domain and name else name),
        provider_id=read.first(account, "azureAdUserId", "userSid"),
    )


def _app(evidence: list[Mapping[str, Any]]) -> Identity | None:
    for item in evidence:
        if _odata_type(item) in APP_EVIDENCE:
            return parts.identity(
                "oauth_app",
                name=read.first(item, "displayName"),
                provider_id=read.first(item, "appId", "objectId"),
            )
    return None


def _geo(address: Mapping[str, Any]) -> Geo | None:
    return parts.make_geo(
        read.first(address, "countryLetterCode", "location.countryCode"),
        read.first(address, "location.state"),
        read.first(address, "location.city"),
        read.look(address, "location.latitude"),
        read.look(address, "location.longitude"),
    )
