"""Builds the running parts from settings, once, in the order they depend on each other."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy.engine import Engine

from bot.actions.approvals import ApprovalBook, ApproverRule, UsergroupDirectory
from bot.agent.model import ChatModel
from bot.agent.run import AgentParts
from bot.agent.tokens import TokenCounter
from bot.alerts.sources.generic.source import configure_mappings
from bot.audit.health import require_append_only
from bot.audit.log import AuditLog
from bot.audit.tamper import TamperEvidence, build_tamper_evidence
from bot.boundary.logs import install_log_redaction
from bot.config import Settings
from bot.db import get_engine
from bot.db_url import check_reachable
from bot.executor.dispatch import Executor
from bot.openbao.secrets import SecretSource, build_secret_source
from bot.policy import PolicyStore
from bot.policy.location import with_policy_resolved
from bot.policy.versions import PolicyVersions
from bot.providers.build import ProviderSet, build_providers
from bot.providers.settings import ProviderSettings, configured_providers
from bot.redaction import Redactor, default_redactor
from bot.schema import create_schema
from bot.tasks.backend_choice import build_credential_backend
from bot.tasks.backends import CredentialBackend
from bot.tasks.credentials import CredentialBroker
from bot.tasks.recovery import end_abandoned_tasks
from bot.tasks.runner import TaskLimits, TaskRunner
from bot.tasks.sweep import SweepReport
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

    def __post_init__(self) -> None:
        configure_mappings(self.settings.alert_mappings_path)
        self.settings = with_policy_resolved(self.settings)

    @cached_property
    def engine(self) -> Engine:
        engine = get_engine(self.settings.database_url)
        check_reachable(engine)
        create_schema(engine)
        return engine

    @cached_property
    def redactor(self) -> Redactor:
        install_log_redaction(default_redactor())
        return default_redactor()

    @cached_property
    def secrets(self) -> SecretSource:
        """Providers' own secrets: OpenBao KV v2 when configured, the environment otherwise."""
        return build_secret_source(self.settings, self.redactor)

    @cached_property
    def tamper(self) -> TamperEvidence | None:
        return build_tamper_evidence(self.settings, self.engine)

    @cached_property
    def audit(self) -> AuditLog:
        require_append_only(self.engine)
        tamper = self.tamper
        if tamper is None:
            return AuditLog(self.engine, self.redactor)
        return AuditLog(
            self.engine,
            self.redactor,
            sealer=tamper.key.seal,
            on_append=tamper.checkpointer.on_append,
        )

    @cached_property
    def policy_versions(self) -> PolicyVersions:
        return PolicyVersions(self.engine)

    @cached_property
    def policies(self) -> PolicyStore:
        return PolicyStore(
            self.settings.policy_path,
            on_event=self._policy_event,
            on_loaded=self.policy_versions.on_loaded,
        )

    def _policy_event(self, kind: str, data: dict[str, Any]) -> None:
        self.audit.record(kind, actor="policy-store", data=data, policy_version=data.get("version"))

    @cached_property
    def provider(self) -> LabProvider:
        """The embedded lab (the lab provider of `providers`)."""
        configured_providers("", self.settings.provider)  # an unknown name is refused here
        return LabProvider(self.engine)

    @cached_property
    def providers(self) -> ProviderSet:
        """Every configured provider (SOCBOT_PROVIDERS), the router and their backends. The
        lab's backend is the one SOCBOT_CREDENTIAL_BACKEND chooses (OpenBao leases or not)."""
        names = configured_providers(ProviderSettings().providers, self.settings.provider)
        return build_providers(
            names,
            self.engine,
            lambda: self.provider,
            lab_backend=lambda: build_credential_backend(self.settings, self.provider, self.engine),
        )

    @cached_property
    def credential_backend(self) -> CredentialBackend:
        return self.providers.backend

    @cached_property
    def broker(self) -> CredentialBroker:
        backend = self.credential_backend
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

    def approver_rule(self, tool: str, provider: str | None = None) -> ApproverRule | None:
        policy = self.policies.current
        rule = policy.tools.get(tool)
        if rule is None or rule.mode != "execute_with_approval":
            return None
        rule = rule.for_provider(provider)
        return ApproverRule(rule.approvers.users, rule.approvers.usergroups, rule.quorum)

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
            provider=self.providers.router,
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
        from bot.agent.model_choice import from_settings

        return from_settings(self.settings)

    def agent_parts(self) -> AgentParts:
        return AgentParts(
            self.executor, self.audit, self.counter, self.model, self.settings.prompts_dir
        )

    def task_limits(self) -> TaskLimits:
        limits = self.policies.current.task_limits
        return TaskLimits(
            limits.model_turns,
            limits.tool_calls,
            limits.tokens,
            float(limits.seconds),
            limits.parked_actions,
        )
