"""What an action changed, as IAM API calls, and the calls that would reverse it.

Every action returns `changes` (the calls made, in order) and `undo` (the calls that put the
account back, in the order to make them). Both name only ids and names, never a secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tools.errors import AwsError


@dataclass
class ChangeLog:
    changes: list[dict[str, Any]] = field(default_factory=list)
    undo: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def made(
        self, call: str, params: dict[str, Any], undo: tuple[str, dict[str, Any]] | None
    ) -> None:
        self.changes.append({"call": call, "params": params})
        if undo is not None:
            # The last change is undone first.
            self.undo.insert(0, {"call": undo[0], "params": undo[1]})

    def as_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {"changes": self.changes, "undo": self.undo}
        if self.notes:
            record["undo_notes"] = self.notes
        return record


UNDOABLE_CALLS = frozenset(
    {
        "UpdateAccessKey",
        "DeleteAccessKey",
        "AddUserToGroup",
        "DeleteUserPolicy",
        "DeleteRolePolicy",
        "PutUserPolicy",
        "PutRolePolicy",
    }
)


def snake(call: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", call).lower()


def apply_undo(iam: Any, undo: list[dict[str, Any]]) -> list[str]:
    """Make the undo calls of an action record, in order; returns the calls made."""
    made = []
    for step in undo:
        call = str(step.get("call", ""))
        if call not in UNDOABLE_CALLS:
            raise AwsError(f"undo step {call!r} is not one socbot makes; nothing after it was run")
        getattr(iam, snake(call))(**dict(step.get("params", {})))
        made.append(call)
    return made
