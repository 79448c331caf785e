"""One task's story from the audit log, drawn as text an analyst can read top to bottom.

Event data is free-form; the describers read the keys the executor, agent, approvals and
broker are expected to write (named below) and fall back to compact JSON for anything else.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from bot.audit.event import AUDIT_TABLE, AuditEvent, EventKind, iter_rows, row_dict, to_event

Describer = Callable[[AuditEvent, dict[str, Any]], str]
_WIDTH = 90


def task_lineage(engine: Engine, task_id: str) -> list[AuditEvent]:
    """Every event of one task and of the tasks linked to it through a parked action, in seq
    order: an executed action shows the triage that asked for it, its approvals and its
    credential; a triage shows what became of the actions it parked."""
    own = _events_of(engine, [task_id])
    linked = _linked_task_ids(engine, own) - {task_id}
    if not linked:
        return own
    return sorted(own + _events_of(engine, sorted(linked)), key=lambda event: event.seq)


def _events_of(engine: Engine, task_ids: list[str]) -> list[AuditEvent]:
    rows = iter_rows(engine, where=[AUDIT_TABLE.c.task_id.in_(task_ids)])
    return [to_event(row_dict(row)) for row in rows]


def _linked_task_ids(engine: Engine, events: list[AuditEvent]) -> set[str]:
    request_ids = {_data(e).get("request_id") for e in events} - {None}
    linked = {str(_data(e).get("requested_in")) for e in events if _data(e).get("requested_in")}
    for request_id in sorted(map(str, request_ids))[:50]:
        # Request ids are unique tokens, so a text match on the JSON is exact enough.
        mention = AUDIT_TABLE.c.data.like(f'%"{request_id}"%')
        rows = iter_rows(
            engine, where=[mention], columns=[AUDIT_TABLE.c.seq, AUDIT_TABLE.c.task_id]
        )
        linked.update(str(row.task_id) for row in rows if row.task_id)
    return linked


def _data(event: AuditEvent) -> dict[str, Any]:
    data = json.loads(event.data)
    return data if isinstance(data, dict) else {}


def _clip(value: Any, width: int = _WIDTH) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def _first(data: dict[str, Any], *keys: str, default: Any = "") -> Any:
    return next((data[key] for key in keys if data.get(key) not in (None, "")), default)


def _short(digest: str | None) -> str:
    return f"#{digest[:8]}" if digest else "#-"


def _seconds(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") + "s"


def _time(ts: datetime) -> str:
    return ts.strftime("%H:%M:%S.%f")[:-3]


def _task_start(event: AuditEvent, data: dict[str, Any]) -> str:
    who = _first(data, "requested_by", "user", "requester", default=event.actor)
    what = _first(data, "request", "summary", "alert_id", "text", default="")
    return f"asked by {who}" + (f': "{_clip(what, 60)}"' if what else "")


def _task_end(event: AuditEvent, data: dict[str, Any]) -> str:
    result = _first(data, "result", "status", "outcome", default="ended")
    error = _first(data, "error", "reason", default="")
    return f"result: {_clip(result, 60)}" + (f" ({_clip(error, 40)})" if error else "")


def _prompt(event: AuditEvent, data: dict[str, Any]) -> str:
    parts: list[dict[str, Any]] = [
        part for part in (data.get("system"), data.get("user")) if isinstance(part, dict)
    ]
    if parts:
        names = " + ".join(
            f"{p.get('template') or 'inline'} {_short(p.get('template_hash'))}" for p in parts
        )
        return f"{names} (rendered {_short(event.prompt_hash)}, {data.get('engine', '?')})"
    name = _first(data, "template", "name", "prompt", default="prompt")
    line = _first(data, "first_line", "text", "content", default="")
    return f'{name} {_short(event.prompt_hash)} "{_clip(line, 60)}"'


def _model_output(event: AuditEvent, data: dict[str, Any]) -> str:
    content = data.get("content")
    calls = [c.get("name", "?") for c in data.get("tool_calls") or [] if isinstance(c, dict)]
    text = f'"{_clip(content, 70)}"' if content else ""
    return (text + (f" → calls {', '.join(calls)}" if calls else "")).strip() or "(empty)"


def _text(event: AuditEvent, data: dict[str, Any]) -> str:
    line = _first(data, "text", "content", "summary", "message", default=data)
    calls = data.get("tool_calls")
    suffix = f" → calls {', '.join(map(str, calls))}" if isinstance(calls, list) and calls else ""
    return f'"{_clip(line, 70)}"{suffix}'


def _tool_call(event: AuditEvent, data: dict[str, Any]) -> str:
    args = _first(data, "args", "arguments", default={})
    return f"{event.tool or '?'} {_clip(args, 70)}"


def _tool_result(event: AuditEvent, data: dict[str, Any]) -> str:
    status = _first(data, "status", default="ok" if data.get("ok", True) else "failed")
    detail = _first(data, "error", "summary", default="")
    return f"{event.tool or '?'} {status}" + (f": {_clip(detail, 60)}" if detail else "")


def _decision(event: AuditEvent, data: dict[str, Any]) -> str:
    outcome = _first(data, "decision", "outcome", "mode", default="?")
    rule = _first(data, "rule", default="?")
    reason = _first(data, "reason", default="")
    text = f"{event.tool or '?'} → {outcome} by {rule} (policy {_short(event.policy_version)})"
    return text + (f": {_clip(reason, 50)}" if reason else "")


def _approval(event: AuditEvent, data: dict[str, Any]) -> str:
    who = _first(data, "approver", "user", default=event.actor)
    action = _first(data, "action_hash", default="")
    reason = _first(data, "reason", default="")
    text = f"{who} on action {_short(action)}"
    return text + (f": {_clip(reason, 50)}" if reason else "")


def _action(event: AuditEvent, data: dict[str, Any]) -> str:
    target = _first(data, "target", default="")
    detail = _first(data, "error", "reason", default="")
    text = f"{event.tool or '?'} {target} action {_short(_first(data, 'action_hash'))}"
    return text + (f": {_clip(detail, 50)}" if detail else "")


def _credential(event: AuditEvent, data: dict[str, Any]) -> str:
    scopes = ",".join(map(str, _first(data, "scopes", default=[])))
    ttl = _first(data, "ttl_seconds", default="")
    error = _first(data, "error", default="")
    parts = [
        str(_first(data, "credential_id", default="?")),
        f"[{scopes}]" if scopes else "",
        f"ttl {ttl}s" if ttl else "",
    ]
    return " ".join(part for part in parts if part) + (f": {_clip(error, 50)}" if error else "")


def _other(event: AuditEvent, data: dict[str, Any]) -> str:
    return _clip(_first(data, "message", "reason", "limit", "error", default=data))


_DESCRIBERS: dict[str, Describer] = {
    EventKind.TASK_START: _task_start,
    EventKind.TASK_END: _task_end,
    EventKind.PROMPT: _prompt,
    EventKind.MODEL_OUTPUT: _model_output,
    EventKind.RECOMMENDATION: _text,
    EventKind.TOOL_CALL: _tool_call,
    EventKind.TOOL_RESULT: _tool_result,
    EventKind.POLICY_DECISION: _decision,
    EventKind.CREDENTIAL_ISSUED: _credential,
    EventKind.CREDENTIAL_REVOKED: _credential,
    EventKind.CREDENTIAL_REVOKE_FAILED: _credential,
    **{kind: _approval for kind in EventKind if kind.startswith("approval.")},
    **{kind: _action for kind in EventKind if kind.startswith("action.")},
}


def describe(event: AuditEvent) -> str:
    data = json.loads(event.data)
    return _DESCRIBERS.get(event.kind, _other)(event, data if isinstance(data, dict) else {})


@dataclass
class CredentialLife:
    credential_id: str
    scopes: str
    issued: datetime
    revoked: datetime | None = None

    def line(self) -> str:
        if self.revoked is None:
            return (
                f"  {self.credential_id} [{self.scopes}] issued {_time(self.issued)} → NOT revoked"
            )
        lifetime = (self.revoked - self.issued).total_seconds()
        return (
            f"  {self.credential_id} [{self.scopes}] issued {_time(self.issued)} → revoked "
            f"{_time(self.revoked)}, lifetime {_seconds(lifetime)}"
        )


def credential_lives(events: list[AuditEvent]) -> list[CredentialLife]:
    lives: dict[str, CredentialLife] = {}
    for event in events:
        data = json.loads(event.data)
        cred_id = str(data.get("credential_id", "?")) if isinstance(data, dict) else "?"
        if event.kind == EventKind.CREDENTIAL_ISSUED:
            scopes = ",".join(map(str, data.get("scopes", [])))
            lives[cred_id] = CredentialLife(cred_id, scopes, event.ts)
        elif event.kind == EventKind.CREDENTIAL_REVOKED and cred_id in lives:
            lives[cred_id].revoked = event.ts
    return list(lives.values())


def render_lineage(events: list[AuditEvent]) -> str:
    """A header, one line per event (seq, time, kind, what happened), then the credentials."""
    if not events:
        return "no audit events for this task"
    first, last = events[0], events[-1]
    seconds = (last.ts - first.ts).total_seconds()
    lines = [
        f"task {first.task_id}: {len(events)} events, {first.ts:%Y-%m-%d %H:%M:%S}Z → "
        f"{_time(last.ts)}Z ({_seconds(seconds)})"
    ]
    for index, event in enumerate(events):
        glyph = "└─" if index == len(events) - 1 else "├─"
        where = "" if event.task_id == first.task_id else f"[{event.task_id}] "
        lines.append(
            f"{glyph} {event.seq:>6} {_time(event.ts)} {event.kind:<20} {where}{describe(event)}"
        )
    lives = credential_lives(events)
    if lives:
        lines += ["credentials:", *(life.line() for life in lives)]
    return "\n".join(lines)
