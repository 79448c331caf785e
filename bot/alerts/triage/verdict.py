"""What a triage concludes: the model's verdict, read strictly from its answer, and the result
socbot keeps, posts and audits around it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from bot.alerts.triage.reading import read_verdict

Verdict = Literal["benign", "suspicious", "malicious", "needs-info"]
Severity = Literal["low", "medium", "high", "critical"]
MAX_UNREAD_SUMMARY_CHARS = 500


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


def parse_verdict(text: str) -> ModelVerdict:
    """The verdict the answer holds, read strictly; an answer without one becomes needs-info
    with no confidence (callers that show results use read_verdict and flag the problem)."""
    verdict, _ = read_verdict(text)
    if verdict is not None:
        return ModelVerdict.model_validate(verdict.model_dump())
    return unread(text)


def unread(text: str) -> ModelVerdict:
    """Placeholders around the raw answer; the result's verdict_problem says why."""
    summary = text.strip()[:MAX_UNREAD_SUMMARY_CHARS] or "The model gave no answer."
    return ModelVerdict(confidence=0.0, summary=summary)
