"""Alert figures: what arrived, what was triaged, how fast it was posted, what analysts said.

Definitions (all over audit rows whose time falls in the window):
- received: alert.received rows, one per accepted alert (duplicates not included);
- duplicates: alert.duplicate rows, arrivals folded into an earlier alert of the same
  fingerprint; rejected: alert.rejected rows; storms: distinct group ids in alert.storm rows;
- triaged: distinct alert ids listed by triage.result rows; triage runs: triage.result rows;
- verdicts: triage.result rows by verdict;
- time to triage post: for each alert received in the window that a triage.posted row in the
  window lists, the first such post's time minus the alert.received row's time; reported as
  the median and the p90 (nearest rank) of those, and "posted" is how many there were;
- feedback: each analyst's latest analyst.feedback rating per triage post (group id) in the
  window; agreement = agree ÷ (agree + disagree).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from bot.audit.event import EventKind
from bot.digest.model import AlertKpis
from bot.digest.queries import Keyed
from bot.digest.rows import WindowRows
from bot.digest.stats import median, p90, ratio


def alert_kpis(
    kinds: Mapping[str, int], keyed: Mapping[str, Mapping[str, Keyed]], rows: WindowRows
) -> AlertKpis:
    kpis = AlertKpis(
        received=kinds.get(EventKind.ALERT_RECEIVED, 0),
        duplicates=kinds.get(EventKind.ALERT_DUPLICATE, 0),
        rejected=kinds.get(EventKind.ALERT_REJECTED, 0),
        storms=len(keyed[EventKind.ALERT_STORM]),
    )
    triages = rows.in_window(EventKind.TRIAGE_RESULT)
    kpis.triage_runs = len(triages)
    kpis.triaged = len({alert_id for triage in triages for alert_id in triage.ids()})
    kpis.verdicts = dict(sorted(Counter(str(triage.verdict) for triage in triages).items()))
    to_post = [micros / 1_000_000 for micros in time_to_post_micros(rows)]
    kpis.posted = len(to_post)
    kpis.to_post_median_s, kpis.to_post_p90_s = median(to_post), p90(to_post)
    _add_feedback(kpis, rows)
    return kpis


def time_to_post_micros(rows: WindowRows) -> list[int]:
    received = {a.alert_id: a.at for a in rows.in_window(EventKind.ALERT_RECEIVED)}
    first_post: dict[str, int] = {}
    for post in rows.in_window(EventKind.TRIAGE_POSTED):
        for alert_id in post.ids():
            if alert_id in received and alert_id not in first_post:
                first_post[alert_id] = post.at
    return [first_post[alert_id] - received[alert_id] for alert_id in first_post]


def _add_feedback(kpis: AlertKpis, rows: WindowRows) -> None:
    latest: dict[tuple[str, str], str] = {}
    for feedback in rows.in_window(EventKind.ANALYST_FEEDBACK):
        latest[(feedback.actor, feedback.group_id)] = feedback.rating
    ratings = Counter(latest.values())
    kpis.feedback_agree, kpis.feedback_disagree = ratings["agree"], ratings["disagree"]
    kpis.feedback_agreement = ratio(ratings["agree"], ratings["agree"] + ratings["disagree"])
