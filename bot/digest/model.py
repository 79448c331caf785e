"""What a digest holds: the figures of one window, the same for the window before, the chain.

Every figure is defined where it is computed (bot.digest.kpi_*); the README for managers
repeats the definitions in words. A figure with nothing to compute from is None, shown "—".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.digest.window import Window


@dataclass
class AlertKpis:
    received: int = 0
    duplicates: int = 0
    rejected: int = 0
    storms: int = 0
    triaged: int = 0
    triage_runs: int = 0
    posted: int = 0
    to_post_median_s: float | None = None
    to_post_p90_s: float | None = None
    verdicts: dict[str, int] = field(default_factory=dict)
    feedback_agree: int = 0
    feedback_disagree: int = 0
    feedback_agreement: float | None = None


@dataclass
class ActionKpis:
    recommended: int = 0
    requested: int = 0
    approved: int = 0
    rejected: int = 0
    expired: int = 0
    executed: int = 0
    failed: int = 0
    voided: int = 0
    approval_latency_median_s: float | None = None
    override_rate: float | None = None


@dataclass
class RiskKpis:
    sla_hours: float = 4.0
    serious: int = 0
    contained: int = 0
    escaped: int = 0
    pending: int = 0
    escape_rate: float | None = None
    escaped_alerts: list[str] = field(default_factory=list)


@dataclass
class CredentialKpis:
    issued: int = 0
    revoked: int = 0
    revoke_failed: int = 0
    lifetime_median_s: float | None = None
    lifetime_max_s: float | None = None
    revocation_lag_median_ms: float | None = None
    live_at_end: int = 0
    credential_seconds: float = 0.0
    lifetime_buckets: dict[str, int] = field(default_factory=dict)


@dataclass
class PolicyKpis:
    denials: int = 0
    denials_by_rule: dict[str, int] = field(default_factory=dict)
    limit_hits: int = 0
    limit_hits_by_limit: dict[str, int] = field(default_factory=dict)
    injection_suspects: int = 0


@dataclass
class CompletenessKpis:
    executed: int = 0
    complete: int = 0
    share: float | None = None
    incomplete: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ModelUsage:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None


@dataclass
class UsageKpis:
    models: dict[str, ModelUsage] = field(default_factory=dict)
    tokens: int = 0
    cost_usd: float = 0.0
    unpriced_models: list[str] = field(default_factory=list)


@dataclass
class WindowKpis:
    window: Window
    events: int = 0
    alerts: AlertKpis = field(default_factory=AlertKpis)
    actions: ActionKpis = field(default_factory=ActionKpis)
    risk: RiskKpis = field(default_factory=RiskKpis)
    credentials: CredentialKpis = field(default_factory=CredentialKpis)
    policy: PolicyKpis = field(default_factory=PolicyKpis)
    completeness: CompletenessKpis = field(default_factory=CompletenessKpis)
    usage: UsageKpis = field(default_factory=UsageKpis)


@dataclass(frozen=True)
class ChainCheck:
    """The whole audit chain as verified when the digest was made (not just the window)."""

    checked: bool
    ok: bool | None = None
    events: int = 0
    head_seq: int = 0
    head_hash: str = ""
    reason: str = "not checked"
    first_bad_seq: int | None = None


@dataclass
class Digest:
    current: WindowKpis
    previous: WindowKpis
    chain: ChainCheck
    generated_at: datetime
    timezone: str

    @property
    def title(self) -> str:
        return f"socbot governance digest, {self.current.window.label}"
