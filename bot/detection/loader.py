"""Load detection rules: the shipped files, then an admin file that adds, replaces or
disables rules by id. Every complaint names the file and line, like policy.yaml's."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from bot.detection.matcher import compile_selection
from bot.detection.model import Rule
from bot.errors import PolicyError, RulesError, SelectionError
from bot.policy.validation import describe
from bot.policy.yamlsource import YamlDocument, decode_text, parse_yaml

COMPLETE_RULE = ("title", "sources", "event_types", "attack", "severity")
EMPTY_RULES = "the rules file is empty; give at least `rules: []`"


@cache
def _validator() -> Draft202012Validator:
    text = resources.files("bot.detection").joinpath("schema.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def shipped_rule_files() -> list[tuple[str, bytes]]:
    folder = resources.files("bot.detection").joinpath("rules")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
    return [(f"bot/detection/rules/{f.name}", f.read_bytes()) for f in files]


def load_rules(admin_file: Path | None = None) -> list[Rule]:
    """The shipped rules, then the admin file's over them by id; RulesError if any is wrong."""
    rules: dict[str, Rule] = {}
    for name, raw in shipped_rule_files():
        for rule in rules_from_bytes(raw, source=name):
            if rule.id in rules:
                raise RulesError(
                    f"rule id {rule.id!r} is used twice (first at {rules[rule.id].origin})",
                    file=rule.origin.rsplit(":", 1)[0],
                    line=int(rule.origin.rsplit(":", 1)[1]),
                )
            rules[rule.id] = rule
    if admin_file is not None:
        try:
            raw = admin_file.read_bytes()
        except OSError as exc:
            raise RulesError(
                f"cannot read the rules file: {exc.strerror}", file=str(admin_file)
            ) from exc
        for rule in rules_from_bytes(raw, source=str(admin_file), partial_ok=True):
            if rule.title == "":  # disabled
                rules.pop(rule.id, None)
            else:
                rules[rule.id] = rule
    return list(rules.values())


def rules_from_bytes(raw: bytes, *, source: str, partial_ok: bool = False) -> list[Rule]:
    try:
        document = parse_yaml(decode_text(raw, source), source, empty_reason=EMPTY_RULES)
    except PolicyError as exc:
        raise RulesError(exc.reason, file=exc.file, line=exc.line) from None
    problem = next(iter(_validator().iter_errors(document.data)), None)
    if problem is not None:
        found = describe(problem)
        raise RulesError(found.reason, file=source, line=document.line_of(found.path))
    return [
        _compiled(entry, document, index, partial_ok)
        for index, entry in enumerate(document.data["rules"])
    ]


def _compiled(entry: Mapping[str, Any], document: YamlDocument, index: int, partial: bool) -> Rule:
    origin_line = document.line_of(("rules", index))
    origin = f"{document.source}:{origin_line}"
    if entry.get("disabled"):
        if not partial:
            raise RulesError(
                "shipped rules cannot be disabled", file=document.source, line=origin_line
            )
        return _disabled(entry["id"], origin)
    missing = [key for key in COMPLETE_RULE if key not in entry]
    if missing:
        raise RulesError(
            f"rule {entry['id']!r} needs {', '.join(missing)}",
            file=document.source,
            line=origin_line,
        )
    selections = dict(_selections(entry, document, index))
    return Rule(
        id=entry["id"],
        title=entry["title"],
        sources=tuple(entry["sources"]),
        event_types=tuple(entry["event_types"]),
        match=selections.get("match"),
        any=tuple(v for k, v in selections.items() if k.startswith("any")),
        filter=tuple(v for k, v in selections.items() if k.startswith("filter")),
        attack=tuple(entry["attack"]),
        severity=entry["severity"],
        verdict=entry.get("verdict", "suspicious"),
        playbook=entry.get("playbook", "unknown"),
        reference=entry.get("reference", ""),
        origin=origin,
    )


def _selections(entry: Mapping[str, Any], document: YamlDocument, index: int) -> Iterator[Any]:
    places: list[tuple[str, tuple[Any, ...], Mapping[str, Any]]] = []
    if "match" in entry:
        places.append(("match", ("rules", index, "match"), entry["match"]))
    for kind in ("any", "filter"):
        for number, selection in enumerate(entry.get(kind) or []):
            places.append((f"{kind}{number}", ("rules", index, kind, number), selection))
    for name, path, selection in places:
        try:
            yield name, compile_selection(selection)
        except SelectionError as exc:
            raise RulesError(str(exc), file=document.source, line=document.line_of(path)) from None


def _disabled(rule_id: str, origin: str) -> Rule:
    return Rule(rule_id, "", (), (), None, (), (), (), "low", "suspicious", "unknown", "", origin)
