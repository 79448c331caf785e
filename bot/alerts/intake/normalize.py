"""Turn one raw vendor event into an Alert: pick the normalizer (given or detected), run it,
redact the raw event it keeps. Anything that goes wrong becomes AlertRejected with a reason."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from bot.alerts.model import Alert
from bot.alerts.sources import SOURCES
from bot.alerts.sources.fields import arrival_time
from bot.alerts.sources.generic import source as generic
from bot.clock import utcnow
from bot.errors import AlertRejected
from bot.redaction import Redactor, default_redactor

GENERIC_PREFIX = "generic:"
UNEXPECTED_ON_ODD_INPUT = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    IndexError,
    OverflowError,
    RecursionError,
)


def known_sources() -> list[str]:
    return [*SOURCES, *(GENERIC_PREFIX + name for name in generic.mapping_names())]


def detect_source(event: Any) -> str:
    """The source whose shape event has; AlertRejected when none does."""
    if not isinstance(event, Mapping):
        raise AlertRejected(f"an event must be a JSON object, not {type(event).__name__}")
    for name, module in SOURCES.items():
        if module.matches(event):
            return str(name)
    mapping = generic.detect(event)
    if mapping is not None:
        return GENERIC_PREFIX + mapping
    raise AlertRejected("could not tell which vendor sent this event; name the source")


def normalize_event(
    event: Any,
    source: str | None = None,
    *,
    redactor: Redactor | None = None,
    received_at: datetime | None = None,
    require_event_time: bool = False,
) -> Alert:
    """The Alert for event. source is a name from known_sources(), or None to detect it.

    An event without a readable time is timed on arrival (received_at, else now) and marked
    time_estimated, unless require_event_time; then it is refused with MissingEventTime."""
    name, chosen = source, redactor or default_redactor()
    try:
        # Before normalizing too: a field cut to its length limit must not cut a secret in two.
        # Inside the guard: an event nested too deep to copy is refused, not a crash.
        event = chosen.redact(event)
        name = source or detect_source(event)
        with arrival_time(received_at or utcnow(), allowed=not require_event_time) as arrival:
            alert = _run_normalizer(name, event)
        # The fields again (not the raw event, redacted above): a normalizer may build a title
        # or a name from parts, and titles, user agents and names are shown and stored.
        fields = chosen.redact(alert.model_dump(mode="json", exclude={"raw"}))
    except AlertRejected:
        raise
    except ValidationError as exc:
        raise AlertRejected(_first_validation_problem(exc), source=name) from exc
    except UNEXPECTED_ON_ODD_INPUT as exc:
        # A normalizer bug on odd input must still come out as a typed rejection.
        raise AlertRejected(f"unreadable event ({type(exc).__name__})", source=name) from exc
    return Alert.model_validate({**fields, "raw": alert.raw, "time_estimated": arrival.used})


def _run_normalizer(name: str, event: Any) -> Alert:
    if name.startswith(GENERIC_PREFIX):
        return generic.normalize(event, name.removeprefix(GENERIC_PREFIX))
    module = SOURCES.get(name)
    if module is None:
        raise AlertRejected(
            f"unknown source {name!r}; known: {', '.join(known_sources())}", source=None
        )
    alert: Alert = module.normalize(event)
    return alert


def _first_validation_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error.get("loc", ())) or "event"
    return f"{where}: {error.get('msg', 'invalid')}"
