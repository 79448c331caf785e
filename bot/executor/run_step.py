"""The run step: credential → Tool.run → audit. The only caller of Tool.run.

A credential is issued for this one call with exactly the rule's scopes and ttl, and revoked
when the block exits on any path. The tool runs on a worker thread, bounded by the rule's ttl
and the task's time left; whatever it returns or raises is redacted and audited as tool.result.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import ExitStack
from typing import Any

from bot.audit.log import AuditLog
from bot.canonical import canonical_json, hash_value
from bot.errors import EXPECTED_ERRORS, AuditWriteError, LimitExceeded
from bot.executor.outcome import TIMED_OUT_NOTE, ToolOutcome
from bot.policy import Policy
from bot.redaction import Redactor
from bot.tasks.credentials import CredentialBroker
from bot.tasks.runner import TaskHandle
from tools.base import Provider, TaskContext, Tool, ToolArgs

log = logging.getLogger(__name__)

RESULT_AUDIT_LIMIT = 8_000
_tool_threads = ThreadPoolExecutor(max_workers=8, thread_name_prefix="socbot-tool")


class RunStep:
    """Runs one decided call with a fresh credential and records what came of it."""

    def __init__(
        self, *, audit: AuditLog, redactor: Redactor, broker: CredentialBroker, provider: Provider
    ) -> None:
        self._audit = audit
        self._redactor = redactor
        self._broker = broker
        self._provider = provider

    def run(
        self, task: TaskHandle, actor: str, tool: Tool, args: ToolArgs, policy: Policy
    ) -> ToolOutcome:
        rule = policy.tools[tool.name]
        with ExitStack() as held:
            with self._broker.issue(
                task.id,
                tool.name,
                frozenset(rule.scopes),
                rule.ttl_seconds,
                policy_version=policy.version,
            ) as credential:
                # Redacted until the result is stored, though revoked on leaving this block.
                held.enter_context(self._redactor.holding(credential.secret))
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
    except EXPECTED_ERRORS as exc:
        return None, f"{type(exc).__name__}: {exc}"
    except Exception as exc:
        log.exception("tool %s failed", tool.name)
        return None, f"{tool.name} failed unexpectedly ({type(exc).__name__})"


def _clip_for_audit(result: Any) -> Any:
    text = canonical_json(result)
    if len(text) <= RESULT_AUDIT_LIMIT:
        return result
    return {"truncated": True, "chars": len(text), "head": text[:RESULT_AUDIT_LIMIT]}
