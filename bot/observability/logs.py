"""Logging for every socbot process: JSON, one event per line, or plain text.

log_context(task_id=…, alert_id=…) puts ids on every line logged inside it, on this thread
or task only (contextvars), so lines from concurrent triages never borrow each other's ids.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TextIO

CONTEXT_KEYS = ("task_id", "alert_id", "group_id")
FORMATS = ("json", "text")
HANDLER_NAME = "socbot"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_context: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "socbot_log_context", default=None
)


@contextmanager
def log_context(**ids: str | None) -> Iterator[None]:
    """Add these ids (None ones are skipped) to every log line inside the block."""
    token = _context.set({**current_context(), **{k: str(v) for k, v in ids.items() if v}})
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> Mapping[str, str]:
    return _context.get() or {}


class ContextFilter(logging.Filter):
    """Copies the current ids onto each record (record.task_id etc., "-" if none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        ids = current_context()
        for key in CONTEXT_KEYS:
            setattr(record, key, ids.get(key, getattr(record, key, "-")))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in CONTEXT_KEYS:
            value = getattr(record, key, "-")
            if value and value != "-":
                event[key] = value
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = [f"{k}={getattr(record, k)}" for k in CONTEXT_KEYS if getattr(record, k, "-") != "-"]
        return f"{line} [{' '.join(ids)}]" if ids else line


class _StderrHandler(logging.StreamHandler):
    """Writes to the current sys.stderr, not the one there when logging was configured."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def level_number(name: str | int) -> int:
    if isinstance(name, int):
        return name
    level = logging.getLevelName(name.strip().upper())
    if not isinstance(level, int):
        raise ValueError(f"{name!r} is not a log level: use DEBUG, INFO, WARNING or ERROR")
    return level


def configure_logging(
    level: str | int = logging.WARNING, fmt: str = "json", stream: TextIO | None = None
) -> None:
    """socbot's one handler on the root logger, replacing the one set before (others, such as
    a test runner's, stay); uvicorn's loggers pass through it too, so every line of a process
    has one shape. Without `stream`, lines go to whatever sys.stderr is when they are logged."""
    if fmt not in FORMATS:
        raise ValueError(f"log format {fmt!r}: use one of {', '.join(FORMATS)}")
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level_number(level))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # Alembic narrates every start-up at INFO ("Context impl …"); its news is in its warnings.
    logging.getLogger("alembic").setLevel(max(root.level, logging.WARNING))
