"""What a tool is, what it receives, and the provider protocol it acts through.

A tool knows nothing of policy, approvals or audit. It gets a TaskContext holding the
credential issued for this one call and the provider to act on, and returns plain JSON data.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict


class ToolArgs(BaseModel):
    """Base of every tool's argument model: unknown fields are an error, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


@dataclass(frozen=True)
class PresentedCredential:
    """The credential a tool presents to its provider. The secret never leaves the tool call."""

    credential_id: str
    secret: str = field(repr=False)
    scopes: frozenset[str]
    expires_at: datetime


@dataclass(frozen=True)
class TargetInfo:
    """Who or what an action would touch, in every spelling a protected-target rule may use."""

    ref: str
    kind: str  # person | service_account | access_key | oauth_grant | group | session
    identity_id: str | None
    aliases: frozenset[str]


class Provider(Protocol):
    """The system tools act on. Every method checks the presented credential and its scope."""

    name: str

    def resolve_target(self, cred: PresentedCredential, ref: str) -> TargetInfo: ...
    def get_identity(self, cred: PresentedCredential, identity: str) -> dict[str, Any]: ...
    def list_sessions(self, cred: PresentedCredential, identity: str) -> dict[str, Any]: ...
    def list_access_keys(self, cred: PresentedCredential, identity: str) -> dict[str, Any]: ...
    def list_oauth_grants(self, cred: PresentedCredential, identity: str) -> dict[str, Any]: ...
    def recent_auth_events(
        self, cred: PresentedCredential, identity: str, hours: int, limit: int
    ) -> dict[str, Any]: ...
    def assess_blast_radius(self, cred: PresentedCredential, identity: str) -> dict[str, Any]: ...
    def revoke_sessions(self, cred: PresentedCredential, identity: str) -> dict[str, Any]: ...
    def suspend_identity(self, cred: PresentedCredential, identity: str) -> dict[str, Any]: ...
    def deactivate_access_key(self, cred: PresentedCredential, key_id: str) -> dict[str, Any]: ...
    def rotate_access_key(self, cred: PresentedCredential, key_id: str) -> dict[str, Any]: ...
    def revoke_oauth_grant(self, cred: PresentedCredential, grant_id: str) -> dict[str, Any]: ...
    def reset_mfa(self, cred: PresentedCredential, identity: str) -> dict[str, Any]: ...
    def remove_from_group(
        self, cred: PresentedCredential, identity: str, group: str
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class TaskContext:
    task_id: str
    credential: PresentedCredential
    provider: Provider


ToolFunction = Callable[[Any, TaskContext], dict[str, Any]]


@dataclass(frozen=True)
class Tool:
    """One callable capability. Its mode lives in policy.yaml, never here."""

    name: str
    args_model: type[ToolArgs]
    function: ToolFunction
    target_field: str | None = None

    @property
    def description(self) -> str:
        return inspect.cleandoc(self.function.__doc__ or "")

    def parameters_schema(self) -> dict[str, Any]:
        return self.args_model.model_json_schema()

    def openai_spec(self) -> dict[str, Any]:
        """The function declaration the model sees."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters_schema(),
            },
        }

    def target_of(self, args: ToolArgs) -> str | None:
        return None if self.target_field is None else str(getattr(args, self.target_field))

    def run(self, args: ToolArgs, ctx: TaskContext) -> dict[str, Any]:
        return self.function(args, ctx)


def tool(
    args_model: type[ToolArgs], *, target: str | None = None
) -> Callable[[ToolFunction], Tool]:
    """Declare a tool: the function's name is the tool's name, its docstring the model's guide."""

    def wrap(function: ToolFunction) -> Tool:
        if target is not None and target not in args_model.model_fields:
            raise TypeError(f"{function.__name__}: target field {target!r} is not an argument")
        return Tool(function.__name__, args_model, function, target)

    return wrap
