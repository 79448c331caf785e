"""The one place the gate is spelled out: policy → approval → credential → tool → audit.

Only this module calls Tool.run. Whatever the model asks for arrives here as a name and raw
arguments; it leaves as a ToolOutcome the model may read. Every step writes an audit row, and
an audit write that fails stops the call (AuditWriteError propagates).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot import approvals as ab
from bot.approvals import ActionRequest, ApprovalBook, compute_action_hash
from bot.audit import AuditLog
from bot.canonical import canonical_json, hash_value
from bot.clock import utcnow
from bot.credentials import CredentialBroker, CredentialRecord
from bot.db import session_scope
from bot.errors import (
    ApprovalError,
    AuditWriteError,
    LimitExceeded,
    ProviderError,
    SocbotError,
    ToolArgumentError,
)
from bot.policy import Decision, Policy, PolicyStore, ToolCall, decide
from bot.redaction import Redactor
from bot.tasks import TaskHandle, TaskLimits, TaskRunner
from tools.base import Provider, TaskContext, Tool, ToolArgs

log = logging.getLogger(__name__)

RESULT_AUDIT_LIMIT = 8_000
RESOLVE_SCOPES = frozenset({"directory:read"})
_tool_threads = ThreadPoolExecutor(max_workers=8, thread_name_prefix="socbot-tool")


@dataclass(frozen=True)
class ToolOutcome:
    """What came of one tool call; `content` is all the model gets to read."""

    tool: str
    status: str  # ok | recommended | awaiting_approval | denied | error
    content: dict[str, Any] = field(default_factory=dict)
    rule: str | None = None
    request_id: str | None = None

    def for_model(self) -> str:
        return canonical_json({"status": self.status, **self.content})


def parse_arguments(tool: Tool, arguments: str | Mapping[str, Any]) -> ToolArgs:
    """Raw model arguments → the tool's validated argument model, or a ToolArgumentError."""
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments or "{}")
        except json.JSONDecodeError as exc:
            raise ToolArgumentError(f"arguments are not valid JSON ({exc.msg})") from exc
    if not isinstance(arguments, Mapping):
        raise ToolArgumentError("arguments must be a JSON object")
    try:
        return tool.args_model.model_validate(dict(arguments))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}"
            for e in exc.errors()[:5]
        )
        raise ToolArgumentError(f"arguments do not fit {tool.name}: {problems}") from exc


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

    @property
    def policy(self) -> Policy:
        return self._policies.current

    def visible_tools(self) -> list[Tool]:
        """The tools the model may see: declared in the current policy and registered."""
        declared = self.policy.tools
        return [tool for name, tool in sorted(self._registry.items()) if name in declared]

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
        decision = decide(policy, ToolCall(tool.name, args.model_dump(mode="json"), aliases, actor))
        decision = self._apply_rate_limit(decision, tool.name)
        self._audit_decision(task, actor, tool.name, decision)
        if decision.outcome == "run":
            return self._run(task, actor, tool, args, policy)
        if decision.outcome == "recommend":
            return self._draft(task, tool, args, aliases, decision, evidence)
        if decision.outcome == "require_approval":
            return self._park(task, tool, args, aliases, decision, evidence)
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

    def _target_aliases(
        self, task: TaskHandle, tool: Tool, args: ToolArgs, policy: Policy, mode: str
    ) -> frozenset[str]:
        """Every name of the action's target and its owner, for protected-target rules."""
        target = tool.target_of(args)
        if mode == "read_only" or target is None:
            return frozenset()
        with self._broker.issue(
            task.id, "resolve_target", RESOLVE_SCOPES, 30, policy_version=policy.version
        ) as credential:
            info = self._provider.resolve_target(credential, target)
        return frozenset({target.lower(), *info.aliases})

    def _apply_rate_limit(self, decision: Decision, name: str) -> Decision:
        limit = self.policy.tools[name].rate_limit if name in self.policy.tools else None
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

    def _count_recent(self, name: str, outcome: str, since: Any) -> int:
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

    def _run(
        self, task: TaskHandle, actor: str, tool: Tool, args: ToolArgs, policy: Policy
    ) -> ToolOutcome:
        rule = policy.tools[tool.name]
        with self._broker.issue(
            task.id,
            tool.name,
            frozenset(rule.scopes),
            rule.ttl_seconds,
            policy_version=policy.version,
        ) as credential:
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
            error = self._redactor.redact_text(error)
            self._audit.record(
                "tool.result",
                task_id=task.id,
                actor=actor,
                tool=tool.name,
                policy_version=policy.version,
                data={"status": "error", "error": error, "credential_id": credential_id},
            )
            return ToolOutcome(tool.name, "error", {"error": error}, f"tools.{tool.name}")
        safe = self._redactor.redact(result)
        self._audit.record(
            "tool.result",
            task_id=task.id,
            actor=actor,
            tool=tool.name,
            policy_version=policy.version,
            tool_hash=hash_value(safe),
            data={"status": "ok", "credential_id": credential_id, "result": _clip_for_audit(safe)},
        )
        return ToolOutcome(tool.name, "ok", {"result": safe}, f"tools.{tool.name}")

    def _new_request(
        self,
        task: TaskHandle,
        tool: Tool,
        args: ToolArgs,
        aliases: frozenset[str],
        decision: Decision,
        evidence: Mapping[str, Any],
        status: str,
    ) -> ActionRequest:
        rule = self.policy.tools[tool.name]
        # Arguments are stored and shown to approvers: a secret the model copied in goes no further.
        canonical_args = self._redactor.redact(args.model_dump(mode="json"))
        target = tool.target_of(args)
        now = utcnow()
        expires = None if status == ab.RECOMMENDED else now + rule.approval_expiry
        return ActionRequest(
            id=self._approvals.new_request_id(),
            task_id=task.id,
            tool=tool.name,
            args_json=canonical_json(canonical_args),
            target=target,
            target_aliases_json=canonical_json(sorted(aliases)),
            requester=task.actor,
            policy_version=decision.policy_version,
            policy_rule=decision.rule,
            action_hash=compute_action_hash(
                tool=tool.name,
                args=canonical_args,
                target=target,
                requester=task.actor,
                task_id=task.id,
                policy_version=decision.policy_version,
            ),
            quorum=rule.quorum if status == ab.PENDING else 0,
            status=status,
            evidence_json=canonical_json(self._redactor.redact(dict(evidence))),
            created_at=now,
            expires_at=expires,
        )

    def _draft(
        self,
        task: TaskHandle,
        tool: Tool,
        args: ToolArgs,
        aliases: frozenset[str],
        decision: Decision,
        evidence: Mapping[str, Any],
    ) -> ToolOutcome:
        request = self._new_request(task, tool, args, aliases, decision, evidence, ab.RECOMMENDED)
        self._approvals.park(request, kind="recommendation")
        note = "Drafted as a recommendation for a human to carry out; socbot will not run it."
        content = {"recommendation_id": request.id, "message": note}
        return ToolOutcome(tool.name, "recommended", content, decision.rule, request.id)

    def _park(
        self,
        task: TaskHandle,
        tool: Tool,
        args: ToolArgs,
        aliases: frozenset[str],
        decision: Decision,
        evidence: Mapping[str, Any],
    ) -> ToolOutcome:
        request = self._new_request(task, tool, args, aliases, decision, evidence, ab.PENDING)
        self._approvals.park(request)
        content = {
            "request_id": request.id,
            "approvals_needed": request.quorum,
            "expires_at": request.expires_at.isoformat() if request.expires_at else None,
            "message": "Parked for human approval; it runs only if approvers say yes.",
        }
        return ToolOutcome(tool.name, "awaiting_approval", content, decision.rule, request.id)

    def execute_approved(self, request_id: str, *, actor: str, limits: TaskLimits) -> ToolOutcome:
        """Run an approved action once, with a fresh credential, after checking it again."""
        with self._tasks.run("action", actor, limits, subject={"request_id": request_id}) as task:
            request = self._approvals.claim_for_execution(request_id, task.id)
            if request is None:
                raise ApprovalError(f"{request_id} is not approved, or it has already run")
            try:
                return self._execute_claimed(task, actor, request)
            except BaseException as exc:
                self._approvals.finish(request_id, ab.FAILED, f"{type(exc).__name__}: {exc}")
                raise

    def _execute_claimed(self, task: TaskHandle, actor: str, request: ActionRequest) -> ToolOutcome:
        from bot.revalidation import void_reason

        policy = self.policy
        reason, tool, args = void_reason(self, task, request, policy)
        if reason is not None or tool is None or args is None:
            return self._void(task, actor, request, reason or "the action no longer validates")
        outcome = self._run(task, actor, tool, args, policy)
        status = ab.EXECUTED if outcome.status == "ok" else ab.FAILED
        self._approvals.finish(request.id, status, outcome.status, outcome.content)
        self._audit.record(
            f"action.{status}",
            task_id=task.id,
            actor=actor,
            tool=request.tool,
            policy_version=policy.version,
            data={
                "request_id": request.id,
                "requested_in": request.task_id,
                "action_hash": request.action_hash,
                "rule": request.policy_rule,
                "approvers": [a.approver for a in self._approvals.approvals_of(request.id)],
            },
        )
        task.summary = f"{request.tool} on {request.target}: {status}"
        return outcome

    def _void(
        self, task: TaskHandle, actor: str, request: ActionRequest, reason: str
    ) -> ToolOutcome:
        self._approvals.finish(request.id, ab.VOIDED, reason)
        self._audit.record(
            "action.voided",
            task_id=task.id,
            actor=actor,
            tool=request.tool,
            policy_version=self.policy.version,
            data={"request_id": request.id, "reason": reason},
        )
        task.summary = f"voided: {reason}"
        return ToolOutcome(request.tool, "denied", {"reason": reason}, "approval.void", request.id)

    # Used by revalidation, which needs the same lookups without reaching into privates.
    def resolve_aliases(
        self, task: TaskHandle, tool: Tool, args: ToolArgs, policy: Policy
    ) -> frozenset[str]:
        return self._target_aliases(task, tool, args, policy, policy.tools[tool.name].mode)

    def registered(self, name: str) -> Tool | None:
        return self._registry.get(name)

    @property
    def approvals(self) -> ApprovalBook:
        return self._approvals


def _run_with_timeout(
    tool: Tool, args: ToolArgs, context: TaskContext, timeout: float
) -> tuple[dict[str, Any] | None, str | None]:
    """Run the tool; a timeout or any exception becomes an error string for the model."""
    future = _tool_threads.submit(tool.run, args, context)
    try:
        return future.result(timeout=timeout), None
    except FutureTimeout:
        # Leaving the credential block revokes the credential, so a tool that wakes up
        # later is refused by the provider.
        return None, f"{tool.name} did not finish within {timeout:.1f}s"
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
