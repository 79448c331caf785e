"""The tool-calling loop: model turn → tool calls through the executor → model turn …

The model proposes; the executor disposes. Limits end the task cleanly: the loop stops, says
why, and the limit is in the audit log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.agent import budget, model_call
from bot.agent.final_answer import LENGTH_NUDGE, REPAIR_NUDGE, FinalAnswer, nudge
from bot.agent.model import CallOptions, ChatModel, ModelReply
from bot.agent.prompts import RenderedPrompt
from bot.agent.tokens import TokenCounter
from bot.agent.tool_support import tools_unsupported
from bot.audit.log import AuditLog
from bot.boundary.model import redacting
from bot.canonical import sha256_hex
from bot.errors import LimitExceeded, ModelError
from bot.executor.dispatch import Executor, ToolOutcome
from bot.observability.tracing import model_span, record_outcome, record_reply, tool_span
from bot.tasks.runner import TaskHandle

log = logging.getLogger(__name__)

MAX_TOOL_OUTPUT_TOKENS = 1_500
COMPLETION_RESERVE_TOKENS = budget.DEFAULT_OUTPUT_RESERVE
MAX_STORED_OUTPUT_CHARS = 8_000  # of one model reply, in the audit log


@dataclass
class AgentResult:
    engine: str
    final_text: str
    outcomes: list[ToolOutcome] = field(default_factory=list)
    stopped_by: str | None = None
    turns: int = 0
    unusable: str | None = None  # why final_text is not the answer the caller asked for
    warnings: list[str] = field(default_factory=list)  # for people: the model path misbehaved


class AgentLoop:
    def __init__(
        self, *, executor: Executor, audit: AuditLog, model: ChatModel, counter: TokenCounter
    ) -> None:
        self._executor = executor
        self._audit = audit
        self._model = redacting(model)  # every request and reply crosses here
        self._counter = counter

    @property
    def engine(self) -> str:
        return self._model.engine

    def run(
        self,
        task: TaskHandle,
        *,
        system: RenderedPrompt,
        user_text: str,
        user_template: RenderedPrompt | None = None,
        history: list[dict[str, Any]] | None = None,
        evidence: Mapping[str, Any] | None = None,
        into: AgentResult | None = None,
        final: FinalAnswer | None = None,
    ) -> AgentResult:
        """Converse until the model answers without tool calls or a limit ends the task.

        With `into`, outcomes accumulate in the caller's result, so what a run did before the
        model failed (ModelError propagates) is not lost to the caller.
        """
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": system.text},
            *(history or []),
            {"role": "user", "content": user_text},
        ]
        self._audit_prompt(task, system, user_text, user_template)
        result = into if into is not None else AgentResult(self._model.engine, "")
        result.engine = self._model.engine
        try:
            self._converse(task, messages, result, evidence or {}, final or FinalAnswer())
        except LimitExceeded as exc:
            task.status = "limit"
            self._audit.record(
                "limit.hit",
                task_id=task.id,
                actor=task.actor,
                data={"limit": exc.limit, "used": exc.used, "allowed": exc.allowed},
            )
            result.stopped_by = exc.limit
            result.final_text = f"Stopped early: {exc}. What was found so far is above."
        result.turns = task.turns
        return result

    def _converse(
        self,
        task: TaskHandle,
        messages: list[dict[str, Any]],
        result: AgentResult,
        evidence: Mapping[str, Any],
        final: FinalAnswer,
    ) -> None:
        specs = [tool.openai_spec() for tool in self._executor.visible_tools()]
        remote = budget.sends_requests(self._model)
        tools_cost = self._counter.count_tools(specs) if remote else 0
        window, reserve = budget.context_window(self._model), budget.output_reserve(self._model)
        retried: set[str] = set()  # "length" and "repair": each gets one more turn at most
        while True:
            task.charge_turn()
            room = budget.history_budget(task.tokens_left(), window, reserve, tools_cost)
            messages[:] = self._counter.trim_history(messages, room)
            sent = budget.request_tokens(self._counter, messages, tools_cost)
            options = CallOptions(
                timeout=task.limits.seconds - task.elapsed(), response_format=final.response_format
            )
            with model_span(self._model.engine, self._model.model) as span:
                reply = model_call.complete(self._model, messages, specs, options)
                record_reply(span, reply)
            # Audited before it is charged: a reply that blows the budget is still on record.
            self._audit_reply(task, reply)
            charge = budget.charged_tokens(self._counter, sent, reply) if remote else None
            task.charge_tokens(reply.usage.total_tokens if charge is None else charge)
            task.check_time()  # a reply that arrives after the deadline does not count
            self._check_reply(task, reply, result, specs, tools_cost, sent)
            if reply.finish_reason == "length":
                if "length" in retried:
                    result.final_text = reply.content or ""
                    result.unusable = f"the answer was cut off at the output limit ({reserve})"
                    return
                retried.add("length")
                messages.extend(nudge(reply.content, LENGTH_NUDGE.format(limit=reserve)))
                continue
            if not reply.tool_calls:
                problem = final.problem(reply.content or "")
                if problem is None or "repair" in retried:
                    result.final_text, result.unusable = reply.content or "", problem
                    return
                retried.add("repair")
                messages.extend(nudge(reply.content, REPAIR_NUDGE.format(problem=problem)))
                continue
            messages.append(reply.assistant_message())
            self._run_calls(task, reply, result, messages, evidence)

    def _run_calls(
        self,
        task: TaskHandle,
        reply: ModelReply,
        result: AgentResult,
        messages: list[dict[str, Any]],
        evidence: Mapping[str, Any],
    ) -> None:
        for call in reply.tool_calls:
            with tool_span(call.name, call.id) as span:
                outcome = self._executor.call(
                    task,
                    call.name,
                    call.arguments,
                    actor=f"model:{self._model.engine}",
                    evidence=evidence,
                )
                record_outcome(span, outcome)
            result.outcomes.append(outcome)
            content = self._counter.compact_json(
                {"status": outcome.status, **outcome.content}, MAX_TOOL_OUTPUT_TOKENS
            )
            messages.append({"role": "tool", "tool_call_id": call.id, "content": content})

    def _check_reply(
        self,
        task: TaskHandle,
        reply: ModelReply,
        result: AgentResult,
        specs: list[dict[str, Any]],
        tools_cost: int,
        sent: int,
    ) -> None:
        """A refusal ends the model's part; a server that cannot call tools is reported."""
        if reply.refusal:
            raise ModelError(f"the model declined to answer: {reply.refusal[:300]}")
        if reply.finish_reason == "content_filter":
            raise ModelError("the server's content filter stopped the model's answer")
        problem = tools_unsupported(reply, specs, tools_cost, sent - tools_cost)
        if problem is None:
            return
        warning = f"{self._model.engine} cannot call tools here: {problem}"
        if warning in result.warnings:
            return
        result.warnings.append(warning)
        log.warning("task %s: %s", task.id, warning)
        self._audit.record(
            "model.warning",
            task_id=task.id,
            actor=f"model:{self._model.engine}",
            data={"engine": self._model.engine, "warning": "tools_unsupported", "detail": problem},
        )

    def _audit_prompt(
        self,
        task: TaskHandle,
        system: RenderedPrompt,
        user_text: str,
        user_template: RenderedPrompt | None,
    ) -> None:
        self._audit.record(
            "prompt",
            task_id=task.id,
            actor=task.actor,
            prompt_hash=sha256_hex(system.text + "\n" + user_text),
            data={
                "engine": self._model.engine,
                "system": {
                    "template": system.name,
                    "template_hash": system.template_hash,
                    "text": system.text,
                },
                "user": {
                    "template": user_template.name if user_template else None,
                    "template_hash": user_template.template_hash if user_template else None,
                    "text": user_text,
                },
            },
        )

    def _audit_reply(self, task: TaskHandle, reply: ModelReply) -> None:
        self._audit.record(
            "model.output",
            task_id=task.id,
            actor=f"model:{self._model.engine}",
            data={
                "engine": self._model.engine,
                "model": reply.model,
                "content": _capped(reply.content),
                "refusal": _capped(reply.refusal),
                "tool_calls": [
                    {"id": c.id, "name": c.name, "arguments": c.arguments[:4000]}
                    for c in reply.tool_calls
                ],
                "usage": {
                    "prompt_tokens": reply.usage.prompt_tokens,
                    "completion_tokens": reply.usage.completion_tokens,
                },
                "finish_reason": reply.finish_reason,
            },
        )


def _capped(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_STORED_OUTPUT_CHARS:
        return text
    cut = len(text) - MAX_STORED_OUTPUT_CHARS
    return f"{text[:MAX_STORED_OUTPUT_CHARS]}\n[truncated: {cut} more characters not stored]"
