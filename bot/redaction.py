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

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bot.errors import CredentialError
from bot.secret_rules.base import WORD_START, Rule
from bot.secret_rules.formats import EXTRA_RULES
from bot.secret_rules.gitleaks import default_rules
from bot.secret_rules.issued import IssuedSecrets

_W = WORD_START  # short: most patterns open with it
MIN_SECRET_LENGTH = 8
_MARKER_PREFIX = "[REDACTED:"
_LABEL = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")

Span = tuple[int, int, str]


@dataclass(frozen=True)
class SecretPattern:
    """A regex for one kind of secret. Named groups mark the secret part; else the whole match."""

    label: str
    regex: re.Pattern[str]
    needs: tuple[str, ...] = ()  # lowercase words the text must hold for the regex to run

    def spans(self, text: str) -> Iterator[Span]:
        for match in self.regex.finditer(text):
            named = [name for name, value in match.groupdict().items() if value is not None]
            if not named:
                yield match.start(), match.end(), self.label
            for name in named:
                yield match.start(name), match.end(name), self.label


def _assignment(keywords: str, label: str, needs: tuple[str, ...]) -> list[SecretPattern]:
    """`key=value` (any value) and `key: value` (value of 6+ characters, to spare prose).

    The key may end a camelCase name (clientSecret, SessionToken) as well as a snake one.
    """
    start = r"(?:(?<![A-Za-z0-9])|(?<=\\[nrt])|(?-i:(?<=[a-z])(?=[A-Z])))"
    key = rf"{start}(?:[A-Za-z0-9]+[_\-.])*(?:{keywords})[\\\"']*[ \t]*"
    quoted = r"(?:(?<=\")(?P<dq>[^\"\\\n]+)(?=\\?\")|(?<=')(?P<sq>[^'\\\n]+)(?='))"
    not_marker = r"(?!\[REDACTED:)"
    equals = rf"{key}=[ \t]*[\\\"']*{not_marker}(?:{quoted}|(?P<bare>[^\s\"'\\&,;]+))"
    # Not after a colon: `arn:…:secret:name` names a secret, it does not hold one.
    colon = rf"(?<!:){key}:[ \t]*[\\\"']*{not_marker}(?:{quoted}|(?P<bare>[^\s\"'\\&,;]{{6,}}))"
    return [
        SecretPattern(label, re.compile(equals, re.IGNORECASE), needs),
        SecretPattern(label, re.compile(colon, re.IGNORECASE), needs),
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
        "slack_token", re.compile(_W + r"(?:xox[a-z](?:\.xox[a-z])?|xapp)-[A-Za-z0-9\-]{8,}")
    ),
    SecretPattern(
        "github_token",
        re.compile(_W + r"(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
    ),
    SecretPattern(
        "api_key",
        re.compile(_W + r"sk-(?=[A-Za-z0-9_\-]*[0-9])[A-Za-z0-9_\-]{20,}(?![A-Za-z0-9_\-])"),
    ),
    SecretPattern(
        "jwt",
        re.compile(_W + r"eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}"),
    ),
    SecretPattern("google_api_key", re.compile(_W + r"AIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])")),
    SecretPattern(
        "socbot_credential", re.compile(_W + r"scb_[A-Za-z0-9_\-]{43}(?![A-Za-z0-9_\-])")
    ),
    SecretPattern(
        "bearer_token",
        re.compile(
            _W
            + r"authorization[\\\"']*[ \t]*[:=][ \t]*[\\\"']*(?:bearer|basic|token|bot|ssws)?[ \t]*"
            r"(?!\[REDACTED:)(?P<header>[A-Za-z0-9._~+/\-]{8,}=*)",
            re.IGNORECASE,
        ),
        ("authorization",),
    ),
    SecretPattern(
        "bearer_token",
        re.compile(_W + r"bearer[ \t]+(?!\[REDACTED:)(?P<token>[A-Za-z0-9._~+/\-]{16,}=*)", re.I),
    ),
    SecretPattern(
        "aws_secret_access_key",
        re.compile(
            rf"(?:aws_?)?secret_?access_?key[\\\"']*[ \t]*[:=][ \t]*[\\\"']*"
            rf"(?P<key>[{_B64}]{{40}})(?![{_B64}=])",
            re.IGNORECASE,
        ),
        ("secret",),
    ),
    # A bare 40-character base64 run with upper, lower and digit: how AWS secrets look, and
    # unlike the hex of git commits and sha1 fingerprints, which never mix case.
    SecretPattern(
        "aws_secret_access_key",
        re.compile(
            rf"(?<![{_B64}])(?=[{_B64}]{{0,39}}[A-Z])(?=[{_B64}]{{0,39}}[a-z])"
            rf"(?=[{_B64}]{{0,39}}[0-9])[{_B64}]{{40}}(?![{_B64}=])"
        ),
    ),
    SecretPattern(
        "password", re.compile(_W + r"[a-z][a-z0-9+.\-]*://[^/\s:@]+:(?P<pw>[^/\s@]+)@"), ("://",)
    ),
    *_assignment("password|passwd|passphrase|pwd|pass", "password", ("pass", "pwd")),
    *_assignment("secret|api[_\\-]?key|apikey|private_?key", "secret", ("secret", "key")),
    *_assignment("token", "token", ("token",)),
)

# Every pattern above needs one of these somewhere in the text; most text has none, and one
# search for them is far cheaper than running every pattern. Keep it in step with PATTERNS.
PATTERN_HINT = re.compile(
    r"private.?key|hooks\.slack\.com|xox|xapp-|gh[pousr]_|github_pat_|sk-|eyj|aiza|scb_|bearer"
    r"|authorization|://|pass|pwd|secret|api.?key|apikey|token|[A-Za-z0-9/+]{40}"
    r"|ssws|gocspx|accountkey|sig=|fwogzxivyxdz|fqogzxivyxdz|iqojb3jpz2lu|basic|cookie"
    r"|k_live_|k_test_|k_prod_|npm_",
    re.IGNORECASE,
)
# The same hint without IGNORECASE, for lowercased ASCII text: several times faster, and
# equal there (the hint's letters are all lowercase; case folding can pair an ASCII letter
# with a non-ASCII one, such as k with the Kelvin sign, so other text takes PATTERN_HINT).
_ASCII_HINT = re.compile(PATTERN_HINT.pattern)


_RULES: tuple[Rule, ...] = (*PATTERNS, *EXTRA_RULES)


def may_hold_pattern(text: str) -> bool:
    """False when no pattern in PATTERNS can match text (most text): PATTERN_HINT, faster."""
    if text.isascii():
        return _ASCII_HINT.search(text.lower()) is not None
    return PATTERN_HINT.search(text) is not None


# The endings of dict keys that name a secret (compared lowercased), and the label each gets.
# No ending here is an ending of another, so a key has at most one label.
_SECRET_KEY_LABELS: dict[str, str] = {
    **dict.fromkeys(
        ("secret_access_key", "secretaccess_key", "secret_accesskey", "secretaccesskey"),
        "aws_secret_access_key",
    ),
    **dict.fromkeys(("password", "passwd", "passphrase", "_pass", "-pass"), "password"),
    "token": "token",
    **dict.fromkeys(
        ("secret", "api_key", "api-key", "apikey", "private_key", "privatekey"), "secret"
    ),
    **dict.fromkeys(("private_key_id", "privatekeyid", "accountkey"), "secret"),
    "authorization": "bearer_token",
    "cookie": "cookie",
}
# Keys that name a secret only when they are the whole key ("bypass" is not a password).
_SECRET_KEYS_WHOLE = {"pass": "password", "pwd": "password"}
_SECRET_KEY_ENDINGS = tuple(_SECRET_KEY_LABELS)


# No rule finds anything in shorter text ("pwd=ab1" is the shortest assignment it redacts).
_SHORTEST_FIND = 7

# Leaf types redact() returns as they are (exact types: a subclass may carry a model_dump).
_PLAIN = frozenset({int, float, bool, type(None)})


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
    if lowered.endswith("\n"):  # as the regex `$` this replaces did, allow one final newline
        lowered = lowered[:-1]
    if lowered in _SECRET_KEYS_WHOLE:
        return _SECRET_KEYS_WHOLE[lowered]
    if not lowered.endswith(_SECRET_KEY_ENDINGS):  # nearly every key: one C-level check
        return None
    return next(label for end, label in _SECRET_KEY_LABELS.items() if lowered.endswith(end))


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
        if not _LABEL.match(label):
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
                for pattern in _RULES
                if not pattern.needs or any(word in lowered for word in pattern.needs)
                for span in pattern.spans(text)
            ]
        spans.extend(default_rules().spans(text))
        spans.extend(self._issued.spans(text))
        return _merge(spans) if len(spans) > 1 else spans

    def find_secrets(self, text: str) -> list[str]:
        return [text[start:end] for start, end, _ in self.find_spans(text)]

    def redact_text(self, text: str) -> str:
        if len(text) < _SHORTEST_FIND:
            return text  # most dict keys and many values: nothing there can be a secret
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
        kind = type(value)
        if kind in _PLAIN:  # the common leaves first: nothing to find in them
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
                return item if item.startswith(_MARKER_PREFIX) else f"{_MARKER_PREFIX}{label}]"
        return self.redact(item)


_default = Redactor()


def default_redactor() -> Redactor:
    """The process-wide Redactor: the broker registers secrets here, the audit log reads it."""
    return _default
