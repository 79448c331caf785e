"""Problems found in a mappings file, and the words that tell an admin what to fix.

A MappingProblem carries the path of the offending node in the YAML document, so the loader can name
its line; `describe` turns a JSON Schema error into one, in the admin's words."""

from __future__ import annotations

from collections.abc import Callable

from jsonschema.exceptions import ValidationError

from bot.errors import MappingProblem
from bot.policy.validation import TYPE_WORDS, shown
from bot.policy.yamlsource import PathStep

Path = tuple[PathStep, ...]


def where(path: Path) -> str:
    """mappings[2].fields.actor.email: a node's path as the admin would look for it."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text or "the mappings file"


def describe(error: ValidationError) -> MappingProblem:
    path = tuple(error.absolute_path)
    phrase = _PHRASES.get(str(error.validator))
    if phrase is None:
        return MappingProblem(path, f"{where(path)}: {error.message}")
    return phrase(error, path)


def _additional(error: ValidationError, path: Path) -> MappingProblem:
    allowed = error.schema.get("properties", {})
    extra = next(key for key in error.instance if key not in allowed)
    reason = f"unknown key '{extra}' in {where(path)}; allowed keys: {', '.join(allowed)}"
    return MappingProblem((*path, extra), reason)


def _required(error: ValidationError, path: Path) -> MappingProblem:
    missing = next(key for key in error.validator_value if key not in error.instance)
    return MappingProblem(path, f"{where(path)} is missing '{missing}'")


def _type(error: ValidationError, path: Path) -> MappingProblem:
    expected = error.validator_value
    names = expected if isinstance(expected, list) else [expected]
    words = " or ".join(TYPE_WORDS.get(str(name), str(name)) for name in names)
    return MappingProblem(path, f"{where(path)} must be {words}, not {shown(error.instance)}")


def _enum(error: ValidationError, path: Path) -> MappingProblem:
    allowed = ", ".join(str(option) for option in error.validator_value)
    return MappingProblem(
        path, f"{where(path)} is {shown(error.instance)}; it must be one of: {allowed}"
    )


def _const(error: ValidationError, path: Path) -> MappingProblem:
    reason = f"{where(path)} must be {error.validator_value}, not {shown(error.instance)}"
    return MappingProblem(path, reason)


def _pattern(error: ValidationError, path: Path) -> MappingProblem:
    shape = error.schema.get("description") or f"text matching {error.validator_value}"
    return MappingProblem(path, f"{where(path)} is {shown(error.instance)}, which is not {shape}")


def _empty(error: ValidationError, path: Path) -> MappingProblem:
    return MappingProblem(path, f"{where(path)} must not be empty")


def _one_of(error: ValidationError, path: Path) -> MappingProblem:
    named = [option for branch in error.validator_value for option in branch.get("enum", ())]
    value_form = "a mapping with path, template or const (see mappings.yaml's header)"
    if named:
        accepted = f"it must be one of: {', '.join(named)}, or {value_form}"
    else:
        accepted = f"it must be a dotted path, a list of alternatives, or {value_form}"
    return MappingProblem(path, f"{where(path)} is {shown(error.instance)}; {accepted}")


_PHRASES: dict[str, Callable[[ValidationError, Path], MappingProblem]] = {
    "additionalProperties": _additional,
    "required": _required,
    "type": _type,
    "enum": _enum,
    "const": _const,
    "pattern": _pattern,
    "minItems": _empty,
    "minProperties": _empty,
    "minLength": _empty,
    "oneOf": _one_of,
}
