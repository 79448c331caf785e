"""The role's revocation list: one inline Deny per expiry minute, naming credential tags.

A revoked sts credential cannot be deleted, only denied until it expires on its own. Each
statement lists the credential ids whose sessions end within that minute, and statements whose
minute has passed are pruned on every write, so the document stays small.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

REVOKED_POLICY = "socbot-revoked-credentials"
CREDENTIAL_TAG = "socbot-credential"
TASK_TAG = "socbot-task"
_SID = re.compile(r"^SocbotRevokedUntil(\d+)$")


def _expiry_minute(statement: dict[str, Any]) -> int | None:
    match = _SID.match(str(statement.get("Sid", "")))
    return int(match[1]) if match else None


def _ids(statement: dict[str, Any]) -> list[str]:
    values = statement["Condition"]["StringEquals"][f"aws:PrincipalTag/{CREDENTIAL_TAG}"]
    return [values] if isinstance(values, str) else list(values)


def with_revoked(
    document: dict[str, Any] | None, credential_id: str, expires_at: datetime, now: datetime
) -> dict[str, Any]:
    """The revocation document with `credential_id` denied until `expires_at`, stale minutes
    pruned."""
    now_minute = int(now.timestamp() // 60)
    buckets: dict[int, set[str]] = {}
    for statement in (document or {}).get("Statement", []):
        minute = _expiry_minute(statement)
        if minute is not None and minute >= now_minute:
            buckets.setdefault(minute, set()).update(_ids(statement))
    until = int(expires_at.timestamp() // 60) + 1
    buckets.setdefault(until, set()).add(credential_id)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": f"SocbotRevokedUntil{minute}",
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEquals": {f"aws:PrincipalTag/{CREDENTIAL_TAG}": sorted(ids)}},
            }
            for minute, ids in sorted(buckets.items())
        ],
    }


def denied_ids(document: dict[str, Any] | None) -> set[str]:
    found: set[str] = set()
    for statement in (document or {}).get("Statement", []):
        if _expiry_minute(statement) is not None:
            found.update(_ids(statement))
    return found


def load(document: Any) -> dict[str, Any]:
    return json.loads(document) if isinstance(document, str) else dict(document)
