"""Event fields that say nothing to a triage, judged by key name and value, for any vendor.

These kinds, each dropped from the event lines only (never from the facts, which are taken
first) and always listed among the cuts:

- placeholders: "unknown", "N/A", "-" … where a value was not known (but not where the
  unknown is itself the finding: an unknown risk or factor);
- defaults: false, 0, "no" in a bookkeeping field (a step counter, a duration, an
  "archived" flag); anywhere else a false or a 0 may be the finding ("active: false"), and
  a changed setting ("NEW_VALUE: off") always stays;
- opaque ids beside a readable name of the same thing: `id: 00u1x` next to
  `alternateId: ana@example.org` or an ARN repeats the identity in a form no one reads;
- a record's type ("AwsApiCall") once a fact says what happened, and a type the ARN
  beside it spells ("AssumedRole" next to "…:assumed-role/…").
"""

from __future__ import annotations

import re

from bot.alerts.compact.flatten import Leaf, Value
from bot.alerts.compact.prune import READABLE_NAME_KEYS, normalize_key

# Said where a value was not known. Not "none", "NA" or "nil": "includeApplications: None"
# is a policy's setting and "NA" a region.
PLACEHOLDERS = frozenset(
    {"unknown", "n/a", "-", "--", "?", ".", "...", "…", "(none)", "not available",
     "unavailable", "not applicable", "unspecified", "not specified"}
)  # fmt: skip
DEFAULT_TEXTS = frozenset({"false", "0", "no", "off"})
# Where a false or a 0 is bookkeeping: a step counter, a duration, a flag about the record.
# Anywhere else it may be the finding ("active: false", "NEW_VALUE: off"), so it stays.
BOOKKEEPING_WORDS = (
    "step", "duration", "latency", "progress", "retry", "index", "offset", "sequence",
    "version", "archived", "billable", "ismobile",
)  # fmt: skip
# Where "unknown" is itself a finding: the risk or the factor could not be told.
UNKNOWN_IS_A_FINDING = ("mfa", "2fa", "factor", "risk", "threat", "authentication")
# A changed setting says what it is now or was, whatever the value.
SETTING_WORDS = ("value", "setting")
RECORD_TYPE_KEYS = frozenset({"eventtype", "recordtype", "logtype"})
TYPE_KEYS = frozenset({"type", "identitytype", "principaltype", "usertype"})
MIN_TYPE_CHARS = 4  # "Role" yes; "S" or "AD" could be inside anything
# Ids that name an identity or object already named readably beside them; not keys, accounts
# or sessions, whose ids are the thing itself, nor an "externalId", which is a shared secret.
OPAQUE_ID_KEYS = frozenset(
    {"id", "uid", "oid", "guid", "userid", "principalid", "profileid", "objectid", "actorid",
     "actoruserid", "memberid", "personid", "entityid"}
)  # fmt: skip
BARE_ID_KEYS = frozenset({"id", "uid", "oid", "guid"})
# An id with one of these prefixes names the record's own subject, which a plain `arn`,
# `email` or `name` beside it names too; any other prefix (`actor_user_id`) needs a name
# with the same prefix (`actor_user_name`).
SUBJECT_PREFIXES = frozenset({"", "user", "principal", "profile", "object", "member", "person",
                              "entity"})  # fmt: skip


def is_filler(leaf: Leaf) -> bool:
    """A placeholder, or a default in a bookkeeping field; never a changed setting."""
    key = normalize_key(leaf.key)
    if leaf.note or any(word in key for word in SETTING_WORDS) or key.startswith(("old", "new")):
        return False
    if is_placeholder(leaf.value):
        return not any(word in key for word in UNKNOWN_IS_A_FINDING)
    return _is_default(leaf.value) and any(word in key for word in BOOKKEEPING_WORDS)


def is_placeholder(value: Value) -> bool:
    return isinstance(value, str) and value.strip().lower() in PLACEHOLDERS


def _is_default(value: Value) -> bool:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value == 0
    return isinstance(value, str) and value.strip().lower() in DEFAULT_TEXTS


def is_record_marker(leaf: Leaf) -> bool:
    """A record's type ("AwsApiCall", "AuthActivityAuditEvent"). When it says what happened,
    the action fact has already taken it; one left for the event lines only classes the
    record."""
    return normalize_key(leaf.key) in RECORD_TYPE_KEYS


def is_type_spelled_beside(leaf: Leaf, siblings: list[Leaf]) -> bool:
    """A type the ARN or name beside it already spells: `type: AssumedRole` next to
    `arn: …:assumed-role/…`, `type: Role` next to `arn: …:role/…`."""
    if normalize_key(leaf.key) not in TYPE_KEYS or not isinstance(leaf.value, str):
        return False
    spelled = _letters(leaf.value)
    return len(spelled) >= MIN_TYPE_CHARS and any(
        other.path != leaf.path and spelled in _pieces(str(other.value)) for other in siblings
    )


def _pieces(text: str) -> set[str]:
    """The letters of each ":"- or "/"-separated piece of an ARN or a path."""
    return {_letters(piece) for piece in re.split(r"[:/]", text)}


def _letters(text: str) -> str:
    return "".join(char for char in text.lower() if char.isalnum())


def is_opaque_id(leaf: Leaf, siblings: list[Leaf]) -> bool:
    """An id whose container also names the same thing readably (e-mail, login, ARN, name),
    with a name that is not itself a placeholder."""
    key = normalize_key(leaf.key)
    if key not in OPAQUE_ID_KEYS:
        return False
    prefix = "" if key in BARE_ID_KEYS else key.removesuffix("id")
    return any(
        _names_the_same(prefix, normalize_key(other.key)) and not is_placeholder(other.value)
        for other in siblings
    )


def _names_the_same(prefix: str, key: str) -> bool:
    if key in READABLE_NAME_KEYS:
        return prefix in SUBJECT_PREFIXES
    return bool(prefix) and key.startswith(prefix) and key[len(prefix) :] in READABLE_NAME_KEYS


def is_part_of(text: str, other: str, separators: str) -> bool:
    """Whether `text` stands in the longer `other` as a whole piece: bounded on each side by
    one of `separators` or by an end ("svc-a" in "…:user/svc-a", not "read" in "ready")."""
    start = other.find(text)
    while len(text) < len(other) and start >= 0:
        end = start + len(text)
        left = start == 0 or other[start - 1] in separators or text[0] in separators
        right = end == len(other) or other[end] in separators or text[-1] in separators
        if left and right:
            return True
        start = other.find(text, start + 1)
    return False
