"""The Block Kit of a triage post: verdict, severity, confidence, summary, evidence, blast
radius, engine and fallback note, injection warning, storm size and duplicate counter.

Everything that came from an alert, a tool or the model is escaped (bot.slack.blocks.escape): only
socbot's own words and the verdict's fixed vocabulary reach Slack as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.alerts.model import Alert
from bot.alerts.triage.publish import TriageGroup
from bot.alerts.triage.verdict import ProposedAction, TriageResult
from bot.slack.approvals.proposals import refusal_line
from bot.slack.blockkit import fit_message
from bot.slack.blocks.escape import inline_code, mrkdwn
from bot.slack.blocks.model_notes import UNREADABLE_HEADER, model_notes, unreadable_prefix

DUPLICATES_BLOCK = "socbot_duplicates"
FEEDBACK_BLOCK = "socbot_feedback"
VERDICT_EMOJI = {
    "malicious": ":red_circle:",
    "suspicious": ":large_orange_circle:",
    "benign": ":large_green_circle:",
    "needs-info": ":white_circle:",
}
FEEDBACK_HINT = (
    "React :+1: if you agree with this triage, :-1: if you don't. "
    "Questions? Mention me in this thread."
)
MAX_EVIDENCE = 8

Block = dict[str, Any]


def triage_blocks(group: TriageGroup, result: TriageResult) -> list[Block]:
    blocks: list[Block] = [_header(result), _facts(group, result), _section(_summary(result))]
    if result.evidence:
        blocks.append(_section(_evidence(result.evidence)))
    if result.blast_radius:
        blocks.append(_section(_blast_radius(result.blast_radius)))
    notes = _notes(group, result)
    if notes:
        blocks.append(_section("\n".join(notes)))
    if result.actions:
        blocks.append(_section("\n".join(_action_line(a) for a in result.actions)))
    blocks.append(_context(FEEDBACK_HINT, FEEDBACK_BLOCK))
    return fit_message(blocks, "", full_view=f"socbot audit show {result.task_id}").blocks


def fallback_text(group: TriageGroup, result: TriageResult) -> str:
    """The notification text: verdict, severity and the summary, escaped."""
    storm = f" (storm of {group.total} alerts)" if group.is_storm else ""
    verdict = f"{unreadable_prefix(result)}{result.verdict}, {result.severity} severity. "
    return f"Triage{storm}: {verdict}" + mrkdwn(result.summary, 500)


def with_duplicates(blocks: list[Block], first_alert_id: str, count: int) -> list[Block]:
    """The post's blocks with its duplicate counter line set to `count`."""
    kept = [block for block in blocks if block.get("block_id") != DUPLICATES_BLOCK]
    times = "time" if count == 1 else "times"
    line = f":repeat: Seen {count} more {times} (duplicates of alert {inline_code(first_alert_id)})"
    at = next((i for i, b in enumerate(kept) if b.get("block_id") == FEEDBACK_BLOCK), len(kept))
    return [*kept[:at], _context(line, DUPLICATES_BLOCK), *kept[at:]]


def _header(result: TriageResult) -> Block:
    emoji = VERDICT_EMOJI.get(result.verdict, ":white_circle:")
    text = f"{emoji} {result.verdict.capitalize()} · {result.severity} severity"
    if result.verdict_problem:
        text = UNREADABLE_HEADER
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _facts(group: TriageGroup, result: TriageResult) -> Block:
    fields = [
        f"*Verdict*\n{result.verdict}",
        f"*Severity*\n{result.severity}",
        f"*Confidence*\n{round(result.confidence * 100)}%",
        f"*Engine*\n{inline_code(result.engine or 'none')}",
    ]
    if group.alerts:
        fields.extend(_alert_fields(group.alerts[0]))
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]}


def _alert_fields(alert: Alert) -> list[str]:
    who = alert.actor.label if alert.actor and not alert.actor.is_empty() else "unknown"
    target = alert.target.label if alert.target and not alert.target.is_empty() else None
    fields = [
        f"*Alert*\n{mrkdwn(alert.title, 300)}",
        f"*Source*\n{inline_code(alert.source, 100)} {inline_code(alert.event_type, 150)}",
        f"*Actor*\n{inline_code(who, 200)}",
        f"*When*\n{alert.occurred_at.isoformat(timespec='seconds')}",
    ]
    if target is not None:
        fields.append(f"*Target*\n{inline_code(target, 200)}")
    if alert.source_ip:
        fields.append(f"*Source IP*\n{inline_code(alert.source_ip, 100)}")
    return fields


def _summary(result: TriageResult) -> str:
    return f"*Summary*\n{mrkdwn(result.summary or 'No summary given.', 2_800)}"


def _evidence(evidence: list[str]) -> str:
    lines = [f"• {inline_code(item, 200)}" for item in evidence[:MAX_EVIDENCE]]
    if len(evidence) > MAX_EVIDENCE:
        lines.append(f"… and {len(evidence) - MAX_EVIDENCE} more")
    return "*Evidence*\n" + "\n".join(lines)


def _blast_radius(blast: Mapping[str, Any]) -> str:
    parts = [
        f"{inline_code(part.get('component'), 60)} {part.get('count')}×{part.get('weight')}"
        for part in blast.get("breakdown") or []
        if isinstance(part, Mapping) and part.get("count")
    ]
    head = (
        f"*Blast radius*: {mrkdwn(blast.get('level', '?'), 40)} "
        f"(score {mrkdwn(blast.get('score', '?'), 20)}) for {inline_code(blast.get('identity'))}"
    )
    return head + ("\n" + ", ".join(parts) if parts else "")


def _notes(group: TriageGroup, result: TriageResult) -> list[str]:
    notes = []
    if group.is_storm:
        notes.append(
            f":cloud_with_lightning: *Storm*: {group.total} alerts alike, grouped into this one "
            "post and triaged together."
        )
    notes.extend(model_notes(result))
    if result.stopped_by:
        notes.append(f":hourglass: Stopped early: the task hit its {result.stopped_by} limit.")
    if result.injection_suspect:
        markers = ", ".join(inline_code(m, 80) for m in result.injection_suspect[:3])
        notes.append(
            ":warning: *Possible prompt injection*: the alert holds text that tries to "
            f"instruct the model ({markers}). It was read as data only; check it by hand."
        )
    return notes


def _action_line(action: ProposedAction) -> str:
    if action.status == "recommended":
        return f":memo: Drafted {inline_code(action.tool)} for a person to do (see the thread)"
    if action.status == "awaiting_approval":
        return (
            f":lock: {inline_code(action.tool)} awaits approval "
            f"({inline_code(action.request_id)}; see its approval card)"
        )
    return refusal_line(action)


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str, block_id: str) -> Block:
    return {"type": "context", "block_id": block_id, "elements": [{"type": "mrkdwn", "text": text}]}
