"""One alert's story as audit rows, for the digest benchmark (bench/digest_events.py).

Data shapes follow bot/executor.py, bot/credentials.py, bot/approvals.py and the alert/triage
contract: alert.received (and duplicates), a triage task (prompt, model turns, read-only tool
calls each with a policy decision, a credential issued and revoked, a result), sometimes a
denied call, a parked action or a drafted recommendation, a limit hit, an injection suspect;
then the triage.result and its post, analyst feedback, and the action's fate: approved and
executed in a task of its own (or failed), rejected, or expired; now and then a human
containment note.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from bot.canonical import sha256_hex

READ_TOOLS = (
    ("get_identity", ["directory:read"]),
    ("list_sessions", ["sessions:read"]),
    ("recent_auth_events", ["authlog:read"]),
    ("assess_blast_radius", ["directory:read", "grants:read", "keys:read"]),
)
ACTION_TOOLS = (
    ("revoke_sessions", ["sessions:revoke"], ["U0IDADMIN1"]),
    ("suspend_identity", ["identity:suspend"], ["U0IDADMIN1", "U0IDADMIN2"]),
    ("deactivate_access_key", ["keys:deactivate"], ["U0CLOUDADM1"]),
)
MODELS = ("gpt-4o-mini-2024-07-18", "gpt-4o", "socbot-offline-rules-1")
SEVERITIES = ("low", "medium", "high", "critical")
VERDICTS = ("benign", "suspicious", "malicious", "needs-info")
DENIALS = ("protected_targets[0]", "tools.suspend_identity.rate_limit", "undeclared")
POLICY_VERSION = "7996a8fb55f616becca2ea1088e78858fef064851bad7df119763f93c037ed70"
FILLER = (
    "Sign-in from a new country minutes after a burst of denied MFA pushes; the user's usual "
    "devices are in Berlin and the session came from an address never seen before. "
)


class Scene:
    """The rows of one alert's story, each at its own time."""

    def __init__(self, rng: random.Random, index: int, start: datetime) -> None:
        self.rng, self.index, self.clock = rng, index, start
        self.rows: list[tuple[datetime, dict[str, Any]]] = []
        self.alert_id, self.group_id = f"alr_{index:07d}", f"grp_{index:07d}"

    def at(self, seconds: float) -> Scene:
        self.clock += timedelta(seconds=seconds)
        return self

    def add(self, kind: str, data: dict[str, Any], **columns: Any) -> None:
        row = {"kind": kind, "data": data, "actor": columns.pop("actor", "socbot"), **columns}
        self.rows.append((self.clock, row))
        self.clock += timedelta(milliseconds=self.rng.randint(2, 40))

    def token(self, prefix: str) -> str:
        return f"{prefix}_{self.rng.getrandbits(64):016x}"


def alert_story(scene: Scene) -> None:
    rng, severity = scene.rng, scene.rng.choices(SEVERITIES, weights=(3, 4, 2, 1))[0]
    received(scene, severity)
    triage_task = scene.token("task")
    requests = triage(scene, triage_task)
    verdict = rng.choice(VERDICTS)
    scene.at(rng.uniform(1, 5)).add(
        "triage.result",
        {
            "group_id": scene.group_id,
            "alert_ids": [scene.alert_id],
            "verdict": verdict,
            "severity": rng.choice(SEVERITIES) if rng.random() < 0.8 else severity,
            "confidence": round(rng.random(), 2),
            "engine": "openai",
            "fell_back": rng.random() < 0.03,
            "actions_requested": [r["request_id"] for r in requests],
            "recommendations": [],
        },
        task_id=triage_task,
        actor="alert:webhook",
    )
    posted(scene, triage_task)
    for request in requests:
        fate(scene.at(rng.uniform(60, 1500)), triage_task, request)
    if severity in ("high", "critical") and rng.random() < 0.1:
        scene.at(rng.uniform(300, 20_000)).add(
            "human.action",
            {"group_id": scene.group_id, "alert_ids": [scene.alert_id], "note": "contained"},
            actor="U0ANALYST1",
        )


def received(scene: Scene, severity: str) -> None:
    data = {
        "alert_id": scene.alert_id,
        "source": "okta",
        "event_type": "user.mfa.okta_verify.deny_push",
        "fingerprint": sha256_hex(scene.alert_id),
        "vendor_severity": severity,
        "occurred_at": scene.clock.isoformat(),
        "actor": f"user{scene.index % 500}@lab.example",
        "target": None,
        "group_id": scene.group_id,
    }
    scene.add("alert.received", data, actor="alert:webhook")
    for count in range(1, 1 + (scene.rng.randint(1, 3) if scene.rng.random() < 0.15 else 0)):
        dup = {"alert_id": scene.token("alr"), "duplicate_of": scene.alert_id, "count": count}
        scene.at(scene.rng.uniform(5, 60)).add(
            "alert.duplicate", {**dup, "fingerprint": data["fingerprint"]}, actor="alert:webhook"
        )


def triage(scene: Scene, task: str) -> list[dict[str, Any]]:
    rng, actor = scene.rng, "alert:webhook"
    scene.at(rng.uniform(1, 30)).add("task.start", {"kind": "triage"}, task_id=task, actor=actor)
    if rng.random() < 0.01:
        scene.add(
            "injection.suspect", {"where": "alert", "markers": ["ignore previous"]}, task_id=task
        )
    text = FILLER * rng.randint(8, 14)
    scene.add(
        "prompt",
        {"engine": "openai", "user": {"text": text}},
        task_id=task,
        prompt_hash=sha256_hex(text),
    )
    model = rng.choice(MODELS)
    for name, scopes in rng.sample(READ_TOOLS, rng.randint(2, 4)):
        model_turn(scene, task, model, name)
        read_call(scene, task, name, scopes)
    if rng.random() < 0.05:
        model_turn(scene, task, model, "suspend_identity")
        decision(scene, task, "suspend_identity", "deny", rng.choice(DENIALS))
    requests = [park(scene, task, model) for _ in range(1 if rng.random() < 0.35 else 0)]
    if rng.random() < 0.01:
        scene.add("limit.hit", {"limit": "tokens", "used": 41_000, "allowed": 40_000}, task_id=task)
    model_turn(scene, task, model, None)
    scene.add("task.end", {"status": "ok", "turns": 5}, task_id=task, actor=actor)
    return requests


def model_turn(scene: Scene, task: str, model: str, calls: str | None) -> None:
    usage = {
        "prompt_tokens": scene.rng.randint(900, 4000),
        "completion_tokens": scene.rng.randint(20, 400),
    }
    content = None if calls else FILLER * 3
    tool_calls = (
        [{"id": "call_1", "name": calls, "arguments": '{"identity": "p-maria-chen"}'}]
        if calls
        else []
    )
    data = {
        "engine": "openai",
        "model": model,
        "content": content,
        "tool_calls": tool_calls,
        "usage": usage,
    }
    scene.add("model.output", data, task_id=task, actor="model:openai")


def decision(scene: Scene, task: str, tool: str, outcome: str, rule: str) -> None:
    scene.add("tool.call", {"arguments": '{"identity": "p-maria-chen"}'}, task_id=task, tool=tool)
    data = {"outcome": outcome, "rule": rule, "reason": f"{tool}: {outcome} by {rule}"}
    scene.add("policy.decision", data, task_id=task, tool=tool, policy_version=POLICY_VERSION)


def credential(scene: Scene, task: str, tool: str, scopes: list[str]) -> str:
    cid = scene.token("cred")
    issued = {
        "credential_id": cid,
        "fingerprint": cid[-16:],
        "scopes": scopes,
        "ttl_seconds": 60,
        "backend": "lab",
    }
    scene.add("credential.issued", issued, task_id=task, tool=tool)
    if scene.rng.random() < 0.0002:
        return cid  # a leak: never revoked
    lag = round(scene.rng.uniform(0.5, 40), 3)
    scene.at(scene.rng.uniform(0.01, 2.5))
    revoked = {
        "credential_id": cid,
        "reason": "tool call ended",
        "verified": True,
        "lag_ms": lag,
        "lifetime_ms": 1.0,
    }
    scene.add("credential.revoked", revoked, task_id=task, tool=tool)
    return cid


def read_call(scene: Scene, task: str, tool: str, scopes: list[str]) -> None:
    decision(scene, task, tool, "run", f"tools.{tool}")
    cid = credential(scene, task, tool, scopes)
    result = {"status": "ok", "credential_id": cid, "result": {"summary": FILLER * 4}}
    scene.add("tool.result", result, task_id=task, tool=tool, tool_hash=sha256_hex(cid))


def park(scene: Scene, task: str, model: str) -> dict[str, Any]:
    tool, _, approvers = scene.rng.choice(ACTION_TOOLS)
    model_turn(scene, task, model, tool)
    credential(scene, task, "resolve_target", ["directory:read"])
    decision(scene, task, tool, "require_approval", f"tools.{tool}")
    request = {"request_id": scene.token("act"), "tool": tool, "approvers": approvers}
    data = {
        "request_id": request["request_id"],
        "args": {"identity": "p-maria-chen"},
        "target": "p-maria-chen",
        "action_hash": sha256_hex(request["request_id"]),
        "rule": f"tools.{tool}",
        "quorum": len(approvers),
        "status": "pending",
        "expires_at": None,
    }
    scene.add("action.requested", data, task_id=task, tool=tool, actor="alert:webhook")
    return request


def posted(scene: Scene, task: str) -> None:
    ids = {"group_id": scene.group_id, "alert_ids": [scene.alert_id]}
    scene.at(scene.rng.uniform(0.5, 3)).add(
        "triage.posted", {**ids, "channel": "C0ALERTS", "ts": "1.2"}, task_id=task, actor="slack"
    )
    if scene.rng.random() < 0.25:
        rating = "agree" if scene.rng.random() < 0.8 else "disagree"
        scene.at(scene.rng.uniform(60, 3600)).add(
            "analyst.feedback",
            {**ids, "rating": rating, "channel": "C0ALERTS", "ts": "1.2"},
            actor="U0ANALYST1",
        )


def fate(scene: Scene, task: str, request: dict[str, Any]) -> None:
    rid, tool, roll = request["request_id"], request["tool"], scene.rng.random()
    about = {"request_id": rid, "action_hash": sha256_hex(rid)}
    if roll < 0.15:
        scene.add(
            "approval.rejected",
            {**about, "via": "slack"},
            task_id=task,
            tool=tool,
            actor="U0IDADMIN3",
        )
    elif roll < 0.35:
        scene.add(
            "action.expired",
            {"request_id": rid, "expired_at": scene.clock.isoformat()},
            task_id=task,
            tool=tool,
        )
    else:
        for approver in request["approvers"]:
            scene.add(
                "approval.granted",
                {**about, "via": "slack"},
                task_id=task,
                tool=tool,
                actor=approver,
            )
        scene.add(
            "action.approved", {**about, "approvers": request["approvers"]}, task_id=task, tool=tool
        )
        execute(scene.at(scene.rng.uniform(1, 60)), task, request)


def execute(scene: Scene, triage_task: str, request: dict[str, Any]) -> None:
    task, tool, actor = scene.token("task"), request["tool"], request["approvers"][-1]
    scopes = next(s for name, s, _ in ACTION_TOOLS if name == tool)
    scene.add(
        "task.start",
        {"kind": "action", "subject": {"request_id": request["request_id"]}},
        task_id=task,
        actor=actor,
    )
    credential(scene, task, "resolve_target", ["directory:read"])
    cid = credential(scene, task, tool, scopes)
    status = "executed" if scene.rng.random() < 0.93 else "failed"
    result = {
        "status": "ok" if status == "executed" else "error",
        "credential_id": cid,
        "result": {"revoked": 3},
    }
    scene.add("tool.result", result, task_id=task, tool=tool)
    data = {
        "request_id": request["request_id"],
        "requested_in": triage_task,
        "action_hash": sha256_hex(request["request_id"]),
        "rule": f"tools.{tool}",
        "approvers": request["approvers"],
        "status": status,
    }
    scene.add(f"action.{status}", data, task_id=task, tool=tool, actor=actor)
    scene.add("task.end", {"status": "ok"}, task_id=task, actor=actor)
