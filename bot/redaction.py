"""Secret redaction: exact issued secrets plus rules for common credential formats.

One Redactor guards every boundary (storage, the model, Slack, logs). The broker registers
each secret it issues with `add_secret` and retires it with `discard_secret` once the
credential is revoked and its call's outputs are stored. Rules catch secrets that arrive
from elsewhere (alert fields, tool output, model text): gitleaks' maintained rule set
(bot.secret_rules), socbot's own formats, and the patterns below. A match is replaced whole
by `[REDACTED:<label>]`.

Access key *ids* (AKIA…/ASIA…) are identifiers analysts need, so they are left alone; the
40-character secret access key is redacted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot.errors import CredentialError
from bot.secret_rules.gitleaks import default_rules
from bot.secret_rules.issued import IssuedSecrets
from bot.secret_rules.patterns import (
    LABEL_SHAPE,
    MARKER_PREFIX,
    MIN_SECRET_LENGTH,
    PATTERNS,
    PLAIN_TYPES,
    RULES,
    SHORTEST_FIND,
    Span,
    may_hold_pattern,
    merge_spans,
    secret_key_label,
)

__all__ = ["MIN_SECRET_LENGTH", "PATTERNS", "Redactor", "default_redactor"]


class Redactor:
    """Replaces secrets in text and in nested data. Safe to share between threads."""

    def __init__(self) -> None:
        self._issued = IssuedSecrets()

    @property
    def live_secrets(self) -> int:
        """How many exact secrets are being redacted now."""
        return len(self._issued)

    def add_secret(self, value: str, label: str = "credential") -> None:
        """Redact this exact value from now on, wherever it appears, until discarded."""
        if len(value) < MIN_SECRET_LENGTH:
            raise CredentialError(
                f"refusing to register a secret shorter than {MIN_SECRET_LENGTH} characters:"
                " it would redact ordinary text; issue longer secrets"
            )
        if not LABEL_SHAPE.match(label):
            raise CredentialError(f"secret label {label!r} must be 1-40 of A-Z a-z 0-9 _ . -")
        self._issued.hold(value, label)

    def discard_secret(self, value: str) -> None:
        """Undo one add_secret: once none is left, the value is no longer redacted (it can no
        longer appear: its credential is revoked and what its call returned is stored)."""
        self._issued.release(value)

    @contextmanager
    def holding(self, value: str, label: str = "credential") -> Iterator[None]:
        """Keep value redacted for the block, whoever else discards it meanwhile."""
        self.add_secret(value, label)
        try:
            yield
        finally:
            self.discard_secret(value)

    def find_spans(self, text: str) -> list[Span]:
        """(start, end, label) of every secret in text, merged where they overlap."""
        spans: list[Span] = []
        if may_hold_pattern(text):
            lowered = text.lower()
            spans = [
                span
                for pattern in RULES
                if not pattern.needs or any(word in lowered for word in pattern.needs)
                for span in pattern.spans(text)
            ]
        spans.extend(default_rules().spans(text))
        spans.extend(self._issued.spans(text))
        return merge_spans(spans) if len(spans) > 1 else spans

    def find_secrets(self, text: str) -> list[str]:
        return [text[start:end] for start, end, _ in self.find_spans(text)]

    def redact_text(self, text: str) -> str:
        if len(text) < SHORTEST_FIND:
            return text  # most dict keys and many values: nothing there can be a secret
        spans = self.find_spans(text)
        if not spans:
            return text
        parts: list[str] = []
        position = 0
        for start, end, label in spans:
            parts.append(text[position:start])
            parts.append(f"{MARKER_PREFIX}{label}]")
            position = end
        parts.append(text[position:])
        return "".join(parts)

    def redact(self, value: Any) -> Any:
        """A copy of value with every secret redacted: dict keys and values, lists, tuples."""
        kind = type(value)
        if kind in PLAIN_TYPES:  # the common leaves first: nothing to find in them
            return value
        if isinstance(value, str):
            return self.redact_text(value)
        if isinstance(value, dict):
            return {self.redact(key): self._redact_item(key, item) for key, item in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            return type(value)(self.redact(item) for item in value)
        if hasattr(value, "model_dump"):
            return self.redact(value.model_dump(mode="json"))
        return value

    def _redact_item(self, key: Any, item: Any) -> Any:
        if isinstance(item, str) and item and isinstance(key, str):
            label = secret_key_label(key)
            if label is not None:
                return item if item.startswith(MARKER_PREFIX) else f"{MARKER_PREFIX}{label}]"
        return self.redact(item)


_default = Redactor()


def default_redactor() -> Redactor:
    """The process-wide Redactor: the broker registers secrets here, the audit log reads it."""
    return _default
