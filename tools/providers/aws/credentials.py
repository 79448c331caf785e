"""Per-call AWS credentials: the two strategies behind the broker's CredentialBackend protocol.

sts: AssumeRole of the socbot-managed role with a session policy of the tool's actions on the
target's ARN, tagged with the credential and task ids; revoked by a Deny on that tag.
iam_user: a socbot-owned IAM user per call, with an inline policy of the tool's actions and one
access key; revoked by deleting the key, the policy and the user.
Either way, revocation is verified by a probe call the credential must now be refused.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from typing import Any

from tools.errors import AwsError
from tools.providers.aws.arns import parse_arn
from tools.providers.aws.config import AwsConfig
from tools.providers.aws.iam_actions import action_policy, session_policy
from tools.providers.aws.revocation import (
    CREDENTIAL_TAG,
    REVOKED_POLICY,
    TASK_TAG,
    denied_ids,
    load,
    with_revoked,
)
from tools.providers.aws.scoping import current_scoping
from tools.providers.aws.secrets import SecretSource
from tools.providers.aws.session import AwsKeys, base_keys, client, is_refusal, translate

STS_MINIMUM_SECONDS = 900
CALL_POLICY = "socbot-call"


class _LiveKeys:
    """Keys of the credentials this process minted, kept only to probe them after revocation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[AwsKeys, datetime]] = {}

    def put(self, credential_id: str, keys: AwsKeys, expires_at: datetime) -> None:
        with self._lock:
            self._keys[credential_id] = (keys, expires_at)

    def get(self, credential_id: str) -> tuple[AwsKeys, datetime] | None:
        with self._lock:
            return self._keys.get(credential_id)

    def drop(self, credential_id: str) -> None:
        with self._lock:
            self._keys.pop(credential_id, None)


def probe_accepted(config: AwsConfig, keys: AwsKeys) -> bool:
    """Whether AWS still accepts `keys` for an action their policy allows."""
    try:
        client(config, keys, "iam").list_account_aliases()
    except Exception as exc:
        if is_refusal(exc):
            return False
        raise translate(exc, "probing a credential") from exc
    return True


def _wait_until(check: Any, want: bool, seconds: float) -> bool:
    """Poll `check` until it returns `want` or `seconds` pass; IAM changes propagate slowly."""
    deadline = time.monotonic() + seconds
    while True:
        result = bool(check())
        if result == want or time.monotonic() >= deadline:
            return result
        time.sleep(0.5)


class AwsStsBackend:
    name = "aws-sts"

    def __init__(
        self, config: AwsConfig, secrets: SecretSource, *, propagation_seconds: float = 0.0
    ) -> None:
        if not config.role_arn or parse_arn(config.role_arn) is None:
            raise AwsError("the sts strategy needs the socbot role's ARN (SOCBOT_AWS_ROLE_ARN)")
        self._config = config
        self._secrets = secrets
        self._wait = propagation_seconds
        self._live = _LiveKeys()
        self._role = parse_arn(config.role_arn).name  # type: ignore[union-attr]

    def mint(
        self, credential_id: str, scopes: frozenset[str], task_id: str, expires_at: datetime
    ) -> str:
        policy = session_policy(scopes, current_scoping(self._config))
        try:
            answer = self._sts().assume_role(
                RoleArn=self._config.role_arn,
                RoleSessionName=credential_id,
                DurationSeconds=STS_MINIMUM_SECONDS,
                Policy=json.dumps(policy),
                Tags=[
                    {"Key": CREDENTIAL_TAG, "Value": credential_id},
                    {"Key": TASK_TAG, "Value": task_id},
                ],
                SourceIdentity=credential_id,
            )
        except Exception as exc:
            raise translate(exc, f"assuming {self._config.role_arn}") from exc
        found = answer["Credentials"]
        keys = AwsKeys(found["AccessKeyId"], found["SecretAccessKey"], found["SessionToken"])
        self._live.put(credential_id, keys, _aware(found["Expiration"]))
        return keys.to_secret()

    def revoke(self, credential_id: str) -> None:
        live = self._live.get(credential_id)
        now = datetime.now(UTC)
        # Without the mint time (another process minted it), deny for the longest it can live.
        until = live[1] if live else datetime.fromtimestamp(now.timestamp() + 3600, UTC)
        iam = self._iam()
        try:
            document = with_revoked(self._revocations(iam), credential_id, until, now)
            iam.put_role_policy(
                RoleName=self._role, PolicyName=REVOKED_POLICY, PolicyDocument=json.dumps(document)
            )
        except Exception as exc:
            raise translate(exc, f"denying {credential_id} on role {self._role}") from exc

    def is_accepted(self, credential_id: str) -> bool:
        live = self._live.get(credential_id)
        if live is None:
            # Not minted here: the deny on its tag is all that can be checked.
            return credential_id not in denied_ids(self._revocations(self._iam()))
        accepted = _wait_until(lambda: probe_accepted(self._config, live[0]), False, self._wait)
        if not accepted:
            self._live.drop(credential_id)
        return accepted

    def denied(self, credential_id: str) -> bool:
        return credential_id in denied_ids(self._revocations(self._iam()))

    def _revocations(self, iam: Any) -> dict[str, Any] | None:
        try:
            found = iam.get_role_policy(RoleName=self._role, PolicyName=REVOKED_POLICY)
        except iam.exceptions.NoSuchEntityException:
            return None
        return load(found["PolicyDocument"])

    def _sts(self) -> Any:
        return client(self._config, base_keys(self._secrets), "sts")

    def _iam(self) -> Any:
        return client(self._config, base_keys(self._secrets), "iam")


class AwsIamUserBackend:
    name = "aws-iam-user"

    def __init__(
        self, config: AwsConfig, secrets: SecretSource, *, propagation_seconds: float = 0.0
    ) -> None:
        self._config = config
        self._secrets = secrets
        self._wait = propagation_seconds
        self._live = _LiveKeys()

    def user_name(self, credential_id: str) -> str:
        return f"socbot-{credential_id}"

    def mint(
        self, credential_id: str, scopes: frozenset[str], task_id: str, expires_at: datetime
    ) -> str:
        iam, user = self._iam(), self.user_name(credential_id)
        try:
            iam.create_user(
                Path=self._config.user_path,
                UserName=user,
                Tags=[
                    {"Key": CREDENTIAL_TAG, "Value": credential_id},
                    {"Key": TASK_TAG, "Value": task_id},
                ],
            )
            iam.put_user_policy(
                UserName=user,
                PolicyName=CALL_POLICY,
                PolicyDocument=json.dumps(action_policy(scopes)),
            )
            made = iam.create_access_key(UserName=user)["AccessKey"]
        except Exception as exc:
            self._delete_user(iam, user)
            raise translate(exc, f"creating per-call user {user}") from exc
        keys = AwsKeys(made["AccessKeyId"], made["SecretAccessKey"])
        self._live.put(credential_id, keys, expires_at)
        if not _wait_until(lambda: probe_accepted(self._config, keys), True, self._wait):
            self.revoke(credential_id)
            raise AwsError(f"AWS did not accept the new key of {user} in time; nothing was left")
        return keys.to_secret()

    def revoke(self, credential_id: str) -> None:
        try:
            self._delete_user(self._iam(), self.user_name(credential_id))
        except Exception as exc:
            raise translate(exc, f"deleting per-call user for {credential_id}") from exc

    def is_accepted(self, credential_id: str) -> bool:
        live = self._live.get(credential_id)
        if live is None:
            return self._user_exists(credential_id)
        accepted = _wait_until(lambda: probe_accepted(self._config, live[0]), False, self._wait)
        if not accepted:
            self._live.drop(credential_id)
        return accepted

    def _user_exists(self, credential_id: str) -> bool:
        iam = self._iam()
        try:
            iam.get_user(UserName=self.user_name(credential_id))
        except iam.exceptions.NoSuchEntityException:
            return False
        return True

    def _delete_user(self, iam: Any, user: str) -> None:
        """Keys, inline policies, then the user; whatever is already gone is skipped."""
        gone = iam.exceptions.NoSuchEntityException
        try:
            for key in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
                iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
            for policy in iam.list_user_policies(UserName=user)["PolicyNames"]:
                iam.delete_user_policy(UserName=user, PolicyName=policy)
            iam.delete_user(UserName=user)
        except gone:
            return

    def _iam(self) -> Any:
        return client(self._config, base_keys(self._secrets), "iam")


def _aware(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value))
