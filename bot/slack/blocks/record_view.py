"""The part of a post that says what socbot did, drawn from the executor's outcomes, and the
label and flags around the model's own text (bot.slack.blocks.claims)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.alerts.triage.verdict import TriageResult
from bot.executor.outcome import ToolOutcome
from bot.slack.blocks.claims import Done, record_lines, unbacked_claims
from bot.slack.blocks.escape import mrkdwn
from tools import REGISTRY

ASSESSMENT = "*Assessment* (the model's, not verified):"
RECORD = "*What socbot did* (from the record):"
SHOWN = ("ok", "awaiting_approval", "recommended")  # refusals get lines of their own


def done_from_outcomes(outcomes: Iterable[ToolOutcome]) -> list[Done]:
    return [Done(o.tool, o.status, o.request_id) for o in outcomes]


def done_from_triage(result: TriageResult) -> list[Done]:
    ran = [Done(tool, "ok") for tool in result.investigated]
    return ran + [Done(a.tool, a.status, a.request_id) for a in result.actions]


def record_section(done: Sequence[Done]) -> str:
    lines = record_lines([d for d in done if d.status in SHOWN])
    return RECORD + "\n" + "\n".join(f"• {mrkdwn(line, 300)}" for line in lines)


def claims_note(texts: Iterable[str], done: Sequence[Done]) -> str | None:
    flags = unbacked_claims(texts, done, REGISTRY)
    if not flags:
        return None
    listed = "; ".join(mrkdwn(flag, 200) for flag in flags[:5])
    return f":warning: *Not borne out by the record*: the model's text {listed}."
