"""Who an action would touch: every name of its target and the target's owner, and the
stable identity id behind them.

Protected-target rules match any of these names, so the executor asks the provider for them
under a short credential of its own before deciding. An approval is bound to the identity id
the target resolved to when it was parked; revalidation resolves it again before running.
Read-only calls and calls without a target resolve to nothing.
"""

from __future__ import annotations

from bot.policy import Policy
from bot.providers.scope import call_scope_for
from bot.tasks.credentials import CredentialBroker
from bot.tasks.runner import TaskHandle
from tools.base import Provider, TargetInfo, Tool, ToolArgs
from tools.providers.call_scope import scoped_call

RESOLVE_SCOPES = frozenset({"directory:read"})
RESOLVE_TTL_SECONDS = 30


def target_aliases(tool: Tool, args: ToolArgs, info: TargetInfo | None) -> frozenset[str]:
    """Every name of the action's target and its owner, for protected-target rules."""
    target = tool.target_of(args)
    if info is None or target is None:
        return frozenset()
    return frozenset({target.lower(), *info.aliases})


class TargetResolver:
    def __init__(self, *, broker: CredentialBroker, provider: Provider) -> None:
        self._broker = broker
        self._provider = provider

    def resolve(
        self, task: TaskHandle, tool: Tool, args: ToolArgs, policy: Policy
    ) -> TargetInfo | None:
        """Who or what the action would touch (None for reads and targetless tools)."""
        target = tool.target_of(args)
        if policy.tools[tool.name].mode == "read_only" or target is None:
            return None
        with (
            scoped_call(call_scope_for(self._provider, "resolve_target", target)),
            self._broker.issue(
                task.id,
                "resolve_target",
                RESOLVE_SCOPES,
                RESOLVE_TTL_SECONDS,
                policy_version=policy.version,
            ) as credential,
        ):
            return self._provider.resolve_target(credential, target)

    def aliases(
        self, task: TaskHandle, tool: Tool, args: ToolArgs, policy: Policy
    ) -> frozenset[str]:
        return target_aliases(tool, args, self.resolve(task, tool, args, policy))
