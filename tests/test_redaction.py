"""Redaction: issued secrets and common secret formats never survive; identifiers do.

Every fake secret is generated at run time, so no secret-shaped literal lives in the repo.
"""

from __future__ import annotations

import base64
import json
import random
import secrets
import string
import threading
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import CredentialError
from bot.redaction import Redactor, default_redactor

ALNUM = string.ascii_letters + string.digits
DIGITS = string.digits
# Seeded: pytest-xdist needs every worker to collect the same parametrized ids.
rng = random.Random(20261122)


def chars(alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def aws_secret_key() -> str:
    mixed = chars(string.ascii_uppercase, 1) + chars(string.ascii_lowercase, 1) + chars("0123", 1)
    return mixed + chars(ALNUM + "/+", 37)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def jwt() -> str:
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps({"sub": chars(ALNUM, 10), "iat": 1700000000}).encode())
    return f"{header}.{payload}.{b64url(secrets.token_bytes(32))}"


def pem_block() -> str:
    body = "\n".join(base64.b64encode(secrets.token_bytes(48)).decode() for _ in range(4))
    return f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"


SECRET_FORMATS: dict[str, tuple[str, Callable[[], str]]] = {
    "aws secret key": ("aws_secret_access_key", aws_secret_key),
    "slack bot token": (
        "slack_token",
        lambda: f"xoxb-{chars('0123456789', 12)}-{chars(ALNUM, 24)}",
    ),
    "slack user token": (
        "slack_token",
        lambda: f"xoxp-{chars('0123456789', 12)}-{chars(ALNUM, 24)}",
    ),
    "slack app token": ("slack_token", lambda: f"xapp-1-A{chars(ALNUM, 10)}-{chars(ALNUM, 30)}"),
    "slack webhook": (
        "slack_webhook",
        lambda: (
            f"https://hooks.slack.com/services/T{chars(ALNUM, 8)}/B{chars(ALNUM, 8)}/"
            + chars(ALNUM, 24)
        ),
    ),
    "github classic": ("github_token", lambda: "ghp_" + chars(ALNUM, 36)),
    "github app": ("github_token", lambda: "ghs_" + chars(ALNUM, 36)),
    "github fine-grained": (
        "github_token",
        lambda: f"github_pat_{chars(ALNUM, 22)}_{chars(ALNUM, 59)}",
    ),
    "openai key": ("api_key", lambda: "sk-proj-" + chars(ALNUM, 40) + "7"),
    "jwt": ("jwt", jwt),
    "google api key": ("google_api_key", lambda: "AIza" + chars(ALNUM + "_-", 35)),
    "socbot credential": ("socbot_credential", lambda: "scb_" + secrets.token_urlsafe(32)),
    "private key": ("private_key", pem_block),
}


@pytest.mark.parametrize("name", sorted(SECRET_FORMATS))
def test_each_secret_format_is_redacted_whole(name: str) -> None:
    label, make = SECRET_FORMATS[name]
    secret = make()
    text = f"found {secret} in the alert."
    redacted = Redactor().redact_text(text)
    assert redacted == f"found [REDACTED:{label}] in the alert."
    assert Redactor().find_secrets(text) == [secret]


@pytest.mark.parametrize(
    "identifier",
    [
        "AKIA" + chars(string.ascii_uppercase + "234567", 16),
        "ASIA" + chars(string.ascii_uppercase + "234567", 16),
        chars("0123456789abcdef", 40),  # a git commit / sha1 fingerprint
        chars("0123456789abcdef", 64),  # a sha256
        "3f0c6a5e-8a43-4b7b-9b1c-2a7c0f1e9d44",
        "U0IDADMIN1",
        "arn:aws:iam::123456789012:user/svc-deploy",
        "2024-05-01T12:00:00.123456Z",
        "max_tokens: 4000, token_count=5, tokens=12",
        "task-" + chars("0123456789abcdef", 16),
        "https://hooks.example.com/services/not-slack",
    ],
)
def test_identifiers_are_kept(identifier: str) -> None:
    text = f"identity {identifier} flagged"
    assert Redactor().redact_text(text) == text


def test_access_key_id_kept_but_its_secret_redacted() -> None:
    key_id, secret = "AKIA" + chars(string.ascii_uppercase, 16), aws_secret_key()
    text = f"aws_access_key_id={key_id}\naws_secret_access_key = {secret}\n"
    redacted = Redactor().redact_text(text)
    assert key_id in redacted
    assert secret not in redacted
    assert "aws_secret_access_key = [REDACTED:aws_secret_access_key]" in redacted


@pytest.mark.parametrize(
    ("template", "label"),
    [
        ("password={v}", "password"),
        ("db_password = {v}", "password"),
        ('{{"password": "{v}"}}', "password"),
        ("client_secret={v}&grant_type=x", "secret"),
        ("api_key: {v}", "secret"),
        ("privatekey={v}", "secret"),
        ("token={v}", "token"),
        ("X_AUTH_TOKEN='{v}'", "token"),
        ("postgres://admin:{v}@db.internal:5432/app", "password"),
    ],
)
def test_assignments_lose_only_their_value(template: str, label: str) -> None:
    value = chars(ALNUM, 14)
    redacted = Redactor().redact_text(template.format(v=value))
    assert redacted == template.format(v=f"[REDACTED:{label}]")


def test_authorization_header_keeps_its_scheme() -> None:
    token = chars(ALNUM, 32)
    redacted = Redactor().redact_text(f"Authorization: Bearer {token}\nAccept: */*")
    assert redacted == "Authorization: Bearer [REDACTED:bearer_token]\nAccept: */*"


def test_jwt_in_bearer_header_is_one_redaction() -> None:
    token = jwt()
    redacted = Redactor().redact_text(f"authorization: bearer {token}")
    assert redacted.count("[REDACTED:") == 1
    assert token not in redacted


def test_private_key_block_goes_whole_with_surroundings_kept() -> None:
    block = pem_block()
    redacted = Redactor().redact_text(f"key file:\n{block}\nend of file")
    assert redacted == "key file:\n[REDACTED:private_key]\nend of file"


def test_registered_secret_redacted_with_its_label() -> None:
    redactor = Redactor()
    secret = chars(ALNUM, 20)
    redactor.add_secret(secret, label="lab_key")
    assert redactor.redact_text(f"a{secret}b {secret}") == "a[REDACTED:lab_key]b [REDACTED:lab_key]"


def test_longest_registered_secret_wins() -> None:
    redactor = Redactor()
    short = chars(ALNUM, 10)
    redactor.add_secret(short, label="short")
    redactor.add_secret(short + "EXTRA123", label="long")
    assert redactor.redact_text(f"{short}EXTRA123") == "[REDACTED:long]"


def test_short_secrets_and_odd_labels_refused() -> None:
    redactor = Redactor()
    with pytest.raises(CredentialError, match="shorter than"):
        redactor.add_secret("abc")
    with pytest.raises(CredentialError, match="label"):
        redactor.add_secret(chars(ALNUM, 20), label="no spaces]")


def test_redact_walks_nested_data_and_keys() -> None:
    redactor = Redactor()
    secret = chars(ALNUM, 24)
    redactor.add_secret(secret)
    data = {
        "note": f"saw {secret}",
        secret: "as a key",
        "items": [secret, ("x", secret), 7, None, True],
        "password": "hunter2",
        "accessToken": "plain-looking-value",
        "tokens_used": 1234,
        "secret_fingerprint": "abc123",
    }
    redacted = redactor.redact(data)
    assert secret not in json.dumps(redacted)
    assert redacted["note"] == "saw [REDACTED:credential]"
    assert redacted["[REDACTED:credential]"] == "as a key"
    assert redacted["items"] == [
        "[REDACTED:credential]",
        ("x", "[REDACTED:credential]"),
        7,
        None,
        True,
    ]
    assert redacted["password"] == "[REDACTED:password]"
    assert redacted["accessToken"] == "[REDACTED:token]"
    assert redacted["tokens_used"] == 1234
    assert redacted["secret_fingerprint"] == "abc123"


def test_add_secret_is_thread_safe() -> None:
    redactor = Redactor()
    issued = [[chars(ALNUM, 16) for _ in range(50)] for _ in range(8)]

    def register(batch: list[str]) -> None:
        for secret in batch:
            redactor.add_secret(secret)

    threads = [threading.Thread(target=register, args=(batch,)) for batch in issued]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = " ".join(secret for batch in issued for secret in batch)
    assert redactor.find_secrets(everything) == everything.split(" ")


def test_default_redactor_is_shared() -> None:
    assert default_redactor() is default_redactor()


@settings(max_examples=150, deadline=None)
@given(
    secret=st.text(alphabet=ALNUM + "!#%^*-_~", min_size=8, max_size=40),
    before=st.text(max_size=60),
    after=st.text(max_size=60),
)
def test_registered_secret_never_survives(secret: str, before: str, after: str) -> None:
    redactor = Redactor()
    redactor.add_secret(secret)
    redacted = redactor.redact_text(before + secret + after)
    assert secret not in redacted.replace("[REDACTED:credential]", "\0")


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet=ALNUM + " =:/+-_.\"'\n", max_size=200))
def test_redaction_is_idempotent(text: str) -> None:
    redactor = Redactor()
    once = redactor.redact_text(text)
    assert redactor.redact_text(once) == once
