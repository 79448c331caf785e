"""The one place the gate is spelled out: policy → approval → credential → tool → audit.

Only this module calls Tool.run. Whatever the model asks for arrives here as a name and raw
arguments; it leaves as a ToolOutcome the model may read. Every step writes an audit row, and
an audit write that fails stops the call (AuditWriteError propagates).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.approvals import ActionRequest, ApprovalBook
from bot.audit import AuditLog
from bot.canonical import canonical_json, hash_value
from bot.clock import utcnow
from bot.credentials import CredentialBroker, CredentialRecord
from bot.db import session_scope
from bot.errors import (
    AuditWriteError,
    LimitExceeded,
    ProviderError,
    SocbotError,
    ToolArgumentError,
)
from bot.execution import TIMED_OUT_NOTE, execute_approved
from bot.parking import Parker, Proposal
from bot.policy import Decision, Policy, PolicyStore, ToolCall, ToolRule, decide, exposed_tools
from bot.providers.naming import provider_of
from bot.providers.scope import call_scope_for, provider_for
from bot.redaction import Redactor
from bot.tasks import TaskHandle, TaskLimits, TaskRunner
from bot.tool_outcome import ToolOutcome, parse_arguments
from tools.base import Provider, TaskContext, Tool, ToolArgs
from tools.providers.call_scope import scoped_call

__all__ = ["Executor", "ToolOutcome", "parse_arguments"]

log = logging.getLogger(__name__)

RESULT_AUDIT_LIMIT = 8_000
RESOLVE_SCOPES = frozenset({"directory:read"})
_tool_threads = ThreadPoolExecutor(max_workers=8, thread_name_prefix="socbot-tool")


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
        self._redactor = redactor
        self._policies = policies
        self._broker = broker
        self._approvals = approvals
        self._tasks = tasks
        self._provider = provider
        self._registry = registry
        self._parker = Parker(approvals, redactor)

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
            aliases = self._target_aliases(task, tool, args, policy, rule.mode)
        except ProviderError as exc:  # unknown or ambiguous target: nothing to decide on
            return self._deny(task, actor, tool.name, policy, f"tools.{tool.name}.target", str(exc))
        provider = provider_of(aliases) or provider_for(
            self._provider, tool.name, tool.target_of(args)
        )
        rule = rule.for_provider(provider)
        call = ToolCall(tool.name, args.model_dump(mode="json"), aliases, actor, provider)
        decision = self._apply_rate_limit(decide(policy, call), rule)
        self._audit_decision(task, actor, tool.name, decision, provider)
        if decision.outcome == "run":
            return self.run_tool(task, actor, tool, args, policy)
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

    def _audit_decision(
        self,
        task: TaskHandle,
        actor: str,
        name: str,
        decision: Decision,
        provider: str | None = None,
    ) -> None:
        data = {"outcome": decision.outcome, "rule": decision.rule, "reason": decision.reason}
        self._audit.record(
            "policy.decision",
            task_id=task.id,
            actor=actor,
            tool=name[:80],
            policy_version=decision.policy_version,
            data=data if provider is None else {**data, "provider": provider},
        )

    def _target_aliases(
        self, task: TaskHandle, tool: Tool, args: ToolArgs, policy: Policy, mode: str
    ) -> frozenset[str]:
        """Every name of the action's target and its owner, for protected-target rules."""
        target = tool.target_of(args)
        if mode == "read_only" or target is None:
            return frozenset()
        with (
            scoped_call(call_scope_for(self._provider, "resolve_target", target)),
            self._broker.issue(
                task.id, "resolve_target", RESOLVE_SCOPES, 30, policy_version=policy.version
            ) as credential,
        ):
            info = self._provider.resolve_target(credential, target)
        return frozenset({target.lower(), *info.aliases})

    def _apply_rate_limit(self, decision: Decision, rule: ToolRule) -> Decision:
        name, limit = rule.name, rule.rate_limit
        if limit is None or decision.outcome == "deny":
            return decision
        since = utcnow() - timedelta(seconds=limit.per_seconds)
        used = self._count_recent(name, decision.outcome, since)
        if used < limit.calls:
            return decision
        reason = f"{name} is limited to {limit.calls} calls per {limit.per_seconds}s; {used} used"
        return Decision(
            "deny", f"tools.{name}.rate_limit", reason, decision.policy_version, decision.mode
        )

    def _count_recent(self, name: str, outcome: str, since: datetime) -> int:
        if outcome == "run":
            query = (
                select(func.count())
                .select_from(CredentialRecord)
                .where(CredentialRecord.tool == name, col(CredentialRecord.issued_at) >= since)
            )
        else:
            query = (
                select(func.count())
                .select_from(ActionRequest)
                .where(ActionRequest.tool == name, col(ActionRequest.created_at) >= since)
            )
        with session_scope(self._engine) as session:
            return int(session.exec(query).one())

    def run_tool(
        self, task: TaskHandle, actor: str, tool: Tool, args: ToolArgs, policy: Policy
    ) -> ToolOutcome:
        scope = call_scope_for(self._provider, tool.name, tool.target_of(args))
        rule = policy.tools[tool.name].for_provider(scope.provider if scope else None)
        if scope is not None and rule.credential_strategy:
            scope = replace(scope, strategy=rule.credential_strategy)
        with (
            scoped_call(scope),
            self._broker.issue(
                task.id,
                tool.name,
                frozenset(rule.scopes),
                rule.ttl_seconds,
                policy_version=policy.version,
            ) as credential,
        ):
            context = TaskContext(task.id, credential, self._provider)
            timeout = max(0.1, min(rule.ttl_seconds, task.limits.seconds - task.elapsed()))
            result, error = _run_with_timeout(tool, args, context, timeout)
            credential_id = credential.credential_id
        return self._record_result(task, actor, tool, policy, result, error, credential_id)

    def _record_result(
        self,
        task: TaskHandle,
        actor: str,
        tool: Tool,
        policy: Policy,
        result: dict[str, Any] | None,
        error: str | None,
        credential_id: str,
    ) -> ToolOutcome:
        if error is not None:
            # Error text comes from the tool or provider and may quote the credential.
            status, content = "error", {"error": self._redactor.redact_text(error)}
            audited: dict[str, Any] = dict(content)
        else:
            status, content = "ok", {"result": self._redactor.redact(result)}
            audited = {"result": _clip_for_audit(content["result"])}
        self._audit.record(
            "tool.result",
            task_id=task.id,
            actor=actor,
            tool=tool.name,
            policy_version=policy.version,
            tool_hash=hash_value(content["result"]) if status == "ok" else None,
            data={"status": status, "credential_id": credential_id, **audited},
        )
        return ToolOutcome(tool.name, status, content, f"tools.{tool.name}")

    def execute_approved(self, request_id: str, *, actor: str, limits: TaskLimits) -> ToolOutcome:
        """Run an approved action once, with a fresh credential, after checking it again."""
        return execute_approved(self, request_id, actor=actor, limits=limits)

    # Used by revalidation and execution, which need these without reaching into privates.
    def resolve_aliases(
        self, task: TaskHandle, tool: Tool, args: ToolArgs, policy: Policy
    ) -> frozenset[str]:
        return self._target_aliases(task, tool, args, policy, policy.tools[tool.name].mode)

    def registered(self, name: str) -> Tool | None:
        return self._registry.get(name)

    @property
    def approvals(self) -> ApprovalBook:
        return self._approvals

    @property
    def audit(self) -> AuditLog:
        return self._audit

    @property
    def tasks(self) -> TaskRunner:
        return self._tasks


def _run_with_timeout(
    tool: Tool, args: ToolArgs, context: TaskContext, timeout: float
) -> tuple[dict[str, Any] | None, str | None]:
    """Run the tool; a timeout or any exception becomes an error string for the model."""
    future = _tool_threads.submit(tool.run, args, context)
    try:
        return future.result(timeout=timeout), None
    except FutureTimeout:
        # Leaving the credential block revokes the credential: a tool that has not reached
        # the provider yet is refused. One already inside it may still complete, so the
        # outcome is unknown, not failed: the message says so and execution records it so.
        return None, f"{tool.name} did not finish within {timeout:.1f}s{TIMED_OUT_NOTE}"
    except (LimitExceeded, AuditWriteError):
        raise
    except SocbotError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    except Exception as exc:
        log.exception("tool %s failed", tool.name)
        return None, f"{tool.name} failed unexpectedly ({type(exc).__name__})"


def _raw_for_audit(arguments: str | Mapping[str, Any]) -> Any:
    if isinstance(arguments, str):
        return arguments[:4000]
    return dict(arguments)


def _clip_for_audit(result: Any) -> Any:
    text = canonical_json(result)
    if len(text) <= RESULT_AUDIT_LIMIT:
        return result
    return {"truncated": True, "chars": len(text), "head": text[:RESULT_AUDIT_LIMIT]}
