"""Microsoft Graph security alerts (alerts_v2: Entra ID Protection, Defender for Identity, …) as
Alert fields: the accounts, IPs and applications in the alert's evidence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.alerts.model import Geo, Identity
from bot.alerts.sources import parts

ALERT_MARKERS = ("serviceSource", "detectionSource", "evidence", "alertWebUrl", "providerAlertId")
APP_EVIDENCE = ("oauthapplicationevidence", "cloudapplicationevidence")


def is_security_alert(event: Mapping[str, Any]) -> bool:
    return (
        isinstance(parts.get(event, "title"), str)
        and parts.get(event, "severity") is not None
        and any(parts.get(event, marker) is not None for marker in ALERT_MARKERS)
    )


def fields(event: Mapping[str, Any], source: str) -> dict[str, Any]:
    evidence = [item for item in parts.list_at(event, "evidence") if isinstance(item, Mapping)]
    address = _of_type(evidence, "ipevidence")
    return {
        "vendor_event_id": parts.first(event, "id"),
        "event_type": parts.first(event, "title"),
        "occurred_at": parts.required_time(
            event, source, "createdDateTime", "firstActivityDateTime"
        ),
        "actor": _user(_of_type(evidence, "userevidence")),
        "target": _app(evidence),
        "source_ip": parts.clean_ip(parts.first(address, "ipAddress")),
        "geo": _geo(address),
        "vendor_severity": parts.severity_word(parts.get(event, "severity")),
    }


def _odata_type(item: Mapping[str, Any]) -> str:
    raw = parts.get(item, "@odata.type") or parts.get(item, "at_sign_odata_type")
    found = parts.scalar_text(raw) or ""
    return found.rsplit(".", 1)[-1].lower()


def _of_type(evidence: list[Mapping[str, Any]], wanted: str) -> Mapping[str, Any]:
    for item in evidence:
        if _odata_type(item) == wanted:
            return item
    if wanted == "userevidence":  # evidence exported without its @odata.type
        return next((item for item in evidence if parts.get(item, "userAccount")), {})
    return {}


def _user(item: Mapping[str, Any]) -> Identity | None:
    account = parts.mapping_at(item, "userAccount")
    name = parts.first(account, "accountName")
    domain = parts.first(account, "domainName")
    return parts.identity(
        "person",
        login=parts.first(account, "userPrincipalName"),
        name=parts.first(account, "displayName")
        or (f"{domain}\\{name}" if domain and name else name),
        provider_id=parts.first(account, "azureAdUserId", "userSid"),
    )


def _app(evidence: list[Mapping[str, Any]]) -> Identity | None:
    for item in evidence:
        if _odata_type(item) in APP_EVIDENCE:
            return parts.identity(
                "oauth_app",
                name=parts.first(item, "displayName"),
                provider_id=parts.first(item, "appId", "objectId"),
            )
    return None


def _geo(address: Mapping[str, Any]) -> Geo | None:
    return parts.make_geo(
        parts.first(address, "countryLetterCode", "location.countryCode"),
        parts.first(address, "location.state"),
        parts.first(address, "location.city"),
        parts.look(address, "location.latitude"),
        parts.look(address, "location.longitude"),
    )
