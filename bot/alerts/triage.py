"""Triage one alert: a task, the agent loop with the visible tools, a structured verdict.

`triage_group` triages normalized alerts (one, or a storm group's sample and count): the
model sees the normalized fields plus the compacted vendor event, and the evidence cites
the alert fields it rests on. `triage_alert` takes a raw vendor event as a mapping.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from bot.agent.final_answer import FinalAnswer
from bot.agent.injection import injection_markers, strings_in
from bot.agent.loop import AgentLoop, AgentResult
from bot.agent.prompts import DataBlock, load_prompt
from bot.alerts.compact import compact_alert
from bot.alerts.triage_abandon import withdraw_unposted
from bot.alerts.triage_input import annotate_evidence, cite_alert_fields, group_facts, group_text
from bot.alerts.triage_verdict import VERDICT_FORMAT, read_verdict, verdict_problem
from bot.clock import utcnow
from bot.errors import AlertError, ModelError
from bot.executor import ToolOutcome
from bot.runtime import Runtime
from bot.tasks import TaskHandle

if TYPE_CHECKING:
    from bot.alerts.model import Alert
    from bot.alerts.publish import TriageGroup

MAX_AUDITED_IDS = 1_000  # alert ids in one audit row; a storm's count is there too
MAX_UNREAD_SUMMARY_CHARS = 500
Verdict = Literal["benign", "suspicious", "malicious", "needs-info"]
Severity = Literal["low", "medium", "high", "critical"]


class ProposedAction(BaseModel):
    tool: str
    status: str  # recommended | awaiting_approval | denied | error
    request_id: str | None = None
    rule: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class ModelVerdict(BaseModel):
    """The JSON object the triage prompt asks the model to end with."""

    verdict: Verdict = "needs-info"
    severity: Severity = "medium"
    confidence: float = Field(default=0.5, ge=0, le=1)
    summary: str = ""
    evidence: list[str] = Field(default_factory=list)


class TriageResult(ModelVerdict):
    task_id: str
    engine: str
    investigated: list[str] = Field(default_factory=list)
    actions: list[ProposedAction] = Field(default_factory=list)
    blast_radius: dict[str, Any] | None = None
    stopped_by: str | None = None
    fell_back_because: str | None = None
    injection_suspect: list[str] = Field(default_factory=list)
    alert_fields: list[str] = Field(default_factory=list)  # normalized fields the evidence cites
    verdict_problem: str | None = None  # set: the model's verdict could not be read, and why
    model_warnings: list[str] = Field(default_factory=list)


def triage_alert(
    runtime: Runtime, alert: Mapping[str, Any], *, actor: str = "alert:cli"
) -> TriageResult:
    """Triage a raw vendor event, compacted; no normalizer needed."""
    compact = compact_alert(alert)
    markers = injection_markers(strings_in(dict(alert)))
    return _triage(runtime, compact.text, {"alert": compact.facts}, markers, actor)


def triage_group(
    runtime: Runtime, group: TriageGroup, *, actor: str, variety: int | None = None
) -> TriageResult:
    """Triage a group of normalized alerts once: its sample, its count, its first facts.
    variety: how many distinct fingerprints the group holds, for a storm's header. The
    result is audited (triage.result) inside the task, before it ends."""
    if not group.alerts:
        raise AlertError(f"triage group {group.group_id} holds no alerts to show the model")
    text = group_text(group.alerts, group.total, is_storm=group.is_storm, variety=variety)
    subject = {"group_id": group.group_id, "alert": group_facts(group.alerts, group.total)}

    def finish(task: TaskHandle, result: TriageResult) -> TriageResult:
        cited = _with_alert_fields(result, group.alerts)
        runtime.audit.record(
            "triage.result",
            task_id=task.id,
            actor=task.actor,
            data=triage_result_data(group, cited),
        )
        return cited

    return _triage(runtime, text, subject, _markers(group.alerts), actor, finish)


def triage_result_data(group: TriageGroup, result: TriageResult) -> dict[str, Any]:
    """The triage.result audit row's data (the audit kinds contract, plus a little more)."""
    return {
        "group_id": group.group_id,
        "alert_ids": list(group.alert_ids)[:MAX_AUDITED_IDS],
        "alerts": group.total,
        "storm": group.is_storm,
        "verdict": result.verdict,
        "severity": result.severity,
        "confidence": result.confidence,
        "engine": result.engine,
        "fell_back": result.fell_back_because is not None,
        "verdict_problem": result.verdict_problem,
        "model_warnings": result.model_warnings,
        "actions_requested": [
            a.request_id for a in result.actions if a.status == "awaiting_approval" and a.request_id
        ],
        "recommendations": [a.tool for a in result.actions if a.status == "recommended"],
        "alert_fields": result.alert_fields,
    }


def _markers(alerts: Sequence[Alert]) -> list[str]:
    texts = [text for alert in alerts for text in strings_in(alert.model_dump(mode="json"))]
    return injection_markers(texts)


def _with_alert_fields(result: TriageResult, alerts: Sequence[Alert]) -> TriageResult:
    return result.model_copy(
        update={
            "evidence": annotate_evidence(result.evidence, alerts),
            "alert_fields": cite_alert_fields(result.evidence, alerts),
        }
    )


def _triage(
    runtime: Runtime,
    alert_text: str,
    subject: dict[str, Any],
    markers: list[str],
    actor: str,
    finish: Callable[[TaskHandle, TriageResult], TriageResult] | None = None,
) -> TriageResult:
    facts = subject["alert"]
    limits = runtime.task_limits()
    with runtime.tasks.run("triage", actor, limits, subject=subject) as task:
        if markers:
            runtime.audit.record(
                "injection.suspect",
                task_id=task.id,
                actor=actor,
                data={"where": "alert", "markers": markers},
            )
        try:
            result, fell_back = _run_loop(runtime, task, alert_text, facts)
            triage = _assemble(task, result, fell_back, markers)
            task.summary = f"{triage.verdict}/{triage.severity}: {triage.summary}"[:500]
            if finish is not None:
                triage = finish(task, triage)
        except Exception as exc:
            reason = f"the triage that proposed it failed ({type(exc).__name__}) before its post"
            withdraw_unposted(runtime.engine, runtime.audit, task.id, reason)
            raise
    return triage


def _run_loop(
    runtime: Runtime, task: TaskHandle, alert_text: str, facts: Mapping[str, Any]
) -> tuple[AgentResult, str | None]:
    prompts_dir = runtime.settings.prompts_dir
    triage_prompt = load_prompt("triage", prompts_dir).render_with_data(
        [DataBlock("alert", alert_text, "text")]
    )
    user_text = triage_prompt.text
    evidence = {"alert": dict(facts)}

    # One result across both engines: what the model parked before failing stays on record.
    result = AgentResult(engine="", final_text="")

    structured = VERDICT_FORMAT if runtime.settings.model_structured_output else None
    final = FinalAnswer(response_format=structured, problem=verdict_problem)

    def run_with(model: Any) -> AgentResult:
        system = load_prompt("system", prompts_dir).render(
            engine=model.engine, date=utcnow().date().isoformat()
        )
        loop = AgentLoop(
            executor=runtime.executor, audit=runtime.audit, model=model, counter=runtime.counter
        )
        return loop.run(
            task,
            system=system,
            user_text=user_text,
            user_template=triage_prompt,
            evidence=evidence,
            into=result,
            final=final,
        )

    try:
        return run_with(runtime.model), None
    except ModelError as exc:
        from bot.agent.offline import OfflineEngine

        runtime.audit.record(
            "error",
            task_id=task.id,
            actor=task.actor,
            data={"error": "ModelError", "message": str(exc)[:300], "fallback": "offline"},
        )
        return run_with(OfflineEngine(runtime.counter)), str(exc)


def parse_verdict(text: str) -> ModelVerdict:
    """The verdict the answer holds, read strictly; an answer without one becomes needs-info
    with no confidence (callers that show results use read_verdict and flag the problem)."""
    verdict, _ = read_verdict(text)
    if verdict is not None:
        return ModelVerdict.model_validate(verdict.model_dump())
    return _unread(text)


def _unread(text: str) -> ModelVerdict:
    """Placeholders around the raw answer; the result's verdict_problem says why."""
    summary = text.strip()[:MAX_UNREAD_SUMMARY_CHARS] or "The model gave no answer."
    return ModelVerdict(confidence=0.0, summary=summary)


def _assemble(
    task: TaskHandle, result: AgentResult, fell_back: str | None, markers: list[str]
) -> TriageResult:
    # A reply the loop found unusable (cut off at the output cap) is never read as a verdict.
    unusable = result.unusable is not None
    verdict = _unread(result.final_text) if unusable else parse_verdict(result.final_text)
    problem = result.unusable or verdict_problem(result.final_text)
    return TriageResult(
        **verdict.model_dump(),
        verdict_problem=None if result.stopped_by else problem,
        model_warnings=list(result.warnings),
        task_id=task.id,
        engine=result.engine,
        investigated=[o.tool for o in result.outcomes if o.status == "ok"],
        actions=[_proposed(o) for o in result.outcomes if o.status != "ok"],
        blast_radius=_blast_radius(result.outcomes),
        stopped_by=result.stopped_by,
        fell_back_because=fell_back,
        injection_suspect=markers,
    )


def _proposed(outcome: ToolOutcome) -> ProposedAction:
    return ProposedAction(
        tool=outcome.tool,
        status=outcome.status,
        request_id=outcome.request_id,
        rule=outcome.rule,
        detail=outcome.content,
    )


def _blast_radius(outcomes: list[ToolOutcome]) -> dict[str, Any] | None:
    for outcome in outcomes:
        if outcome.tool == "assess_blast_radius" and outcome.status == "ok":
            result = outcome.content.get("result")
            return dict(result) if isinstance(result, Mapping) else None
    return None
