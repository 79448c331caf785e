"""Read policy.yaml and refuse it, naming file, line and fix, unless every rule makes sense."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from bot.canonical import sha256_hex
from bot.errors import PolicyError
from bot.policy.build import approver_groups, build_policy, resolve_approvers
from bot.policy.model import ApproverSet, Policy
from bot.policy.validation import Problem, schema_problems, where
from bot.policy.yamlsource import PathStep, YamlDocument, decode_text, parse_yaml

_HERE = "urn:socbot:constraints"
_NO_REMOTE: Registry[Any] = Registry()


def load_policy(path: str | os.PathLike[str]) -> Policy:
    source = os.fspath(path)
    try:
        raw = Path(source).read_bytes()
    except OSError as error:
        raise unreadable_policy(source, error) from error
    return load_policy_bytes(raw, source=source)


def unreadable_policy(source: str, error: OSError) -> PolicyError:
    """Why the file could not be read; a missing one names the full path and how to point
    socbot at another."""
    reason = f"cannot read the policy file: {error.strerror or error}"
    if isinstance(error, FileNotFoundError):
        reason += (
            f" (tried {Path(source).absolute()}); set SOCBOT_POLICY or pass --policy, "
            "or write a starter policy with `socbot init`"
        )
    return PolicyError(reason, file=source)


def load_policy_text(text: str, *, source: str = "<string>") -> Policy:
    """The version is the sha256 of the text's UTF-8 bytes, as if read from a file."""
    return load_policy_bytes(text.encode("utf-8"), source=source)


def load_policy_bytes(raw: bytes, *, source: str) -> Policy:
    document = parse_yaml(decode_text(raw, source), source)
    schema_problem = min(
        schema_problems(document.data), key=lambda p: document.line_of(p.path), default=None
    )
    problem = schema_problem or next(semantic_problems(document.data), None)
    if problem is not None:
        raise _refusal(document, problem)
    return build_policy(document.data, source=source, version=sha256_hex(raw))


def _refusal(document: YamlDocument, problem: Problem) -> PolicyError:
    return PolicyError(problem.reason, file=document.source, line=document.line_of(problem.path))


def semantic_problems(data: Mapping[str, Any]) -> Iterator[Problem]:
    """What the schema cannot say: cross references, sound constraint schemas, quorum."""
    groups = approver_groups(data)
    default_quorum = data["defaults"]["quorum"]
    for name, rule in data["tools"].items():
        unknown = list(_unknown_groups(name, rule, groups))
        yield from unknown
        yield from _constraint_problems(name, rule)
        if not unknown:
            yield from _quorum_problems(name, rule, groups, default_quorum)


def _unknown_groups(
    name: str, rule: Mapping[str, Any], groups: Mapping[str, ApproverSet]
) -> Iterator[Problem]:
    declared = ", ".join(sorted(groups)) or "none"
    for i, group in enumerate(rule.get("approvers", {}).get("groups", ())):
        if group not in groups:
            path = ("tools", name, "approvers", "groups", i)
            reason = (
                f"{where(path)} names approver group '{group}', which is not declared under "
                f"approver_groups (declared: {declared})"
            )
            yield Problem(path, reason)


def _constraint_problems(name: str, rule: Mapping[str, Any]) -> Iterator[Problem]:
    schema = rule.get("constraints")
    if schema is None:
        return
    base: tuple[PathStep, ...] = ("tools", name, "constraints")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        path = (*base, *error.absolute_path)
        yield Problem(path, f"{where(path)} is not valid JSON Schema: {error.message}")
        return
    registry = _NO_REMOTE.with_resource(_HERE, DRAFT202012.create_resource(schema))
    for inner, ref in _references(schema, ()):
        path = (*base, *inner)
        if not ref.startswith("#"):
            reason = (
                f"{where(path)} points outside the policy ('{ref}'); constraints may only "
                "refer inside themselves, such as '#/$defs/name'"
            )
            yield Problem(path, reason)
        elif not _resolves(registry, ref):
            yield Problem(path, f"{where(path)} points at '{ref}', which these constraints lack")


def _resolves(registry: Registry[Any], ref: str) -> bool:
    try:
        registry.resolver(_HERE).lookup(ref)
    except Unresolvable:
        return False
    return True


def _references(
    schema: Any, path: tuple[PathStep, ...]
) -> Iterator[tuple[tuple[PathStep, ...], str]]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key in ("$ref", "$dynamicRef") and isinstance(value, str):
                yield (*path, key), value
            else:
                yield from _references(value, (*path, key))
    elif isinstance(schema, list):
        for i, item in enumerate(schema):
            yield from _references(item, (*path, i))


def _quorum_problems(
    name: str, rule: Mapping[str, Any], groups: Mapping[str, ApproverSet], default_quorum: int
) -> Iterator[Problem]:
    if rule["mode"] != "execute_with_approval":
        return
    approvers = resolve_approvers(rule.get("approvers", {}), groups)
    quorum = rule.get("quorum", default_quorum)
    # Members of a Slack user group are only known at approval time: no count to check.
    if approvers.usergroups or len(approvers.users) >= quorum:
        return
    own = "quorum" in rule
    path: tuple[PathStep, ...] = ("tools", name, "quorum") if own else ("tools", name)
    people = ", ".join(sorted(approvers.users)) or "nobody"
    reason = (
        f"tools.{name} needs {quorum} approvals{'' if own else ' (defaults.quorum)'} but only "
        f"{len(approvers.users)} can ever approve ({people}); add approvers or lower the quorum"
    )
    yield Problem(path, reason)
