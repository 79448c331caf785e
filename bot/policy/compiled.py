"""Compile a tool rule once at load into what decide() runs on every call."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator
from jsonschema.validators import extend
from referencing import Registry

from bot.policy.model import (
    OUTCOME_OF_MODE,
    ConstraintValidator,
    Decision,
    Mode,
    ProtectedGlob,
    ProtectedMatcher,
)


def _is_object(_checker: Any, instance: Any) -> bool:
    return isinstance(instance, Mapping)


def _is_array(_checker: Any, instance: Any) -> bool:
    return isinstance(instance, list | tuple)


# Arguments may arrive as any Mapping (and tuples for lists). Stock jsonschema only treats a
# dict as an object and would silently skip every `properties` rule: that would fail open.
_ARGUMENT_TYPES = Draft202012Validator.TYPE_CHECKER.redefine_many(
    {"object": _is_object, "array": _is_array}
)
ArgumentValidator: type[Validator] = extend(Draft202012Validator, type_checker=_ARGUMENT_TYPES)

# An empty registry: a constraint's $ref may point inside itself but never to the network.
_NO_REMOTE_SCHEMAS: Registry[Any] = Registry()


def compile_constraints(schema: Mapping[str, Any] | None) -> ConstraintValidator | None:
    if schema is None:
        return None
    validator: ConstraintValidator = ArgumentValidator(
        schema,
        registry=_NO_REMOTE_SCHEMAS,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    return validator


def glob_pattern(glob: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(glob), re.IGNORECASE)


def compile_protected(
    tool: str, mode: Mode, policy_globs: Sequence[str], tool_globs: Sequence[str]
) -> ProtectedMatcher | None:
    """Policy-wide globs first, then the tool's own. Read-only tools may look at anything."""
    if mode == "read_only":
        return None
    labelled = [(f"protected_targets[{i}]", glob) for i, glob in enumerate(policy_globs)]
    labelled += [(f"tools.{tool}.protected_targets[{i}]", g) for i, g in enumerate(tool_globs)]
    if not labelled:
        return None
    globs = tuple(ProtectedGlob(rule, glob, glob_pattern(glob)) for rule, glob in labelled)
    combined = "|".join(f"(?:{fnmatch.translate(glob)})" for _rule, glob in labelled)
    return ProtectedMatcher(re.compile(combined, re.IGNORECASE), globs)


def mode_verdict(tool: str, mode: Mode, quorum: int, expiry_minutes: int, version: str) -> Decision:
    return Decision(
        outcome=OUTCOME_OF_MODE[mode],
        rule=f"tools.{tool}",
        reason=_mode_reason(tool, mode, quorum, expiry_minutes),
        policy_version=version,
        mode=mode,
    )


def _mode_reason(tool: str, mode: Mode, quorum: int, expiry_minutes: int) -> str:
    if mode == "read_only":
        return f"{tool} is read-only, so the bot runs it on its own."
    if mode == "recommend":
        return f"{tool} is recommend-only: the bot may draft it for a person, never run it."
    approvals = "one approval" if quorum == 1 else f"{quorum} approvals from different people"
    return f"{tool} runs only after {approvals} within {expiry_minutes} minutes."
