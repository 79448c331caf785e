"""The tool-calling loop: model turn → tool calls through the executor → model turn …

The model proposes; the executor disposes. Limits end the task cleanly: the loop stops, says
why, and the limit is in the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.agent.model import ChatModel, ModelReply
from bot.agent.prompts import RenderedPrompt
from bot.agent.tokens import TokenCounter
from bot.audit import AuditLog
from bot.boundary.model import redacting
from bot.canonical import sha256_hex
from bot.errors import LimitExceeded
from bot.executor import Executor, ToolOutcome
from bot.tasks import TaskHandle

MAX_TOOL_OUTPUT_TOKENS = 1_500
COMPLETION_RESERVE_TOKENS = 1_000


@dataclass
class AgentResult:
    engine: str
    final_text: str
    outcomes: list[ToolOutcome] = field(default_factory=list)
    stopped_by: str | None = None
    turns: int = 0


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
            self._converse(task, messages, result, evidence or {})
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
    ) -> None:
        specs = [tool.openai_spec() for tool in self._executor.visible_tools()]
        while True:
            task.charge_turn()
            budget = max(task.tokens_left() - COMPLETION_RESERVE_TOKENS, 1)
            messages[:] = self._counter.trim_history(messages, budget)
            reply = self._model.complete(messages, specs)
            # Audited before it is charged: a reply that blows the budget is still on record.
            self._audit_reply(task, reply)
            task.charge_tokens(reply.usage.prompt_tokens + reply.usage.completion_tokens)
            task.check_time()  # a reply that arrives after the deadline does not count
            if not reply.tool_calls:
                result.final_text = reply.content or ""
                return
            messages.append(reply.assistant_message())
            for call in reply.tool_calls:
                outcome = self._executor.call(
                    task,
                    call.name,
                    call.arguments,
                    actor=f"model:{self._model.engine}",
                    evidence=evidence,
                )
                result.outcomes.append(outcome)
                content = self._counter.compact_json(
                    {"status": outcome.status, **outcome.content}, MAX_TOOL_OUTPUT_TOKENS
                )
                messages.append({"role": "tool", "tool_call_id": call.id, "content": content})

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
                "content": reply.content,
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
