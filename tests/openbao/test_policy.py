"""The OpenBao policy socbot gets is the one documented, and it is least privilege on a real
server: socbot can create lease tokens only through its role, lease tokens can do nothing,
and neither reads what is not socbot's."""

from __future__ import annotations

from pathlib import Path

import hvac
import pytest

from bot.openbao.provision import (
    BROKER_POLICY,
    CALL_TOKEN_ROLE,
    LEASE_POLICY,
    LEASE_POLICY_HCL,
    broker_policy_hcl,
)
from tests.support.bao_server import BaoServer

DOC = Path(__file__).resolve().parents[2] / "docs" / "openbao.md"


def test_the_documented_policies_are_the_ones_provisioned() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert broker_policy_hcl() in text
    assert LEASE_POLICY_HCL in text


def refused(call: object, *args: object, **kwargs: object) -> bool:
    try:
        call(*args, **kwargs)  # type: ignore[operator]
    except (hvac.exceptions.Forbidden, hvac.exceptions.InvalidRequest):
        return True
    return False


def test_socbots_token_can_do_only_what_the_broker_needs(bao: BaoServer) -> None:
    bao.root().secrets.kv.v2.create_or_update_secret(path="payroll/db", secret={"pw": "x" * 12})
    socbot = hvac.Client(url=bao.addr, token=bao.broker_token())
    token = socbot.auth.token
    assert refused(token.create, ttl="60s")  # no plain child tokens
    assert refused(token.create, ttl="60s", no_parent=True)  # no orphans
    assert refused(token.create, role_name=CALL_TOKEN_ROLE, policies=[BROKER_POLICY])
    assert refused(
        socbot.secrets.kv.v2.read_secret_version, path="payroll/db", raise_on_deleted_version=True
    )
    assert refused(socbot.sys.list_policies)
    assert refused(socbot.sys.read_policy, BROKER_POLICY)
    assert refused(socbot.secrets.transit.read_key, "socbot-audit")
    lease = token.create(role_name=CALL_TOKEN_ROLE, policies=[LEASE_POLICY], ttl="60s")
    assert lease["auth"]["policies"] == [LEASE_POLICY]


@pytest.mark.parametrize("path", ["socbot/aws", "payroll/db"])
def test_a_lease_token_grants_nothing(bao: BaoServer, path: str) -> None:
    bao.root().secrets.kv.v2.create_or_update_secret(path=path, secret={"k": "v" * 12})
    socbot = hvac.Client(url=bao.addr, token=bao.broker_token())
    lease = socbot.auth.token.create(role_name=CALL_TOKEN_ROLE, policies=[LEASE_POLICY], ttl="60s")
    holder = hvac.Client(url=bao.addr, token=lease["auth"]["client_token"])
    assert refused(
        holder.secrets.kv.v2.read_secret_version, path=path, raise_on_deleted_version=True
    )
    assert refused(holder.auth.token.create, role_name=CALL_TOKEN_ROLE, policies=[LEASE_POLICY])
    assert refused(holder.auth.token.lookup_self)
