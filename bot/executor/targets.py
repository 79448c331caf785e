"""Who an action would touch: every name of its target and the target's owner.

Protected-target rules match any of these names, so the executor asks the provider for them
under a short credential of its own before deciding. Read-only calls and calls without a
target resolve to nothing.
"""

from __future__ import annotations

from bot.policy import Policy
from bot.tasks.credentials import CredentialBroker
from bot.tasks.runner import TaskHandle
from tools.base import Provider, Tool, ToolArgs

RESOLVE_SCOPES = frozenset({"directory:read"})
RESOLVE_TTL_SECONDS = 30


class TargetResolver:
    def __init__(self, *, broker: CredentialBroker, provider: Provider) -> None:
        self._broker = broker
        self._provider = provider

    def aliases(
        self, task: TaskHandle, tool: Tool, args: ToolArgs, policy: Policy
    ) -> frozenset[str]:
        target = tool.target_of(args)
        if policy.tools[tool.name].mode == "read_only" or target is None:
            return frozenset()
        with self._broker.issue(
            task.id,
            "resolve_target",
            RESOLVE_SCOPES,
            RESOLVE_TTL_SECONDS,
            policy_version=policy.version,
        ) as credential:
            info = self._provider.resolve_target(credential, target)
        return frozenset({target.lower(), *info.aliases})
