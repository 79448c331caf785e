"""OpenTelemetry spans for model calls and tool calls, named and tagged by the GenAI semantic
conventions (gen_ai.*), so any GenAI-aware tracing backend reads them without mapping.

Optional: the `otel` extra installs OpenTelemetry, and SOCBOT_OTEL=true turns it on (spans
go to the OTLP/HTTP endpoint that the standard OTEL_EXPORTER_OTLP_* variables name). Off,
model_span and tool_span are no-ops that import nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from bot.errors import ConfigError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, Tracer

    from bot.agent.model import ModelReply
    from bot.executor.outcome import ToolOutcome

INSTRUMENTATION = "socbot"
_state: dict[str, Any] = {"provider": None}


def enable_tracing(exporter: SpanExporter | None = None, *, batch: bool = True) -> TracerProvider:
    """Send spans to `exporter` (default: OTLP over HTTP, configured from the environment)."""
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError as exc:
        raise ConfigError(
            "SOCBOT_OTEL is on but OpenTelemetry is not installed: pip install 'socbot[otel]'"
        ) from exc
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "socbot"}))
    processor = BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
    provider.add_span_processor(processor)
    disable_tracing()
    _state["provider"] = provider
    return provider


def disable_tracing() -> None:
    provider = _state["provider"]
    _state["provider"] = None
    if provider is not None:
        provider.shutdown()


def _tracer() -> Tracer | None:
    provider = _state["provider"]
    return None if provider is None else provider.get_tracer(INSTRUMENTATION)


def _provider_name(engine: str) -> str:
    return engine.split(":", 1)[0] or "unknown"


@contextmanager
def model_span(engine: str, model: str) -> Iterator[Span | None]:
    """A CLIENT span around one chat completion: 'chat {model}'."""
    tracer = _tracer()
    if tracer is None:
        yield None
        return
    from opentelemetry.trace import SpanKind

    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": _provider_name(engine),
        "gen_ai.request.model": model,
    }
    with tracer.start_as_current_span(
        f"chat {model}", kind=SpanKind.CLIENT, attributes=attributes
    ) as span:
        try:
            yield span
        except Exception as exc:
            span.set_attribute("error.type", type(exc).__name__)
            raise


def record_reply(span: Span | None, reply: ModelReply) -> None:
    if span is None:
        return
    span.set_attribute("gen_ai.response.model", reply.model)
    span.set_attribute("gen_ai.usage.input_tokens", reply.usage.prompt_tokens)
    span.set_attribute("gen_ai.usage.output_tokens", reply.usage.completion_tokens)
    if reply.finish_reason:
        span.set_attribute("gen_ai.response.finish_reasons", [reply.finish_reason])


@contextmanager
def tool_span(tool: str, call_id: str) -> Iterator[Span | None]:
    """An INTERNAL span around one tool call as the model asked for it: 'execute_tool {tool}'."""
    tracer = _tracer()
    if tracer is None:
        yield None
        return
    from opentelemetry.trace import SpanKind

    attributes = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": tool,
        "gen_ai.tool.call.id": call_id,
        "gen_ai.tool.type": "function",
    }
    with tracer.start_as_current_span(
        f"execute_tool {tool}", kind=SpanKind.INTERNAL, attributes=attributes
    ) as span:
        yield span


def record_outcome(span: Span | None, outcome: ToolOutcome) -> None:
    """The gate's verdict on the span: status, and the rule that decided."""
    if span is None:
        return
    span.set_attribute("socbot.tool.status", outcome.status)
    if outcome.rule:
        span.set_attribute("socbot.policy.rule", outcome.rule)
    if outcome.status in ("denied", "error"):
        span.set_attribute("error.type", f"tool_{outcome.status}")
