"""The lines a triage post carries about the model path itself: an unreadable verdict, a
server that cannot call tools, and why the offline engine answered instead of the model.

They say what happened in the model's own terms (its refusal, the server's error), so an
analyst can tell a model that declined from one that could not be reached.
"""

from __future__ import annotations

from bot.alerts.triage.verdict import TriageResult
from bot.slack.blocks.escape import mrkdwn

UNREADABLE_HEADER = ":warning: Verdict unreadable · a person must triage this"


def model_notes(result: TriageResult) -> list[str]:
    notes = []
    if result.verdict_problem:
        notes.append(
            ":warning: *The model's verdict could not be read*: "
            f"{mrkdwn(result.verdict_problem, 300)}. The verdict, severity and confidence "
            "above are placeholders, not the model's judgement; the summary is its raw answer."
        )
    for warning in result.model_warnings[:3]:
        notes.append(f":construction: *Model server problem*: {mrkdwn(warning, 300)}")
    if result.fell_back_because:
        notes.append(
            ":electric_plug: The model gave no usable answer "
            f"({mrkdwn(result.fell_back_because, 300)}); the offline rules engine triaged this."
        )
    return notes


def unreadable_prefix(result: TriageResult) -> str:
    return "the model's verdict could not be read; " if result.verdict_problem else ""
