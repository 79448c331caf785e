"""The digest as sections of lines, each figure beside last window's: what every format prints.

Values are spelled here once (counts with separators, durations in s/min/h, shares in %,
money in USD, nothing to compute from as "—"), so text, Markdown and Slack agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.digest.model import Digest, WindowKpis

NONE = "—"
BREAKDOWN_LINES = 8


@dataclass(frozen=True)
class Line:
    label: str
    now: str
    before: str


@dataclass
class Section:
    title: str
    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def count(value: int | None) -> str:
    return NONE if value is None else f"{value:,}"


def share(value: float | None) -> str:
    return NONE if value is None else f"{value * 100:.1f}%"


def usd(value: float | None) -> str:
    if value is None:
        return NONE
    return f"${value:,.2f}" if value >= 1 or value == 0 else f"${value:.4f}"


def duration(value: float | None) -> str:
    if value is None:
        return NONE
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 120:
        return f"{value:.1f} s"
    if value < 7200:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"


def scope_seconds(value: float | None) -> str:
    """Whole seconds once they add up; below 10, enough digits that sub-second use shows."""
    if value is None:
        return NONE
    return f"{value:,.0f}" if value >= 10 else f"{value:.3g}"


def millis(value: float | None) -> str:
    return NONE if value is None else f"{value:,.1f} ms"


Getter = Callable[[WindowKpis], Any]


class _Builder:
    def __init__(self, digest: Digest) -> None:
        self.now, self.before = digest.current, digest.previous

    def line(self, label: str, get: Getter, spell: Callable[[Any], str] = count) -> Line:
        return Line(label, spell(get(self.now)), spell(get(self.before)))

    def breakdown(self, prefix: str, get: Callable[[WindowKpis], dict[str, int]]) -> list[Line]:
        now, before = get(self.now), get(self.before)
        keys = sorted(set(now) | set(before), key=lambda k: (-now.get(k, 0), -before.get(k, 0), k))
        return [
            Line(f"{prefix}{key}", count(now.get(key, 0)), count(before.get(key, 0)))
            for key in keys[:BREAKDOWN_LINES]
        ]


def sections(digest: Digest) -> list[Section]:
    build = _Builder(digest)
    return [
        _alerts(build),
        _actions(build),
        _risk(build, digest),
        _credentials(build, digest),
        _policy(build),
        _audit(build, digest),
        _usage(build, digest),
    ]


def _alerts(b: _Builder) -> Section:
    return Section(
        "Alerts",
        [
            b.line("Received", lambda k: k.alerts.received),
            b.line("Duplicates folded in", lambda k: k.alerts.duplicates),
            b.line("Rejected at intake", lambda k: k.alerts.rejected),
            b.line("Storms", lambda k: k.alerts.storms),
            b.line("Triaged (alerts)", lambda k: k.alerts.triaged),
            b.line("Time to triage post, median", lambda k: k.alerts.to_post_median_s, duration),
            b.line("Time to triage post, p90", lambda k: k.alerts.to_post_p90_s, duration),
            *b.breakdown("Verdict: ", lambda k: k.alerts.verdicts),
            b.line("Analyst feedback: agree", lambda k: k.alerts.feedback_agree),
            b.line("Analyst feedback: disagree", lambda k: k.alerts.feedback_disagree),
            b.line("Analyst agreement", lambda k: k.alerts.feedback_agreement, share),
        ],
    )


def _actions(b: _Builder) -> Section:
    return Section(
        "Actions",
        [
            b.line("Recommended (drafts)", lambda k: k.actions.recommended),
            b.line("Requested (parked for approval)", lambda k: k.actions.requested),
            b.line("Approved", lambda k: k.actions.approved),
            b.line("Rejected", lambda k: k.actions.rejected),
            b.line("Expired", lambda k: k.actions.expired),
            b.line("Executed", lambda k: k.actions.executed),
            b.line("Failed", lambda k: k.actions.failed),
            b.line("Voided after approval", lambda k: k.actions.voided),
            b.line(
                "Approval latency, median", lambda k: k.actions.approval_latency_median_s, duration
            ),
            b.line(
                "Override rate (rejected ÷ requested)", lambda k: k.actions.override_rate, share
            ),
        ],
    )


def _risk(b: _Builder, digest: Digest) -> Section:
    sla = digest.current.risk.sla_hours
    section = Section(
        f"Critical risk (containment SLA {sla:g} h)",
        [
            b.line("High/critical alerts", lambda k: k.risk.serious),
            b.line("Contained within SLA", lambda k: k.risk.contained),
            b.line("Escaped (no containment in SLA)", lambda k: k.risk.escaped),
            b.line("SLA still running", lambda k: k.risk.pending),
            b.line("Escape rate", lambda k: k.risk.escape_rate, share),
        ],
    )
    if digest.current.risk.escaped_alerts:
        section.notes.append("Escaped: " + ", ".join(digest.current.risk.escaped_alerts))
    return section


def _credentials(b: _Builder, digest: Digest) -> Section:
    section = Section(
        "Credentials (the bot's own access)",
        [
            b.line("Issued", lambda k: k.credentials.issued),
            b.line("Revoked", lambda k: k.credentials.revoked),
            b.line("Revocation failures", lambda k: k.credentials.revoke_failed),
            b.line("Lifetime, median", lambda k: k.credentials.lifetime_median_s, duration),
            b.line("Lifetime, max", lambda k: k.credentials.lifetime_max_s, duration),
            b.line(
                "Revocation lag, median", lambda k: k.credentials.revocation_lag_median_ms, millis
            ),
            b.line("Still live at window end (want 0)", lambda k: k.credentials.live_at_end),
            b.line(
                "Credential-seconds × scopes",
                lambda k: k.credentials.credential_seconds,
                scope_seconds,
            ),
        ],
    )
    if digest.current.credentials.live_at_end:
        section.notes.append("Live credentials remain: run `socbot credentials sweep`.")
    return section


def _policy(b: _Builder) -> Section:
    return Section(
        "Policy",
        [
            b.line("Denials", lambda k: k.policy.denials),
            *b.breakdown("  by ", lambda k: k.policy.denials_by_rule),
            b.line("Task limit hits", lambda k: k.policy.limit_hits),
            *b.breakdown("  ", lambda k: k.policy.limit_hits_by_limit),
            b.line("Injection-suspect inputs", lambda k: k.policy.injection_suspects),
        ],
    )


def _audit(b: _Builder, digest: Digest) -> Section:
    section = Section(
        "Audit",
        [
            b.line("Executed actions", lambda k: k.completeness.executed),
            b.line("Complete lineage", lambda k: k.completeness.complete),
            b.line("Complete lineage, share", lambda k: k.completeness.share, share),
            b.line("Events in window", lambda k: k.events),
        ],
    )
    section.notes.append(chain_note(digest))
    for item in digest.current.completeness.incomplete:
        section.notes.append(f"Incomplete: {item['request_id']} lacks {', '.join(item['missing'])}")
    return section


def chain_note(digest: Digest) -> str:
    chain = digest.chain
    if not chain.checked:
        return "Chain verification: not run for this digest."
    state = "OK" if chain.ok else f"BROKEN at seq {chain.first_bad_seq}: {chain.reason}"
    return (
        f"Chain verification: {state}; {chain.events:,} events; "
        f"head seq {chain.head_seq}, hash {chain.head_hash}"
    )


def _usage(b: _Builder, digest: Digest) -> Section:
    models = sorted(set(digest.current.usage.models) | set(digest.previous.usage.models))
    lines: list[Line] = []
    for model in models:
        lines += _model_lines(b, model)
    lines.append(b.line("Tokens, all models", lambda k: k.usage.tokens))
    lines.append(b.line("Estimated cost, priced models", lambda k: k.usage.cost_usd, usd))
    section = Section("Model usage", lines)
    if digest.current.usage.unpriced_models:
        unpriced = ", ".join(digest.current.usage.unpriced_models)
        section.notes.append(f"No price for {unpriced}: set SOCBOT_MODEL_PRICES.")
    return section


def _model_lines(b: _Builder, model: str) -> Iterable[Line]:
    def usage(k: WindowKpis) -> Any:
        return k.usage.models.get(model)

    def tokens(k: WindowKpis) -> int | None:
        u = usage(k)
        return None if u is None else u.prompt_tokens + u.completion_tokens

    yield b.line(f"{model}: tokens", tokens)
    yield b.line(f"{model}: cost", lambda k: usage(k).cost_usd if usage(k) else None, usd)
