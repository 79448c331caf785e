"""Builds the running parts from settings, once, in the order they depend on each other."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy.engine import Engine

from bot.agent.model import ChatModel
from bot.agent.tokens import TokenCounter
from bot.approvals import ApprovalBook, ApproverRule, UsergroupDirectory
from bot.audit import AuditLog
from bot.config import Settings
from bot.credentials import CredentialBroker, LabCredentialBackend, SweepReport
from bot.db import get_engine
from bot.errors import ConfigError
from bot.executor import Executor
from bot.policy import PolicyStore, approvers_for
from bot.recovery import end_abandoned_tasks
from bot.redaction import Redactor, default_redactor
from bot.schema import create_schema
from bot.tasks import TaskLimits, TaskRunner
from tools import REGISTRY
from tools.providers.lab.provider import LabProvider

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything a command, the Slack app or the worker needs, wired once."""

    settings: Settings
    usergroups: UsergroupDirectory | None = None
    model_override: ChatModel | None = None
    # What building the broker swept, for commands that report their sweeps.
    startup_sweep: SweepReport | None = field(default=None, init=False, repr=False)

    @cached_property
    def engine(self) -> Engine:
        engine = get_engine(self.settings.database_url)
        create_schema(engine)
        return engine

    @cached_property
    def redactor(self) -> Redactor:
        return default_redactor()

    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(self.engine, self.redactor)

    @cached_property
    def policies(self) -> PolicyStore:
        return PolicyStore(self.settings.policy_path, on_event=self._policy_event)

    def _policy_event(self, kind: str, data: dict[str, Any]) -> None:
        self.audit.record(kind, actor="policy-store", data=data, policy_version=data.get("version"))

    @cached_property
    def provider(self) -> LabProvider:
        if self.settings.provider != "lab":
            raise ConfigError(
                f"provider {self.settings.provider!r} is not available; only 'lab' is built in"
            )
        return LabProvider(self.engine)

    @cached_property
    def broker(self) -> CredentialBroker:
        if self.settings.credential_backend != "lab":
            raise ConfigError(
                f"credential backend {self.settings.credential_backend!r} is not available; "
                "only 'lab' is built in"
            )
        backend = LabCredentialBackend(self.provider)
        broker = CredentialBroker(self.engine, backend, self.audit, self.redactor)
        # Whatever a crashed process left live is revoked before this one issues anything.
        end_abandoned_tasks(self.engine, self.audit, broker)
        report = self.startup_sweep = broker.sweep()
        if report.revoked:
            log.warning("start-up sweep revoked %d leftover credentials", len(report.revoked))
        for failure in report.failed:
            log.error("start-up sweep could not revoke: %s", failure)
        return broker

    @cached_property
    def tasks(self) -> TaskRunner:
        return TaskRunner(self.engine, self.audit, self.broker)

    @cached_property
    def approvals(self) -> ApprovalBook:
        return ApprovalBook(self.engine, self.audit, self.approver_rule, self.usergroups)

    def approver_rule(self, tool: str) -> ApproverRule | None:
        policy = self.policies.current
        rule = policy.tools.get(tool)
        if rule is None or rule.mode != "execute_with_approval":
            return None
        approvers = approvers_for(policy, tool)
        return ApproverRule(approvers.users, approvers.usergroups, rule.quorum)

    @cached_property
    def executor(self) -> Executor:
        return Executor(
            engine=self.engine,
            audit=self.audit,
            redactor=self.redactor,
            policies=self.policies,
            broker=self.broker,
            approvals=self.approvals,
            tasks=self.tasks,
            provider=self.provider,
            registry=REGISTRY,
        )

    @cached_property
    def counter(self) -> TokenCounter:
        return TokenCounter(self.settings.token_encoding)

    @cached_property
    def model(self) -> ChatModel:
        if self.model_override is not None:
            return self.model_override
        if self.settings.uses_offline_engine:
            from bot.agent.offline import OfflineEngine

            return OfflineEngine(self.counter)
        from bot.agent.openai_model import OpenAIChatModel

        return OpenAIChatModel.from_settings(self.settings)

    def task_limits(self) -> TaskLimits:
        limits = self.policies.current.task_limits
        return TaskLimits(
            limits.model_turns, limits.tool_calls, limits.tokens, float(limits.seconds)
        )
