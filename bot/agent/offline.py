"""The offline engine: a deterministic, rule-based investigator behind the same model protocol.

It reads the conversation like a model would (the alert in the user message, tool results in
tool messages) and answers with one tool call per turn, or a final triage. Its calls go through
the same executor and policy as any model's; it holds no power of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from bot.agent.model import ModelReply, ToolCallRequest, Usage
from bot.agent.offline_detection import headline, read_detection, weigh
from bot.agent.offline_plan import Investigation, Observation, wanted_calls
from bot.agent.offline_rules import detect_pattern
from bot.agent.tokens import TokenCounter
from bot.canonical import canonical_json

Call = tuple[str, dict[str, Any]]


class OfflineEngine:
    engine = "offline"
    model = "socbot-offline-rules-1"
    context_window = 1_000_000  # it reads the whole conversation; nothing is sent anywhere
    sends_requests = False  # so it is charged what it counts itself, not the tool schemas

    def __init__(self, counter: TokenCounter | None = None) -> None:
        self._counter = counter

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> ModelReply:
        available = {spec["function"]["name"] for spec in tools}
        investigation = _read(messages)
        call = _next_call(investigation, available)
        if call is None:
            return self._reply(messages, content=final_answer(investigation), calls=[])
        request = ToolCallRequest(
            f"call_{len(investigation.observations) + 1}", call[0], json.dumps(call[1])
        )
        return self._reply(messages, content=None, calls=[request])

    def _reply(
        self,
        messages: list[dict[str, Any]],
        *,
        content: str | None,
        calls: list[ToolCallRequest],
    ) -> ModelReply:
        prompt = self._counter.count_messages(messages) if self._counter else 0
        out = (
            self._counter.count(content or json.dumps([c.arguments for c in calls]))
            if self._counter
            else 0
        )
        return ModelReply(
            content, calls, Usage(prompt, out), self.model, "tool_calls" if calls else "stop"
        )


def _read(messages: list[dict[str, Any]]) -> Investigation:
    user_texts = [m.get("content") or "" for m in messages if m.get("role") == "user"]
    detection = read_detection(user_texts[-1] if user_texts else "")
    alert_text = _data_part(user_texts[-1] if user_texts else "")
    observations: list[Observation] = []
    pending: dict[str, Observation] = {}
    for message in messages:
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            observation = Observation(function.get("name", ""), _json(function.get("arguments")))
            pending[call.get("id", "")] = observation
            observations.append(observation)
        if message.get("role") == "tool" and message.get("tool_call_id") in pending:
            content = _json(message.get("content"))
            observation = pending[message["tool_call_id"]]
            observation.status = str(content.get("status", "error"))
            observation.result = dict(content.get("result") or content)
    # With a detection block, its rules choose the playbook; without one (a thread question,
    # not a triage) the alert's wording still picks which look-ups help.
    pattern = str(detection.get("playbook", "unknown")) if detection else detect_pattern(alert_text)
    return Investigation(alert_text, pattern, observations, detection)


def _data_part(text: str) -> str:
    """Only the untrusted data blocks: the instructions around them are not evidence."""
    marker = text.find("DATA: ")
    return text[marker:] if marker >= 0 else text


def _json(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except (TypeError, json.JSONDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def _next_call(investigation: Investigation, available: set[str]) -> Call | None:
    done = {(o.name, canonical_json(o.args)) for o in investigation.observations}
    calls: Iterator[Call] = wanted_calls(investigation)
    for name, args in calls:
        if name in available and (name, canonical_json(args)) not in done:
            return name, args
    return None


def final_answer(investigation: Investigation) -> str:
    identity = investigation.identity
    signals = investigation.signals()
    privileged = bool(identity and identity.get("privileged"))
    verdict = weigh(investigation.detection, signals, privileged)
    subject = identity.get("id") if identity else "an identity no provider knows"
    summary = (
        f"{headline(investigation.detection)} for {subject}: "
        + ("; ".join(signals) if signals else "no corroborating evidence from the provider")
        + "."
    )
    actions = [f"{o.name}: {o.status}" for o in investigation.action_observations()]
    body = {
        "verdict": verdict.verdict,
        "severity": verdict.severity,
        "confidence": verdict.confidence,
        "summary": summary,
        "evidence": investigation.evidence_fields(),
        "recommended_actions": actions,
    }
    return f"{summary}\n\n{json.dumps(body, indent=2)}"
