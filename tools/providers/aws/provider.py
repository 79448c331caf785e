"""AwsProvider: the Provider protocol over AWS IAM, acting with the per-call credential only.

Each call checks the credential's socbot scopes first (AWS checks its IAM policy again), then
talks to IAM with the keys the credential carries. socbot's own base keys never reach here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from tools.base import PresentedCredential, TargetInfo
from tools.errors import AwsCredentialRefused, AwsError, AwsUnsupported
from tools.providers.aws import actions
from tools.providers.aws.blast import blast_radius_view
from tools.providers.aws.config import AwsConfig
from tools.providers.aws.iam_actions import OPERATION_SCOPES
from tools.providers.aws.lookup import Identity, find_group, find_identity
from tools.providers.aws.session import AwsKeys, client, translate
from tools.providers.aws.targets import target_info
from tools.providers.aws.views import identity_view, keys_view

T = TypeVar("T")
ACTIONS = frozenset(
    {
        "deactivate_access_key",
        "rotate_access_key",
        "remove_from_group",
        "suspend_identity",
        "revoke_sessions",
        "reset_mfa",
    }
)


class AwsProvider:
    name = "aws"

    def __init__(
        self, config: AwsConfig, *, key_delivery: actions.KeyDelivery | None = None
    ) -> None:
        self.config = config
        self._deliver = key_delivery

    @contextmanager
    def _iam(self, cred: PresentedCredential, operation: str) -> Iterator[Any]:
        _check_scopes(cred, operation)
        try:
            yield client(self.config, AwsKeys.from_secret(cred.secret), "iam")
        except Exception as exc:
            raise translate(exc, operation) from exc

    def _on_identity(
        self,
        cred: PresentedCredential,
        operation: str,
        ref: str,
        view: Callable[[Any, Identity], T],
    ) -> T:
        with self._iam(cred, operation) as iam:
            identity = find_identity(iam, self.config, ref)
            if operation in ACTIONS:
                self._refuse_own(identity)
            return view(iam, identity)

    def _refuse_own(self, identity: Identity) -> None:
        """socbot never acts on its own role or per-call users: that could lift a revocation."""
        own_path = f":user{self.config.user_path}"
        if identity.arn == self.config.role_arn or own_path in identity.arn:
            raise AwsError(f"{identity.arn} is socbot's own identity: socbot does not act on it")

    # Reads.

    def resolve_target(self, cred: PresentedCredential, ref: str) -> TargetInfo:
        with self._iam(cred, "resolve_target") as iam:
            return target_info(iam, self.config, ref)

    def get_identity(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        return self._on_identity(cred, "get_identity", identity, identity_view)

    def list_access_keys(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        return self._on_identity(cred, "list_access_keys", identity, keys_view)

    def assess_blast_radius(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        return self._on_identity(cred, "assess_blast_radius", identity, blast_radius_view)

    def list_sessions(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        raise AwsUnsupported(
            "AWS IAM does not list sessions: get_identity shows key and console use, "
            "and revoke_sessions ends every temporary credential issued so far"
        )

    def list_oauth_grants(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        raise AwsUnsupported("AWS IAM identities have no OAuth grants")

    def recent_auth_events(
        self, cred: PresentedCredential, identity: str, hours: int, limit: int
    ) -> dict[str, Any]:
        raise AwsUnsupported(
            "sign-in events for AWS come from CloudTrail alerts, not from IAM: use the alert's "
            "evidence and list_access_keys' last-use data"
        )

    # Actions.

    def deactivate_access_key(self, cred: PresentedCredential, key_id: str) -> dict[str, Any]:
        return self._on_identity(
            cred,
            "deactivate_access_key",
            key_id,
            lambda iam, _owner: actions.deactivate_access_key(iam, key_id),
        )

    def rotate_access_key(self, cred: PresentedCredential, key_id: str) -> dict[str, Any]:
        return self._on_identity(
            cred,
            "rotate_access_key",
            key_id,
            lambda iam, _owner: actions.rotate_access_key(iam, key_id, self._deliver),
        )

    def remove_from_group(
        self, cred: PresentedCredential, identity: str, group: str
    ) -> dict[str, Any]:
        return self._on_identity(
            cred,
            "remove_from_group",
            identity,
            lambda iam, found: actions.remove_from_group(iam, found, group),
        )

    def suspend_identity(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        now = datetime.now(UTC)
        return self._on_identity(
            cred, "suspend_identity", identity, lambda iam, i: actions.suspend_identity(iam, i, now)
        )

    def revoke_sessions(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        now = datetime.now(UTC)
        return self._on_identity(
            cred, "revoke_sessions", identity, lambda iam, i: actions.revoke_sessions(iam, i, now)
        )

    def reset_mfa(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        return self._on_identity(cred, "reset_mfa", identity, actions.reset_mfa)

    def revoke_oauth_grant(self, cred: PresentedCredential, grant_id: str) -> dict[str, Any]:
        raise AwsUnsupported("AWS IAM identities have no OAuth grants to revoke")

    def group_arn(self, cred: PresentedCredential, group: str) -> str:
        with self._iam(cred, "remove_from_group") as iam:
            return str(find_group(iam, group)["Arn"])


def _check_scopes(cred: PresentedCredential, operation: str) -> None:
    name = f"credential {cred.credential_id}"
    if cred.expires_at <= datetime.now(UTC):
        raise AwsCredentialRefused(f"{name} expired: issue a fresh one for this call")
    missing = OPERATION_SCOPES[operation] - cred.scopes
    if missing:
        raise AwsCredentialRefused(
            f"{name} lacks scope {', '.join(sorted(missing))} needed for {operation}: "
            "the policy rule for this tool must grant it"
        )
