"""The rule set: every canary kind in every spelling is redacted; ordinary alert text is not."""

from __future__ import annotations

import re

import pytest

from bot.redaction import Redactor
from bot.secret_rules.base import shannon_entropy
from bot.secret_rules.gitleaks import DISABLED, default_rules, parse
from bot.secret_rules.go_regex import to_python
from tests.support.secret_canaries import Canary, canaries

CANARIES = {f"{c.kind}-{c.spelling}": c for c in canaries()}

# Alert text as vendors send it: ids, hashes, ARNs, user agents, URLs, key ids, prose.
ORDINARY = [
    "User jdoe@example.com signed in from 203.0.113.7 (Mozilla/5.0 (X11; Linux x86_64))",
    '{"KeyStoreId": "291154f0-a9f5-45bb-87be-9c8ee5b6d62c", "CredentialType": 2}',
    "arn:aws:secretsmanager:us-west-2:123123123123:secret:prod-db-creds-a1B2c3",
    "accessKeyId=AKIAQWERTYUIOPASDFGH sourceIPAddress=198.51.100.2 eventName=GetSecretValue",
    "commit 4f1c2d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e fixed the token refresher",
    "requestId: 7f3e1b2a-0c9d-4e8f-a1b2-c3d4e5f60718 outcome=SUCCESS",
    "The user reset their password and enrolled a new MFA factor (Okta Verify push).",
    "max_tokens: 4000, token_count=5, session expires_in=3600, api_version=2024-05-01",
    "Basic authentication was disabled for the tenant; bearer tokens are required now.",
    "https://login.example.com/oauth2/v1/authorize?client_id=0oa1b2c3d4&state=xyz",
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 on host web-3",
]


@pytest.mark.parametrize("name", sorted(CANARIES))
def test_every_canary_kind_and_spelling_is_redacted(name: str) -> None:
    canary: Canary = CANARIES[name]
    redacted = Redactor().redact_text(canary.text)
    assert not canary.survives_in(redacted), redacted
    assert "[REDACTED:" in redacted


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_alert_text_is_left_alone(text: str) -> None:
    assert Redactor().redact_text(text) == text


def test_every_gitleaks_rule_compiles_in_python() -> None:
    rules = default_rules()
    # 222 rules upstream less the ones socbot turns off, each with its reason.
    assert len(rules.rules) >= 200
    assert all(rule.label not in DISABLED for rule in rules.rules)


def test_go_flags_in_mid_pattern_keep_their_scope() -> None:
    python = to_python(r"\b(p8e-(?i)[a-z0-9]{4})(?:x|\z)")
    regex = re.compile(python)
    assert regex.search("p8e-AbC1x") is not None
    assert regex.search("P8E-abc1x") is None  # the flag starts where Go starts it
    assert to_python("[[:alnum:]]{2}") == "[a-zA-Z0-9]{2}"


def test_a_rule_runs_only_when_its_keyword_is_there_and_clears_entropy() -> None:
    config = {
        "rules": [
            {"id": "acme", "regex": r"\b(acme_[a-z0-9]{12})\b", "keywords": ["acme_"], "entropy": 3}
        ]
    }
    rules = parse(config)
    assert [label for _, _, label in rules.spans("key acme_q8w7e6r5t4y3")] == ["acme"]
    assert rules.spans("key acme_aaaaaaaaaaaa") == []  # too regular to be a key
    assert shannon_entropy("aaaa") == 0.0


def test_allowlists_spare_what_they_name() -> None:
    config = {
        "allowlist": {"stopwords": ["example"]},
        "rules": [
            {
                "id": "acme",
                "regex": r"acme=(\w{8,})",
                "keywords": ["acme"],
                "allowlists": [{"regexTarget": "line", "regexes": ["^#"]}],
            }
        ],
    }
    rules = parse(config)
    assert len(rules.spans("acme=q8w7e6r5t4")) == 1
    assert rules.spans("acme=exampleKEY1") == []
    assert rules.spans("# acme=q8w7e6r5t4") == []


def test_disabled_rules_say_why() -> None:
    assert all(reason for reason in DISABLED.values())
