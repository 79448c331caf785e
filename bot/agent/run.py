"""The one place the agent runs with its offline fallback.

The model answers first; when it cannot be reached (ModelError), the offline engine takes the
same task over, the error is audited, and the caller is told why. One AgentResult spans both
engines, so what the model parked before failing stays on record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.agent.final_answer import FinalAnswer
from bot.agent.loop import AgentLoop, AgentResult
from bot.agent.model import ChatModel
from bot.agent.offline import OfflineEngine
from bot.agent.prompts import RenderedPrompt, load_prompt
from bot.agent.tokens import TokenCounter
from bot.audit.log import AuditLog
from bot.clock import utcnow
from bot.errors import ModelError
from bot.executor.dispatch import Executor
from bot.tasks.runner import TaskHandle


@dataclass(frozen=True)
class AgentParts:
    """What running the agent needs from the runtime."""

    executor: Executor
    audit: AuditLog
    counter: TokenCounter
    model: ChatModel
    prompts_dir: Path | None


@dataclass(frozen=True)
class AgentRequest:
    """One question for the agent: the user's message, its template, history and evidence."""

    user_text: str
    user_template: RenderedPrompt
    evidence: Mapping[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    final: FinalAnswer | None = None  # how the final answer is asked for and checked


@dataclass(frozen=True)
class AgentRun:
    result: AgentResult
    fell_back_because: str | None


def run_agent(parts: AgentParts, task: TaskHandle, request: AgentRequest) -> AgentRun:
    """Run the model on the request; on a ModelError the offline engine answers instead."""
    result = AgentResult(engine="", final_text="")
    try:
        return AgentRun(_run_with(parts, parts.model, task, request, result), None)
    except ModelError as exc:
        parts.audit.record(
            "error",
            task_id=task.id,
            actor=task.actor,
            data={"error": "ModelError", "message": str(exc)[:300], "fallback": "offline"},
        )
        offline = OfflineEngine(parts.counter)
        return AgentRun(_run_with(parts, offline, task, request, result), str(exc))


def _run_with(
    parts: AgentParts,
    model: ChatModel,
    task: TaskHandle,
    request: AgentRequest,
    result: AgentResult,
) -> AgentResult:
    system = load_prompt("system", parts.prompts_dir).render(
        engine=model.engine, date=utcnow().date().isoformat()
    )
    loop = AgentLoop(executor=parts.executor, audit=parts.audit, model=model, counter=parts.counter)
    return loop.run(
        task,
        system=system,
        user_text=request.user_text,
        user_template=request.user_template,
        history=request.history or None,
        evidence=request.evidence,
        into=result,
        final=request.final,
    )
