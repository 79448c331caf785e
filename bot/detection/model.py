"""A compiled detection rule and what it says about one alert."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from bot.detection.matcher import Selection

SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    sources: tuple[str, ...]  # alert.source values, '*' globs allowed (generic:*)
    event_types: tuple[str, ...]  # normalized event types, '*' globs allowed, no case
    match: Selection | None
    any: tuple[Selection, ...]
    filter: tuple[Selection, ...]
    attack: tuple[str, ...]
    severity: str
    verdict: str
    playbook: str
    reference: str
    origin: str  # file:line where the rule was written

    def reads(self, source: str, event_type: str) -> bool:
        kind = event_type.lower()
        return any(fnmatchcase(source, s) for s in self.sources) and any(
            fnmatchcase(kind, t.lower()) for t in self.event_types
        )

    def fires(self, alert_data: Mapping[str, Any], raw: Any) -> bool:
        if self.match is not None and not self.match.holds(alert_data, raw):
            return False
        if self.any and not any(s.holds(alert_data, raw) for s in self.any):
            return False
        return not any(s.holds(alert_data, raw) for s in self.filter)

    def fields(self, alert_data: Mapping[str, Any], raw: Any) -> list[str]:
        """The field paths this rule's firing rests on, in the rule's order."""
        paths = ["alert.event_type", *(self.match.paths if self.match else [])]
        for selection in self.any:
            if selection.holds(alert_data, raw):
                paths.extend(selection.paths)
                break
        return list(dict.fromkeys(paths))


@dataclass(frozen=True)
class Finding:
    rule: Rule
    fields: tuple[str, ...]
    values: tuple[str, ...]  # "path=value" for the fields that have one, cut short

    def line(self) -> str:
        shown = "; ".join(self.values[:4])
        techniques = ",".join(self.rule.attack) or "-"
        return f"rule {self.rule.id} ({self.rule.title}; ATT&CK {techniques}): {shown}"
