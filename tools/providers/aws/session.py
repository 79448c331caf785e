"""boto3 clients from a set of keys, and AWS's error codes turned into this package's errors."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from tools.errors import AwsCredentialRefused, AwsError, AwsNotFound
from tools.providers.aws.config import AwsConfig
from tools.providers.aws.secrets import SecretSource

REFUSED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
    }
)
NOT_FOUND_CODES = frozenset({"NoSuchEntity", "NoSuchEntityException"})
_BOTO_CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5)

# botocore's DEBUG records carry request headers (session tokens) and response bodies (new
# access keys' secrets). socbot's -v turns DEBUG on for everything, so these loggers are held
# at INFO whatever the root level is.
for _name in ("botocore", "boto3", "s3transfer"):
    logging.getLogger(_name).setLevel(logging.INFO)


@dataclass(frozen=True)
class AwsKeys:
    """One set of AWS keys. The secret parts never appear in repr."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)

    def to_secret(self) -> str:
        """The form a PresentedCredential carries: one opaque string."""
        return json.dumps(
            {"k": self.access_key_id, "s": self.secret_access_key, "t": self.session_token}
        )

    @classmethod
    def from_secret(cls, secret: str) -> AwsKeys:
        try:
            data = json.loads(secret)
            return cls(str(data["k"]), str(data["s"]), data.get("t"))
        except (ValueError, KeyError, TypeError) as exc:
            raise AwsCredentialRefused(
                "the credential presented is not an AWS credential: the broker must issue one "
                "from the aws backend"
            ) from exc


def base_keys(secrets: SecretSource) -> AwsKeys:
    """socbot's own AWS keys, from the configured secret source."""
    key_id = secrets.get("aws/access_key_id")
    secret = secrets.get("aws/secret_access_key")
    if not key_id or not secret:
        raise AwsError(
            f"no AWS base credentials in the {secrets.name} secret source: set aws/access_key_id "
            "and aws/secret_access_key (SOCBOT_AWS_ACCESS_KEY_ID / SOCBOT_AWS_SECRET_ACCESS_KEY)"
        )
    return AwsKeys(key_id, secret, secrets.get("aws/session_token"))


# One boto3 session for the process: it loads each service's API model once (a fresh session
# costs ~0.5 s per client). Making clients from it is not thread-safe, so it is locked;
# the clients themselves are, and each carries only the keys it was made with.
_SESSION = boto3.session.Session()
_SESSION_LOCK = threading.Lock()


def client(config: AwsConfig, keys: AwsKeys, service: str) -> Any:
    with _SESSION_LOCK:
        return _make_client(config, keys, service)


def _make_client(config: AwsConfig, keys: AwsKeys, service: str) -> Any:
    return _SESSION.client(
        service,
        region_name=config.region,
        endpoint_url=config.endpoint_url,
        aws_access_key_id=keys.access_key_id,
        aws_secret_access_key=keys.secret_access_key,
        aws_session_token=keys.session_token,
        config=_BOTO_CONFIG,
    )


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate(exc: Exception, doing: str) -> AwsError:
    """An AWS or transport failure as an error a person (or the model) can act on."""
    if isinstance(exc, AwsError):
        return exc
    if isinstance(exc, ClientError):
        code = error_code(exc)
        message = str(exc.response.get("Error", {}).get("Message", ""))[:300]
        if code in REFUSED_CODES:
            return AwsCredentialRefused(f"AWS refused {doing} ({code}): {message}")
        if code in NOT_FOUND_CODES:
            return AwsNotFound(f"AWS has no such entity while {doing}: {message}")
        return AwsError(f"AWS failed {doing} ({code}): {message}")
    if isinstance(exc, BotoCoreError):
        return AwsError(f"could not reach AWS while {doing}: {type(exc).__name__}: {exc}")
    return AwsError(f"{doing} failed: {type(exc).__name__}")


def is_refusal(exc: Exception) -> bool:
    return isinstance(exc, ClientError) and error_code(exc) in REFUSED_CODES
