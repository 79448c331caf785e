"""Every provider method checks its credential first and refuses without touching the lab."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from lab_fixtures import IssueCredential, Snapshot

from bot.clock import utcnow
from bot.errors import CredentialRefused
from tools.base import PresentedCredential
from tools.providers.lab import LabProvider

# The scopes each method needs, as the assignment fixes them.
NEEDED: dict[str, frozenset[str]] = {
    "resolve_target": frozenset({"directory:read"}),
    "get_identity": frozenset({"directory:read"}),
    "list_sessions": frozenset({"sessions:read"}),
    "list_access_keys": frozenset({"keys:read"}),
    "list_oauth_grants": frozenset({"grants:read"}),
    "recent_auth_events": frozenset({"authlog:read"}),
    "assess_blast_radius": frozenset({"directory:read", "keys:read", "grants:read"}),
    "revoke_sessions": frozenset({"sessions:revoke"}),
    "suspend_identity": frozenset({"identity:suspend"}),
    "deactivate_access_key": frozenset({"keys:deactivate"}),
    "rotate_access_key": frozenset({"keys:rotate"}),
    "revoke_oauth_grant": frozenset({"grants:revoke"}),
    "reset_mfa": frozenset({"mfa:reset"}),
    "remove_from_group": frozenset({"groups:write"}),
}
ALL_SCOPES = frozenset().union(*NEEDED.values())

Call = Callable[[LabProvider, PresentedCredential], Any]
CALLS: dict[str, Call] = {
    "resolve_target": lambda lab, cred: lab.resolve_target(cred, "p-maria-chen"),
    "get_identity": lambda lab, cred: lab.get_identity(cred, "p-maria-chen"),
    "list_sessions": lambda lab, cred: lab.list_sessions(cred, "p-maria-chen"),
    "list_access_keys": lambda lab, cred: lab.list_access_keys(cred, "svc-ci-deployer"),
    "list_oauth_grants": lambda lab, cred: lab.list_oauth_grants(cred, "p-tom-becker"),
    "recent_auth_events": lambda lab, cred: lab.recent_auth_events(cred, "p-maria-chen", 24, 50),
    "assess_blast_radius": lambda lab, cred: lab.assess_blast_radius(cred, "p-maria-chen"),
    "revoke_sessions": lambda lab, cred: lab.revoke_sessions(cred, "p-maria-chen"),
    "suspend_identity": lambda lab, cred: lab.suspend_identity(cred, "p-maria-chen"),
    "deactivate_access_key": lambda lab, cred: lab.deactivate_access_key(
        cred, "AKIAEXAMPLECIDEPLOY1"
    ),
    "rotate_access_key": lambda lab, cred: lab.rotate_access_key(cred, "AKIAEXAMPLECIDEPLOY1"),
    "revoke_oauth_grant": lambda lab, cred: lab.revoke_oauth_grant(cred, mail_sorter_grant(lab)),
    "reset_mfa": lambda lab, cred: lab.reset_mfa(cred, "p-maria-chen"),
    "remove_from_group": lambda lab, cred: lab.remove_from_group(
        cred, "p-lee-park", "g-aws-admins"
    ),
}


def mail_sorter_grant(lab: LabProvider) -> str:
    from tools.providers.lab import describe_identity_for_operator

    grants = describe_identity_for_operator(lab.engine, "p-tom-becker")["oauth_grants"]
    return next(g["grant_id"] for g in grants["grants"] if g["app_name"] == "Mail Sorter Pro")


def test_every_provider_method_is_covered() -> None:
    from tools.base import Provider

    protocol_methods = {n for n in vars(Provider) if not n.startswith("_") and n != "name"}
    assert protocol_methods == set(CALLS) == set(NEEDED)


def bad_credentials(
    lab: LabProvider, issue: IssueCredential, method: str
) -> list[tuple[str, PresentedCredential]]:
    """(what the refusal must say, credential) for every way a credential can be wrong."""
    soon = utcnow() + timedelta(minutes=1)
    real = issue(ALL_SCOPES)
    revoked = issue(ALL_SCOPES)
    lab.revoke_credential(revoked.credential_id)
    narrow = issue(ALL_SCOPES - NEEDED[method])
    cases = [
        ("not known", PresentedCredential("cred-forged", "not-a-real-secret", ALL_SCOPES, soon)),
        ("not known", PresentedCredential("cred-other", real.secret, ALL_SCOPES, soon)),
        ("expired", issue(ALL_SCOPES, ttl_seconds=-1)),
        ("revoked", revoked),
        # The scopes a tool claims do not count: only the ones registered with the lab.
        ("lacks scope", PresentedCredential(narrow.credential_id, narrow.secret, ALL_SCOPES, soon)),
    ]
    for missing in sorted(NEEDED[method]):
        cases.append((f"lacks scope {missing}", issue(ALL_SCOPES - {missing})))
    return cases


@pytest.mark.parametrize("method", sorted(CALLS))
def test_bad_credentials_are_refused_and_change_nothing(
    lab: LabProvider, issue: IssueCredential, snapshot: Snapshot, method: str
) -> None:
    cases = bad_credentials(lab, issue, method)
    before = snapshot()
    for message, cred in cases:
        with pytest.raises(CredentialRefused, match=message):
            CALLS[method](lab, cred)
    assert snapshot() == before
    assert CALLS[method](lab, issue(NEEDED[method])) is not None
