"""The layout's rules, read from the code's imports (ast), so the map in docs/architecture.md
stays true: calls go one way, power flows through one run step, and each layer imports only
what lies below it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "tools")
RUN_STEP = "bot.executor.run_step"
MAX_MODULE_LINES = 300


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module

    @property
    def lines(self) -> int:
        return len(self.path.read_text(encoding="utf-8").splitlines())


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Module]:
    """Every module of bot/ and tools/ but the migrations, which alembic loads by path."""
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = _module_name(path)
            found[name] = Module(name, path, ast.parse(path.read_text(encoding="utf-8")))
    return found


MODULES = _modules()
MODULE_NAMES = frozenset(MODULES)


def _imported(module: Module) -> Iterator[str]:
    """Every module this one imports, anywhere in the file (type-only imports included)."""
    package = module.name if module.path.name == "__init__.py" else module.name.rpartition(".")[0]
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from package import submodule` depends on the submodule, not the package's face.
            submodules = [f"{base}.{alias.name}" for alias in node.names]
            named = [name for name in submodules if name in MODULE_NAMES]
            yield from named
            if len(named) < len(submodules):
                yield base


def _internal_imports(module: Module) -> set[str]:
    """The project modules this one imports (a package counts as its __init__)."""
    return {name for name in _imported(module) if name in MODULES and name != module.name}


GRAPH = {name: _internal_imports(module) for name, module in MODULES.items()}


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in GRAPH[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in sorted(GRAPH):
        if name not in index:
            visit(name)
    return found


def _importers_of(prefix: str) -> set[str]:
    return {
        name
        for name, module in MODULES.items()
        if any(imp == prefix or imp.startswith(prefix + ".") for imp in _imported(module))
    }


def _in(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_rules_see_the_whole_project() -> None:
    assert len(MODULES) > 150 and RUN_STEP in MODULES and "tools.base" in MODULES


def test_there_are_no_import_cycles_type_only_ones_included() -> None:
    assert _cycles() == []


def test_only_the_run_step_calls_tool_run() -> None:
    callers = set()
    for name, module in MODULES.items():
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Attribute) and node.attr == "run":
                receiver = node.value
                named = (
                    receiver.id if isinstance(receiver, ast.Name) else getattr(receiver, "attr", "")
                )
                if named.lower().endswith("tool"):
                    callers.add(name)
    assert callers == {RUN_STEP}


def test_tools_import_nothing_from_bot() -> None:
    offenders = {name for name in _importers_of("bot") if _in(name, "tools")}
    assert offenders == set()


def test_tools_never_import_policy_approvals_or_audit() -> None:
    powers = ("bot.policy", "bot.actions", "bot.audit", "bot.executor")
    offenders = {
        name for name in MODULES if _in(name, "tools") and any(_in(i, *powers) for i in GRAPH[name])
    }
    assert offenders == set()


def test_alerts_never_import_slack() -> None:
    offenders = {name for name in _importers_of("bot.slack") if _in(name, "bot.alerts")}
    assert offenders == set()


@pytest.mark.parametrize("library", ["slack_sdk", "slack_bolt"])
def test_only_slack_imports_the_slack_libraries(library: str) -> None:
    offenders = {name for name in _importers_of(library) if not _in(name, "bot.slack")}
    assert offenders == set()


def test_only_the_agent_imports_the_openai_client() -> None:
    offenders = {name for name in _importers_of("openai") if not _in(name, "bot.agent")}
    assert offenders == set()


def test_no_module_reads_global_settings() -> None:
    """Settings are read once (bot.commands.common builds them) and passed through the runtime."""
    readers = set()
    for name, module in MODULES.items():
        for node in ast.walk(module.tree):
            called = node.func if isinstance(node, ast.Call) else None
            if isinstance(called, ast.Name) and called.id == "get_settings":
                readers.add(name)
    assert readers <= {"bot.commands.common"}


def test_errors_are_declared_only_in_the_error_modules() -> None:
    """One exception tree. The one allowance: slack/ may join a class of the tree with
    slack_sdk's SlackApiError, which bot.errors cannot import."""
    declared = set()
    for name, module in MODULES.items():
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = [base.id for base in node.bases if isinstance(base, ast.Name)]
            if not any(base.endswith(("Error", "Exception")) for base in bases):
                continue
            joins_slack = "SlackApiError" in bases and _in(name, "bot.slack") and len(bases) == 2
            if not joins_slack:
                declared.add(name)
    assert declared <= {"bot.errors", "tools.errors"}


def test_every_module_is_under_the_size_limit() -> None:
    too_long = {name: m.lines for name, m in MODULES.items() if m.lines > MAX_MODULE_LINES}
    assert too_long == {}
