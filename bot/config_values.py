"""How some settings are spelled in the environment: lists as commas or JSON, blank as unset."""

from __future__ import annotations

import json


def split_ids(value: object) -> object:
    """A comma-separated string (or a JSON list) of ids as a list; anything else unchanged."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)
    return [part.strip() for part in text.split(",") if part.strip()]


def unset_when_blank(value: object) -> object:
    """SOCBOT_MODEL_TEMPERATURE= (empty) or "none" leaves the setting out of requests."""
    if isinstance(value, str) and value.strip().lower() in ("", "none", "unset"):
        return None
    return value
