"""Keys that make the audit log's integrity depend on something the database does not hold.

An Ed25519 key file (PEM, mode 0600, outside the database) does two things:
- seals every row: `mac` = HMAC-SHA256 of the row's hash under a key derived from the file, so
  a row inserted by anyone without the file (a forged approval with a well-formed chain
  hash) does not carry a valid seal;
- signs checkpoints of the chain's head, unless OpenBao's transit engine is configured to
  sign them (TransitSigner), in which case the signing key never leaves OpenBao.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.errors import ConfigError

_SEAL_INFO = b"socbot audit row seal v1"


class CheckpointSigner(Protocol):
    key_id: str

    def sign(self, message: bytes) -> str: ...
    def verify(self, message: bytes, signature: str) -> bool: ...


class AuditKey:
    """The Ed25519 key file: row seals and, by default, checkpoint signatures."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private = private_key
        raw_public = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.key_id = "ed25519:" + hashlib.sha256(raw_public).hexdigest()[:16]
        raw_private = private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        self._seal_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=_SEAL_INFO
        ).derive(raw_private)

    @classmethod
    def load(cls, path: Path) -> AuditKey:
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except FileNotFoundError:
            raise ConfigError(
                f"audit key file {path} does not exist: create it with `socbot audit keygen {path}`"
            ) from None
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"audit key file {path} is not a PEM private key: {exc}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError(f"audit key file {path} holds a {type(key).__name__}, not Ed25519")
        return cls(key)

    @staticmethod
    def generate(path: Path) -> AuditKey:
        """Write a new key to path (refusing to overwrite one), readable by its owner only."""
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise ConfigError(f"{path} already exists: refusing to replace an audit key") from None
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        return AuditKey(key)

    def seal(self, row_hash: str) -> str:
        return hmac.new(self._seal_key, row_hash.encode("ascii"), hashlib.sha256).hexdigest()

    def seal_ok(self, row_hash: str, mac: str | None) -> bool:
        return mac is not None and hmac.compare_digest(self.seal(row_hash), mac)

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self._private.sign(message)).decode("ascii")

    def verify(self, message: bytes, signature: str) -> bool:
        try:
            self._private.public_key().verify(base64.b64decode(signature), message)
        except (InvalidSignature, ValueError):
            return False
        return True


class TransitSigner:
    """Checkpoint signatures by an OpenBao transit key (ed25519): sign and verify over HTTP."""

    def __init__(self, client: Any, key: str, mount: str = "transit") -> None:
        self._client = client
        self._key = key
        self._mount = mount
        self.key_id = f"transit:{mount}/{key}"

    def sign(self, message: bytes) -> str:
        answer = self._client.secrets.transit.sign_data(
            self._key, hash_input=_b64(message), mount_point=self._mount
        )
        return str(answer["data"]["signature"])

    def verify(self, message: bytes, signature: str) -> bool:
        try:
            answer = self._client.secrets.transit.verify_signed_data(
                self._key, hash_input=_b64(message), signature=signature, mount_point=self._mount
            )
        except Exception as exc:
            if "invalid" in str(exc).lower():
                return False  # a malformed signature string: not one OpenBao made
            raise
        return bool(answer["data"]["valid"])


def _b64(message: bytes) -> str:
    return base64.b64encode(message).decode("ascii")
