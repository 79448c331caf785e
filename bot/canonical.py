"""Canonical JSON and hashing: one spelling of a value, so equal things hash equal."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tools.shared import sha256_hex

__all__ = ["canonical_json", "hash_value", "sha256_hex"]


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept as is: the form every hash is taken over."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    )


def hash_value(value: Any) -> str:
    return sha256_hex(canonical_json(value))
