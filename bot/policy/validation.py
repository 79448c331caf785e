"""Check policy data against schema.json and say what is wrong in an admin's words."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from bot.policy.yamlsource import PathStep


@dataclass(frozen=True)
class Problem:
    path: tuple[PathStep, ...]
    reason: str


TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "empty",
}


def where(path: Sequence[PathStep]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text or "the policy"


@cache
def policy_schema() -> dict[str, Any]:
    text = resources.files("bot.policy").joinpath("schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _policy_validator() -> Draft202012Validator:
    # schema.json ships with socbot and a test checks it against the metaschema; checking it
    # again here cost every process a fifth of a second at start.
    return Draft202012Validator(policy_schema())


def schema_problems(data: Any) -> Iterator[Problem]:
    for error in _policy_validator().iter_errors(data):
        yield describe(error)


def describe(error: ValidationError) -> Problem:
    path = tuple(error.absolute_path)
    phrase = _PHRASES.get(str(error.validator), _fallback)
    return phrase(error, path)


def _fallback(error: ValidationError, path: tuple[PathStep, ...]) -> Problem:
    return Problem(path, f"{where(path)}: {error.message}")


def _additional(error: ValidationError, path: tuple[PathStep, ...]) -> Problem:
    allowed = error.schema.get("properties", {})
    patterns = list(error.schema.get("patternProperties", {}))
    extra = next(
        key
        for key in error.instance
        if key not in allowed and not any(re.search(p, str(key)) for p in patterns)
    )
    if patterns:
        reason = f"'{extra}' is not a valid name in {where(path)}: names must match {patterns[0]}"
    else:
        reason = f"unknown key '{extra}' in {where(path)}; allowed keys: {', '.join(allowed)}"
    return Problem((*path, extra), reason)


def _required(error: ValidationError, path: tuple[PathStep, ...]) -> Problem:
    missing = next(key for key in error.validator_value if key not in error.instance)
    reason = f"{where(path)} is missing '{missing}'"
    condition = _if_condition(error)
    return Problem(path, reason + (f", which is required when {condition}" if condition else ""))


def _if_condition(error: ValidationError) -> str:
    """For a failed `then`, the `if` beside it in words, e.g. 'mode is execute_with_approval'."""
    if "then" not in error.relative_schema_path:
        return ""
    owner = next((s for s in _subschemas(policy_schema()) if s.get("then") == error.schema), {})
    consts = owner.get("if", {}).get("properties", {})
    return " and ".join(f"{key} is {rule.get('const')}" for key, rule in consts.items())


def _subschemas(schema: Any) -> Iterator[dict[str, Any]]:
    if isinstance(schema, dict):
        yield schema
        for value in schema.values():
            yield from _subschemas(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _subschemas(item)


def _enum(error: ValidationError, path: tuple[PathStep, ...]) -> Problem:
    options = ", ".join(str(option) for option in error.validator_value)
    return Problem(path, f"{where(path)} is {shown(error.instance)}; it must be one of: {options}")


def _const(error: ValidationError, path: tuple[PathStep, ...]) -> Problem:
    return Problem(
        path, f"{where(path)} must be {error.validator_value}, not {shown(error.instance)}"
    )


def _type(error: ValidationError, path: tuple[PathStep, ...]) -> Problem:
    expected = TYPE_WORDS.get(str(error.validator_value), str(error.validator_value))
    return Problem(path, f"{where(path)} must be {expected}, not {shown(error.instance)}")


def shown(value: Any) -> str:
    """A value as the admin wrote it in YAML, or its kind when it is a whole structure."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return repr(value)
    return "a list" if isinstance(value, list) else "a mapping"


def _bound(error: ValidationError, path: tuple[PathStep, ...]) -> Problem:
    side = "above the maximum" if error.validator == "maximum" else "below the minimum"
    reason = f"{where(path)} is {error.instance}, {side} of {error.validator_value}"
    return Problem(path, reason + _why(error))


def _pattern(error: ValidationError, path: tuple[PathStep, ...]) -> Problem:
    shape = error.schema.get("description") or f"something matching {error.validator_value}"
    return Problem(path, f"{where(path)} is '{error.instance}', which is not {shape}")


def _not_empty(error: ValidationError, path: tuple[PathStep, ...]) -> Problem:
    return Problem(path, f"{where(path)} must not be empty")


def _unique(error: ValidationError, path: tuple[PathStep, ...]) -> Problem:
    return Problem(path, f"{where(path)} lists the same entry more than once")


def _why(error: ValidationError) -> str:
    description = error.schema.get("description")
    return f" ({description})" if description else ""


_PHRASES: dict[str, Callable[[ValidationError, tuple[PathStep, ...]], Problem]] = {
    "additionalProperties": _additional,
    "required": _required,
    "enum": _enum,
    "const": _const,
    "type": _type,
    "maximum": _bound,
    "minimum": _bound,
    "pattern": _pattern,
    "minLength": _not_empty,
    "minProperties": _not_empty,
    "uniqueItems": _unique,
}
