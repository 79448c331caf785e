"""Run the rules over an alert: which fired, on which fields, and the verdict they give.

The verdict comes from what the event did: no rule for the vendor is needs-info, rules for
the vendor but none fired is benign, a fired rule is suspicious or malicious as the rule
says. Severity starts at the strongest rule's and moves with the evidence: a second rule
raises it, a failed attempt the rule does not ask for lowers it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from bot.alerts.model import Alert
from bot.detection.fields import alert_view, values_at
from bot.detection.loader import load_rules
from bot.detection.model import SEVERITIES, Finding, Rule

MAX_SHOWN_VALUE = 80


@dataclass
class Detection:
    verdict: str  # malicious | suspicious | benign | needs-info
    severity: str
    findings: list[Finding] = field(default_factory=list)
    rules_read: int = 0  # rules written for this alert's source
    subjects: list[str] = field(default_factory=list)  # actor then target labels

    @property
    def playbook(self) -> str:
        return self.findings[0].rule.playbook if self.findings else "unknown"

    def evidence(self) -> list[str]:
        if self.findings:
            return [finding.line() for finding in self.findings]
        if self.rules_read:
            return [f"no detection rule fired ({self.rules_read} rules read this source)"]
        return ["no detection rules cover this source"]

    def as_data(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "severity": self.severity,
            "playbook": self.playbook,
            "subjects": self.subjects,
            "rules_read": self.rules_read,
            "evidence": self.evidence(),
            "findings": [
                {
                    "rule": f.rule.id,
                    "title": f.rule.title,
                    "attack": list(f.rule.attack),
                    "severity": f.rule.severity,
                    "verdict": f.rule.verdict,
                    "fields": list(f.values),
                }
                for f in self.findings
            ],
        }


class DetectionEngine:
    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)

    @classmethod
    def from_settings(cls, admin_file: Path | None) -> DetectionEngine:
        return cls(load_rules(admin_file))

    def detect(self, alert: Alert) -> Detection:
        data = alert_view(alert)
        for_source = [r for r in self.rules if any(fnmatchcase(alert.source, s) for s in r.sources)]
        fired = [
            _finding(rule, data, alert.raw)
            for rule in for_source
            if rule.reads(alert.source, alert.event_type) and rule.fires(data, alert.raw)
        ]
        fired.sort(
            key=lambda f: (_rank(f.rule.severity), f.rule.verdict == "malicious"), reverse=True
        )
        return Detection(
            verdict=_verdict(fired, bool(for_source)),
            severity=_severity(fired, alert),
            findings=fired,
            rules_read=len(for_source),
            subjects=_subjects(alert),
        )


def _finding(rule: Rule, data: dict[str, Any], raw: Any) -> Finding:
    paths = rule.fields(data, raw)
    shown = []
    for path in paths:
        values = [v for v in values_at(data, raw, path) if v not in (None, "")]
        if values:
            text = ", ".join(str(v) for v in values[:3])
            shown.append(f"{path}={text[:MAX_SHOWN_VALUE]}")
    return Finding(rule, tuple(paths), tuple(shown))


def _verdict(fired: Sequence[Finding], has_rules: bool) -> str:
    if not has_rules:
        return "needs-info"
    if not fired:
        return "benign"
    return "malicious" if any(f.rule.verdict == "malicious" for f in fired) else "suspicious"


def _severity(fired: Sequence[Finding], alert: Alert) -> str:
    if not fired:
        return "low"
    rank = _rank(fired[0].rule.severity)
    if len({f.rule.id for f in fired}) >= 2:
        rank += 1
    asks_outcome = any("alert.outcome" in f.fields for f in fired)
    if alert.outcome == "failure" and not asks_outcome:
        rank -= 1  # an attempt that did not work
    return SEVERITIES[max(0, min(rank, len(SEVERITIES) - 1))]


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity)


def _subjects(alert: Alert) -> list[str]:
    labels = [i.label for i in (alert.actor, alert.target) if i is not None and not i.is_empty()]
    return list(dict.fromkeys(labels))
