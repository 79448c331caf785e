"""An action's target, as policy and approvers see it: every name, and the stable id."""

from __future__ import annotations

from tools.base import TargetInfo, Tool, ToolArgs


def target_aliases(tool: Tool, args: ToolArgs, info: TargetInfo | None) -> frozenset[str]:
    """Every name of the action's target and its owner, for protected-target rules."""
    target = tool.target_of(args)
    if info is None or target is None:
        return frozenset()
    return frozenset({target.lower(), *info.aliases})
