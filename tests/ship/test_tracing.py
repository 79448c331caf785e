"""With the otel extra and tracing on, every model call and tool call of a triage is a span
named and tagged by the GenAI semantic conventions; off, nothing is traced."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.alerts.intake.pipeline import Intake
from bot.alerts.triage.publish import NoPublisher
from bot.alerts.triage.verdict import TriageResult
from bot.alerts.triage.worker import TriageWorker
from bot.observability.tracing import disable_tracing, enable_tracing
from bot.runtime import Runtime

pytest.importorskip("opentelemetry.sdk", reason="the otel extra is not installed")
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind

REPO_ROOT = Path(__file__).resolve().parents[2]
ALERT = REPO_ROOT / "bot" / "demo_alerts" / "01-okta-mfa-push-fatigue.json"


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    enable_tracing(memory, batch=False)
    yield memory
    disable_tracing()


def triage(runtime: Runtime) -> TriageResult:
    outcome = Intake(runtime).accept(ALERT.read_text(encoding="utf-8"), via="cli")
    worker = TriageWorker(runtime, NoPublisher(), name="test")
    claim = worker.queue.claim(worker.name, group_id=str(outcome.group_id))
    assert claim is not None
    done = worker.work_on(claim)
    assert done.result is not None
    return done.result


def test_model_and_tool_calls_become_genai_spans(
    make_runtime: Callable[..., Runtime], exporter: InMemorySpanExporter
) -> None:
    result = triage(make_runtime())
    spans = exporter.get_finished_spans()
    chats = [s for s in spans if s.attributes and s.attributes["gen_ai.operation.name"] == "chat"]
    tools = [s for s in spans if s not in chats]
    assert chats and all(
        s.name == "chat socbot-offline-rules-1" and s.kind == SpanKind.CLIENT for s in chats
    )
    for span in chats:
        assert span.attributes is not None
        assert span.attributes["gen_ai.provider.name"] == "offline"
        assert span.attributes["gen_ai.request.model"] == "socbot-offline-rules-1"
        assert int(span.attributes["gen_ai.usage.input_tokens"]) > 0  # type: ignore[arg-type]
    called = {s.attributes["gen_ai.tool.name"] for s in tools if s.attributes}
    assert called >= set(result.investigated)
    parked = {a.tool for a in result.actions if a.status == "awaiting_approval"}
    assert parked, "the sample alert should park at least one action"
    for span in tools:
        assert span.attributes is not None and span.name.startswith("execute_tool ")
        assert span.attributes["gen_ai.operation.name"] == "execute_tool"
        assert span.attributes["gen_ai.tool.call.id"]
        if span.attributes["gen_ai.tool.name"] in parked:
            assert span.attributes["socbot.tool.status"] == "awaiting_approval"
            assert span.attributes["socbot.policy.rule"]


def test_nothing_is_traced_when_tracing_is_off(
    make_runtime: Callable[..., Runtime], exporter: InMemorySpanExporter
) -> None:
    disable_tracing()
    triage(make_runtime())
    assert exporter.get_finished_spans() == ()
