"""A local AWS API (moto_server) on 127.0.0.1, with request authentication on.

For tests, the demo and the benchmark: the same boto3 code talks to it through an endpoint
override. The first `bootstrap_actions` requests are let through unsigned so an administrator
user can be made; every request after that must be signed by a key that exists and whose
policy allows the action.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tools.providers.aws.config import AwsConfig
from tools.providers.aws.session import AwsKeys, client

ACCOUNT = "123456789012"  # the local API's one account
BOOTSTRAP_ACTIONS = 3  # create_user, put_user_policy, create_access_key
ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def moto_binary() -> str | None:
    beside_python = Path(sys.executable).with_name("moto_server")
    return str(beside_python) if beside_python.exists() else shutil.which("moto_server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with {process.returncode} before listening")
        # A bare TCP connect, not an HTTP request: requests count against the unsigned allowance.
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"moto_server did not listen on 127.0.0.1:{port} within {seconds}s")


@dataclass
class LocalAwsApi:
    """A running moto_server and the administrator keys made in its unsigned allowance."""

    endpoint_url: str
    admin: AwsKeys
    process: subprocess.Popen[bytes] = field(repr=False)
    account: str = ACCOUNT

    def config(self, **overrides: object) -> AwsConfig:
        values: dict[str, object] = {
            "endpoint_url": self.endpoint_url,
            "region": "us-east-1",
            "accounts": frozenset({self.account}),
        }
        values.update(overrides)
        return AwsConfig(**values)  # type: ignore[arg-type]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_local_api(binary: str, *, admin_name: str = "socbot-admin") -> LocalAwsApi:
    port = _free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(BOOTSTRAP_ACTIONS)}
    process = subprocess.Popen(
        [binary, "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process, 30)
        endpoint = f"http://127.0.0.1:{port}"
        admin = _bootstrap_admin(endpoint, admin_name)
    except BaseException:
        process.kill()
        process.wait(timeout=5)
        raise
    return LocalAwsApi(endpoint, admin, process)


def _bootstrap_admin(endpoint: str, name: str) -> AwsKeys:
    config = AwsConfig(endpoint_url=endpoint)
    # Any key will do for the unsigned allowance; it is not checked.
    iam = client(config, AwsKeys("AKIAUNSIGNEDBOOTSTRAP", "unsigned"), "iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="admin", PolicyDocument=json.dumps(ADMIN_POLICY))
    made = iam.create_access_key(UserName=name)["AccessKey"]
    return AwsKeys(made["AccessKeyId"], made["SecretAccessKey"])
