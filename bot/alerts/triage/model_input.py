"""What triage shows the model for normalized alerts, and which alert fields its evidence used.

One alert reads as its normalized fields (one `name: value` line each), then the compacted
vendor event with the fact lines the normalized fields already say left out. A storm group
reads as a header (how many alerts, which identities, over what time), then a sample.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from bot.agent.offline_rules import TITLES, detect_pattern
from bot.alerts.compact.text import compact_alert
from bot.alerts.model import Alert, Identity
from bot.errors import AlertError

FACTS_HEADER, EVENT_HEADER = "facts:", "event:"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # seconds are enough, and how compaction writes times
MIN_CITED_CHARS = 4  # shorter values occur in evidence text by chance
_PATTERN_BY_TITLE = {title: name for name, title in TITLES.items()}


def normalized_fields(alert: Alert) -> dict[str, str]:
    """The normalized alert as dotted field → text, in reading order; empty fields left out."""
    # The title and the vendor's event id are left out: the title restates the type, actor
    # and target, and an id tells the model nothing; both cost tokens on every triage.
    fields = {
        "alert.source": alert.source,
        "alert.event_type": alert.event_type,
        "alert.occurred_at": alert.occurred_at.strftime(TIME_FORMAT),
        **_identity_fields("actor", alert.actor),
        **_identity_fields("target", alert.target),
        "alert.source_ip": alert.source_ip or "",
        "alert.geo": _place(alert),
        "alert.user_agent": alert.user_agent or "",
        "alert.outcome": alert.outcome,
        "alert.vendor_severity": alert.vendor_severity,
    }
    return {name: value for name, value in fields.items() if value and value != "unknown"}


def _identity_fields(role: str, identity: Identity | None) -> dict[str, str]:
    if identity is None or identity.is_empty():
        return {}
    # The identity's kind is left out: the vendor's own type field says it in the event
    # below, and words like "oauth_app" would read as the alert's pattern.
    return {f"alert.{role}": identity.label}


def _place(alert: Alert) -> str:
    geo = alert.geo
    if geo is None:
        return ""
    return ", ".join(part for part in (geo.city, geo.region, geo.country) if part)


def alert_text(alert: Alert) -> str:
    """One alert for the prompt: normalized lines, then what the vendor event adds."""
    fields = normalized_fields(alert)
    lines = [f"{name.removeprefix('alert.')}: {value}" for name, value in fields.items()]
    said = {value.lower() for value in fields.values()}
    return "\n".join(["normalized:", *lines, *_raw_lines(alert.raw, said)])


def _raw_lines(raw: Mapping[str, Any], said: set[str]) -> list[str]:
    """The compacted event, less the fact lines the normalized fields already say."""
    if not raw:
        return []
    try:
        compact = compact_alert(raw)
    except AlertError:
        return []
    sections: list[list[str]] = []
    for line in compact.text.splitlines():
        if line in (FACTS_HEADER, EVENT_HEADER):
            sections.append([line])
        elif not sections:
            sections.append([line])  # no section header: the text says the alert is empty
        elif sections[-1][0] != FACTS_HEADER or line.partition(": ")[2].lower() not in said:
            sections[-1].append(line)
    return [line for section in sections if len(section) > 1 for line in section]


def group_text(
    alerts: Sequence[Alert], total: int, *, is_storm: bool, variety: int | None = None
) -> str:
    """A group for the prompt: one alert as is; a storm as a header and its sample."""
    if not is_storm and len(alerts) == 1:
        return alert_text(alerts[0])
    parts = [storm_header(alerts, total, variety)]
    for number, alert in enumerate(alerts, start=1):
        parts.append(f"--- sample alert {number} of {len(alerts)} ---\n{alert_text(alert)}")
    return "\n\n".join(parts)


def storm_header(alerts: Sequence[Alert], total: int, variety: int | None = None) -> str:
    first = alerts[0]
    actors = Counter(a.actor.label for a in alerts if a.actor and not a.actor.is_empty())
    times = sorted(a.occurred_at for a in alerts)
    distinct = f", {variety} distinct actor/target pairs" if variety else ""
    lines = [
        f"storm: {total} alerts of type {first.event_type} from {first.source}{distinct}; "
        f"{len(alerts)} shown",
        f"sample time span: {times[0].isoformat()} to {times[-1].isoformat()}",
    ]
    if actors:
        top = ", ".join(f"{label} ({n})" for label, n in actors.most_common(10))
        lines.append(f"sample identities: {len(actors)} distinct: {top}")
    return "\n".join(lines)


def group_facts(alerts: Sequence[Alert], total: int) -> dict[str, Any]:
    """The task's subject: the first alert's normalized fields and the group's size."""
    return {"alerts": total, **normalized_fields(alerts[0])}


def cite_alert_fields(evidence: Sequence[str], alerts: Sequence[Alert]) -> list[str]:
    """The normalized alert fields each evidence entry rests on, as dotted paths.

    An entry that names a path ("alert.source_ip") cites it; one that quotes a field's value
    cites that field; the offline engine's "alert pattern: <title>" cites the fields whose
    text shows that pattern."""
    fields = [normalized_fields(alert) for alert in alerts]
    cited: list[str] = []
    for entry in evidence:
        for name in _cited_by(entry, fields):
            if name not in cited:
                cited.append(name)
    return cited


def _cited_by(entry: str, fields: Sequence[Mapping[str, str]]) -> list[str]:
    names = {name for one in fields for name in one}
    named = [name for name in sorted(names) if _names(entry, name)]
    if named:
        return named
    pattern = _PATTERN_BY_TITLE.get(entry.removeprefix("alert pattern: ").strip())
    found: list[str] = []
    for one in fields:
        for name, value in one.items():
            quoted = len(value) >= MIN_CITED_CHARS and value in entry
            if quoted or (pattern and pattern != "unknown" and detect_pattern(value) == pattern):
                found.append(name)
    return list(dict.fromkeys(found))


def _names(entry: str, name: str) -> bool:
    return re.search(re.escape(name) + r"(?!\w)", entry) is not None


def annotate_evidence(evidence: Sequence[str], alerts: Sequence[Alert]) -> list[str]:
    """Each evidence entry with the alert fields it rests on appended, when it has any."""
    fields = [normalized_fields(alert) for alert in alerts]
    annotated = []
    for entry in evidence:
        cited = [name for name in _cited_by(entry, fields) if not _names(entry, name)]
        annotated.append(f"{entry} [{', '.join(cited)}]" if cited else entry)
    return annotated
