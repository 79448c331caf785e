"""What an OpenBao operator creates for socbot, as code the docs and the tests share.

socbot's own identity (token or AppRole) gets `socbot-broker`: create lease tokens through
one token role, look them up and revoke them by accessor, read its providers' secrets, sign
and verify with one transit key. Nothing else: no sys/, no listing accessors, no policies.
The lease tokens get `socbot-call-lease`, which grants nothing: they are records with a TTL,
not keys to anything.
"""

from __future__ import annotations

from typing import Any

CALL_TOKEN_ROLE = "socbot-call"
BROKER_POLICY = "socbot-broker"
LEASE_POLICY = "socbot-call-lease"
TRANSIT_KEY = "socbot-audit"
MAX_CALL_TTL_SECONDS = 900


def broker_policy_hcl(
    *,
    token_role: str = CALL_TOKEN_ROLE,
    kv_mount: str = "secret",
    kv_path: str = "socbot",
    transit_mount: str = "transit",
    transit_key: str = TRANSIT_KEY,
) -> str:
    return f"""\
# Check its own token at start-up (socbot's token carries no default policy).
path "auth/token/lookup-self" {{ capabilities = ["read"] }}
# Create per-call lease tokens, only through socbot's token role.
path "auth/token/create/{token_role}" {{ capabilities = ["update"] }}
# See and end them by accessor (never by the token itself, which socbot does not keep).
path "auth/token/lookup-accessor" {{ capabilities = ["update"] }}
path "auth/token/revoke-accessor" {{ capabilities = ["update"] }}
# Providers' own secrets (AWS base credentials, Okta's key), read only.
path "{kv_mount}/data/{kv_path}" {{ capabilities = ["read"] }}
path "{kv_mount}/data/{kv_path}/*" {{ capabilities = ["read"] }}
# Audit checkpoints: sign and verify with one key; the key itself never leaves OpenBao.
path "{transit_mount}/sign/{transit_key}" {{ capabilities = ["update"] }}
path "{transit_mount}/verify/{transit_key}" {{ capabilities = ["update"] }}
"""


# A policy must have a path; this one denies the one it names and so grants nothing.
LEASE_POLICY_HCL = 'path "sys/socbot-call-lease-grants-nothing" { capabilities = ["deny"] }\n'


def token_role_settings() -> dict[str, Any]:
    """The token role: leases are children of socbot's token, carry only the empty policy,
    cannot be renewed and cannot outlive the broker's longest ttl."""
    return {
        "allowed_policies": [LEASE_POLICY],
        "orphan": False,
        "renewable": False,
        "token_explicit_max_ttl": MAX_CALL_TTL_SECONDS,
        "token_no_default_policy": True,
        "token_type": "service",
    }


def provision(root: Any, *, kv_path: str = "socbot", transit: bool = True) -> None:
    """Create the policies, the token role and (optionally) the transit key, idempotently.
    `root` is an hvac client with an operator's token."""
    root.sys.create_or_update_policy(BROKER_POLICY, broker_policy_hcl(kv_path=kv_path))
    root.sys.create_or_update_policy(LEASE_POLICY, LEASE_POLICY_HCL)
    root.write(f"auth/token/roles/{CALL_TOKEN_ROLE}", **token_role_settings())
    if transit:
        if "transit/" not in root.sys.list_mounted_secrets_engines()["data"]:
            root.sys.enable_secrets_engine("transit")
        root.secrets.transit.create_key(TRANSIT_KEY, key_type="ed25519")
