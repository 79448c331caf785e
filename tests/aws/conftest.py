"""A moto_server for the AWS tests: one per session, on a free 127.0.0.1 port, auth on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.aws.world import AwsWorld, build_world
from tools.providers.aws.local_api import LocalAwsApi, moto_binary, start_local_api


@pytest.fixture(scope="session")
def local_aws() -> Iterator[LocalAwsApi]:
    binary = moto_binary()
    if binary is None:
        pytest.skip("moto_server is not installed: pip install -e '.[aws]' (or '.[dev]')")
    api = start_local_api(binary)
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
def aws_world(local_aws: LocalAwsApi) -> AwsWorld:
    """A fresh set of users, roles, groups and keys, with names of their own, in the account."""
    return build_world(local_aws)
