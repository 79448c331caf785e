"""Gate figures: what the policy refused, which task limits were hit, suspected injections.

Definitions (audit rows whose time falls in the window):
- denials: policy.decision rows with outcome deny, by the policy rule that denied (for
  example tools.suspend_identity.rate_limit, a protected target, or "undeclared");
- limit hits: limit.hit rows, by the limit (model_turns, tool_calls, tokens, seconds);
- injection suspects: injection.suspect rows (inputs that looked like instructions to the
  model).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.audit.event import EventKind
from bot.digest.model import PolicyKpis
from bot.digest.queries import Keyed


def policy_kpis(kinds: Mapping[str, int], keyed: Mapping[str, Mapping[str, Keyed]]) -> PolicyKpis:
    denials = _largest_first(keyed[EventKind.POLICY_DECISION])
    limits = _largest_first(keyed[EventKind.LIMIT_HIT])
    return PolicyKpis(
        denials=sum(denials.values()),
        denials_by_rule=denials,
        limit_hits=sum(limits.values()),
        limit_hits_by_limit=limits,
        injection_suspects=kinds.get(EventKind.INJECTION_SUSPECT, 0),
    )


def _largest_first(counts: Mapping[str, Keyed]) -> dict[str, int]:
    ordered = sorted(counts.items(), key=lambda item: (-item[1].count, item[0]))
    return {key: keyed.count for key, keyed in ordered}
