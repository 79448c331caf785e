"""Untrusted text (alert fields, tool output, user notes) made safe to show in Slack.

Slack reads `<…>` as a mention, a broadcast or a link whose label may hide its address, and
`&` starts an entity, so those three characters become entities and nothing can form. Bare
@channel/@here/@everyone get a zero-width joiner so no client or `link_names` turns them into
a broadcast; URLs are defanged (hxxps[:]//…) so they show as text, not as links. Control and
bidirectional-override characters are dropped: they can make text read other than it is.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

ZWJ = "\u200d"
ELLIPSIS = "…"
MRKDWN_LIMIT = 2_900  # a section's text may hold 3000 characters
PLAIN_LIMIT = 2_900

_ENTITIES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_BROADCAST_IN_JSON = re.compile(r"@(?=(channel|here|everyone)\b)", re.IGNORECASE)
_URL_SCHEME = re.compile(r"\b([a-z][a-z0-9+.-]{1,15}):(//)", re.IGNORECASE)
_BACKTICKS = re.compile(r"`+")
_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})


def strip_controls(text: str) -> str:
    """Drop control, format (bidi overrides, zero-width) and unassigned characters."""
    kept = []
    for char in text:
        if char in "\n":
            kept.append(char)
        elif char in "\t\r":
            kept.append(" ")
        elif unicodedata.category(char) not in _INVISIBLE:
            kept.append(char)
    return "".join(kept)


def cap(text: str, limit: int) -> str:
    """At most `limit` characters; a cut is marked with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def entities(text: str) -> str:
    """& < > as Slack entities: nothing in text can open a mention, link or command."""
    for raw, entity in _ENTITIES:
        text = text.replace(raw, entity)
    return text


def unescape_entities(text: str) -> str:
    """What a Slack client shows for text made by entities()."""
    for raw, entity in reversed(_ENTITIES):
        text = text.replace(entity, raw)
    return text


def defang_urls(text: str) -> str:
    """https://x → hxxps[:]//x: readable and copyable, but no client makes it a link."""

    def defang(match: re.Match[str]) -> str:
        scheme = match.group(1)
        scheme = re.sub("tt", "xx", scheme, flags=re.IGNORECASE)
        return f"{scheme}[:]//"

    return _URL_SCHEME.sub(defang, text)


def neutralise_broadcasts(text: str) -> str:
    return _BROADCAST.sub(lambda m: "@" + ZWJ + m.group(1), text)


def _clean(value: Any) -> str:
    return neutralise_broadcasts(defang_urls(strip_controls(as_text(value))))


def as_text(value: Any) -> str:
    """Strings as they are, JSON values as JSON (true, null, lists), anything else by str()."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool | dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def mrkdwn(value: Any, limit: int = MRKDWN_LIMIT) -> str:
    """Untrusted text for a mrkdwn field: inert, one string, at most `limit` characters."""
    return _escaped_within(_clean(value), limit)


def inline_code(value: Any, limit: int = 300) -> str:
    """Untrusted text as `code` on one line; a backtick inside cannot close the span."""
    text = _BACKTICKS.sub("'", _clean(value)).replace("\n", " ")
    return f"`{_escaped_within(text, limit) or ' '}`"


def _escaped_within(text: str, limit: int) -> str:
    escaped = entities(text)
    if len(escaped) <= limit:
        return escaped
    kept, size = [], 0
    for char in text:  # entities grow the text, so the cut is counted after escaping
        piece = entities(char)
        if size + len(piece) > limit - 1:
            break
        kept.append(piece)
        size += len(piece)
    return "".join(kept) + ELLIPSIS


def plain_text(value: Any, limit: int = PLAIN_LIMIT) -> str:
    """Untrusted text for a plain_text field: Slack parses no markup there, so only invisible
    characters, broadcasts and links are handled, and the length is capped."""
    return cap(_clean(value), limit)


def inert_json(value: Any) -> str:
    """Indented JSON that still decodes to exactly `value`, but shows no link, broadcast or
    invisible character: those are written as JSON escapes (\\/ and \\uXXXX)."""
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    text = text.replace("/", "\\/").replace("`", "\\u0060")
    text = _BROADCAST_IN_JSON.sub(lambda m: "\\u0040", text)
    return "".join(_json_escape(char) for char in text)


def _json_escape(char: str) -> str:
    # json.dumps already escapes ASCII controls; these are the non-ASCII invisible ones.
    if ord(char) < 0x80 or unicodedata.category(char) not in _INVISIBLE | {"Zs"}:
        return char
    return "".join(f"\\u{unit:04x}" for unit in _utf16_units(char))


def _utf16_units(char: str) -> list[int]:
    data = char.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
