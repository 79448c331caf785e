"""Small vendor events written for these tests: each shows one behaviour and its near miss."""

from __future__ import annotations

from typing import Any


def okta(event_type: str, *, result: str = "SUCCESS", **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "uuid": f"okta-{event_type}-{result}",
        "published": "2026-11-20T10:00:00.000Z",
        "eventType": event_type,
        "version": "0",
        "severity": "INFO",
        "displayMessage": event_type,
        "actor": {"id": "00uactor", "type": "User", "alternateId": "ops@example.test"},
        "client": {"ipAddress": "198.51.100.7"},
        "outcome": {"result": result},
        "target": [{"id": "00utarget", "type": "User", "alternateId": "dev@example.test"}],
    }
    event.update(extra)
    return event


def cloudtrail(event_name: str, **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventVersion": "1.09",
        "eventTime": "2026-11-20T10:00:00Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": event_name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.8",
        "userAgent": "aws-cli/2.15.30",
        "eventID": f"ct-{event_name}",
        "userIdentity": {
            "type": "IAMUser",
            "arn": "arn:aws:iam::111122223333:user/ops",
            "accountId": "111122223333",
            "userName": "ops",
        },
    }
    event.update(extra)
    return event
