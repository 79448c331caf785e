"""What a triage concludes: the model's verdict, read strictly from its answer, and the result
socbot keeps, posts and audits around it."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

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


def parse_verdict(text: str) -> ModelVerdict:
    """The last JSON object in the model's answer; a plain-text answer becomes needs-info."""
    for candidate in reversed(_json_objects(text)):
        try:
            return ModelVerdict.model_validate(candidate)
        except ValidationError:
            continue
    return ModelVerdict(summary=text.strip()[:500] or "The model gave no answer.")


def _json_objects(text: str) -> list[dict[str, Any]]:
    """Every top-level JSON object in text, in order. Braces in the prose around them (an
    inline snippet, an alert field quoted back) must not hide the verdict block."""
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    start = text.find("{")
    while start != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            end = start + 1
        else:
            if isinstance(value, dict):
                found.append(value)
        start = text.find("{", end)
    return found
