"""Per-call credentials held in a real OpenBao as lease tokens: visible there with their TTL
and metadata while the call runs, revoked there at the call's end, the task's end, and by
the sweeper after the owning process is killed; the broker records a credential revoked
only when OpenBao has let it go too."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.errors import ConfigError, CredentialError
from bot.openbao.provision import BROKER_POLICY, LEASE_POLICY
from bot.tasks.records import CredentialRecord
from tests.support.bao_server import BaoServer

from .helpers import (
    LIMITS,
    READ,
    MakeRuntime,
    accessor_of,
    held_in_openbao,
    ledger_of,
    openbao_env,
    openbao_runtime,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
LOOKUP_SELF = 'path "auth/token/lookup-self" { capabilities = ["read"] }\n'
HELPER = REPO_ROOT / "tests" / "support" / "kill.py"


def test_an_issued_credential_is_held_in_openbao_with_its_ttl_and_metadata(
    make_runtime: MakeRuntime, bao: BaoServer
) -> None:
    runtime = openbao_runtime(make_runtime, bao)
    with (
        runtime.tasks.run("thread", "U0A", LIMITS) as task,
        runtime.broker.issue(task.id, "get_identity", READ, 120) as credential,
    ):
        held = held_in_openbao(bao, accessor_of(runtime, credential.credential_id))
        assert held is not None
        assert 110 <= held["ttl"] <= 120 and held["creation_ttl"] == 120
        assert held["meta"] == {
            "credential_id": credential.credential_id,
            "task_id": task.id,
            "tool": "get_identity",
            "scopes": "directory:read",
            "provider": "lab",
            "issued_by": "socbot",
        }
        assert held["policies"] == [LEASE_POLICY] and held["renewable"] is False
        assert held["role"] == "socbot-call"
        assert runtime.provider.credential_accepted_by_id(credential.credential_id)

    [record] = runtime.broker.credentials(task_id=task.id)
    assert record.backend == "lab+openbao"


def test_the_call_end_revokes_the_lease_in_openbao(
    make_runtime: MakeRuntime, bao: BaoServer
) -> None:
    runtime = openbao_runtime(make_runtime, bao)
    with runtime.tasks.run("thread", "U0A", LIMITS) as task:
        with runtime.broker.issue(task.id, "get_identity", READ, 60) as credential:
            accessor = accessor_of(runtime, credential.credential_id)
        assert held_in_openbao(bao, accessor) is None
        assert not runtime.provider.credential_accepted_by_id(credential.credential_id)
    [record] = runtime.broker.credentials(task_id=task.id)
    assert record.revoke_reason == "tool call ended" and record.revoke_verified is True


def test_the_task_end_revokes_every_lease_of_the_task_in_openbao(
    make_runtime: MakeRuntime, bao: BaoServer
) -> None:
    runtime = openbao_runtime(make_runtime, bao)
    left_open = ExitStack()
    with runtime.tasks.run("thread", "U0A", LIMITS) as task, ExitStack() as calls:
        held = [
            calls.enter_context(runtime.broker.issue(task.id, "get_identity", READ, 300))
            for _ in range(3)
        ]
        accessors = [accessor_of(runtime, c.credential_id) for c in held]
        assert all(held_in_openbao(bao, a) is not None for a in accessors)
        left_open = calls.pop_all()  # only the task's end can revoke them now
    assert [held_in_openbao(bao, a) for a in accessors] == [None, None, None]
    reasons = {r.revoke_reason for r in runtime.broker.credentials(task_id=task.id)}
    assert reasons == {"task ended"}
    left_open.close()


def test_the_sweeper_revokes_in_openbao_what_a_killed_process_left(
    make_runtime: MakeRuntime, bao: BaoServer, db_url: str, tmp_path: Path
) -> None:
    runtime = openbao_runtime(make_runtime, bao)
    broker = runtime.broker  # its start-up sweep is over before the child starts
    env = {**os.environ, **openbao_env(bao), "PYTHONPATH": str(REPO_ROOT)}
    child = subprocess.run(
        [sys.executable, str(HELPER), "issue-and-die", db_url],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    orphan = json.loads(child.stdout.strip().splitlines()[-1])
    accessor = accessor_of(runtime, orphan["credential_id"])
    held = held_in_openbao(bao, accessor)
    assert held is not None and held["meta"]["task_id"] == orphan["task_id"]

    report = broker.sweep()

    assert [r.credential_id for r in report.revoked] == [orphan["credential_id"]]
    assert held_in_openbao(bao, accessor) is None
    [record] = broker.credentials(task_id=orphan["task_id"])
    assert record.revoke_reason == "task's process is gone" and record.revoke_verified


def test_a_credential_openbao_still_holds_is_not_recorded_revoked(
    make_runtime: MakeRuntime, bao: BaoServer
) -> None:
    """A token that may create leases but not revoke them: the lab lets the credential go,
    OpenBao does not, so the broker leaves it live on record for the sweeper."""
    root = bao.root()
    root.sys.create_or_update_policy(
        "socbot-no-revoke",
        LOOKUP_SELF + 'path "auth/token/create/socbot-call" { capabilities = ["update"] }\n'
        'path "auth/token/lookup-accessor" { capabilities = ["update"] }\n',
    )
    token = root.auth.token.create(policies=["socbot-no-revoke"], no_default_policy=True)
    runtime = openbao_runtime(make_runtime, bao, openbao_token=token["auth"]["client_token"])
    with runtime.tasks.run("thread", "U0A", LIMITS) as task, ExitStack() as call:
        credential = call.enter_context(runtime.broker.issue(task.id, "get_identity", READ, 60))
        with pytest.raises(CredentialError, match="openbao"):
            call.close()
        assert held_in_openbao(bao, accessor_of(runtime, credential.credential_id)) is not None
        [record] = runtime.broker.credentials(task_id=task.id)
        assert record.revoked_at is None
        assert ledger_of(runtime).is_accepted(credential.credential_id)
        # The operator revokes it; the sweeper can then close the record.
        root.auth.token.revoke_accessor(accessor_of(runtime, credential.credential_id))
        assert not ledger_of(runtime).is_accepted(credential.credential_id)


def test_a_refused_lease_means_no_credential(make_runtime: MakeRuntime, bao: BaoServer) -> None:
    root = bao.root()
    root.sys.create_or_update_policy(
        "socbot-lookup-only",
        LOOKUP_SELF + 'path "auth/token/lookup-accessor" { capabilities = ["update"] }\n',
    )
    token = root.auth.token.create(policies=["socbot-lookup-only"], no_default_policy=True)
    runtime = openbao_runtime(make_runtime, bao, openbao_token=token["auth"]["client_token"])
    with (
        runtime.tasks.run("thread", "U0A", LIMITS) as task,
        pytest.raises(CredentialError, match="OpenBao refused a lease"),
        runtime.broker.issue(task.id, "get_identity", READ, 60),
    ):
        pytest.fail("a credential was handed out without its lease")
    with Session(runtime.engine) as session:
        records = list(session.exec(select(CredentialRecord)))
    assert [r.fingerprint for r in records] == ["pending"]  # never minted at the lab


def test_a_bad_token_is_refused_at_start_without_showing_it(
    make_runtime: MakeRuntime, bao: BaoServer
) -> None:
    runtime = openbao_runtime(make_runtime, bao, openbao_token="s.not-a-real-token-value")
    with pytest.raises(ConfigError, match="refused socbot's token") as refused:
        _ = runtime.broker
    assert "not-a-real-token-value" not in str(refused.value)


def test_no_openbao_or_credential_secret_reaches_logs_or_the_audit(
    make_runtime: MakeRuntime, bao: BaoServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    broker_token = bao.broker_token()
    runtime = openbao_runtime(make_runtime, bao, openbao_token=broker_token)
    minted: list[str] = []
    ledger = ledger_of(runtime)
    real_create = ledger._client.auth.token.create

    def create_and_keep(**kwargs: object) -> dict[str, object]:
        answer = real_create(**kwargs)
        minted.append(answer["auth"]["client_token"])
        return dict(answer)

    ledger._client.auth.token.create = create_and_keep
    with (
        runtime.tasks.run("thread", "U0A", LIMITS) as task,
        runtime.broker.issue(task.id, "get_identity", READ, 60) as credential,
    ):
        pass
    with runtime.engine.connect() as conn:
        stored = json.dumps(
            [
                list(r)
                for t in ("audit_event", "credential", "openbao_lease")
                for r in conn.exec_driver_sql(f"SELECT * FROM {t}")
            ],
            default=str,
        )
    assert len(minted) == 1
    for secret in (broker_token, minted[0], credential.secret):
        assert secret not in caplog.text
        assert secret not in stored
        assert secret not in repr(runtime.settings)
    assert BROKER_POLICY not in minted[0]


def test_openbao_ends_a_lease_at_its_ttl_and_the_sweeper_closes_the_record(
    make_runtime: MakeRuntime, bao: BaoServer
) -> None:
    runtime = openbao_runtime(make_runtime, bao)
    with runtime.tasks.run("thread", "U0A", LIMITS) as task, ExitStack() as call:
        credential = call.enter_context(runtime.broker.issue(task.id, "get_identity", READ, 1))
        accessor = accessor_of(runtime, credential.credential_id)
        deadline = time.monotonic() + 10
        while held_in_openbao(bao, accessor) is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert held_in_openbao(bao, accessor) is None, "OpenBao kept a lease past its TTL"
        report = runtime.broker.sweep()
        assert [r.credential_id for r in report.revoked] == [credential.credential_id]
        [record] = runtime.broker.credentials(task_id=task.id)
        assert record.revoke_reason == "ttl passed" and record.revoke_verified
        call.pop_all()
