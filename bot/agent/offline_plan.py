"""The offline engine's plan: which read-only look-ups an alert pattern needs, what the results
say, and which actions follow from the evidence."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bot.agent.offline_detection import subjects
from bot.agent.offline_rules import ACCESS_KEY, IPV4, TITLES, subject_candidates


@dataclass
class Observation:
    """One tool call the offline engine made, and what came of it."""

    name: str
    args: dict[str, Any]
    status: str = "pending"
    result: dict[str, Any] = field(default_factory=dict)


Call = tuple[str, dict[str, Any]]
ACTION_TOOLS = frozenset(
    {
        "revoke_sessions",
        "suspend_identity",
        "deactivate_access_key",
        "rotate_access_key",
        "revoke_oauth_grant",
        "reset_mfa",
        "remove_from_group",
    }
)
SESSION_PATTERNS = {"mfa_fatigue", "impossible_travel", "password_spray", "break_glass"}
KEY_PATTERNS = {"key_new_place", "logging_disabled"}


@dataclass
class Investigation:
    alert_text: str
    pattern: str
    observations: list[Observation]
    detection: dict[str, Any] | None = None  # the detection block, when the request has one

    def result_of(self, name: str) -> dict[str, Any] | None:
        for observation in self.observations:
            if observation.name == name and observation.status == "ok":
                return observation.result
        return None

    @property
    def identity(self) -> dict[str, Any] | None:
        return self.result_of("get_identity")

    def action_observations(self) -> list[Observation]:
        return [o for o in self.observations if o.name in ACTION_TOOLS]

    def alert_ips(self) -> set[str]:
        return set(IPV4.findall(self.alert_text))

    def signals(self) -> list[str]:
        """Independent facts from the tools that back the alert up, in plain words."""
        found: list[str] = []
        summary = (self.result_of("recent_auth_events") or {}).get("summary") or {}
        counts: dict[str, int] = summary.get("by_type_outcome") or {}
        denied = sum(n for k, n in counts.items() if "mfa" in k and ("deni" in k or "fail" in k))
        if denied >= 3:
            found.append(f"{denied} MFA challenges denied in 24h")
        failed = sum(n for k, n in counts.items() if k.startswith("login") and "fail" in k)
        if failed >= 5:
            found.append(f"{failed} failed sign-ins in 24h")
        if summary.get("new_countries"):
            found.append("activity from new countries " + ", ".join(summary["new_countries"]))
        new_alert_ips = self.alert_ips() & set(summary.get("new_ips") or [])
        if new_alert_ips:
            found.append("the alert's IP " + ", ".join(sorted(new_alert_ips)) + " is new")
        found.extend(self._holding_signals())
        return found

    def _holding_signals(self) -> list[str]:
        found = []
        grants = self.result_of("list_oauth_grants") or {}
        if grants.get("risky_active_count"):
            found.append(f"{grants['risky_active_count']} risky OAuth grant(s) active")
        if self.pattern in ("logging_disabled", "break_glass"):
            found.append(TITLES[self.pattern])
        if self.pattern == "new_admin" and self.mentioned_privileged_group():
            found.append(f"added to privileged group {self.mentioned_privileged_group()}")
        return found

    def mentioned_privileged_group(self) -> str | None:
        identity = self.identity or {}
        text = self.alert_text.lower()
        for group in identity.get("groups") or []:
            names = {str(group.get("id", "")).lower(), str(group.get("name", "")).lower()}
            if group.get("privileged") and any(n and n in text for n in names):
                return str(group.get("id"))
        return None

    def evidence_fields(self) -> list[str]:
        if self.detection is not None:
            fields = [str(line) for line in self.detection.get("evidence") or []]
            fields.append(self.provider_line())
        else:
            fields = [f"alert pattern: {TITLES[self.pattern]}"]
        fields += [f"alert source IP {ip}" for ip in sorted(self.alert_ips())[:3]]
        fields += [
            f"{o.name}"
            for o in self.observations
            if o.status == "ok" and o.name not in ACTION_TOOLS
        ]
        return fields

    def provider_line(self) -> str:
        """Corroboration: who the provider knows, or that none knows the alert's identities."""
        identity = self.identity
        if identity is not None:
            flags = [str(identity.get("kind") or "identity")]
            flags += ["privileged"] if identity.get("privileged") else []
            return f"provider: {identity.get('id')} found ({', '.join(flags)})"
        tried = [str(o.args.get("identity")) for o in self.observations if o.name == "get_identity"]
        shown = ", ".join(tried[:3]) if tried else "no identity named in the alert"
        return f"identity not found in any provider (looked up: {shown})"

    def reason(self) -> str:
        signals = self.signals()
        detail = "; ".join(signals[:3]) if signals else "alert under investigation"
        return f"socbot triage, {TITLES[self.pattern]}: {detail}"[:480]


def wanted_calls(inv: Investigation) -> Iterator[Call]:
    """Every call the investigation wants, in order; the engine makes the first not yet made."""
    identity = inv.identity
    if identity is None:
        prefer_target = inv.pattern == "new_admin"
        named = subjects(inv.detection, prefer_target=prefer_target)
        found = subject_candidates(inv.alert_text, prefer_target=prefer_target)
        for candidate in list(dict.fromkeys([*named, *found]))[:6]:
            yield "get_identity", {"identity": candidate}
        return
    subject = str(identity["id"])
    yield "recent_auth_events", {"identity": subject, "hours": 24, "limit": 10}
    if inv.pattern in SESSION_PATTERNS:
        yield "list_sessions", {"identity": subject}
    if inv.pattern in KEY_PATTERNS or identity.get("kind") == "service_account":
        yield "list_access_keys", {"identity": subject}
    if inv.pattern == "oauth_consent":
        yield "list_oauth_grants", {"identity": subject}
    yield "assess_blast_radius", {"identity": subject}
    if inv.signals() and _acts_on(inv):
        yield from _actions(inv, subject)


def _acts_on(inv: Investigation) -> bool:
    """Remediation only when the rules found something (or, outside triage, always)."""
    if inv.detection is None:
        return True
    return inv.detection.get("verdict") in ("suspicious", "malicious")


def _actions(inv: Investigation, subject: str) -> Iterator[Call]:
    reason = inv.reason()
    sessions = inv.result_of("list_sessions") or {}
    if inv.pattern in SESSION_PATTERNS and sessions.get("active_count", 0) > 0:
        yield "revoke_sessions", {"identity": subject, "reason": reason}
    if inv.pattern == "mfa_fatigue":
        yield "reset_mfa", {"identity": subject, "reason": reason}
    if inv.pattern in KEY_PATTERNS:
        key = _suspect_key(inv)
        if key:
            yield "deactivate_access_key", {"key_id": key, "reason": reason}
    if inv.pattern == "oauth_consent":
        yield from _risky_grants(inv, reason)
    group = inv.mentioned_privileged_group()
    if inv.pattern == "new_admin" and group:
        yield "remove_from_group", {"identity": subject, "group": group, "reason": reason}
    if len(inv.signals()) >= 2 and (inv.identity or {}).get("privileged"):
        yield "suspend_identity", {"identity": subject, "reason": reason}


def _suspect_key(inv: Investigation) -> str | None:
    keys = (inv.result_of("list_access_keys") or {}).get("keys") or []
    active = {k.get("key_id") for k in keys if k.get("status") == "active"}
    named = [k for k in ACCESS_KEY.findall(inv.alert_text) if k in active]
    if named:
        return str(named[0])
    used_from_alert_ip = [
        k for k in keys if k.get("last_used_ip") in inv.alert_ips() and k.get("key_id") in active
    ]
    return str(used_from_alert_ip[0]["key_id"]) if used_from_alert_ip else None


def _risky_grants(inv: Investigation, reason: str) -> Iterator[Call]:
    grants = (inv.result_of("list_oauth_grants") or {}).get("grants") or []
    risky = [g for g in grants if g.get("risky") and g.get("state") == "active"]
    for grant in risky[:2]:
        yield "revoke_oauth_grant", {"grant_id": grant["grant_id"], "reason": reason}
