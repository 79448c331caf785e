"""The formats socbot redacts beyond gitleaks' rules, and how their finds are merged.

Each pattern names the label its match is replaced by; `may_hold_pattern` is a cheap first
test that lets most text skip the regexes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from bot.secret_rules.base import WORD_START, Rule
from bot.secret_rules.formats import EXTRA_RULES

_W = WORD_START  # short: most patterns open with it
MIN_SECRET_LENGTH = 8
MARKER_PREFIX = "[REDACTED:"
LABEL_SHAPE = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")

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


RULES: tuple[Rule, ...] = (*PATTERNS, *EXTRA_RULES)


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
SHORTEST_FIND = 7

# Leaf types redact() returns as they are (exact types: a subclass may carry a model_dump).
PLAIN_TYPES = frozenset({int, float, bool, type(None)})


def merge_spans(spans: list[Span]) -> list[Span]:
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
