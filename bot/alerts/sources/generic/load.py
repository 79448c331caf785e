"""Read a generic mappings YAML file into compiled mappings, or refuse it naming file and line.

The file is checked in three passes: YAML syntax (and no duplicate keys), the JSON Schema in
generic_schema, then what a schema cannot say (compile: regexes, templates, one value source
per field, values the Alert accepts, unique names). The first problem, by line, is reported.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from bot.alerts.sources.generic.compile import compile_mapping
from bot.alerts.sources.generic.mapping import EventMapping
from bot.alerts.sources.generic.problems import describe
from bot.alerts.sources.generic.schema import MAPPINGS_SCHEMA
from bot.errors import MappingFileError, MappingProblem, PolicyError
from bot.policy.yamlsource import PathStep, decode_text, parse_yaml

EMPTY_MAPPINGS = "the mappings file is empty; it needs 'version: 1' and a 'mappings:' list"


def load_mapping_file(path: str | os.PathLike[str]) -> list[EventMapping]:
    source = os.fspath(path)
    try:
        raw = Path(source).read_bytes()
    except OSError as error:
        reason = f"cannot read the mappings file: {error.strerror or error}"
        raise MappingFileError(reason, file=source) from error
    try:
        text = decode_text(raw, source)
    except PolicyError as error:
        raise _as_mapping_error(error) from error
    return load_mapping_text(text, source=source)


def load_mapping_text(text: str, *, source: str = "<string>") -> list[EventMapping]:
    try:
        document = parse_yaml(text, source, empty_reason=EMPTY_MAPPINGS)
    except PolicyError as error:
        raise _as_mapping_error(error) from error
    problem = min(
        _schema_problems(document.data), key=lambda p: document.line_of(p.path), default=None
    )
    if problem is None:
        mappings, problem = _compile_all(document.data)
        if problem is None:
            return mappings
    raise MappingFileError(
        _located(problem, document.data), file=source, line=document.line_of(problem.path)
    )


def _as_mapping_error(error: PolicyError) -> MappingFileError:
    """The policy's YAML reader reports in PolicyError; a mappings file reports its own kind."""
    return MappingFileError(error.reason, file=error.file, line=error.line)


def _compile_all(data: Any) -> tuple[list[EventMapping], MappingProblem | None]:
    mappings: list[EventMapping] = []
    first_at: dict[str, int] = {}
    for index, entry in enumerate(data["mappings"]):
        at: tuple[PathStep, ...] = ("mappings", index)
        try:
            mapping = compile_mapping(entry, at)
        except MappingProblem as problem:
            return [], problem
        if mapping.name in first_at:
            first = first_at[mapping.name]
            reason = (
                f"mapping name '{mapping.name}' is used twice in this file (first at "
                f"mappings[{first}]); names must be unique"
            )
            return [], MappingProblem((*at, "name"), reason)
        first_at[mapping.name] = index
        mappings.append(mapping)
    return mappings, None


def _located(problem: MappingProblem, data: Any) -> str:
    """The reason, naming the mapping it is in when the path runs through one."""
    path = problem.path
    if len(path) >= 2 and path[0] == "mappings" and isinstance(path[1], int):
        name = _mapping_name(data, path[1])
        if name:
            return f"mapping '{name}': {problem.reason}"
    return problem.reason


def _mapping_name(data: Any, index: int) -> str | None:
    try:
        name = data["mappings"][index]["name"]
    except (KeyError, IndexError, TypeError):
        return None
    return name if isinstance(name, str) else None


@cache
def _validator() -> Draft202012Validator:
    Draft202012Validator.check_schema(MAPPINGS_SCHEMA)
    return Draft202012Validator(MAPPINGS_SCHEMA)


def _schema_problems(data: Any) -> Iterator[MappingProblem]:
    for error in _validator().iter_errors(data):
        yield describe(best_match([error]))
