"""The executor: every call the model asks for is decided here, then run, drafted, parked or
denied.

decide → run (bot.executor.run_step) | draft or park (bot.executor.parking) | deny. Whatever
the model asks for arrives as a name and raw arguments; it leaves as a ToolOutcome the model
may read. Every step writes an audit row, and an audit write that fails stops the call
(AuditWriteError propagates). Approved actions run through bot.executor.approved, which uses
the same run step and never calls back into this class.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Engine

from bot.actions.approvals import ApprovalBook
from bot.audit.log import AuditLog
from bot.errors import ProviderError, ToolArgumentError
from bot.executor.approved import ApprovedExecution
from bot.executor.outcome import ToolOutcome, parse_arguments
from bot.executor.parking import Parker, Proposal
from bot.executor.rate_limit import apply_rate_limit
from bot.executor.run_step import RunStep
from bot.executor.targets import TargetResolver
from bot.policy import Decision, Policy, PolicyStore, ToolCall, decide, exposed_tools
from bot.redaction import Redactor
from bot.tasks.credentials import CredentialBroker
from bot.tasks.runner import TaskHandle, TaskLimits, TaskRunner
from tools.base import Provider, Tool, ToolArgs

__all__ = ["Executor", "ToolOutcome", "parse_arguments"]


class Executor:
    def __init__(
        self,
        *,
        engine: Engine,
        audit: AuditLog,
        redactor: Redactor,
        policies: PolicyStore,
        broker: CredentialBroker,
        approvals: ApprovalBook,
        tasks: TaskRunner,
        provider: Provider,
        registry: Mapping[str, Tool],
    ) -> None:
        self._engine = engine
        self._audit = audit
        self._policies = policies
        self._registry = registry
        self._parker = Parker(approvals, redactor)
        self._run_step = RunStep(audit=audit, redactor=redactor, broker=broker, provider=provider)
        self._targets = TargetResolver(broker=broker, provider=provider)
        self._approved = ApprovedExecution(
            approvals=approvals,
            tasks=tasks,
            policies=policies,
            registry=registry,
            run_step=self._run_step,
            targets=self._targets,
        )

    @property
    def policy(self) -> Policy:
        return self._policies.current

    def visible_tools(self) -> list[Tool]:
        """The tools the model may see: declared in the current policy and registered."""
        names = sorted(exposed_tools(self.policy, self._registry))
        return [self._registry[name] for name in names]

    def call(
        self,
        task: TaskHandle,
        name: str,
        arguments: str | Mapping[str, Any],
        *,
        actor: str,
        evidence: Mapping[str, Any] | None = None,
    ) -> ToolOutcome:
        task.charge_tool_call()
        policy = self.policy
        self._audit.record(
            "tool.call",
            task_id=task.id,
            actor=actor,
            tool=name[:80],
            policy_version=policy.version,
            data={"arguments": _raw_for_audit(arguments)},
        )
        tool = self._registry.get(name)
        if tool is None or name not in policy.tools:
            reason = (
                f"{name[:80]!r} is not a tool this policy declares; anything undeclared is denied"
            )
            return self._deny(task, actor, name, policy, "undeclared", reason)
        try:
            args = parse_arguments(tool, arguments)
        except ToolArgumentError as exc:
            return self._deny(task, actor, name, policy, f"tools.{name}.schema", str(exc))
        return self._decide_and_dispatch(task, actor, tool, args, policy, evidence or {})

    def execute_approved(self, request_id: str, *, actor: str, limits: TaskLimits) -> ToolOutcome:
        """Run an approved action once, with a fresh credential, after checking it again."""
        return self._approved.execute(request_id, actor=actor, limits=limits)

    def _decide_and_dispatch(
        self,
        task: TaskHandle,
        actor: str,
        tool: Tool,
        args: ToolArgs,
        policy: Policy,
        evidence: Mapping[str, Any],
    ) -> ToolOutcome:
        rule = policy.tools[tool.name]
        try:
            aliases = self._targets.aliases(task, tool, args, policy)
        except ProviderError as exc:  # unknown or ambiguous target: nothing to decide on
            return self._deny(task, actor, tool.name, policy, f"tools.{tool.name}.target", str(exc))
        decision = decide(policy, ToolCall(tool.name, args.model_dump(mode="json"), aliases, actor))
        decision = apply_rate_limit(self._engine, decision, rule)
        self._audit_decision(task, actor, tool.name, decision)
        if decision.outcome == "run":
            return self._run_step.run(task, actor, tool, args, policy)
        proposal = Proposal(task, tool, args, aliases, decision, rule, evidence)
        if decision.outcome == "recommend":
            return self._parker.draft(proposal)
        if decision.outcome == "require_approval":
            return self._parker.park(proposal)
        return ToolOutcome(tool.name, "denied", {"reason": decision.reason}, decision.rule)

    def _deny(
        self, task: TaskHandle, actor: str, name: str, policy: Policy, rule: str, reason: str
    ) -> ToolOutcome:
        decision = Decision("deny", rule, reason, policy.version, None)
        self._audit_decision(task, actor, name, decision)
        return ToolOutcome(name, "denied", {"reason": reason}, rule)

    def _audit_decision(self, task: TaskHandle, actor: str, name: str, decision: Decision) -> None:
        self._audit.record(
            "policy.decision",
            task_id=task.id,
            actor=actor,
            tool=name[:80],
            policy_version=decision.policy_version,
            data={"outcome": decision.outcome, "rule": decision.rule, "reason": decision.reason},
        )


def _raw_for_audit(arguments: str | Mapping[str, Any]) -> Any:
    if isinstance(arguments, str):
        return arguments[:4000]
    return dict(arguments)
