"""Adding a tool is three edits: its file in tools/, its line in tools/__init__.py, its rule in
policy.yaml. These tests fail when one of the three is missing."""

from __future__ import annotations

import ast
import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.policy import check_against_registry, load_policy, load_policy_text
from tools import REGISTRY
from tools.providers.lab.provider import SCOPES

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS_DIR = REPO_ROOT / "tools"
POLICY_PATH = REPO_ROOT / "policy.yaml"


def is_tool_decorator(node: ast.expr) -> bool:
    """@tool(...) or @base.tool(...): the decorator that makes a function a Tool."""
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Name):
        return target.id == "tool"
    return isinstance(target, ast.Attribute) and target.attr == "tool"


def decorated_tools(folder: Path) -> dict[str, str]:
    """Tool name → file, for every @tool-decorated function in folder's top-level modules."""
    found: dict[str, str] = {}
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                is_tool_decorator(d) for d in node.decorator_list
            ):
                found[node.name] = path.name
    return found


def policy_data() -> dict[str, Any]:
    data = yaml.safe_load(POLICY_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_real_policy_and_registry_agree() -> None:
    policy = load_policy(POLICY_PATH)
    assert check_against_registry(policy, REGISTRY) == []
    assert set(policy.tools) == set(REGISTRY)


def test_every_tool_file_has_a_registry_line() -> None:
    declared = decorated_tools(TOOLS_DIR)
    assert len(declared) >= len(REGISTRY) > 0
    missing = {name: file for name, file in declared.items() if name not in REGISTRY}
    assert missing == {}, f"tools declared but not registered in tools/__init__.py: {missing}"
    assert set(REGISTRY) <= set(declared)


def test_the_scan_finds_a_tool_file_nobody_registered(tmp_path: Path) -> None:
    for path in TOOLS_DIR.glob("*.py"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "wipe_mailbox.py").write_text(
        "from tools.base import ToolArgs, tool\n"
        "from tools import base\n\n\n"
        "class WipeArgs(ToolArgs):\n"
        "    identity: str\n\n\n"
        "@tool(WipeArgs, target='identity')\n"
        "def wipe_mailbox(args, ctx):\n"
        "    '''Wipe a mailbox.'''\n"
        "    return {}\n\n\n"
        "@base.tool(WipeArgs)\n"
        "def wipe_calendar(args, ctx):\n"
        "    '''Wipe a calendar.'''\n"
        "    return {}\n\n\n"
        "def helper_not_a_tool():\n"
        "    return None\n",
        encoding="utf-8",
    )
    unregistered = set(decorated_tools(tmp_path)) - set(REGISTRY)
    assert unregistered == {"wipe_mailbox", "wipe_calendar"}


def test_a_rule_for_a_tool_that_does_not_exist_is_reported() -> None:
    data = policy_data()
    data["tools"]["purge_mailbox"] = copy.deepcopy(data["tools"]["get_identity"])
    policy = load_policy_text(yaml.safe_dump(data), source="policy-extra.yaml")
    problems = check_against_registry(policy, REGISTRY)
    assert len(problems) == 1
    assert "tools.purge_mailbox" in problems[0] and "policy-extra.yaml" in problems[0]
    assert "no tool of that name is registered" in problems[0]


@pytest.mark.parametrize("removed", ["get_identity", "suspend_identity"])
def test_a_registered_tool_without_a_rule_is_reported(removed: str) -> None:
    data = policy_data()
    del data["tools"][removed]
    policy = load_policy_text(yaml.safe_dump(data), source="policy-short.yaml")
    problems = check_against_registry(policy, REGISTRY)
    assert len(problems) == 1
    assert f"tool {removed} is registered" in problems[0]
    assert "every call is denied" in problems[0]


def test_every_rule_grants_the_scopes_the_lab_needs_for_its_tool() -> None:
    policy = load_policy(Path(__file__).resolve().parents[2] / "policy.yaml")
    short = {
        name: sorted(SCOPES[name] - rule.scopes)
        for name, rule in policy.tools.items()
        if not SCOPES[name] <= rule.scopes
    }
    assert short == {}, f"policy.yaml grants too few scopes: {short}"
