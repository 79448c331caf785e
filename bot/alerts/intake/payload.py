"""Read one alert body into a JSON object every later step can handle, or say why not.

The checks here guard what comes after them: a size cap, strict JSON (no NaN or Infinity),
a nesting limit (the redactor, normalizers and compaction recurse), and text any database
stores (NUL and lone surrogates become U+FFFD: PostgreSQL refuses both).
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.errors import AlertRejected

MAX_DEPTH = 64
_ENCODED_SURROGATE = re.compile(rb"\xed[\xa0-\xbf]")  # only a str body can hold one
REPLACEMENT = "\ufffd"

Body = bytes | str | Mapping[str, Any]


class PayloadTooLarge(AlertRejected):
    """A body over the size cap: HTTP 413."""


@dataclass(frozen=True)
class RawBody:
    """The bytes as received (cut to the cap) and how many there were."""

    data: bytes
    size: int
    truncated: bool


def raw_body(body: Body, max_bytes: int, *, size: int | None = None) -> RawBody:
    """The body as bytes for keeping: whole up to max_bytes, else its first max_bytes."""
    if isinstance(body, bytes):
        data = body
    elif isinstance(body, str):
        data = body.encode("utf-8", errors="surrogatepass")
    else:
        data = _mapping_bytes(body)
    total = max(len(data), size or 0)
    return RawBody(data[:max_bytes], total, total > max_bytes)


def _mapping_bytes(body: Mapping[str, Any]) -> bytes:
    try:
        text = json.dumps(body, default=str, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        text = repr(body)
    return text.encode("utf-8", errors="surrogatepass")


def parse_event(body: Body, raw: RawBody, max_bytes: int) -> dict[str, Any]:
    """The body as a JSON object with storable text; AlertRejected saying what is wrong."""
    if raw.truncated:
        raise PayloadTooLarge(f"the body is {raw.size:,} bytes; the limit is {max_bytes:,}")
    value = body if isinstance(body, Mapping) else _decode(body)
    if not isinstance(value, Mapping):
        raise AlertRejected(f"an alert must be one JSON object, not {_json_kind(value)}")
    if not isinstance(body, Mapping) and _plainly_storable(raw.data):
        return dict(value)
    cleaned = _clean(value, 0)
    assert isinstance(cleaned, dict)
    return cleaned


def _plainly_storable(text: bytes) -> bool:
    """Whether JSON text certainly decodes to storable text within the depth limit, so the
    walk over every value can be skipped: JSON can only spell NUL and lone surrogates as
    escapes, and it cannot nest deeper than it has brackets."""
    brackets = text.count(b"[") + text.count(b"{")
    escapes = b"\\u" in text.replace(b"\\\\", b"")
    return brackets <= MAX_DEPTH and not escapes and not _ENCODED_SURROGATE.search(text)


def _decode(body: bytes | str) -> Any:
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except UnicodeDecodeError as exc:
        raise AlertRejected("the body is not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise AlertRejected(
            f"not valid JSON: line {exc.lineno} column {exc.colno} ({exc.msg})"
        ) from exc
    except RecursionError as exc:
        raise AlertRejected(f"the JSON is nested deeper than {MAX_DEPTH} levels") from exc
    except ValueError as exc:  # NaN, Infinity, a number too long to read
        raise AlertRejected(f"not valid JSON: {str(exc)[:120]}") from exc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _json_kind(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _clean(value: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise AlertRejected(f"the JSON is nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, Mapping):
        return {storable_text(str(k)): _clean(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item, depth + 1) for item in value]
    if isinstance(value, float) and not math.isfinite(value):  # from a Mapping handed in
        raise AlertRejected(f"not valid JSON: {value} is not a JSON number")
    return value


def storable_text(text: str) -> str:
    """text with NUL and lone surrogates replaced, so UTF-8 encodes it and PostgreSQL keeps it."""
    if "\x00" in text:
        text = text.replace("\x00", REPLACEMENT)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = "".join(REPLACEMENT if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)
    return text


def keepable(raw: RawBody) -> tuple[str, str]:
    """(payload, encoding) for the rejected_alert table: text when it stores as text."""
    try:
        text = raw.data.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    else:
        if "\x00" not in text:
            return text, "utf-8"
    return base64.b64encode(raw.data).decode("ascii"), "base64"
