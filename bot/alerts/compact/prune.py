"""Prune a raw alert tree: the first half of alert compaction (see bot.alerts.compact.text).

Nulls, empty values and noise keys go; strings that hold JSON are parsed so their inside can
be pruned too; name/value pair lists become maps; very long strings and lists are cut with a
note; a list of one item becomes the item. Nothing here knows a vendor: every rule is about
key names and value shapes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Path = tuple[str | int, ...]

MAX_TEXT_CHARS = 1000
TEXT_HEAD_CHARS = 760
TEXT_TAIL_CHARS = 200
MAX_BLOB_CHARS = 120
BLOB_HEAD_CHARS = 40
MAX_DEPTH = 40
MAX_SCALAR_ITEMS = 10
MAX_OBJECT_ITEMS = 5

# Identifiers of the log record itself, transport details, schema bookkeeping, the tenant
# the log belongs to and the log it was routed to, and map precision beyond the city: they
# tell a triage nothing about who did what; so do one-time OAuth request values (nonce,
# PKCE challenge, CSRF token) and a catalogue entry's artwork and legal links. Compared
# after normalize_key.
NOISE_KEYS = frozenset(
    {
        "requestid", "eventid", "logid", "insertid", "correlationid", "traceid", "spanid",
        "transactionid", "sharedeventid", "uniquequalifier", "uuid", "etag", "dthash", "jti",
        "documentid", "version", "eventversion", "schemaversion", "operationversion",
        "apiversion", "receivetimestamp", "offset", "selflink", "selflinkwithid", "tlsdetails",
        "tenantid", "customerid", "customeridstring", "organizationid", "recipientaccountid",
        "detectorid", "logname", "partition", "uniqqualifier", "eventcategory",
        "managementevent", "resultsignature", "durationms", "processingtimeinmilliseconds",
        "uniquetokenidentifier",
        "nonce", "csrf", "csrftoken", "xsrftoken", "codechallenge", "codechallengemethod",
        "loginticket", "intstate",
        "logo", "logourl", "iconurl", "avatarurl", "termsofuseurl", "privacypolicyurl",
        "publicsupportlink",
        "geolocation", "geocoordinates", "lat", "lon", "latitude", "longitude", "postalcode",
        "zip", "zipcode",
    }
)  # fmt: skip
NOISE_SUFFIXES = ("requestid", "traceid", "correlationid", "transactionid", "uuid")
NOISE_PREFIXES = ("legacy",)
# Containers whose own "id" names a request or transaction, not an identity.
RECORD_CONTAINERS = frozenset({"transaction", "request", "trace", "operation"})
# In a query string, "state" is the OAuth round-trip value, not a place or a status.
QUERY_CONTAINERS = frozenset({"qs", "query", "querystring", "queryparams", "queryparameters"})
# Type annotations name a message schema ("type.googleapis.com/google.cloud.audit.AuditLog").
TYPE_ANNOTATION_KEYS = frozenset({"@type", "at_sign_type", "@odata.type", "at_sign_odata_type"})
READABLE_NAME_KEYS = frozenset(
    {"alternateid", "userprincipalname", "principalemail", "email", "emailaddress", "login",
     "username", "name", "displayname", "accountname", "arn"}
)  # fmt: skip
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
NULL_WORDS = frozenset({"null", "undefined"})
PAIR_NAME_KEYS = ("name", "key", "displayname")
_BLOB = re.compile(r"^[A-Za-z0-9+/=_\-]+$")


def normalize_key(key: str) -> str:
    """`user_name`, `userName`, `User-Name` → `username`; a URI key keeps its last segment."""
    return re.sub(r"[^a-z0-9]", "", key.rsplit("/", 1)[-1].lower())


@dataclass(frozen=True)
class Omitted:
    """Stands at the end of a list that was cut: how many items are not shown."""

    count: int


@dataclass
class Pruner:
    """Prunes one alert and lists the noise it dropped. Without `caps`, nothing is cut."""

    caps: bool = True
    dropped: list[Path] = field(default_factory=list)

    def prune(self, value: Any, path: Path = ()) -> Any:
        """The pruned value, or None when nothing worth keeping is left."""
        if len(path) > MAX_DEPTH and isinstance(value, (Mapping, list, tuple)):
            # Nothing real nests this deep; as text it is still shown, cut, and cannot
            # exhaust the stack.
            return self._prune_text(json.dumps(value, default=str), path)
        if isinstance(value, Mapping):
            return self._prune_map(value, path)
        if isinstance(value, (list, tuple)):
            return self._prune_list(list(value), path)
        if isinstance(value, str):
            return self._prune_text(value, path)
        if value is None or isinstance(value, (bool, int, float)):
            return value
        return str(value)

    def _prune_map(self, value: Mapping[Any, Any], path: Path) -> dict[str, Any] | None:
        kept: dict[str, Any] = {}
        for raw_key, item in value.items():
            key = str(raw_key)
            if self._dropped_as_noise(key, item, path):
                continue
            pruned = self.prune(item, (*path, key))
            if pruned is not None:
                kept[key] = pruned
        return self._without_redundant_ids(kept, path) or None

    def _without_redundant_ids(self, kept: dict[str, Any], path: Path) -> dict[str, Any]:
        """A UUID id beside a readable name (e-mail, login, display name) only repeats it."""
        if not any(normalize_key(key) in READABLE_NAME_KEYS for key in kept):
            return kept
        redundant = [key for key, value in kept.items() if _is_uuid_id(key, value)]
        self.dropped.extend((*path, key) for key in redundant)
        return {key: value for key, value in kept.items() if key not in redundant}

    def _dropped_as_noise(self, key: str, value: Any, path: Path) -> bool:
        if is_noise(key, value, path):
            self.dropped.append((*path, key))
            return True
        return False

    def _prune_list(self, value: list[Any], path: Path) -> Any:
        items: list[Any] = []
        seen: set[str] = set()
        for index, item in enumerate(value):
            pruned = self.prune(item, (*path, index))
            spelling = json.dumps(pruned, sort_keys=True, default=repr)
            if pruned is not None and spelling not in seen:
                seen.add(spelling)
                items.append(pruned)
        pairs = pair_list_as_map(items)
        if pairs is not None:
            kept = {k: v for k, v in pairs.items() if not self._dropped_as_noise(k, v, path)}
            return kept or None
        if len(items) <= 1:
            return items[0] if items else None
        return self._capped(items)

    def _capped(self, items: list[Any]) -> list[Any]:
        nested = any(isinstance(item, (dict, list)) for item in items)
        limit = MAX_OBJECT_ITEMS if nested else MAX_SCALAR_ITEMS
        if not self.caps or len(items) <= limit:
            return items
        return [*items[:limit], Omitted(len(items) - limit)]

    def _prune_text(self, value: str, path: Path) -> Any:
        text = value.strip()
        if not text or text.lower() in NULL_WORDS:
            return None
        parsed = embedded_json(text) if len(path) <= MAX_DEPTH else None
        if parsed is not None:
            return self.prune(parsed, path)
        return shortened(text) if self.caps else text


def is_noise(key: str, value: Any, path: Path) -> bool:
    if key in TYPE_ANNOTATION_KEYS:
        return True
    normalized = normalize_key(key)
    if normalized in NOISE_KEYS or normalized.startswith(NOISE_PREFIXES):
        return True
    if normalized.endswith(NOISE_SUFFIXES):
        return True
    parent = normalize_key(str(path[-1])) if path else ""
    if normalized == "id" and parent in RECORD_CONTAINERS and not isinstance(value, Mapping):
        return True
    if normalized == "state" and parent in QUERY_CONTAINERS:
        return True
    # A schema marker such as "admin#reports#activity" names the record format only.
    return normalized == "kind" and isinstance(value, str) and "#" in value


def _is_uuid_id(key: str, value: Any) -> bool:
    return normalize_key(key).endswith("id") and isinstance(value, str) and bool(_UUID.match(value))


def embedded_json(text: str) -> dict[str, Any] | list[Any] | None:
    """The object or array a string holds as JSON text, else None."""
    if not (text[0] in "{[" and text[-1] in "}]"):
        return None
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, (dict, list)) else None


def shortened(text: str) -> str:
    """Long prose keeps its head and tail; a long token-like blob keeps only its head."""
    if _BLOB.match(text) and len(text) > MAX_BLOB_CHARS:
        return f"{text[:BLOB_HEAD_CHARS]}…(+{len(text) - BLOB_HEAD_CHARS} chars)"
    if len(text) <= MAX_TEXT_CHARS:
        return text
    cut = len(text) - TEXT_HEAD_CHARS - TEXT_TAIL_CHARS
    return f"{text[:TEXT_HEAD_CHARS]}…(+{cut} chars)…{text[-TEXT_TAIL_CHARS:]}"


def pair_list_as_map(items: list[Any]) -> dict[str, Any] | None:
    """[{"name": "ROLE", "value": "admin"}, …] → {"ROLE": "admin", …}; None if not that shape.

    Every item must carry the same name key with a distinct text name, and nothing but
    value keys besides it (`value`, `ValueString`, `oldValue`/`newValue` …).
    """
    if len(items) < 1 or not all(isinstance(item, dict) for item in items):
        return None
    name_key = _shared_name_key(items)
    if name_key is None:
        return None
    collapsed: dict[str, Any] = {}
    for item in items:
        name = item[name_key]
        values = {key: value for key, value in item.items() if key != name_key}
        if not isinstance(name, str) or name in collapsed or not _all_value_keys(values):
            return None
        if values:  # a name whose value was empty says nothing
            collapsed[name] = _pair_value(values)
    return collapsed or None


def _shared_name_key(items: list[dict[str, Any]]) -> str | None:
    for key in items[0]:
        if normalize_key(key) in PAIR_NAME_KEYS and all(key in item for item in items):
            return key
    return None


def _all_value_keys(values: dict[str, Any]) -> bool:
    return all("value" in normalize_key(key) for key in values)


def _pair_value(values: dict[str, Any]) -> Any:
    """The lone value itself, unless its key says old or new: that is part of the meaning."""
    if len(values) == 1:
        ((key, value),) = values.items()
        if not normalize_key(key).startswith(("old", "new")):
            return value
    return values
