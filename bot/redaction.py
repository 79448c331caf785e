"""Secret redaction: exact issued secrets plus patterns for common credential formats.

Everything written to the audit log passes through one Redactor. The broker registers every
secret it issues with `add_secret`; patterns catch secrets that arrive from elsewhere (alert
fields, tool output, model text). A match is replaced whole by `[REDACTED:<label>]`.

Access key *ids* (AKIA…/ASIA…) are identifiers analysts need, so they are left alone; the
40-character secret access key is redacted.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bot.errors import CredentialError

MIN_SECRET_LENGTH = 8
_MARKER_PREFIX = "[REDACTED:"
_LABEL = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")

Span = tuple[int, int, str]


@dataclass(frozen=True)
class SecretPattern:
    """A regex for one kind of secret. Named groups mark the secret part; else the whole match."""

    label: str
    regex: re.Pattern[str]

    def spans(self, text: str) -> Iterator[Span]:
        for match in self.regex.finditer(text):
            named = [name for name, value in match.groupdict().items() if value is not None]
            if not named:
                yield match.start(), match.end(), self.label
            for name in named:
                yield match.start(name), match.end(name), self.label


def _assignment(keywords: str, label: str) -> list[SecretPattern]:
    """`key=value` (any value) and `key: value` (value of 6+ characters, to spare prose)."""
    key = rf"(?<![A-Za-z0-9])(?:[A-Za-z0-9]+[_\-.])*(?:{keywords})[\\\"']*[ \t]*"
    quoted = r"(?:(?<=\")(?P<dq>[^\"\\\n]+)(?=\\?\")|(?<=')(?P<sq>[^'\\\n]+)(?='))"
    not_marker = r"(?!\[REDACTED:)"
    equals = rf"{key}=[ \t]*[\\\"']*{not_marker}(?:{quoted}|(?P<bare>[^\s\"'\\&,;]+))"
    colon = rf"{key}:[ \t]*[\\\"']*{not_marker}(?:{quoted}|(?P<bare>[^\s\"'\\&,;]{{6,}}))"
    return [
        SecretPattern(label, re.compile(equals, re.IGNORECASE)),
        SecretPattern(label, re.compile(colon, re.IGNORECASE)),
    ]


_B64 = r"A-Za-z0-9/+"
PATTERNS: tuple[SecretPattern, ...] = (
    SecretPattern(
        "private_key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
            r"[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
        ),
    ),
    SecretPattern(
        "slack_webhook",
        re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/\-]+"),
    ),
    SecretPattern(
        "slack_token", re.compile(r"\b(?:xox[abpe](?:\.xox[abp])?|xapp)-[A-Za-z0-9\-]{8,}")
    ),
    SecretPattern(
        "github_token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
    ),
    SecretPattern(
        "api_key", re.compile(r"\bsk-(?=[A-Za-z0-9_\-]*[0-9])[A-Za-z0-9_\-]{20,}(?![A-Za-z0-9_\-])")
    ),
    SecretPattern(
        "jwt",
        re.compile(r"\beyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}"),
    ),
    SecretPattern("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])")),
    SecretPattern("socbot_credential", re.compile(r"\bscb_[A-Za-z0-9_\-]{43}(?![A-Za-z0-9_\-])")),
    SecretPattern(
        "bearer_token",
        re.compile(
            r"\bauthorization[\\\"']*[ \t]*[:=][ \t]*[\\\"']*(?:bearer|basic|token|bot)?[ \t]*"
            r"(?!\[REDACTED:)(?P<header>[A-Za-z0-9._~+/\-]{8,}=*)",
            re.IGNORECASE,
        ),
    ),
    SecretPattern(
        "bearer_token",
        re.compile(r"\bbearer[ \t]+(?!\[REDACTED:)(?P<token>[A-Za-z0-9._~+/\-]{16,}=*)", re.I),
    ),
    SecretPattern(
        "aws_secret_access_key",
        re.compile(
            rf"(?:aws_?)?secret_?access_?key[\\\"']*[ \t]*[:=][ \t]*[\\\"']*"
            rf"(?P<key>[{_B64}]{{40}})(?![{_B64}=])",
            re.IGNORECASE,
        ),
    ),
    # A bare 40-character base64 run with upper, lower and digit: how AWS secrets look, and
    # unlike the hex of git commits and sha1 fingerprints, which never mix case.
    SecretPattern(
        "aws_secret_access_key",
        re.compile(
            rf"(?<![{_B64}=])(?=[{_B64}]{{0,39}}[A-Z])(?=[{_B64}]{{0,39}}[a-z])"
            rf"(?=[{_B64}]{{0,39}}[0-9])[{_B64}]{{40}}(?![{_B64}=])"
        ),
    ),
    SecretPattern("password", re.compile(r"\b[a-z][a-z0-9+.\-]*://[^/\s:@]+:(?P<pw>[^/\s@]+)@")),
    *_assignment("password|passwd|passphrase|pwd", "password"),
    *_assignment("secret|api_?key|apikey|private_?key", "secret"),
    *_assignment("token", "token"),
)

# Every pattern above needs one of these somewhere in the text; most text has none, and one
# search for them is far cheaper than running every pattern. Keep it in step with PATTERNS.
PATTERN_HINT = re.compile(
    r"private.?key|hooks\.slack\.com|xox|xapp-|gh[pousr]_|github_pat_|sk-|eyj|aiza|scb_|bearer"
    r"|authorization|://|passw|passphrase|pwd|secret|api_?key|apikey|token|[A-Za-z0-9/+]{40}",
    re.IGNORECASE,
)

_SECRET_KEY_LABELS = (
    (re.compile(r"secret_?access_?key$"), "aws_secret_access_key"),
    (re.compile(r"(password|passwd|passphrase)$"), "password"),
    (re.compile(r"token$"), "token"),
    (re.compile(r"(secret|api_?key|apikey|private_?key)$"), "secret"),
    (re.compile(r"authorization$"), "bearer_token"),
)


def _merge(spans: list[Span]) -> list[Span]:
    """Overlapping finds become one: a JWT inside a bearer header is redacted once."""
    merged: list[Span] = []
    for start, end, label in sorted(spans, key=lambda span: (span[0], -span[1])):
        if merged and start < merged[-1][1]:
            last_start, last_end, last_label = merged[-1]
            merged[-1] = (last_start, max(last_end, end), last_label)
        else:
            merged.append((start, end, label))
    return merged


def secret_key_label(key: str) -> str | None:
    """The label for a dict key that names a secret (`password`, `accessToken` …), else None."""
    lowered = key.lower()
    for regex, label in _SECRET_KEY_LABELS:
        if regex.search(lowered):
            return label
    return None


@dataclass(frozen=True)
class SecretBucket:
    """Some registered secrets, found with one regex, longest first."""

    regex: re.Pattern[str]
    labels: dict[str, str]

    @classmethod
    def of(cls, labels: dict[str, str]) -> SecretBucket:
        ordered = sorted(labels, key=len, reverse=True)
        return cls(re.compile("|".join(map(re.escape, ordered))), labels)

    def spans(self, text: str) -> Iterator[Span]:
        for match in self.regex.finditer(text):
            yield match.start(), match.end(), self.labels[match.group()]


def with_secret(
    buckets: tuple[SecretBucket, ...], value: str, label: str
) -> tuple[SecretBucket, ...]:
    """Add value as a bucket of one, then merge equal-sized neighbours like a binary counter.

    A long-running bot registers a secret per tool call; one regex over all of them would be
    recompiled in full on every add. This way each secret is recompiled O(log n) times and a
    scan runs O(log n) regexes.
    """
    merged = [*buckets, SecretBucket.of({value: label})]
    while len(merged) > 1 and len(merged[-1].labels) >= len(merged[-2].labels):
        newest = merged.pop()
        merged[-1] = SecretBucket.of({**merged[-1].labels, **newest.labels})
    return tuple(merged)


class Redactor:
    """Replaces secrets in text and in nested data. Safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Replaced as a whole under the lock, so readers take it without locking.
        self._buckets: tuple[SecretBucket, ...] = ()

    def add_secret(self, value: str, label: str = "credential") -> None:
        """Redact this exact value from now on, wherever it appears."""
        if len(value) < MIN_SECRET_LENGTH:
            raise CredentialError(
                f"refusing to register a secret shorter than {MIN_SECRET_LENGTH} characters:"
                " it would redact ordinary text; issue longer secrets"
            )
        if not _LABEL.match(label):
            raise CredentialError(f"secret label {label!r} must be 1-40 of A-Z a-z 0-9 _ . -")
        with self._lock:
            if all(bucket.labels.get(value) != label for bucket in self._buckets):
                self._buckets = with_secret(self._buckets, value, label)

    def find_spans(self, text: str) -> list[Span]:
        """(start, end, label) of every secret in text, merged where they overlap."""
        spans: list[Span] = []
        if PATTERN_HINT.search(text) is not None:
            spans = [span for pattern in PATTERNS for span in pattern.spans(text)]
        for bucket in self._buckets:
            spans.extend(bucket.spans(text))
        return _merge(spans)

    def find_secrets(self, text: str) -> list[str]:
        return [text[start:end] for start, end, _ in self.find_spans(text)]

    def redact_text(self, text: str) -> str:
        spans = self.find_spans(text)
        if not spans:
            return text
        parts: list[str] = []
        position = 0
        for start, end, label in spans:
            parts.append(text[position:start])
            parts.append(f"{_MARKER_PREFIX}{label}]")
            position = end
        parts.append(text[position:])
        return "".join(parts)

    def redact(self, value: Any) -> Any:
        """A copy of value with every secret redacted: dict keys and values, lists, tuples."""
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
        label = secret_key_label(key) if isinstance(key, str) else None
        if label is not None and isinstance(item, str) and item:
            return item if item.startswith(_MARKER_PREFIX) else f"{_MARKER_PREFIX}{label}]"
        return self.redact(item)


_default = Redactor()


def default_redactor() -> Redactor:
    """The process-wide Redactor: the broker registers secrets here, the audit log reads it."""
    return _default
