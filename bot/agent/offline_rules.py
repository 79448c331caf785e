"""What the offline engine knows: identity-alert patterns, the evidence each needs, the verdict.

Deterministic and rule-based on purpose: the same alert and lab give the same investigation,
so the engine is a dependable default and a fixed point for tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "logging_disabled",
        r"stoplogging|deletetrail|updatetrail|deleteflowlogs|"
        r"logging.{0,20}(disabled|stopped)|audit.{0,10}(log|trail).{0,20}"
        r"(disabled|deleted)",
    ),
    ("break_glass", r"break[-_ ]?glass"),
    (
        "mfa_fatigue",
        r"mfa.{0,40}(push|fatigue|deny|denied|bomb)|push.{0,20}(fatigue|bomb)|"
        r"deny_push|verify.{0,10}push",
    ),
    ("oauth_consent", r"oauth|consent|app.{0,10}grant|third[- ]party app|token.{0,10}grant"),
    (
        "key_new_place",
        r"akia[0-9a-z]{8,}|access[-_ ]?key|createaccesskey|unusual.{0,20}(ip|"
        r"region|location)",
    ),
    (
        "new_admin",
        r"admin.{0,30}(grant|assign|add)|add.{0,30}(admin|privileged)|"
        r"group.{0,20}(member|membership).{0,20}add|role.{0,20}assign|"
        r"attach.{0,10}policy|superadmin|administratoraccess|org[-_]owner",
    ),
    ("password_spray", r"password.{0,10}spray|many.{0,20}failed|brute|invalid.{0,10}password"),
    (
        "impossible_travel",
        r"impossible.{0,10}travel|atypical.{0,10}travel|new.{0,10}country|"
        r"unfamiliar.{0,10}(location|sign)",
    ),
)
_COMPILED = [(name, re.compile(rx, re.IGNORECASE | re.DOTALL)) for name, rx in PATTERNS]

TITLES = {
    "logging_disabled": "audit logging disabled",
    "break_glass": "break-glass account used",
    "mfa_fatigue": "MFA push fatigue",
    "oauth_consent": "consent to an OAuth app",
    "key_new_place": "access key used from a new place",
    "new_admin": "new admin grant",
    "password_spray": "password spray",
    "impossible_travel": "sign-in from an unusual place",
    "unknown": "identity alert",
}

ACCESS_KEY = re.compile(r"\b((?:AKIA|ASIA)[0-9A-Z]{12,20})\b")
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
ARN_USER = re.compile(r"arn:aws:iam::\d{12}:(?:user|role)/[\w+=,.@/-]+")
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")


def detect_pattern(alert_text: str) -> str:
    for name, regex in _COMPILED:
        if regex.search(alert_text):
            return name
    return "unknown"


_SUBJECT_KEYS = re.compile(
    r"^(?:[\w.\[\]]*\.)?(actor|target|user(name|_name|principalname|email)?|principal|"
    r"subject|identity|email|login|alternateid|account|arn|sid)"
    r"(\.(id|email|name|alternateid|arn|login|username))?[ \t]*:[ \t]*(?P<value>\S.*)$",
    re.IGNORECASE | re.MULTILINE,
)


def subject_candidates(alert_text: str, *, prefer_target: bool = False) -> list[str]:
    """Who the alert is about, each spelling once: the actor first, or the target when the
    alert is about something done *to* an identity (a new admin grant)."""
    keyed = [
        (
            match.group(0).lower().startswith("target") != prefer_target,
            match.group("value").strip().strip("\"'"),
        )
        for match in _SUBJECT_KEYS.finditer(alert_text)
    ]
    found = [value for _, value in sorted(keyed, key=lambda pair: pair[0])]
    found.extend(EMAIL.findall(alert_text))
    found.extend(ARN_USER.findall(alert_text))
    seen: set[str] = set()
    ordered = []
    for value in found:
        key = value.lower()
        if value and len(value) <= 200 and key not in seen and not IPV4.fullmatch(value):
            seen.add(key)
            ordered.append(value)
    return ordered[:6]


@dataclass(frozen=True)
class Verdict:
    verdict: str
    severity: str
    confidence: float


def verdict_for(pattern: str, signals: list[str], privileged: bool) -> Verdict:
    """More independent signals, more confidence; privilege raises severity."""
    strong = len(signals)
    base = {"logging_disabled": "high", "break_glass": "high", "new_admin": "high"}.get(
        pattern, "medium"
    )
    if strong >= 2:
        verdict, severity = "malicious", "high"
    elif strong == 1:
        verdict, severity = "suspicious", base
    else:
        verdict, severity = ("needs-info" if pattern == "unknown" else "suspicious"), base
    if privileged and severity == "high" and strong >= 2:
        severity = "critical"
    elif privileged and severity == "medium":
        severity = "high"
    confidence = round(min(0.95, 0.45 + 0.15 * strong + (0.05 if privileged else 0)), 2)
    return Verdict(verdict, severity, confidence)
