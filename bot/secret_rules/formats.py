"""Formats socbot redacts that gitleaks' rule set misses or only finds beside a vendor's name:
Okta SSWS, Google OAuth client secrets, Azure storage keys, AWS session tokens, private keys
cut before their END line, Basic credentials, cookies, and GCP service-account key ids.
"""

from __future__ import annotations

import base64
import binascii
import re

from bot.secret_rules.base import WORD_START, RegexRule


def _is_basic_credential(value: str) -> bool:
    """A Basic header's value is base64 of user:password; prose after "basic" is not."""
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in decoded and decoded.isascii()


_W = WORD_START  # short: most patterns open with it
_QUOTE = r"[\\\"']*"
_B64 = r"A-Za-z0-9+/"
EXTRA_RULES: tuple[RegexRule, ...] = (
    # gitleaks' versions of these two want a space or quote after the token, not a URL's &.
    RegexRule("stripe_key", re.compile(_W + r"[rs]k_(?:live|test|prod)_[A-Za-z0-9]{10,99}")),
    RegexRule("npm_token", re.compile(_W + r"npm_[A-Za-z0-9]{36}")),
    RegexRule(
        "okta_token",
        re.compile(_W + r"SSWS[ \t]+(?P<t>[A-Za-z0-9_\-]{20,})", re.I),
        needs=("ssws",),
    ),
    RegexRule("google_oauth_secret", re.compile(_W + r"GOCSPX-[A-Za-z0-9_\-]{20,}")),
    RegexRule(
        "azure_storage_key",
        re.compile(
            _W + rf"AccountKey{_QUOTE}[ \t]*[=:][ \t]*{_QUOTE}(?P<k>[{_B64}]{{20,}}={{0,2}})"
        ),
    ),
    RegexRule(
        "azure_sas_signature", re.compile(r"[?&]sig=(?P<s>[A-Za-z0-9%+/]{20,}(?:%3D|=){0,2})")
    ),
    # STS session tokens open with the base64 of their version header.
    RegexRule(
        "aws_session_token",
        re.compile(_W + rf"(?:FwoGZXIvYXdz|FQoGZXIvYXdz|IQoJb3JpZ2lu)[{_B64}]{{40,}}={{0,2}}"),
    ),
    RegexRule(
        "aws_session_token",
        re.compile(
            rf"(?:session|security)[_\-]?token{_QUOTE}[ \t]*[:=][ \t]*{_QUOTE}"
            rf"(?P<t>[{_B64}]{{40,}}={{0,2}})",
            re.I,
        ),
        needs=("token",),
    ),
    # A key whose END line was cut off (or escaped into JSON as \n) still goes whole.
    RegexRule(
        "private_key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
            r"(?:[A-Za-z0-9+/=\r\n]|\\[nr])*"
        ),
    ),
    RegexRule(
        "gcp_private_key_id",
        re.compile(rf"private_?key_?id{_QUOTE}[ \t]*[:=][ \t]*{_QUOTE}(?P<k>[a-f0-9]{{40}})", re.I),
    ),
    RegexRule(
        "basic_credential",
        re.compile(_W + rf"basic[ \t]+(?P<b>[{_B64}]{{8,}}={{0,2}})", re.I),
        check=_is_basic_credential,
        needs=("basic",),
    ),
    RegexRule(
        "cookie",
        re.compile(
            _W + rf"(?:set-)?cookie{_QUOTE}[ \t]*[:=][ \t]*{_QUOTE}(?!\[REDACTED:)"
            r"(?P<c>[^\s\"'\\;,][^\r\n\"'\\]*)",
            re.I,
        ),
        needs=("cookie",),
    ),
)
