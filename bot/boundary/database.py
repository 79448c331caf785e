"""Every string an INSERT or UPDATE writes to socbot's tables is redacted on its way to the
database, whichever code path built the statement (ORM or Core), so no column can hold a
secret that a caller forgot.

Two kinds of table are left alone: the audit log, which redacts its rows itself before
hashing them (a change here would break the chain), and the lab provider's tables, which
stand for the identity provider's own store (it must keep the credentials it verifies).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from weakref import WeakSet

from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.redaction import Redactor, default_redactor

_WRITE = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE)\s+"?(\w+)"?', re.I)
_OWN_REDACTION = re.compile(r"^(?:audit_event$|lab_|alembic_)")
_guarded: WeakSet[Engine] = WeakSet()


def guard_writes(engine: Engine, redactor: Redactor | None = None) -> Engine:
    """Install the write guard on engine, once."""
    if engine in _guarded:
        return engine
    chosen = redactor if redactor is not None else default_redactor()

    def before_execute(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> tuple[str, Any]:
        if not writes_guarded_table(statement):
            return statement, parameters
        if many:
            return statement, [_redacted(row, chosen) for row in parameters]
        return statement, _redacted(parameters, chosen)

    event.listen(engine, "before_cursor_execute", before_execute, retval=True)
    _guarded.add(engine)
    return engine


def writes_guarded_table(statement: str) -> bool:
    match = _WRITE.match(statement)
    return match is not None and not _OWN_REDACTION.match(match.group(1).lower())


def _redacted(parameters: Any, redactor: Redactor) -> Any:
    if isinstance(parameters, Mapping):
        return {key: _one(value, redactor) for key, value in parameters.items()}
    if isinstance(parameters, Sequence) and not isinstance(parameters, str):
        return type(parameters)(_one(value, redactor) for value in parameters)  # type: ignore[call-arg]
    return parameters


def _one(value: Any, redactor: Redactor) -> Any:
    return redactor.redact_text(value) if isinstance(value, str) else value
