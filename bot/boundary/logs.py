"""Log records are redacted as they are made: message, arguments and traceback text.

A filter on the root logger alone would miss records from child loggers (they go to the
root's handlers without passing its filters), so the filter is also applied by the record
factory, which every record in the process passes through.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from bot.redaction import Redactor, default_redactor

_install_lock = threading.Lock()
_installed: list[RedactingFilter] = []


class RedactingFilter(logging.Filter):
    """Rewrites a record in place so that no handler can format a secret from it."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.redactor = redactor if redactor is not None else default_redactor()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "socbot_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is, as logging would
            message = f"{record.msg!r} {record.args!r}"
        redacted = self.redactor.redact_text(message)
        if redacted != message:
            # Only then: some formatters (uvicorn's access log) read record.args themselves.
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor.redact_text(record.stack_info)
        record.socbot_redacted = True
        return True


def install_log_redaction(redactor: Redactor | None = None) -> RedactingFilter:
    """Redact every record this process logs from now on. Safe to call more than once."""
    with _install_lock:
        if _installed:
            return _installed[0]
        log_filter = RedactingFilter(redactor)
        make_record = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            log_filter.filter(record)
            return record

        logging.setLogRecordFactory(factory)
        logging.getLogger().addFilter(log_filter)
        _installed.append(log_filter)
        return log_filter
