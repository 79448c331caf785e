"""Providers' own secrets from a real OpenBao KV v2 store (token or AppRole login), the
environment by default; every value handed out is masked by the redactor from then on."""

from __future__ import annotations

import time
import uuid

import pytest

from bot.errors import ConfigError
from bot.openbao.client import connect
from bot.openbao.provision import BROKER_POLICY
from bot.openbao.secrets import OpenBaoKVSecretSource
from tests.support.bao_server import BaoServer

from .helpers import MakeRuntime

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def write_secret(bao: BaoServer, path: str, values: dict[str, str]) -> None:
    bao.root().secrets.kv.v2.create_or_update_secret(path=path, secret=values)


def test_secrets_come_from_openbao_kv_when_configured(
    make_runtime: MakeRuntime, bao: BaoServer
) -> None:
    path = f"socbot/aws-{uuid.uuid4().hex[:8]}"
    write_secret(bao, path, {"AWS_SECRET_ACCESS_KEY": AWS_SECRET})
    runtime = make_runtime(
        seed=False,
        openbao_addr=bao.addr,
        openbao_token=bao.broker_token(),
        openbao_kv_path=path,
    )
    value = runtime.secrets.get("AWS_SECRET_ACCESS_KEY")
    assert value is not None and value.get_secret_value() == AWS_SECRET
    assert runtime.secrets.get("NOT_THERE") is None
    assert AWS_SECRET not in repr(value)
    assert AWS_SECRET not in str(runtime.redactor.redact({"error": f"bad key {AWS_SECRET}"}))


def test_the_environment_is_the_default_source(
    make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    runtime = make_runtime(seed=False)
    assert runtime.secrets.name == "environment"
    value = runtime.secrets.get("AWS_SECRET_ACCESS_KEY")
    assert value is not None and value.get_secret_value() == AWS_SECRET


def test_a_rotated_secret_is_read_again_after_the_cache_time(
    make_runtime: MakeRuntime, bao: BaoServer
) -> None:
    path = f"socbot/rotating-{uuid.uuid4().hex[:8]}"
    write_secret(bao, path, {"KEY": "first-value-123"})
    runtime = make_runtime(seed=False, openbao_addr=bao.addr, openbao_token=bao.broker_token())
    now = [0.0]
    source = OpenBaoKVSecretSource(
        connect(runtime.settings), mount="secret", path=path, cache_seconds=60, clock=lambda: now[0]
    )
    assert source.get("KEY") is not None
    write_secret(bao, path, {"KEY": "second-value-456"})
    now[0] = 59.0
    assert str(source.get("KEY").get_secret_value()) == "first-value-123"  # type: ignore[union-attr]
    now[0] = 60.0
    assert str(source.get("KEY").get_secret_value()) == "second-value-456"  # type: ignore[union-attr]


def test_a_path_outside_socbots_policy_is_refused_clearly(
    make_runtime: MakeRuntime, bao: BaoServer
) -> None:
    write_secret(bao, "payroll/db", {"PASSWORD": "not-for-socbot-9"})
    runtime = make_runtime(
        seed=False,
        openbao_addr=bao.addr,
        openbao_token=bao.broker_token(),
        openbao_kv_path="payroll/db",
    )
    with pytest.raises(ConfigError, match="secret/payroll/db") as refused:
        runtime.secrets.get("PASSWORD")
    assert "not-for-socbot-9" not in str(refused.value)


def approle_credentials(bao: BaoServer) -> tuple[str, str]:
    root = bao.root()
    if "approle/" not in root.sys.list_auth_methods()["data"]:
        root.sys.enable_auth_method("approle")
    root.auth.approle.create_or_update_approle(
        "socbot", token_policies=[BROKER_POLICY], token_no_default_policy=True, token_ttl="1h"
    )
    role_id = root.auth.approle.read_role_id("socbot")["data"]["role_id"]
    secret_id = root.auth.approle.generate_secret_id("socbot")["data"]["secret_id"]
    return str(role_id), str(secret_id)


def test_socbot_logs_in_with_approle(make_runtime: MakeRuntime, bao: BaoServer) -> None:
    role_id, secret_id = approle_credentials(bao)
    path = f"socbot/okta-{uuid.uuid4().hex[:8]}"
    write_secret(bao, path, {"OKTA_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----abc"})
    runtime = make_runtime(
        seed=False,
        openbao_addr=bao.addr,
        openbao_role_id=role_id,
        openbao_secret_id=secret_id,
        openbao_kv_path=path,
    )
    assert runtime.secrets.get("OKTA_PRIVATE_KEY") is not None


def test_a_wrong_approle_secret_is_refused_without_showing_it(
    make_runtime: MakeRuntime, bao: BaoServer
) -> None:
    role_id, _ = approle_credentials(bao)
    wrong = str(uuid.uuid4())
    runtime = make_runtime(
        seed=False,
        openbao_addr=bao.addr,
        openbao_role_id=role_id,
        openbao_secret_id=wrong,
        openbao_kv_path="socbot/aws",
    )
    with pytest.raises(ConfigError, match="AppRole login") as refused:
        runtime.secrets.get("AWS_SECRET_ACCESS_KEY")
    assert wrong not in str(refused.value)


def test_an_expired_approle_token_is_replaced_by_logging_in_again(
    make_runtime: MakeRuntime, bao: BaoServer
) -> None:
    role_id, secret_id = approle_credentials(bao)
    bao.root().auth.approle.create_or_update_approle(
        "socbot",
        token_policies=[BROKER_POLICY],
        token_no_default_policy=True,
        token_ttl="2s",
        token_max_ttl="2s",
    )
    path = f"socbot/short-{uuid.uuid4().hex[:8]}"
    write_secret(bao, path, {"KEY": "value-after-expiry"})
    runtime = make_runtime(
        seed=False,
        openbao_addr=bao.addr,
        openbao_role_id=role_id,
        openbao_secret_id=secret_id,
        openbao_kv_path=path,
    )
    client = connect(runtime.settings)
    first_token = client.token
    time.sleep(3)  # socbot's token is gone now
    source = OpenBaoKVSecretSource(client, mount="secret", path=path)
    assert str(source.get("KEY").get_secret_value()) == "value-after-expiry"  # type: ignore[union-attr]
    assert client.token != first_token
