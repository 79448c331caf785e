"""The IAM calls each provider operation really makes, recorded off the wire, are the ones it
declares: so the documents checked in test_iam_policies cover what AWS will be asked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.aws.world import AwsWorld
from tools.providers.aws import provider as provider_module
from tools.providers.aws.iam_actions import OPERATION_ACTIONS, OPERATION_SCOPES
from tools.providers.aws.provider import AwsProvider


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    made: list[str] = []
    real = provider_module.client

    def recording(config: Any, keys: Any, service: str) -> Any:
        made_client = real(config, keys, service)

        def note(model: Any, **_: Any) -> None:
            made.append(f"{service}:{model.name}")

        made_client.meta.events.register(f"before-call.{service}", note)
        return made_client

    monkeypatch.setattr(provider_module, "client", recording)
    yield made


def test_each_operation_calls_only_what_it_declares(aws_world: AwsWorld, calls: list[str]) -> None:
    delivered: list[str] = []
    provider = AwsProvider(
        aws_world.config(), key_delivery=lambda u, k, s: delivered.append(k) or "x"
    )
    iam = aws_world.admin_iam()
    iam.delete_access_key(
        UserName=aws_world.alice, AccessKeyId=aws_world.alice_keys[1].access_key_id
    )
    key = aws_world.alice_keys[0].access_key_id
    runs = {
        "resolve_target": lambda c: provider.resolve_target(c, key),
        "get_identity": lambda c: provider.get_identity(c, aws_world.bob),
        "list_access_keys": lambda c: provider.list_access_keys(c, aws_world.alice),
        "assess_blast_radius": lambda c: provider.assess_blast_radius(c, aws_world.bob),
        "remove_from_group": lambda c: provider.remove_from_group(
            c, aws_world.alice, aws_world.devs
        ),
        "rotate_access_key": lambda c: provider.rotate_access_key(c, key),
        "deactivate_access_key": lambda c: provider.deactivate_access_key(c, key),
        "revoke_sessions": lambda c: provider.revoke_sessions(c, aws_world.deployer_role),
        "suspend_identity": lambda c: provider.suspend_identity(c, aws_world.bob),
        "reset_mfa": lambda c: provider.reset_mfa(c, aws_world.alice),
    }
    assert set(runs) == set(OPERATION_SCOPES)
    for operation, run in runs.items():
        calls.clear()
        run(aws_world.admin_credential(set(OPERATION_SCOPES[operation])))
        assert calls, operation
        assert set(calls) <= set(OPERATION_ACTIONS[operation]), operation
