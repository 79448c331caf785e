"""A process that dies mid-call leaves an AWS credential live; the next process's sweep
revokes it in AWS, though it never held its keys."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta

import pytest

from bot.clock import utcnow
from bot.runtime import Runtime
from tests.aws.test_routing import routed_env
from tests.aws.world import AwsWorld
from tools.providers.aws.session import AwsKeys, client
from tools.providers.call_scope import CallScope, scoped_call

MakeRuntime = Callable[..., Runtime]


def test_sweep_in_a_new_process_revokes_a_dead_calls_aws_credential(
    aws_world: AwsWorld, make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    routed_env(aws_world, monkeypatch)
    crashed = make_runtime()
    scopes = frozenset({"directory:read"})
    stack = ExitStack()  # never closed: the process "died" inside the task and the call
    task = stack.enter_context(crashed.tasks.run("thread", "U0ANALYST1", crashed.task_limits()))
    with scoped_call(CallScope("aws", "get_identity")):
        credential = stack.enter_context(crashed.broker.issue(task.id, "get_identity", scopes, 60))
    keys = AwsKeys.from_secret(credential.secret)
    own = client(aws_world.config(), keys, "iam")
    assert own.list_account_aliases() is not None  # live in AWS
    iam = aws_world.admin_iam()
    assert iam.list_users(PathPrefix="/socbot/")["Users"]

    survivor = make_runtime(seed=False)  # another process: none of the keys in memory
    report = survivor.broker.sweep(now=utcnow() + timedelta(minutes=5))
    assert [r.credential_id for r in report.revoked] == [credential.credential_id]
    assert report.revoked[0].verified
    assert iam.list_users(PathPrefix="/socbot/")["Users"] == []
    with pytest.raises(Exception, match="InvalidClientTokenId"):
        own.list_account_aliases()
    stack.close()  # the dead call's own exits now find nothing left to revoke
    assert survivor.broker.credentials(live_only=True) == []
