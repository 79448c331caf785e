"""Steps of socbot activity, made by the real parts on a hand-driven clock.

Triage runs through triage_alert (the offline engine, or a scripted model priced like
gpt-4o-mini), approvals through ApprovalBook.decide, execution through
executor.execute_approved, credentials through the broker, expiry and sweeps through the
stores. The intake's and Slack's rows (alert.*, triage.*, analyst.feedback, human.action) are
written with AuditLog.record in the shapes of the team's audit contract.

The story itself, two weeks of it, is in tests/digest/story.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from bot.alerts.triage.run import triage_alert
from bot.alerts.triage.verdict import TriageResult
from bot.errors import LimitExceeded, ProviderError
from bot.runtime import Runtime
from bot.tasks.runner import TaskLimits
from tests.digest.clock import FakeClock
from tests.support.gate_checks import replace_tool
from tools.base import TaskContext, ToolArgs
from tools.providers.lab.seed import seed_lab

LAST_MONDAY = datetime(2026, 11, 9, tzinfo=UTC)  # 2026-W46
THIS_MONDAY = datetime(2026, 11, 16, tzinfo=UTC)  # 2026-W47
NEXT_MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # 2026-W48
POST_AT = NEXT_MONDAY + timedelta(hours=9)
DEMO_DIR = Path(__file__).resolve().parents[2] / "bot" / "demo_alerts"
MFA, CI_KEY, OAUTH, ADMIN_GROUP, BREAK_GLASS = (
    "01-okta-mfa-push-fatigue",
    "02-cloudtrail-key-new-region",
    "03-google-oauth-consent",
    "04-okta-admin-group-add",
    "05-okta-break-glass-sign-in",
)
SCRIPTED_MODEL = "gpt-4o-mini-2024-07-18"


def demo(name: str) -> dict[str, Any]:
    return dict(json.loads((DEMO_DIR / f"{name}.json").read_text(encoding="utf-8")))


def at(monday: datetime, day: int, hour: int, minute: int = 0) -> datetime:
    return monday + timedelta(days=day, hours=hour, minutes=minute)


@dataclass
class Alert:
    alert_id: str
    group_id: str
    triage: TriageResult | None = None

    @property
    def requests(self) -> dict[str, str]:
        """tool → request id of each action the triage parked for approval."""
        actions = self.triage.actions if self.triage else []
        return {
            a.tool: a.request_id
            for a in actions
            if a.status == "awaiting_approval" and a.request_id
        }


@dataclass
class Activity:
    runtime: Runtime
    scripted: Runtime  # same database; its model is a script priced as gpt-4o-mini
    clock: FakeClock
    monkeypatch: pytest.MonkeyPatch
    ids: Iterator[int] = field(default_factory=lambda: count(1))
    leaks: ExitStack = field(default_factory=ExitStack)

    def record(
        self, kind: str, actor: str, data: dict[str, Any], task_id: str | None = None
    ) -> None:
        self.runtime.audit.record(kind, actor=actor, data=data, task_id=task_id)

    def receive(self, when: datetime, severity: str, via: str = "webhook") -> Alert:
        self.clock.set(when)
        number = next(self.ids)
        alert = Alert(f"alr_{number:04d}", f"grp_{number:04d}")
        self.record(
            "alert.received",
            f"alert:{via}",
            {
                "alert_id": alert.alert_id,
                "source": "okta",
                "event_type": "user.mfa.okta_verify.deny_push",
                "fingerprint": f"fp{number:04d}",
                "vendor_severity": severity,
                "occurred_at": when.isoformat(),
                "actor": "maria.chen@lab.example",
                "target": None,
                "group_id": alert.group_id,
            },
        )
        return alert

    def duplicate(self, alert: Alert, times: int) -> None:
        for n in range(1, times + 1):
            self.clock.advance(seconds=40)
            data = {"alert_id": f"dup_{alert.alert_id}_{n}", "duplicate_of": alert.alert_id}
            self.record(
                "alert.duplicate", "alert:webhook", {**data, "fingerprint": "fp", "count": n}
            )

    def triage(
        self,
        alert: Alert,
        name: str,
        *,
        after: timedelta,
        scripted: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> Alert:
        self.clock.advance(seconds=after.total_seconds())
        # The lab is a live organisation: its recent sign-ins are recent as of this triage.
        seed_lab(self.runtime.engine, now=self.clock.now - timedelta(minutes=5))
        runtime = self.scripted if scripted else self.runtime
        result = triage_alert(runtime, {**demo(name), **(extra or {})}, actor="alert:webhook")
        alert.triage = result
        data = {
            "group_id": alert.group_id,
            "alert_ids": [alert.alert_id],
            "verdict": result.verdict,
            "severity": result.severity,
            "confidence": result.confidence,
            "engine": result.engine,
            "fell_back": result.fell_back_because is not None,
            "actions_requested": list(alert.requests.values()),
            "recommendations": [a.tool for a in result.actions if a.status == "recommended"],
        }
        self.record("triage.result", "alert:webhook", data, task_id=result.task_id)
        return alert

    def post(self, alert: Alert, *, after: timedelta) -> None:
        self.clock.advance(seconds=after.total_seconds())
        assert alert.triage is not None
        data = {"group_id": alert.group_id, "alert_ids": [alert.alert_id], "channel": "C0ALERTS"}
        self.record(
            "triage.posted", "slack", {**data, "ts": f"{next(self.ids)}.0001"}, alert.triage.task_id
        )

    def feedback(self, alert: Alert, analyst: str, rating: str, *, after: timedelta) -> None:
        self.clock.advance(seconds=after.total_seconds())
        data = {"group_id": alert.group_id, "alert_ids": [alert.alert_id], "rating": rating}
        self.record("analyst.feedback", analyst, {**data, "channel": "C0ALERTS", "ts": "1.0001"})

    def human_action(self, alert: Alert, when: datetime, note: str) -> None:
        self.clock.set(when)
        data = {"group_id": alert.group_id, "alert_ids": [alert.alert_id], "note": note}
        self.record("human.action", "U0ANALYST1", data)

    def approve(self, request_id: str, *, after: timedelta) -> None:
        """Enough approvals from the policy's approvers to reach the tool's quorum."""
        self.clock.advance(seconds=after.total_seconds())
        request = self.runtime.approvals.get(request_id)
        rule = self.runtime.approver_rule(request.tool)
        assert rule is not None, request.tool
        for approver in sorted(rule.users)[: rule.quorum]:
            outcome = self.runtime.approvals.decide(request_id, approver, "approve", via="slack")
            assert outcome.counted, outcome
            self.clock.advance(seconds=30)

    def reject(self, request_id: str, *, after: timedelta) -> None:
        self.clock.advance(seconds=after.total_seconds())
        request = self.runtime.approvals.get(request_id)
        rule = self.runtime.approver_rule(request.tool)
        assert rule is not None
        outcome = self.runtime.approvals.decide(request_id, sorted(rule.users)[-1], "reject")
        assert outcome.counted, outcome

    def execute(self, request_id: str, *, fail: bool = False) -> str:
        self.clock.advance(seconds=20)
        tool = self.runtime.approvals.get(request_id).tool
        with self.monkeypatch.context() as patch:
            if fail:
                replace_tool(patch, tool, _refusing_provider)
            outcome = self.runtime.executor.execute_approved(
                request_id, actor="U0IDADMIN1", limits=self.runtime.task_limits()
            )
        return outcome.status

    def expire_due(self, when: datetime) -> list[str]:
        self.clock.set(when)
        return self.runtime.approvals.expire_due()

    def limit_hit(self, when: datetime) -> None:
        self.clock.set(when)
        tiny = TaskLimits(model_turns=1, tool_calls=1, tokens=100, seconds=60)
        with (
            pytest.raises(LimitExceeded),
            self.runtime.tasks.run("triage", "alert:cli", tiny) as task,
        ):
            task.charge_tool_call()
            task.charge_tool_call()

    def leak_credential(self, when: datetime) -> None:
        """A credential whose holder never let go: issued, never revoked by its block."""
        self.clock.set(when)
        self.leaks.enter_context(
            self.runtime.broker.issue(
                "task_leaked_holder", "get_identity", frozenset({"directory:read"}), 60
            )
        )

    def sweep(self, when: datetime) -> int:
        self.clock.set(when)
        return len(self.runtime.broker.sweep().revoked)

    def intake_noise(self, when: datetime) -> None:
        """A storm group growing, and payloads the intake refused."""
        self.clock.set(when)
        for alerts in (20, 45, 80):
            self.record(
                "alert.storm",
                "intake",
                {"group_id": "grp_storm", "fingerprint_group": "sk1", "alerts": alerts},
            )
        for n in range(2):
            self.record(
                "alert.rejected",
                "alert:webhook",
                {"rejected_id": f"rej_{n}", "source": None, "reason": "not JSON", "size": 12},
            )


def _refusing_provider(args: ToolArgs, ctx: TaskContext) -> dict[str, Any]:
    raise ProviderError("the provider refused the change (HTTP 503)")
