"""Spot text that tries to instruct the model. Spotting changes nothing the model may do (the
gate does that); it is recorded so analysts and the digest see who tried."""

from __future__ import annotations

import re
from collections.abc import Iterable

_PATTERNS = [
    r"ignore (all |any )?(the )?(previous|prior|above) (instructions|rules|prompts?)",
    r"disregard (all |any )?(the )?(previous|prior|above|system)",
    r"you are now\b",
    r"\bsystem prompt\b",
    r"\b(new|updated) instructions?\b",
    r"\bact as\b",
    r"\b(approve|execute|run|call)\b.{0,40}\b(suspend_identity|revoke_sessions|"
    r"deactivate_access_key|rotate_access_key|revoke_oauth_grant|reset_mfa|remove_from_group)\b",
    r"\b(print|reveal|show|send|leak)\b.{0,30}\b(credential|secret|token|api key|password)s?\b",
    r"<\|?(system|im_start|endoftext)\|?>",
    r"\bdeveloper mode\b",
    r"\bjailbreak\b",
]
_SUSPECT = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE | re.DOTALL)


def injection_markers(texts: Iterable[str]) -> list[str]:
    """The suspicious phrases found, at most ten, each clipped for the audit log."""
    found: list[str] = []
    for text in texts:
        for match in _SUSPECT.finditer(text):
            found.append(match.group(0)[:120])
            if len(found) >= 10:
                return found
    return found


def strings_in(value: object) -> Iterable[str]:
    """Every string inside a JSON-like value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from strings_in(item)
