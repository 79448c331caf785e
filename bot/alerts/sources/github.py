"""GitHub audit log events (organization or enterprise, REST or streamed) as Alerts.

The actor is the login that acted: apps and bots ("…[bot]", server-to-server tokens) are OAuth
apps, logins that name a machine are service accounts, everyone else a person. The target is
what the action's category is about: the token, the OAuth/GitHub app or the SSH/deploy key;
else the user, team, repository or organization named. GitHub's audit log has no severity and
records only what happened, so the outcome is left unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.alerts.model import Alert, Geo, Identity, IdentityKind
from bot.alerts.sources.fields import dig, required_mapping, required_time, text
from bot.alerts.sources.parts import (
    build_alert,
    describe,
    fold_keys,
    identity_or_none,
    ip_or_none,
    looks_like_machine,
    top_level,
)
from bot.errors import AlertRejected

NAME = "github"
TOKEN_CATEGORIES = frozenset({"personal_access_token", "oauth_access"})
APP_CATEGORIES = frozenset(
    {
        "oauth_application", "oauth_authorization", "integration", "integration_installation",
        "integration_installation_request", "oauth_app_access_approval",
    }
)  # fmt: skip
KEY_CATEGORIES = frozenset({"public_key", "deploy_key"})
CATEGORY_RESOURCES = {"org": ("org",), "business": ("business",), "team": ("data.team", "team")}
APP_TOKEN_WORDS = ("server-to-server", "github_app")  # programmatic_access_type of an app
_AUDIT_KEYS = frozenset(
    {
        "org", "repo", "business", "_document_id", "@timestamp", "created_at", "actor_id",
        "actor_location", "actor_ip", "user", "programmatic_access_type", "repository",
        "operation_type", "hashed_token",
    }
)  # fmt: skip


def matches(event: Mapping[str, Any]) -> bool:
    if not isinstance(event, Mapping):
        return False
    keys = top_level(event)
    if not isinstance(keys.get("action"), str) or not isinstance(keys.get("actor"), str):
        return False
    return not _AUDIT_KEYS.isdisjoint(keys)


def normalize(event: Any) -> Alert:
    original = required_mapping(event, NAME)
    record = fold_keys(original)
    action = text(record, "action")
    if action is None:
        raise AlertRejected("no action: not a GitHub audit log event", source=NAME)
    actor = _actor(record)
    target = _target(record, action)
    return build_alert(
        NAME,
        vendor_event_id=text(record, "_document_id"),
        event_type=action,
        title=describe("GitHub", action, actor, target),
        occurred_at=required_time(record, NAME, "@timestamp", "created_at"),
        actor=actor,
        target=target,
        source_ip=ip_or_none(text(record, "actor_ip")),
        user_agent=text(record, "user_agent"),
        geo=_geo(dig(record, "actor_location")),
        outcome="unknown",
        vendor_severity="unknown",
        raw=dict(original),
    )


def login_kind(login: str, *, access_type: str | None = None, is_bot: bool = False) -> IdentityKind:
    """What kind of account a GitHub login is (see the module docstring)."""
    via = (access_type or "").lower()
    if is_bot or login.lower().endswith("[bot]") or any(word in via for word in APP_TOKEN_WORDS):
        return "oauth_app"
    return "service_account" if login == "github" or looks_like_machine(login) else "person"


def _actor(record: Any) -> Identity | None:
    login = text(record, "actor")
    if login is None:
        return None
    kind = login_kind(
        login,
        access_type=text(record, "programmatic_access_type"),
        is_bot=dig(record, "actor_is_bot") is True,
    )
    name_id = text(record, "external_identity_nameid")  # the SAML NameID, often an email
    email = name_id if name_id and "@" in name_id else None
    return Identity(kind=kind, provider_id=text(record, "actor_id"), email=email, name=login)


def _target(record: Any, action: str) -> Identity | None:
    category = action.split(".", 1)[0]
    specific = None
    if category in TOKEN_CATEGORIES:
        specific = _token(record)
    elif category in APP_CATEGORIES:
        specific = _app(record)
    elif category in KEY_CATEGORIES:
        specific = _key(record)
    return specific or _user(record) or _resource(record, category)


def _token(record: Any) -> Identity | None:
    token_id = text(record, "token_id", "hashed_token")
    owner = text(record, "user", "token_name", "actor")
    return identity_or_none(Identity(kind="access_key", provider_id=token_id, name=owner))


def _app(record: Any) -> Identity | None:
    name = text(record, "oauth_application_name", "application_name", "integration", "name")
    app_id = text(record, "oauth_application_id", "integration_id", "application_id")
    return identity_or_none(Identity(kind="oauth_app", provider_id=app_id, name=name))


def _key(record: Any) -> Identity | None:
    fingerprint = text(record, "fingerprint")
    title = text(record, "title", "key_title")
    return identity_or_none(Identity(kind="access_key", provider_id=fingerprint, name=title))


def _user(record: Any) -> Identity | None:
    login = text(record, "user", "invitee")
    if login is None:
        return None
    kind = login_kind(login)
    return Identity(kind=kind, provider_id=text(record, "user_id"), name=login)


def _resource(record: Any, category: str) -> Identity | None:
    preferred = CATEGORY_RESOURCES.get(category, ())
    name = text(record, *preferred, "data.team", "team", "repo", "repository", "org", "business")
    return identity_or_none(Identity(kind="unknown", name=name))


def _geo(location: Any) -> Geo | None:
    if not isinstance(location, Mapping):
        return None
    geo = Geo(
        country=text(location, "country_code", "country_name"),
        region=text(location, "region_name", "region"),
        city=text(location, "city"),
    )
    return None if geo == Geo() else geo
