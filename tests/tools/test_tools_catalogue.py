"""The tools: registered once each, described for the model, and run against the lab with a
credential scoped the way policy.yaml scopes them."""

from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from lab_fixtures import IssueCredential
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.canonical import sha256_hex
from tools import REGISTRY, get_tool
from tools.base import TaskContext, Tool
from tools.providers.lab import LabProvider
from tools.providers.lab.models import LabAccessKey

TOOLS_DIR = Path(__file__).resolve().parents[2] / "tools"
POLICY = TOOLS_DIR.parent / "policy.yaml"
NOT_TOOLS = {"__init__", "base", "arguments", "errors", "shared"}
TOOL_FILES = sorted(p.stem for p in TOOLS_DIR.glob("*.py") if p.stem not in NOT_TOOLS)
READ_ONLY = {
    "get_identity",
    "list_sessions",
    "list_access_keys",
    "list_oauth_grants",
    "recent_auth_events",
    "assess_blast_radius",
}
FORBIDDEN_IMPORTS = (
    "bot.policy",
    "bot.actions.approvals",
    "bot.audit.log",
    "bot.executor.dispatch",
)

REASON = "Twelve denied pushes then an approval from a new country: contain now."
EXAMPLE_ARGS: dict[str, dict[str, Any]] = {
    "get_identity": {"identity": "maria.chen@lab.example"},
    "list_sessions": {"identity": "p-maria-chen"},
    "list_access_keys": {"identity": "arn:aws:iam::111122223333:user/svc-ci-deployer"},
    "list_oauth_grants": {"identity": "Tom Becker"},
    "recent_auth_events": {"identity": "p-maria-chen", "hours": 2, "limit": 5},
    "assess_blast_radius": {"identity": "p-lee-park"},
    "revoke_sessions": {"identity": "p-maria-chen", "reason": REASON},
    "suspend_identity": {"identity": "p-maria-chen", "reason": REASON},
    "deactivate_access_key": {"key_id": "AKIAEXAMPLECIDEPLOY1", "reason": REASON},
    "rotate_access_key": {"key_id": "AKIAEXAMPLECIDEPLOY1", "reason": REASON},
    "revoke_oauth_grant": {"grant_id": "(the Mail Sorter Pro grant)", "reason": REASON},
    "reset_mfa": {"identity": "p-maria-chen", "reason": REASON},
    "remove_from_group": {"identity": "p-lee-park", "group": "g-aws-admins", "reason": REASON},
}


def policy_scopes(name: str) -> frozenset[str]:
    return frozenset(yaml.safe_load(POLICY.read_text())["tools"][name]["scopes"])


def test_tool_name_is_file_name_is_function_name() -> None:
    assert set(REGISTRY) == set(TOOL_FILES) == set(EXAMPLE_ARGS)
    for stem in TOOL_FILES:
        declared = getattr(importlib.import_module(f"tools.{stem}"), stem)
        assert isinstance(declared, Tool)
        assert declared.name == declared.function.__name__ == stem
        assert REGISTRY[stem] is declared is get_tool(stem)
    assert get_tool("no_such_tool") is None


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_tool_is_described_for_the_model(name: str) -> None:
    declared = REGISTRY[name]
    assert len(declared.description) > 200 and "Returns" in declared.description
    schema = declared.parameters_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert declared.target_field in schema["properties"]
    assert all(field.get("description") for field in schema["properties"].values())
    assert declared.openai_spec()["function"]["name"] == name
    if name in READ_ONLY:
        assert "Read-only" in declared.description
    else:
        assert "approval" in declared.description and "reason" in schema["required"]


@pytest.mark.parametrize("stem", TOOL_FILES)
def test_tools_do_not_import_the_gate(stem: str) -> None:
    tree = ast.parse((TOOLS_DIR / f"{stem}.py").read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m.startswith(FORBIDDEN_IMPORTS)]


def mail_sorter_grant_id(lab: LabProvider, issue: IssueCredential) -> str:
    grants = lab.list_oauth_grants(issue({"grants:read"}), "p-tom-becker")["grants"]
    return next(g["grant_id"] for g in grants if g["app_name"] == "Mail Sorter Pro")


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_tool_runs_with_a_credential_scoped_by_policy(
    lab: LabProvider, issue: IssueCredential, name: str
) -> None:
    declared = REGISTRY[name]
    raw = dict(EXAMPLE_ARGS[name])
    if "grant_id" in raw:
        raw["grant_id"] = mail_sorter_grant_id(lab, issue)
    args = declared.args_model.model_validate(raw)
    ctx = TaskContext("task-tools", issue(policy_scopes(name), task_id="task-tools"), lab)
    result = declared.run(args, ctx)
    assert json.loads(json.dumps(result)) == result
    assert declared.target_of(args) == raw[declared.target_field or ""].strip()
    if name not in READ_ONLY:
        assert result["changed"] is True


def test_rotate_tool_returns_no_secret(
    lab: LabProvider, issue: IssueCredential, engine: Engine
) -> None:
    rotate = REGISTRY["rotate_access_key"]
    args = rotate.args_model.model_validate(EXAMPLE_ARGS["rotate_access_key"])
    ctx = TaskContext("task-rotate", issue(policy_scopes("rotate_access_key")), lab)
    result = rotate.run(args, ctx)
    with Session(engine) as session:
        new = session.get(LabAccessKey, result["new_key_id"])
    assert new is not None and new.status == "active"
    flat = json.dumps(result)
    assert "secret_sha256" not in flat and new.secret_sha256 not in flat
    assert all(sha256_hex(str(value)) != new.secret_sha256 for value in result.values())


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("recent_auth_events", {"identity": "p-maria-chen", "hours": 0}),
        ("recent_auth_events", {"identity": "p-maria-chen", "hours": 169}),
        ("recent_auth_events", {"identity": "p-maria-chen", "limit": 201}),
        ("get_identity", {"identity": ""}),
        ("get_identity", {"identity": "x" * 201}),
        ("get_identity", {"identity": "p-maria-chen; drop table"}),
        ("get_identity", {"identity": "p-maria-chen", "extra": 1}),
        ("deactivate_access_key", {"key_id": "AKIA-not-a-key!", "reason": REASON}),
        ("revoke_oauth_grant", {"grant_id": "grant 1", "reason": REASON}),
        ("suspend_identity", {"identity": "p-maria-chen"}),
        ("suspend_identity", {"identity": "p-maria-chen", "reason": "x" * 501}),
    ],
)
def test_arguments_out_of_bounds_are_refused(name: str, raw: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        REGISTRY[name].args_model.model_validate(raw)


def test_argument_defaults() -> None:
    args = REGISTRY["recent_auth_events"].args_model.model_validate({"identity": " José Núñez "})
    assert args.model_dump() == {"identity": "José Núñez", "hours": 24, "limit": 50}
