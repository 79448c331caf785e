"""The compact text's layout: fact lines, the event as an indented tree that a reader (and
the offline engine) can take apart without doubt, and no line, level or section a value or a
key could forge."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.agent.offline_rules import subject_candidates
from bot.agent.tokens import TokenCounter
from bot.alerts.compact.text import compact_alert
from tests.support.alert_text import event_paths, fact_pairs, sections

DEMO_ALERTS = Path(__file__).resolve().parents[2] / "bot" / "demo_alerts"

ASSUMED_ROLE_CALL = {
    "eventName": "PutBucketPolicy",
    "eventTime": "2025-05-19T22:03:11Z",
    "sourceIPAddress": "203.0.113.9",
    "userIdentity": {
        "type": "AssumedRole",
        "arn": "arn:aws:sts::111122223333:assumed-role/Deployer/ci-42",
        "accessKeyId": "ASIAEXAMPLEKEY000042",
        "sessionContext": {
            "sessionIssuer": {
                "arn": "arn:aws:iam::111122223333:role/deploy/Deployer",
                "accountId": "444455556666",
            },
            "attributes": {"creationDate": "2025-05-19T21:58:40Z", "mfaAuthenticated": "false"},
        },
    },
}


def test_a_shared_path_prefix_is_written_once() -> None:
    text = compact_alert(ASSUMED_ROLE_CALL).text
    paths = event_paths(text)
    issuer = "userIdentity.sessionContext.sessionIssuer."
    assert paths[issuer + "arn"] == "arn:aws:iam::111122223333:role/deploy/Deployer"
    assert paths[issuer + "accountId"] == "444455556666"
    assert paths["userIdentity.accessKeyId"] == "ASIAEXAMPLEKEY000042"
    for step in ("userIdentity", "sessionContext", "sessionIssuer"):
        assert text.count(step) == 1, step


def test_the_tree_costs_fewer_tokens_than_dotted_lines() -> None:
    counter = TokenCounter()
    text = compact_alert(ASSUMED_ROLE_CALL).text
    event_block = "\n".join(sections(text)[1])
    dotted = "\n".join(f"{path}: {value}" for path, value in event_paths(text).items())
    assert counter.count(event_block) < counter.count(dotted)


def test_list_items_read_back_whole_and_in_order() -> None:
    event = {
        "eventType": "group.user_membership.add",
        "actor": {"alternateId": "sync@example.org"},
        "target": [
            {"alternateId": "lee@example.org", "type": "User", "displayName": "Lee Park"},
            {"alternateId": "g-admins", "type": "UserGroup", "displayName": "Cloud Owners"},
        ],
    }
    paths = event_paths(compact_alert(event).text)
    assert paths["target.0.displayName"] == "Lee Park"
    assert paths["target.1.displayName"] == "Cloud Owners"
    assert paths["target.0.alternateId"] == "lee@example.org"  # the item keeps its name
    assert paths["target.1.type"] == "UserGroup"


def test_each_target_has_its_own_fact_line_and_the_facts_keep_the_list() -> None:
    event = {
        "eventType": "group.user_membership.add",
        "actor": {"alternateId": "sync@example.org"},
        "target": [{"alternateId": "lee@example.org"}, {"alternateId": "g-admins"}],
    }
    result = compact_alert(event)
    assert result.facts["targets"] == ["lee@example.org", "g-admins"]
    targets = [value for label, value in fact_pairs(result.text) if label == "target"]
    assert targets == ["lee@example.org", "g-admins"]


def test_the_offline_engine_finds_the_target_first_when_it_asks_for_it() -> None:
    event = json.loads((DEMO_ALERTS / "04-okta-admin-group-add.json").read_text())
    text = compact_alert(event).text
    assert subject_candidates(text, prefer_target=True)[0] == "lee.park@lab.example"
    assert subject_candidates(text)[0] == "svc-sso-sync"


def test_the_offline_engine_finds_each_demo_actor_first() -> None:
    for path in sorted(DEMO_ALERTS.glob("*.json")):
        result = compact_alert(json.loads(path.read_text()))
        assert subject_candidates(result.text)[0] == result.facts["actor"], path.name


def test_keys_that_could_pose_as_structure_are_quoted() -> None:
    event = {
        "eventType": "x",
        "event": {"a": "1", "b": "2"},  # a field named like the section line
        " indented": "3",
        "- item": "4",
        "k: v": "5",
        "dotted.key": {"c": "6"},
        "list": [{"o": "7"}, "posing: as a key"],  # a list of items and values
    }
    text = compact_alert(event).text
    lines = text.split("\n")
    assert lines.count("event:") == 1
    paths = event_paths(text)
    assert paths["event.a"] == "1" and paths["event.b"] == "2"
    assert paths[" indented"] == "3" and paths["- item"] == "4" and paths["k: v"] == "5"
    assert paths["dotted.key.c"] == "6"
    assert '"dotted.key".c: 6' in lines
    assert paths["list.1"] == "posing: as a key" and paths["list.0.o"] == "7"


def test_a_list_note_stays_on_its_list() -> None:
    resources = [{"arn": f"arn:aws:s3:::bucket-{i}", "tag": f"t{i}"} for i in range(8)]
    paths = event_paths(compact_alert({"eventName": "DeleteBucket", "resources": resources}).text)
    assert paths["resources"] == "…(+3 more)"
    assert paths["resources.4.tag"] == "t4"


KEYS = st.sampled_from(
    ["", " a", "-b", "a: b", "event", "facts", "x.y", '"q"', "id", "type", "actor", "0", "\n"]
) | st.text(max_size=8)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.sampled_from(["a: b", "- x", "x:", '"q"', "\n- y: z", "event:", "unknown"])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=6))
def test_no_key_or_value_can_forge_a_line_level_or_section(event: dict[str, Any]) -> None:
    result = compact_alert(event)
    assert result == compact_alert(copy.deepcopy(event))
    if result.text != "(the alert holds no values)":
        fact_pairs(result.text)  # only `label: value` lines before the one event: line
        event_paths(result.text)  # every line fits the tree, no path is said twice
