"""Triage one alert: a task, the agent loop with the visible tools, a structured verdict.

`triage_group` triages normalized alerts (one, or a storm group's sample and count): the
model sees the normalized fields plus the compacted vendor event, and the evidence cites
the alert fields it rests on. `triage_alert` takes a raw vendor event as a mapping.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bot.agent.final_answer import FinalAnswer
from bot.agent.injection import injection_markers, strings_in
from bot.agent.loop import AgentResult
from bot.agent.prompts import DataBlock, load_prompt
from bot.agent.run import AgentRequest, AgentRun, run_agent
from bot.alerts.compact.text import compact_alert
from bot.alerts.triage.abandon import withdraw_unposted
from bot.alerts.triage.model_input import (
    annotate_evidence,
    cite_alert_fields,
    group_facts,
    group_text,
)
from bot.alerts.triage.reading import VERDICT_FORMAT, verdict_problem
from bot.alerts.triage.verdict import ProposedAction, TriageResult, parse_verdict, unread
from bot.detection.triage_block import BLOCK_LABEL, block_text, detections, engine_for
from bot.errors import AlertError, AlertRejected
from bot.executor.dispatch import ToolOutcome
from bot.runtime import Runtime
from bot.tasks.runner import TaskHandle

if TYPE_CHECKING:
    from bot.alerts.model import Alert
    from bot.alerts.triage.publish import TriageGroup

MAX_AUDITED_IDS = 1_000  # alert ids in one audit row; a storm's count is there too


def triage_alert(
    runtime: Runtime, alert: Mapping[str, Any], *, actor: str = "alert:cli"
) -> TriageResult:
    """Triage a raw vendor event, compacted; no normalizer needed."""
    compact = compact_alert(alert)
    markers = injection_markers(strings_in(dict(alert)))
    detection = _raw_detection(runtime, alert)
    return _triage(runtime, compact.text, {"alert": compact.facts}, markers, actor, None, detection)


def _raw_detection(runtime: Runtime, event: Mapping[str, Any]) -> str:
    """Rules read normalized alerts: an event no normalizer takes has no findings."""
    from bot.alerts.intake.normalize import normalize_event

    try:
        alert = normalize_event(event, redactor=runtime.redactor)
    except AlertRejected:
        return block_text([])
    return block_text(detections(engine_for(runtime.settings.detection_rules), [alert]))


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

    found = detections(engine_for(runtime.settings.detection_rules), group.alerts)
    markers = _markers(group.alerts)
    return _triage(runtime, text, subject, markers, actor, finish, block_text(found))


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
    detection: str | None = None,
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
            run = _run_loop(runtime, task, alert_text, facts, detection)
            triage = _assemble(task, run.result, run.fell_back_because, markers)
            task.summary = f"{triage.verdict}/{triage.severity}: {triage.summary}"[:500]
            if finish is not None:
                triage = finish(task, triage)
        except Exception as exc:
            reason = f"the triage that proposed it failed ({type(exc).__name__}) before its post"
            withdraw_unposted(runtime.engine, runtime.audit, task.id, reason)
            raise
    return triage


def _run_loop(
    runtime: Runtime,
    task: TaskHandle,
    alert_text: str,
    facts: Mapping[str, Any],
    detection: str | None = None,
) -> AgentRun:
    blocks = [DataBlock("alert", alert_text, "text")]
    if detection is not None:  # last, so no alert text can follow and pose as it
        blocks.append(DataBlock(BLOCK_LABEL, detection, "json"))
    prompt = load_prompt("triage", runtime.settings.prompts_dir).render_with_data(blocks)
    structured = VERDICT_FORMAT if runtime.settings.model_structured_output else None
    final = FinalAnswer(response_format=structured, problem=verdict_problem)
    request = AgentRequest(prompt.text, prompt, {"alert": dict(facts)}, final=final)
    return run_agent(runtime.agent_parts(), task, request)


def _assemble(
    task: TaskHandle, result: AgentResult, fell_back: str | None, markers: list[str]
) -> TriageResult:
    # A reply the loop found unusable (cut off at the output cap) is never read as a verdict.
    unusable = result.unusable is not None
    verdict = unread(result.final_text) if unusable else parse_verdict(result.final_text)
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
