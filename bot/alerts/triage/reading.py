"""The verdict a triage ends with: asked for as a JSON schema, read strictly, never guessed.

Where the server supports structured outputs the verdict is requested with VERDICT_FORMAT
(response_format); otherwise the prompt asks for a JSON block. Either way the answer is read
strictly: the last JSON object holding every required field with a valid value. An answer
that holds none gets one repair turn (bot.agent.loop); if that fails too, the triage result
says the verdict could not be read, and why, instead of passing a default off as a verdict.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.agent.json_text import json_objects

Verdict = Literal["benign", "suspicious", "malicious", "needs-info"]
Severity = Literal["low", "medium", "high", "critical"]
VERDICTS = ("benign", "suspicious", "malicious", "needs-info")
SEVERITIES = ("low", "medium", "high", "critical")
REQUIRED = ("verdict", "severity", "confidence", "summary")
# What is kept of a model's answer: its words reach posts and the database.
MAX_SUMMARY_CHARS = 2_000
MAX_EVIDENCE_ITEMS = 50
MAX_EVIDENCE_CHARS = 300


class StrictVerdict(BaseModel):
    """The verdict object as the model must write it: no field may be left to a default."""

    model_config = ConfigDict(extra="ignore")

    verdict: Verdict
    severity: Severity
    confidence: float = Field(ge=0, le=1)
    summary: str
    evidence: list[str] = Field(default_factory=list)

    @field_validator("summary")
    @classmethod
    def _cap_summary(cls, value: str) -> str:
        return value.strip()[:MAX_SUMMARY_CHARS]

    @field_validator("evidence")
    @classmethod
    def _cap_evidence(cls, value: list[str]) -> list[str]:
        return [item[:MAX_EVIDENCE_CHARS] for item in value[:MAX_EVIDENCE_ITEMS]]


def read_verdict(text: str) -> tuple[StrictVerdict | None, str | None]:
    """(the verdict, None), or (None, why the answer holds no readable verdict)."""
    objects = json_objects(text)
    if not objects:
        return None, _no_object_reason(text)
    errors = []
    for candidate in reversed(objects):
        try:
            return StrictVerdict.model_validate(candidate), None
        except ValidationError as err:
            errors.append(_short_errors(err))
    return None, f"its JSON holds no valid verdict ({errors[0]})"


def verdict_problem(text: str) -> str | None:
    """Why text is not an acceptable final triage answer; None when it is."""
    return read_verdict(text)[1]


def _no_object_reason(text: str) -> str:
    if not text.strip():
        return "the answer was empty"
    if "{" in text:
        return "its JSON could not be read (malformed, cut off or nested too deeply)"
    return "it holds no JSON verdict object"


def _short_errors(err: ValidationError) -> str:
    parts = []
    for error in err.errors()[:4]:
        where = ".".join(str(part) for part in error["loc"]) or "object"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def _verdict_schema() -> dict[str, Any]:
    action = {
        "type": "object",
        "additionalProperties": False,
        "required": ["tool", "reason"],
        "properties": {"tool": {"type": "string"}, "reason": {"type": "string"}},
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [*REQUIRED, "evidence", "recommended_actions"],
        "properties": {
            "verdict": {"type": "string", "enum": list(VERDICTS)},
            "severity": {"type": "string", "enum": list(SEVERITIES)},
            "confidence": {"type": "number"},
            "summary": {"type": "string"},
            "evidence": {"type": "array", "items": {"type": "string"}},
            "recommended_actions": {"type": "array", "items": action},
        },
    }


VERDICT_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {"name": "triage_verdict", "strict": True, "schema": _verdict_schema()},
}
