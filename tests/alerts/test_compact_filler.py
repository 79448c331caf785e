"""What compaction cuts as saying nothing to a triage, and what it must keep although it
looks like filler: every cut is listed, and a value that is the finding stays."""

from __future__ import annotations

from typing import Any

from bot.alerts.compact.text import compact_alert
from tests.support.alert_text import event_paths, fact_pairs

OKTA_LIKE = {
    "eventType": "user.session.start",
    "published": "2025-03-04T08:15:42Z",
    "actor": {"id": "00u1abcd", "alternateId": "dana@example.org", "displayName": "Dana Ruiz"},
    "client": {"ipAddress": "198.51.100.61", "device": "Unknown", "zone": "N/A"},
    "authenticationContext": {"authenticationStep": 0, "externalSessionId": "102xyz"},
    "debugContext": {
        "debugData": {
            "requestUri": "/idp/idx/identify",
            "url": "/idp/idx/identify?stateToken=abc",
            "timeUsec": "1741076142000000",  # digits in a string, in microseconds
        }
    },
}


def cut_and_kept(event: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    result = compact_alert(event)
    return result.dropped, event_paths(result.text)


def test_placeholders_and_bookkeeping_defaults_are_cut_and_listed() -> None:
    dropped, kept = cut_and_kept(OKTA_LIKE)
    for path in ("client.device", "client.zone", "authenticationContext.authenticationStep"):
        assert path in dropped and path not in kept, path
    assert kept["authenticationContext.externalSessionId"] == "102xyz"


def test_a_false_a_zero_or_off_that_may_be_the_finding_stays() -> None:
    event = {
        "name": "CHANGE_APPLICATION_SETTING",
        "actor": {"email": "it@example.org"},
        "user": {"active": False, "loginCount": 0},
        "parameters": {"SETTING_NAME": "Enforce strong password", "NEW_VALUE": "off"},
        "policy": {"includeApplications": "None", "tenantGeo": "NA"},
    }
    dropped, kept = cut_and_kept(event)
    assert kept["user.active"] == "false" and kept["user.loginCount"] == "0"
    assert kept["parameters.NEW_VALUE"] == "off"
    assert kept["policy.includeApplications"] == "None" and kept["policy.tenantGeo"] == "NA"
    assert not dropped


def test_an_unknown_authentication_detail_is_a_finding_and_stays() -> None:
    event = {"eventType": "x", "signIn": {"authenticationDetail": "unknown", "device": "unknown"}}
    dropped, kept = cut_and_kept(event)
    assert kept["signIn.authenticationDetail"] == "unknown"
    assert "signIn.device" in dropped


def test_an_opaque_id_beside_a_readable_name_is_cut() -> None:
    dropped, _ = cut_and_kept(OKTA_LIKE)
    assert "actor.id" in dropped and "00u1abcd" not in compact_alert(OKTA_LIKE).text


def test_an_id_stays_when_nothing_beside_it_names_the_same_thing() -> None:
    event = {
        "actor": "ops@example.org",
        "event_type": "admin.user.update",
        "subject": {"id": "00u1abcd", "displayName": "unknown", "type": "User"},
        "flat": {"actor_user_id": "12345", "user_name": "bob", "user_id": "678"},
    }
    dropped, kept = cut_and_kept(event)
    assert kept["subject.id"] == "00u1abcd"  # its only name is a placeholder
    assert kept["flat.actor_user_id"] == "12345"  # user_name names another user
    assert "flat.user_id" in dropped  # user_name names this one


def test_a_value_inside_a_longer_one_beside_it_is_cut_but_a_word_in_prose_is_not() -> None:
    event = {
        "eventType": "policy.lifecycle.update",
        "debug": {"requestUri": "/api/v1/policies", "url": "/api/v1/policies?limit=20"},
        "change": {"verb": "delete", "summary": "delete policy Legacy MFA"},
    }
    dropped, kept = cut_and_kept(event)
    assert "debug.requestUri" in dropped and kept["debug.url"] == "/api/v1/policies?limit=20"
    assert kept["change.verb"] == "delete"


def test_a_name_equal_to_its_container_id_is_cut_whatever_its_length() -> None:
    event = {
        "eventType": "app.oauth2.token.grant",
        "actor": {"alternateId": "ana@example.org"},
        "target": {"alternateId": "App", "displayName": "app", "type": "AppInstance"},
    }
    dropped, kept = cut_and_kept(event)
    assert "target.displayName" in dropped
    assert kept["target.type"] == "AppInstance"


def test_record_markers_and_types_an_arn_spells_are_cut() -> None:
    event = {
        "eventName": "ListUsers",
        "eventType": "AwsApiCall",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/Auditor/s-1",
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/Auditor"}
            },
        },
        "other": {"type": "User", "name": "EXAMPLE_USER_ID"},
    }
    dropped, kept = cut_and_kept(event)
    for path in (
        "eventType",
        "userIdentity.type",
        "userIdentity.sessionContext.sessionIssuer.type",
    ):
        assert path in dropped, path
    assert kept["other.type"] == "User"  # "user" is inside the name, not a piece of it


def test_a_list_item_left_with_only_its_fact_is_cut_but_the_fact_stays() -> None:
    resources = [{"arn": f"arn:aws:ssm:us-west-2:111122223333:parameter/p{i}"} for i in range(3)]
    event = {"eventName": "GetParameters", "resources": resources}
    result = compact_alert(event)
    assert result.facts["resources"] == [item["arn"] for item in resources]
    assert not any(path.startswith("resources") for path in event_paths(result.text))
    assert {f"resources.{i}.arn" for i in range(3)} <= set(result.dropped)


def test_a_resource_named_again_inside_a_longer_one_is_said_once() -> None:
    event = {
        "eventName": "CreateSAMLProvider",
        "requestParameters": {"name": "corp-sso"},
        "responseElements": {"sAMLProviderArn": "arn:aws:iam::111122223333:saml-provider/corp-sso"},
        "scopes": ["create:actions", "create:actions_log_sessions"],
    }
    result = compact_alert(event)
    lines = dict(fact_pairs(result.text))
    assert lines["resources"] == "arn:aws:iam::111122223333:saml-provider/corp-sso"
    assert "corp-sso" in result.facts["resources"]  # the facts keep every value
    assert lines["scopes"] == "create:actions, create:actions_log_sessions"


def test_routing_and_one_time_request_values_are_noise() -> None:
    event = {
        "eventName": "ConsoleLogin",
        "recipientAccountId": "111122223333",
        "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity",
        "qs": {"nonce": "n-123", "state": "hKFo2SBP", "prompt": "login"},
    }
    dropped, kept = cut_and_kept(event)
    assert {"recipientAccountId", "logName", "qs.nonce", "qs.state"} <= set(dropped)
    assert kept["qs.prompt"] == "login"


def test_an_epoch_in_microseconds_is_the_event_time_and_a_duration_is_no_time() -> None:
    dropped, _ = cut_and_kept(OKTA_LIKE)
    assert "debugContext.debugData.timeUsec" in dropped  # the event's own time, again
    _, timed = cut_and_kept({"eventType": "x", "published": "2025-03-04T08:15:42Z",
                             "policy": {"sessionTimeoutSeconds": 3600}})  # fmt: skip
    assert timed["policy.sessionTimeoutSeconds"] == "3600"
