"""The pieces an approval card is made of: mentions, times, the action as inert JSON, the
evidence and the blast radius. Every value that came from outside (alerts, tools, model
arguments) passes through bot.slack.blocks.escape; only policy ids become mentions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from bot.clock import as_utc
from bot.slack.blocks.escape import entities, inert_json, inline_code, mrkdwn

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
USERGROUP_ID = re.compile(r"^S[A-Z0-9]{2,20}$")
CODE_CHUNK = 500  # raw characters per code block: escaped, the worst case stays under 3000
MAX_CODE_BLOCKS = 30
MAX_EVIDENCE_FIELDS = 12
MAX_BLAST_ITEMS = 5


def user(user_id: str) -> str:
    """A Slack user id as a mention; anything else as inert code."""
    return f"<@{user_id}>" if USER_ID.match(user_id) else inline_code(user_id, 60)


def usergroup(group_id: str) -> str:
    return f"<!subteam^{group_id}>" if USERGROUP_ID.match(group_id) else inline_code(group_id, 60)


def people(user_ids: Iterable[str]) -> str:
    return ", ".join(user(u) for u in user_ids) or "nobody yet"


def when(moment: datetime) -> str:
    """A time every reader sees in their own time zone, with a UTC fallback."""
    moment = as_utc(moment)
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def minutes_left(deadline: datetime, now: datetime) -> str:
    seconds = (as_utc(deadline) - as_utc(now)).total_seconds()
    if seconds <= 0:
        return "due now"
    minutes = int(seconds // 60)
    return f"in {minutes} min" if minutes else "in under a minute"


def code_sections(block_id: str, title: str, value: Any) -> list[dict[str, Any]]:
    """`value` as JSON code blocks that decode back to exactly `value` (long ones split)."""
    text = inert_json(value)
    chunks = [text[i : i + CODE_CHUNK] for i in range(0, len(text), CODE_CHUNK)] or [""]
    blocks = []
    for index, chunk in enumerate(chunks[:MAX_CODE_BLOCKS]):
        head = f"{title}\n" if index == 0 else ""
        suffix = "" if index == 0 else f"-{index + 1}"
        blocks.append(section(f"{head}```{entities(chunk)}```", f"{block_id}{suffix}"))
    if len(chunks) > MAX_CODE_BLOCKS:
        note = "Too long to show in full: read it with `socbot actions show` before deciding."
        blocks.append(section(f":warning: {note}", f"{block_id}-cut"))
    return blocks


def section(text: str, block_id: str) -> dict[str, Any]:
    return {"type": "section", "block_id": block_id, "text": {"type": "mrkdwn", "text": text}}


def context(text: str, block_id: str) -> dict[str, Any]:
    return {
        "type": "context",
        "block_id": block_id,
        "elements": [{"type": "mrkdwn", "text": text}],
    }


def evidence_lines(evidence: Mapping[str, Any]) -> list[str]:
    """One line per alert field the action rests on, flattened (risk.isProxy) and escaped."""
    fields = list(_flatten(evidence.get("alert", evidence)))
    lines = [f"• {inline_code(key, 60)}: {mrkdwn(value, 200)}" for key, value in fields]
    if len(lines) > MAX_EVIDENCE_FIELDS:
        hidden = len(lines) - MAX_EVIDENCE_FIELDS
        lines = [*lines[:MAX_EVIDENCE_FIELDS], f"• … and {hidden} more fields"]
    return lines


def _flatten(value: Any, prefix: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key in sorted(value, key=str):
            yield from _flatten(value[key], f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and all(not isinstance(v, Mapping | list) for v in value):
        yield prefix, ", ".join(str(item) for item in value)
    else:
        yield prefix or "value", value


def blast_lines(blast: Mapping[str, Any] | None) -> str:
    if not blast:
        return "*Blast radius*: not assessed for this target."
    head = (
        f"*Blast radius of* {inline_code(blast.get('identity', '?'), 80)}: "
        f"*{mrkdwn(blast.get('level', '?'), 20)}* (score {mrkdwn(blast.get('score', '?'), 10)})"
    )
    parts = [_component(c) for c in blast.get("breakdown", []) if _points(c) > 0]
    return "\n".join([head, *parts])


def _points(component: Any) -> float:
    if not isinstance(component, Mapping):
        return 0
    points = component.get("points", 0)
    return float(points) if isinstance(points, int | float) else 0


def _component(component: Mapping[str, Any]) -> str:
    items = [str(item) for item in component.get("items", [])]
    shown = ", ".join(items[:MAX_BLAST_ITEMS]) + (" …" if len(items) > MAX_BLAST_ITEMS else "")
    name = mrkdwn(component.get("component", "?"), 40)
    return f"• {name}: {mrkdwn(component.get('points'), 10)} points ({mrkdwn(shown, 300)})"
