"""The exact secrets socbot issued and has not yet retired, found without a growing regex.

Each live secret is filed under its first PREFIX characters. A scan collects the text's
PREFIX-character windows into a set (one C-level pass), looks each up among the filed
prefixes, and checks only the secrets under the prefixes found. Adding or retiring a secret
touches one small dict: nothing is recompiled, and the cost of a scan does not grow with the
number of live secrets. Memory holds only live secrets, so it stays flat however many
credentials a long-running process issues, as long as each is retired.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from bot.secret_rules.base import Span

PREFIX = 8  # no secret shorter than this is accepted (bot.redaction.MIN_SECRET_LENGTH)


class IssuedSecrets:
    """Live secrets with their labels and hold counts. Safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # prefix -> {secret: label}; each inner dict is replaced, never changed, so a reader
        # holding one sees a consistent snapshot without taking the lock.
        self._by_prefix: dict[str, dict[str, str]] = {}
        self._holds: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._holds)

    def hold(self, secret: str, label: str) -> None:
        """Redact secret from now on; each hold needs its own release."""
        with self._lock:
            self._holds[secret] = self._holds.get(secret, 0) + 1
            prefix = secret[:PREFIX]
            self._by_prefix[prefix] = {**self._by_prefix.get(prefix, {}), secret: label}

    def release(self, secret: str) -> None:
        """Drop one hold; the secret stops being redacted when none is left."""
        with self._lock:
            count = self._holds.get(secret, 0) - 1
            if count > 0:
                self._holds[secret] = count
                return
            self._holds.pop(secret, None)
            prefix = secret[:PREFIX]
            remaining = {s: lb for s, lb in self._by_prefix.get(prefix, {}).items() if s != secret}
            if remaining:
                self._by_prefix[prefix] = remaining
            else:
                self._by_prefix.pop(prefix, None)

    def is_held(self, secret: str) -> bool:
        return secret in self._holds

    def spans(self, text: str) -> Iterator[Span]:
        by_prefix = self._by_prefix
        if not by_prefix or len(text) < PREFIX:
            return
        windows = {text[i : i + PREFIX] for i in range(len(text) - PREFIX + 1)}
        # filter() with the dict's own membership test stays in C and never iterates the dict,
        # which writers may be changing.
        for prefix in filter(by_prefix.__contains__, windows):
            for secret, label in by_prefix.get(prefix, {}).items():
                start = text.find(secret)
                while start >= 0:
                    yield start, start + len(secret), label
                    start = text.find(secret, start + 1)
