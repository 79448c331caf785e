"""What the credential being minted is for: which provider, and which resources it may touch.

The executor sets this around a tool call; a credential backend that can scope a credential
to resources (AWS session policies) reads it while minting. Minting happens in the caller's
thread, so a context variable carries it without widening the backend protocol.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class CallScope:
    provider: str
    tool: str
    targets: tuple[str, ...] = ()  # the resources' own names in that provider (ARNs for AWS)
    strategy: str | None = None  # how to mint, when the policy rule says (aws: sts | iam_user)


_current: ContextVar[CallScope | None] = ContextVar("socbot_call_scope", default=None)


@contextmanager
def scoped_call(scope: CallScope | None) -> Iterator[None]:
    token = _current.set(scope)
    try:
        yield
    finally:
        _current.reset(token)


def current_call() -> CallScope | None:
    return _current.get()
