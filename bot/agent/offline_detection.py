"""The offline engine's verdict: the detection block's, weighed with what the provider says.

The detection block is the last data block of the triage request; socbot writes it from the
normalized alert, after the alert's own block, so no text inside the alert can pose as it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.agent.offline_rules import TITLES

SEVERITIES = ("low", "medium", "high", "critical")
_HEADER = re.compile(r"^DATA: detection \(untrusted[^\n]*\n", re.MULTILINE)
_FENCED = re.compile(r"(`{3,})json\n(?P<body>[^\n]*)\n\1(?:\n|$)")


def read_detection(user_text: str) -> dict[str, Any] | None:
    """The detection block's data, or None when the request carries none. socbot's block is
    the last thing in the request, and its one-line JSON holds none of the alert's line
    breaks, so a look-alike inside the alert block can neither follow it nor be taken."""
    headers = list(_HEADER.finditer(user_text))
    if not headers:
        return None
    fenced = _FENCED.match(user_text, headers[-1].end())
    if fenced is None or user_text[fenced.end() :].strip():
        return None  # socbot's block is always the request's last
    try:
        data = json.loads(fenced.group("body"))
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class Weighed:
    verdict: str
    severity: str
    confidence: float


def weigh(detection: dict[str, Any] | None, signals: list[str], privileged: bool) -> Weighed:
    """The rules say what the event did; the provider's signals and privilege move it."""
    if detection is None:
        return Weighed("needs-info", "medium", 0.3)
    verdict = str(detection.get("verdict", "needs-info"))
    rank = _rank(str(detection.get("severity", "low")))
    if verdict == "suspicious" and signals:
        verdict = "malicious"
    elif verdict == "benign" and len(signals) >= 2:
        verdict = "suspicious"
    if verdict in ("suspicious", "malicious"):
        # Each independent fact from the provider, and privilege, make the finding weigh more.
        rank += min(len(signals), 2) + (1 if privileged else 0)
    severity = SEVERITIES[max(0, min(rank, len(SEVERITIES) - 1))]
    return Weighed(verdict, severity, _confidence(verdict, len(signals), detection))


def _confidence(verdict: str, signals: int, detection: dict[str, Any]) -> float:
    """More independent evidence, more confidence: each provider fact, each further rule."""
    findings = len(detection.get("findings") or [])
    base = {"malicious": 0.65, "suspicious": 0.55, "benign": 0.6}.get(verdict, 0.3)
    return round(min(0.95, base + 0.1 * signals + 0.05 * max(0, findings - 1)), 2)


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0


def headline(detection: dict[str, Any] | None) -> str:
    """The playbook's name when a rule chose one, else the strongest rule's title."""
    if detection is None:
        return "Identity alert without detection findings"
    findings = detection.get("findings") or []
    playbook = str(detection.get("playbook") or "unknown")
    if findings and playbook in TITLES and playbook != "unknown":
        return _sentence_case(TITLES[playbook])
    if findings:
        return _sentence_case(str(findings[0].get("title") or "detection rule fired"))
    if detection.get("verdict") == "benign":
        return "No detection rule fired on what this event did"
    return "No detection rules cover this source"


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def subjects(detection: dict[str, Any] | None, *, prefer_target: bool) -> list[str]:
    found = [str(s) for s in (detection or {}).get("subjects") or [] if s]
    return list(reversed(found)) if prefer_target else found
