"""Who called Azure: the person or service principal behind an activity-log event (token
claims, caller, authorization evidence), or the key or SAS token behind a storage request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.alerts.model import Identity
from bot.alerts.sources import fields as read
from bot.alerts.sources import parts

CLAIM_PREFIXES = (
    "",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/",
    "http://schemas.microsoft.com/identity/claims/",
)
LOGIN_CLAIMS = ("upn", "emailaddress", "unique_name", "name")
STORAGE_KEY_TYPES = {"accountkey": "account key", "sas": "SAS token"}


def claim(event: Mapping[str, Any], name: str) -> str | None:
    """One token claim, by short name, from identity.claims or the REST shape's claims."""
    claims = read.mapping_at(event, "identity.claims") or read.mapping_at(event, "claims")
    for prefix in CLAIM_PREFIXES:
        found = read.scalar_text(read.get(claims, prefix + name))
        if found:
            return found
    return None


def caller(event: Mapping[str, Any]) -> Identity | None:
    storage = _storage_credential(event)
    if storage is not None:
        return storage
    login = next((found for name in LOGIN_CLAIMS if (found := _login_claim(event, name))), None)
    caller_text = read.first(event, "caller", "identity") or None
    if login or parts.looks_like_email(caller_text):
        return parts.identity(
            "person",
            login=login or caller_text,
            name=_display_name(event),
            provider_id=claim(event, "objectidentifier") or claim(event, "oid"),
        )
    return _service_principal(event, caller_text)


def _login_claim(event: Mapping[str, Any], name: str) -> str | None:
    found = claim(event, name)
    return found if parts.looks_like_email(found) else None


def _display_name(event: Mapping[str, Any]) -> str | None:
    given, surname = claim(event, "givenname"), claim(event, "surname")
    if given and surname:
        return f"{given} {surname}"
    found = claim(event, "name")
    return None if parts.looks_like_email(found) else found


def _service_principal(event: Mapping[str, Any], caller_text: str | None) -> Identity | None:
    principal_type = read.first(event, "identity.authorization.evidence.principalType") or ""
    app_id = claim(event, "appid") or claim(event, "azp")
    if app_id or principal_type.lower() == "serviceprincipal":
        return parts.identity(
            "service_account",
            name=claim(event, "app_displayname"),
            provider_id=app_id
            or read.first(event, "identity.authorization.evidence.principalId")
            or caller_text,
        )
    return parts.identity("unknown", provider_id=caller_text)


def _storage_credential(event: Mapping[str, Any]) -> Identity | None:
    """Storage requests signed with the account key or a SAS token name that credential."""
    auth_type = (read.first(event, "identity.type") or "").lower()
    if auth_type == "oauth":
        requester = read.mapping_at(event, "identity.requester")
        return parts.identity(
            "person" if read.first(requester, "upn") else "service_account",
            login=read.first(requester, "upn"),
            provider_id=read.first(requester, "objectId", "appId"),
        )
    uri = read.first(event, "uri") or ""
    if auth_type not in STORAGE_KEY_TYPES and "sig=" not in uri:
        return None
    account = read.first(event, "properties.accountName", "accountName") or "storage account"
    label = STORAGE_KEY_TYPES.get(auth_type, "SAS token")
    return parts.identity(
        "access_key",
        name=f"{label} of {account}",
        provider_id=read.first(event, "identity.tokenHash"),
    )
