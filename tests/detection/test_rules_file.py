"""Rules files: the shipped ones load, and an admin file adds, replaces or disables by id;
anything wrong is refused with the file and line, like policy.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.detection.loader import load_rules, shipped_rule_files
from bot.errors import RulesError

NEW_RULE = """\
version: 1
rules:
  - id: local.contractor-sign-in
    title: a contractor account signed in
    sources: [okta]
    event_types: [user.session.start]
    match: {actor.alternateId|endswith: "@contractor.example"}
    attack: [T1078]
    severity: medium
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_rules_load_and_cover_every_vendor() -> None:
    rules = load_rules()
    sources = {source for rule in rules for source in rule.sources}
    for vendor in (
        "okta",
        "aws_cloudtrail",
        "entra_id",
        "gcp",
        "google_workspace",
        "github",
        "crowdstrike",
        "azure_activity",
        "generic:auth0",
    ):
        assert vendor in sources
    assert all(rule.attack and rule.severity for rule in rules)
    assert len({rule.id for rule in rules}) == len(rules)
    assert len(shipped_rule_files()) >= 5


def test_an_admin_file_adds_replaces_and_disables(tmp_path: Path) -> None:
    shipped = {rule.id: rule for rule in load_rules()}
    assert "okta.push-denied" in shipped and "okta.account-locked" in shipped
    text = (
        NEW_RULE
        + """\
  - id: okta.push-denied
    title: push denied, treated as malicious here
    sources: [okta]
    event_types: [user.mfa.okta_verify.deny_push]
    attack: [T1621]
    severity: high
    verdict: malicious
  - id: okta.account-locked
    disabled: true
"""
    )
    rules = {rule.id: rule for rule in load_rules(write(tmp_path, text))}
    assert rules["local.contractor-sign-in"].origin.endswith("rules.yaml:3")
    assert rules["okta.push-denied"].verdict == "malicious"
    assert "okta.account-locked" not in rules
    assert len(rules) == len(shipped)


@pytest.mark.parametrize(
    ("text", "line", "complaint"),
    [
        ("", 1, "empty"),
        ("rules:\n  - id: a.b\n    title: [unclosed\n", 4, "YAML syntax error"),
        (NEW_RULE.replace("severity: medium", "severity: urgent"), 9, "severity"),
        (NEW_RULE.replace("|endswith", "|ends"), 7, "unknown modifier 'ends'"),
        (NEW_RULE.replace("attack: [T1078]", "attack: [TA0001]"), 8, "attack"),
        (NEW_RULE.replace("    attack: [T1078]\n", ""), 3, "needs attack"),
        (NEW_RULE + "    colour: red\n", 10, "colour"),
        (NEW_RULE.replace("title: a contractor", "title: a\n    title: b"), 5, "duplicate key"),
    ],
)
def test_a_bad_rules_file_is_refused_with_file_and_line(
    tmp_path: Path, text: str, line: int, complaint: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    assert caught.value.line == line, str(caught.value)
    assert complaint in caught.value.reason
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_a_missing_admin_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot read the rules file"):
        load_rules(tmp_path / "absent.yaml")
