"""Canary secrets of every kind socbot must redact, each in several spellings and contexts.

Everything is generated from a seed at run time: no secret-shaped literal lives in the repo.
A canary is the text to plant and the secret that must not come out the other side.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass

ALNUM = string.ascii_letters + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits
B64 = ALNUM + "+/"
PEM_BEGIN = "-----BEGIN PRIVATE KEY-----"


@dataclass(frozen=True)
class Canary:
    kind: str
    spelling: str
    text: str
    secret: str

    def survives_in(self, output: str) -> bool:
        """True when the secret, or any 16-character piece of it, is still in output."""
        if self.secret in output:
            return True
        piece = 16
        return any(
            self.secret[i : i + piece] in output for i in range(len(self.secret) - piece + 1)
        )


class Maker:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def chars(self, alphabet: str, length: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    def digits(self, length: int) -> str:
        return self.chars(string.digits, length)

    def lower(self, length: int) -> str:
        return self.chars(LOWER_ALNUM, length)

    def slack_ids(self) -> str:
        return f"{self.digits(12)}-{self.digits(12)}-{self.digits(13)}"

    def b64(self, length: int) -> str:
        return base64.b64encode(self.rng.randbytes(length)).decode()

    def b64url(self, length: int) -> str:
        return base64.urlsafe_b64encode(self.rng.randbytes(length)).decode().rstrip("=")

    def jwt(self) -> str:
        head = base64.urlsafe_b64encode(b'{"alg":"RS256","typ":"JWT","kid":"k1"}').decode()
        body = json.dumps({"sub": self.chars(ALNUM, 12), "iat": 1700000000, "scope": "admin"})
        payload = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
        return f"{head.rstrip('=')}.{payload}.{self.b64url(64)}"


# Each token kind: how one is made. The secret is the whole token.
TOKEN_KINDS: dict[str, Callable[[Maker], str]] = {
    "slack_xoxb": lambda m: f"xoxb-{m.digits(12)}-{m.digits(13)}-{m.chars(ALNUM, 24)}",
    "slack_xoxp": lambda m: f"xoxp-{m.slack_ids()}-{m.chars(ALNUM, 32)}",
    "slack_xoxc": lambda m: f"xoxc-{m.slack_ids()}-{m.chars(ALNUM, 64)}",
    "slack_xoxs": lambda m: f"xoxs-{m.slack_ids()}-{m.chars(ALNUM, 40)}",
    "slack_xapp": lambda m: f"xapp-1-A{m.chars(ALNUM, 10)}-{m.digits(13)}-{m.lower(64)}",
    "stripe_sk_live": lambda m: "sk_live_" + m.chars(ALNUM, 99),
    "stripe_rk_live": lambda m: "rk_live_" + m.chars(ALNUM, 99),
    "npm": lambda m: "npm_" + m.chars(ALNUM, 36),
    "gitlab_pat": lambda m: "glpat-" + m.chars(ALNUM + "_-", 20),
    "google_oauth_secret": lambda m: "GOCSPX-" + m.chars(ALNUM + "_-", 28),
    "aws_secret_key": lambda m: m.chars("ABCDEFGH", 1) + m.chars("abcdefgh", 1) + m.chars(B64, 38),
    "aws_session_token": lambda m: "FwoGZXIvYXdzE" + m.b64(180).rstrip("="),
    "aws_session_token_iqo": lambda m: "IQoJb3JpZ2luX2VjE" + m.b64(300).rstrip("="),
    "jwt": lambda m: m.jwt(),
    "github_ghp": lambda m: "ghp_" + m.chars(ALNUM, 36),
    "github_gho": lambda m: "gho_" + m.chars(ALNUM, 36),
    "github_ghs": lambda m: "ghs_" + m.chars(ALNUM, 36),
    "github_pat": lambda m: f"github_pat_{m.chars(ALNUM, 22)}_{m.chars(ALNUM, 59)}",
    "openai": lambda m: "sk-" + m.chars(ALNUM, 20) + "T3BlbkFJ" + m.chars(ALNUM, 20),
    "openai_project": lambda m: (
        "sk-proj-" + m.chars(ALNUM + "_-", 74) + "T3BlbkFJ" + m.chars(ALNUM, 40)
    ),
}

TOKEN_SPELLINGS: dict[str, str] = {
    "prose": "found {s} in the alert.",
    "json": '{{"detail": "{s}", "ok": true}}',
    "line": "line one\n{s}\nline three",
    "quoted": "the agent sent '{s}' twice",
    "url": "https://api.example.com/v1/hook?state=1&value={s}&next=2",
}

# Kinds that are secret only by where they stand: the secret is the value.
PLACED_KINDS: dict[str, tuple[tuple[str, str], ...]] = {
    "okta_ssws": (
        ("header", "Authorization: SSWS {v}"),
        ("json", '{{"headers": {{"Authorization": "SSWS {v}"}}}}'),
        ("prose", "called the admin API with SSWS {v} from the runner"),
    ),
    "azure_account_key": (
        ("connection", "DefaultEndpointsProtocol=https;AccountName=prod;AccountKey={v};"),
        ("json", '{{"conn": "AccountName=prod;AccountKey={v}"}}'),
    ),
    "gcp_private_key_id": (
        ("json", '{{"type": "service_account", "private_key_id": "{v}", "client_id": "1"}}'),
        ("escaped", '{{\\"private_key_id\\": \\"{v}\\"}}'),
    ),
    "gcp_private_key": (
        ("json", '{{"private_key": "' + PEM_BEGIN + '\\n{v}\\n-----END PRIVATE KEY-----\\n"}}'),
        ("no_end", PEM_BEGIN + "\n{v}"),
        ("rsa_no_end_json", '{{"key": "-----BEGIN RSA PRIVATE KEY-----\\n{v}'),
    ),
    "aws_session_token_field": (
        ("json_camel", '{{"Credentials": {{"SessionToken": "{v}", "Expiration": "x"}}}}'),
        ("ini", "aws_session_token = {v}"),
        ("header", "X-Amz-Security-Token: {v}"),
    ),
    "bearer": (
        ("header", "Authorization: Bearer {v}"),
        ("json", '{{"authorization": "Bearer {v}"}}'),
        ("curl", "curl -H 'Authorization: bearer {v}' https://x.example.com"),
    ),
    "basic": (
        ("header", "Authorization: Basic {v}"),
        ("prose", "the request carried Basic {v} in its header"),
    ),
    "x_api_key": (
        ("header", "x-api-key: {v}"),
        ("json", '{{"X-Api-Key": "{v}"}}'),
        ("curl", 'curl -H "X-API-KEY: {v}" https://x.example.com'),
    ),
}
FIELD_NAMES = (
    "password",
    "pass",
    "passwd",
    "secret",
    "clientSecret",
    "client_secret",
    "token",
    "api_key",
    "cookie",
    "set-cookie",
)
FIELD_SPELLINGS: dict[str, str] = {
    "kv": "{k}={v}",
    "kv_spaced": "{k} = {v}",
    "json": '{{"{k}": "{v}", "user": "jdoe"}}',
    "yaml": "{k}: {v}",
    "query": "/login?user=jdoe&{k}={v}&next=1",
    "escaped_json": '{{\\"{k}\\": \\"{v}\\"}}',
}


def _placed_value(kind: str, maker: Maker) -> str:
    if kind == "okta_ssws":
        return "00" + maker.chars(ALNUM + "_-", 40)
    if kind == "azure_account_key":
        return maker.b64(64)
    if kind == "gcp_private_key_id":
        return maker.chars("0123456789abcdef", 40)
    if kind == "gcp_private_key":
        return maker.b64(600)
    if kind == "aws_session_token_field":
        return "IQoJb3JpZ2luX2VjE" + maker.b64(240).rstrip("=")
    if kind == "basic":
        user_pass = f"svc-{maker.chars(LOWER_ALNUM, 6)}:{maker.chars(ALNUM, 16)}"
        return base64.b64encode(user_pass.encode()).decode()
    return maker.chars(ALNUM, 32)


def canaries(seed: int = 20261207) -> Iterator[Canary]:
    """Every kind in every spelling, with fresh secrets."""
    maker = Maker(seed)
    for kind, make in TOKEN_KINDS.items():
        for spelling, template in TOKEN_SPELLINGS.items():
            secret = make(maker)
            yield Canary(kind, spelling, template.format(s=secret), secret)
    for kind, spellings in PLACED_KINDS.items():
        for spelling, template in spellings:
            value = _placed_value(kind, maker)
            yield Canary(kind, spelling, template.format(v=value), value)
    for name in FIELD_NAMES:
        for spelling, template in FIELD_SPELLINGS.items():
            value = maker.chars(ALNUM, 6) + maker.digits(2) + maker.chars(ALNUM, 6)
            yield Canary(f"field_{name}", spelling, template.format(k=name, v=value), value)


def one_of_each(seed: int = 20261207) -> list[Canary]:
    """The first spelling of every kind: a compact set to plant in every input."""
    seen: dict[str, Canary] = {}
    for canary in canaries(seed):
        seen.setdefault(canary.kind, canary)
    return list(seen.values())
