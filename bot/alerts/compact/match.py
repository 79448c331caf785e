"""How a fact rule matches a leaf: key patterns, containers, and what its value looks like."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.alerts.compact.flatten import Leaf, Value
from bot.alerts.compact.prune import normalize_key

OUTCOME_WORDS = re.compile(
    r"(?:^|[^a-z])(succe\w*|fail\w*|denied|deny|allow\w*|error\w*|block\w*|granted|reject\w*"
    r"|forbidden|unauthori\w*|ok|challenge\w*)(?:$|[^a-z])"
)


def is_text(value: Value) -> bool:
    return isinstance(value, (str, tuple)) or (type(value) is int)


def is_scalar_text(value: Value) -> bool:
    return isinstance(value, str) or type(value) is int


def is_ip(value: Value) -> bool:
    """An IPv4 or IPv6 address, also as `1.2.3.4:443` or `[2001:db8::1]:443`."""
    if not isinstance(value, str):
        return False
    host = value
    if host.startswith("[") and "]" in host:
        host = host[1 : host.index("]")]
    elif host.count(":") == 1:
        host = host.split(":")[0]
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_identity(value: Value) -> bool:
    return is_scalar_text(value) and not is_ip(value)


def is_time(value: Value) -> bool:
    return is_scalar_text(value) or isinstance(value, float)


def looks_like_outcome(value: Value) -> bool:
    """`success`, `FAILURE`, `credentials_ok`, `denied`, true/false, or an HTTP status."""
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return 100 <= value < 600
    return isinstance(value, str) and OUTCOME_WORDS.search(value.lower()) is not None


def is_outcome(value: Value) -> bool:
    return isinstance(value, bool) or is_scalar_text(value)


def key_rank(patterns: tuple[str, ...], key: str) -> int | None:
    """Index of the first pattern the key fits (`*ip` ends in ip, `*ip*` holds it), else None."""
    for rank, pattern in enumerate(patterns):
        if _fits(pattern, key):
            return rank
    return None


def _fits(pattern: str, key: str) -> bool:
    core = pattern.strip("*")
    if pattern.startswith("*") and pattern.endswith("*"):
        return core in key
    if pattern.startswith("*"):
        return key.endswith(core)
    return key.startswith(core) if pattern.endswith("*") else key == core


@dataclass(frozen=True)
class Rule:
    """Where one fact may be: key patterns by rank, required and forbidden containers."""

    keys: tuple[str, ...]
    within: frozenset[str] = frozenset()
    outside: frozenset[str] = frozenset()
    max_depth: int | None = None
    accept: Callable[[Value], bool] = is_scalar_text
    shallow_first: bool = False  # the shallowest match wins over a better key deeper down

    def rank(self, leaf: Leaf) -> int | None:
        rank = key_rank(self.keys, normalize_key(leaf.key))
        if rank is None or not self.accept(leaf.value):
            return None
        if self.max_depth is not None and leaf.depth > self.max_depth:
            return None
        ancestors = set(leaf.ancestors)
        if self.within and not ancestors & self.within:
            return None
        return None if ancestors & self.outside else rank
