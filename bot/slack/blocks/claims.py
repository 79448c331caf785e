"""What socbot says happened comes from the record, not from the model's prose.

record_lines() states what the executor actually did in a task (what ran, what was parked or
drafted, what was refused). unbacked_claims() reads the model's text for claims the record
does not hold: that it carried out an action ("I have suspended …", "sessions were
revoked"), or that it read a tool's results when that tool never ran in the task. Posts
show the model's text labelled as its assessment, these flags, then the record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# An action verb in the past, said of what was done: "I (have) suspended", "has been revoked".
_DONE = (
    "suspended|revoked|disabled|deactivated|rotated|reset|removed|locked|blocked|"
    "terminated|deleted|killed|invalidated|signed out|logged out"
)
CLAIM = re.compile(
    rf"\b(?:(?:i|we|socbot)(?:\s+have|'ve|\s+has)?\s+(?:already\s+|now\s+|just\s+)?(?:{_DONE})"
    rf"|(?:(?:has|have)\s+(?:already\s+|now\s+|just\s+)?been|was|were)\s+(?:{_DONE}))\b",
    re.IGNORECASE,
)
VERB_TOOLS = {
    "suspended": ("suspend_identity",),
    "disabled": ("suspend_identity", "deactivate_access_key"),
    "locked": ("suspend_identity",),
    "blocked": ("suspend_identity",),
    "deactivated": ("deactivate_access_key", "suspend_identity"),
    "revoked": ("revoke_sessions", "revoke_oauth_grant"),
    "terminated": ("revoke_sessions",),
    "killed": ("revoke_sessions",),
    "invalidated": ("revoke_sessions",),
    "signed out": ("revoke_sessions",),
    "logged out": ("revoke_sessions",),
    "rotated": ("rotate_access_key",),
    "reset": ("reset_mfa",),
    "removed": ("remove_from_group",),
    "deleted": ("remove_from_group", "revoke_oauth_grant"),
}
CITING = r"(?:result|results|output|returned|returns|shows|showed|says|said|according)"


@dataclass(frozen=True)
class Done:
    """One executor outcome of the task, as the record holds it."""

    tool: str
    status: str  # ok | recommended | awaiting_approval | denied | error
    request_id: str | None = None


def record_lines(done: Sequence[Done]) -> list[str]:
    """Each thing the executor did, in socbot's words (tool names left for the caller to
    escape: they come from the registry, not from the model)."""
    lines = []
    for item in done:
        ref = f" ({item.request_id})" if item.request_id else ""
        if item.status == "ok":
            lines.append(f"ran {item.tool} (read-only)")
        elif item.status == "awaiting_approval":
            lines.append(f"parked {item.tool} for approval{ref}: it has not run")
        elif item.status == "recommended":
            lines.append(f"drafted {item.tool} for a person to do{ref}: socbot will not run it")
        elif item.status == "denied":
            lines.append(f"{item.tool} was refused by policy")
        else:
            lines.append(f"{item.tool} failed")
    return lines or ["nothing was run, parked or drafted"]


def unbacked_claims(texts: Iterable[str], done: Sequence[Done], tools: Iterable[str]) -> list[str]:
    """Flags for claims in the model's texts that the record does not hold."""
    ran = {d.tool for d in done if d.status == "ok"}
    flags: list[str] = []
    for text in texts:
        for match in CLAIM.finditer(text):
            verb = _verb_of(match.group(0))
            if not ran & set(VERB_TOOLS.get(verb, ())):
                flag = f"claims something was {verb}, but no such action ran"
                if flag not in flags:
                    flags.append(flag)
        for tool in tools:
            if tool not in ran and _cites(text, tool):
                flag = f"cites results of {tool}, which did not run in this task"
                if flag not in flags:
                    flags.append(flag)
    return flags


def _verb_of(claim: str) -> str:
    lowered = " ".join(claim.lower().split())
    return next((verb for verb in VERB_TOOLS if lowered.endswith(verb)), lowered.split()[-1])


def _cites(text: str, tool: str) -> bool:
    name = re.escape(tool)
    near = rf"\b{name}\b[^.\n]{{0,40}}\b{CITING}\b|\b{CITING}\b[^.\n]{{0,40}}\b{name}\b"
    return re.search(near, text, re.IGNORECASE) is not None
