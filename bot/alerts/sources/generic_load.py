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

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from bot.alerts.sources.generic_compile import compile_mapping
from bot.alerts.sources.generic_mapping import EventMapping
from bot.alerts.sources.generic_problems import Problem, describe
from bot.alerts.sources.generic_schema import MAPPINGS_SCHEMA
from bot.errors import ConfigError, PolicyError
from bot.policy.yamlsource import PathStep, YamlDocument, refuse_duplicate_keys, syntax_error


class MappingFileError(ConfigError):
    """A mappings file socbot refuses to load; `file` and `line` say where to look."""

    def __init__(self, reason: str, *, file: str, line: int | None = None) -> None:
        self.file = file
        self.line = line
        self.reason = reason
        super().__init__(f"{file}{f':{line}' if line is not None else ''}: {reason}")


def load_mapping_file(path: str | os.PathLike[str]) -> list[EventMapping]:
    source = os.fspath(path)
    try:
        raw = Path(source).read_bytes()
    except OSError as error:
        reason = f"cannot read the mappings file: {error.strerror or error}"
        raise MappingFileError(reason, file=source) from error
    return load_mapping_text(_decode(raw, source), source=source)


def load_mapping_text(text: str, *, source: str = "<string>") -> list[EventMapping]:
    document = _parse(text, source)
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


def _decode(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        reason = f"the file is not UTF-8 (byte 0x{raw[error.start]:02x}); save it as UTF-8"
        raise MappingFileError(reason, file=source, line=line) from error


def _parse(text: str, source: str) -> YamlDocument:
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise MappingFileError(
                "the mappings file is empty; it needs 'version: 1' and a 'mappings:' list",
                file=source,
                line=1,
            )
        refuse_duplicate_keys(root, source)
        return YamlDocument(loader.construct_document(root), root, source)
    except yaml.MarkedYAMLError as error:
        raise _as_mapping_error(syntax_error(error, source)) from error
    except yaml.YAMLError as error:
        raise MappingFileError(f"YAML error: {error}", file=source) from error
    except PolicyError as error:
        raise _as_mapping_error(error) from error
    finally:
        loader.dispose()


def _as_mapping_error(error: PolicyError) -> MappingFileError:
    return MappingFileError(error.reason, file=error.file, line=error.line)


def _compile_all(data: Any) -> tuple[list[EventMapping], Problem | None]:
    mappings: list[EventMapping] = []
    first_at: dict[str, int] = {}
    for index, entry in enumerate(data["mappings"]):
        at: tuple[PathStep, ...] = ("mappings", index)
        try:
            mapping = compile_mapping(entry, at)
        except Problem as problem:
            return [], problem
        if mapping.name in first_at:
            first = first_at[mapping.name]
            reason = (
                f"mapping name '{mapping.name}' is used twice in this file (first at "
                f"mappings[{first}]); names must be unique"
            )
            return [], Problem((*at, "name"), reason)
        first_at[mapping.name] = index
        mappings.append(mapping)
    return mappings, None


def _located(problem: Problem, data: Any) -> str:
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


def _schema_problems(data: Any) -> Iterator[Problem]:
    for error in _validator().iter_errors(data):
        yield describe(best_match([error]))
