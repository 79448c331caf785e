"""Selections read the alert the way Sigma rules read a log line."""

from __future__ import annotations

import json

import pytest

from bot.alerts.intake.normalize import normalize_event
from bot.detection.fields import alert_view, values_at
from bot.detection.matcher import compile_selection
from bot.errors import SelectionError
from tests.detection.events import cloudtrail, okta


def holds(selection: dict[str, object], event: dict[str, object]) -> bool:
    alert = normalize_event(event)
    return compile_selection(selection).holds(alert_view(alert), alert.raw)


def test_plain_values_compare_without_case_and_a_list_means_any() -> None:
    event = okta("user.session.start", result="FAILURE")
    assert holds({"outcome.result": "failure"}, event)
    assert holds({"outcome.result": ["DENY", "FAILURE"]}, event)
    assert not holds({"outcome.result": ["DENY", "SUCCESS"]}, event)


def test_every_key_of_a_selection_must_hold() -> None:
    event = okta("user.session.start", result="FAILURE")
    assert holds({"outcome.result": "FAILURE", "alert.outcome": "failure"}, event)
    assert not holds({"outcome.result": "FAILURE", "alert.outcome": "success"}, event)


def test_modifiers() -> None:
    event = cloudtrail(
        "AttachUserPolicy",
        requestParameters={
            "userName": "dev",
            "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
        },
    )
    assert holds({"requestParameters.policyArn|endswith": "administratoraccess"}, event)
    assert holds({"requestParameters.policyArn|startswith": "arn:aws:iam::aws:"}, event)
    assert holds({"requestParameters.policyArn|contains": "Administrator"}, event)
    assert holds({"requestParameters.policyArn|re": "policy/(Admin|Power)"}, event)
    assert holds({"requestParameters.userName|exists": True}, event)
    assert holds({"requestParameters.groupName|exists": False}, event)
    assert not holds({"requestParameters.policyArn|endswith": "ReadOnlyAccess"}, event)


def test_all_modifier_needs_every_value() -> None:
    event = okta("user.session.start", displayMessage="push denied from new country")
    assert holds({"displayMessage|contains|all": ["push", "country"]}, event)
    assert not holds({"displayMessage|contains|all": ["push", "city"]}, event)


def test_numbers_compare_as_numbers() -> None:
    event = okta("user.session.start", debugContext={"debugData": {"riskScore": "75"}})
    assert holds({"debugContext.debugData.riskScore|gte": 50}, event)
    assert not holds({"debugContext.debugData.riskScore|lt": 50}, event)


def test_null_matches_a_missing_or_empty_field() -> None:
    event = okta("user.session.start")
    assert holds({"securityContext.isProxy": None}, event)
    assert not holds({"outcome.result": None}, event)


def test_a_path_fans_out_over_lists() -> None:
    event = okta(
        "group.user_membership.add",
        target=[
            {"id": "00u1", "type": "User", "alternateId": "lee@example.test"},
            {"id": "00g1", "type": "UserGroup", "displayName": "AWS Administrators"},
        ],
    )
    assert holds({"target.displayName|contains": "administrators"}, event)


def test_json_text_is_read_as_the_object_it_holds() -> None:
    security = {"risk": {"level": "HIGH"}, "behaviors": {"New Country": "POSITIVE"}}
    event = okta(
        "user.session.start",
        debugContext={"debugData": {"logOnlySecurityData": json.dumps(security)}},
    )
    assert holds({"debugContext.debugData.logOnlySecurityData.risk.level": "high"}, event)
    assert holds(
        {"debugContext.debugData.logOnlySecurityData.behaviors.New Country": "POSITIVE"}, event
    )


def test_a_key_holding_dots_is_found_whole() -> None:
    assert values_at({}, {"a.b": {"c": 1}, "a": {"b": {"c": 2}}}, "a.b.c") == [1]


def test_alert_paths_read_the_normalized_fields() -> None:
    alert = normalize_event(okta("user.session.start", result="FAILURE"))
    data = alert_view(alert)
    assert values_at(data, alert.raw, "alert.outcome") == ["failure"]
    assert values_at(data, alert.raw, "alert.actor.label") == ["ops@example.test"]


@pytest.mark.parametrize(
    ("selection", "complaint"),
    [
        ({"field|sometimes": "x"}, "unknown modifier 'sometimes'"),
        ({"|contains": "x"}, "a field path is needed"),
        ({"field|contains|endswith": "x"}, "one test modifier at a time"),
        ({"field|re": "("}, "bad regular expression"),
        ({"field|gt": "many"}, "compares numbers"),
        ({"field|exists": "yes"}, "exists takes true or false"),
        ({"field": []}, "at least one value"),
    ],
)
def test_a_selection_that_cannot_work_is_refused(
    selection: dict[str, object], complaint: str
) -> None:
    with pytest.raises(SelectionError, match=complaint):
        compile_selection(selection)


def test_a_key_re_spelled_in_lower_case_is_still_found() -> None:
    assert values_at(
        {}, {"requestparameters": {"policyarn": "x"}}, "requestParameters.policyArn"
    ) == ["x"]
