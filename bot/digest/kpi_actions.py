"""Action figures: what the bot proposed and what humans and the gate made of it.

Definitions (audit rows whose time falls in the window):
- recommended: recommendation rows (drafts for a person to carry out);
- requested: action.requested rows (actions parked for approval);
- approved: distinct request ids in action.approved rows (quorum reached; an approval
  withdrawn and given again is one); expired: action.expired rows;
  executed: action.executed rows; failed: action.failed rows (including outcomes unknown
  after a timeout); voided: action.voided rows (approved, then no longer valid);
- rejected: distinct request ids in approval.rejected rows (the first rejection cancels);
- approval latency: for each request parked in the window and approved before the window's
  end, action.approved time minus action.requested time; the median is reported;
- override rate: rejected ÷ requested.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.audit.event import EventKind
from bot.digest.model import ActionKpis
from bot.digest.queries import Keyed
from bot.digest.rows import WindowRows, first_request_times
from bot.digest.stats import median, ratio


def action_kpis(
    kinds: Mapping[str, int], keyed: Mapping[str, Mapping[str, Keyed]], rows: WindowRows
) -> ActionKpis:
    kpis = ActionKpis(
        recommended=kinds.get(EventKind.RECOMMENDATION, 0),
        requested=kinds.get(EventKind.ACTION_REQUESTED, 0),
        rejected=len(keyed[EventKind.APPROVAL_REJECTED]),
        expired=kinds.get(EventKind.ACTION_EXPIRED, 0),
        executed=kinds.get(EventKind.ACTION_EXECUTED, 0),
        failed=kinds.get(EventKind.ACTION_FAILED, 0),
        voided=kinds.get(EventKind.ACTION_VOIDED, 0),
    )
    requested = first_request_times(rows.in_window(EventKind.ACTION_REQUESTED))
    approved = first_request_times(rows.in_window(EventKind.ACTION_APPROVED))
    kpis.approved = len(approved)
    waits = [(approved[r] - requested[r]) / 1_000_000 for r in requested if r in approved]
    kpis.approval_latency_median_s = median(waits)
    kpis.override_rate = ratio(kpis.rejected, kpis.requested)
    return kpis
