"""Critical risk escape rate: serious alerts nobody contained within the containment SLA.

Definitions:
- the alerts: those received in the window (alert.received rows);
- serious: the severity of the latest triage.result listing the alert is high or critical;
  an alert no triage covered counts by its vendor severity instead;
- contained: an action.executed row for an action parked by a triage of the alert (its
  requested_in is that triage.result's task), or a human.action row listing the alert, at or
  after the alert.received time and no later than that time plus the SLA
  (policy defaults.containment_sla_hours); rows up to the window's end plus the SLA count;
- escaped: serious, not contained, and the SLA has run out by the time the digest is made;
  pending: serious, not contained, SLA not yet run out (counted in neither rate term);
- escape rate: escaped ÷ (contained + escaped).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from bot.audit.event import EventKind
from bot.digest.model import RiskKpis
from bot.digest.reader import to_micros
from bot.digest.rows import WindowRows
from bot.digest.stats import ratio

SERIOUS = frozenset({"high", "critical"})
LISTED_ESCAPES = 20


def risk_kpis(rows: WindowRows, sla_hours: float, as_of: datetime) -> RiskKpis:
    sla_micros = timedelta(hours=sla_hours) // timedelta(microseconds=1)
    now = to_micros(as_of)
    severity, contained_at = _evidence(rows)
    kpis = RiskKpis(sla_hours=sla_hours)
    for alert in rows.in_window(EventKind.ALERT_RECEIVED):
        alert_id = alert.alert_id
        if severity.get(alert_id, alert.vendor_severity) in SERIOUS:
            times = contained_at.get(alert_id, [])
            _classify(kpis, alert_id, times, alert.at, alert.at + sla_micros, now)
    kpis.serious = kpis.contained + kpis.escaped + kpis.pending
    kpis.escape_rate = ratio(kpis.escaped, kpis.contained + kpis.escaped)
    kpis.escaped_alerts = kpis.escaped_alerts[:LISTED_ESCAPES]
    return kpis


def _classify(
    kpis: RiskKpis, alert_id: str, contained_at: list[int], at: int, deadline: int, now: int
) -> None:
    if any(at <= when <= deadline for when in contained_at):
        kpis.contained += 1
    elif deadline <= now:
        kpis.escaped += 1
        kpis.escaped_alerts.append(alert_id)
    else:
        kpis.pending += 1


def _evidence(rows: WindowRows) -> tuple[dict[str, str], dict[str, list[int]]]:
    """alert id → its latest triage severity, and → the times it was contained."""
    severity: dict[str, str] = {}
    alerts_of_task: dict[str, list[str]] = defaultdict(list)
    for triage in rows.of(EventKind.TRIAGE_RESULT):
        for alert_id in triage.ids():
            severity[alert_id] = triage.severity
            alerts_of_task[triage.task_id].append(alert_id)
    contained_at: dict[str, list[int]] = defaultdict(list)
    for action in rows.of(EventKind.ACTION_EXECUTED):
        for alert_id in alerts_of_task.get(action.requested_in, ()):
            contained_at[alert_id].append(action.at)
    for note in rows.of(EventKind.HUMAN_ACTION):
        for alert_id in note.ids():
            contained_at[alert_id].append(note.at)
    return severity, contained_at
