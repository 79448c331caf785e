"""socbot serve as real processes: several of them sharing PostgreSQL act on an event once,
and SIGTERM lets running Slack work finish before the process exits cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.slack.event_claims import SlackEvent
from tests.conftest import REPO_ROOT, USE_POSTGRES
from tests.slack.probes import PROBE, SLOW
from tests.support.slack import (
    ALERTS_CHANNEL,
    SIGNING_SECRET,
    HttpResult,
    app_mention,
    event_callback,
    http_request,
    sign_request,
)
from tests.support.slack_standin import SlackStandIn

pytestmark = pytest.mark.slow
START_SECONDS = 60
QUIET_SECONDS = 1.0


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def post_event(self, envelope: dict[str, Any], retry_num: int | None = None) -> HttpResult:
        body = json.dumps(envelope).encode()
        headers = {"Content-Type": "application/json", **sign_request(body, SIGNING_SECRET)}
        if retry_num:
            headers |= {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "timeout"}
        return http_request("POST", self.url + "/slack/events", body, headers)

    def stop(self, timeout: float = 30) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(db_url: str, standin: SlackStandIn, port: int) -> dict[str, str]:
    kept = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "SOCBOT_", "OPENAI_", "DATABASE_URL", "PORT"))
    }
    return kept | {
        "PYTHONPATH": str(REPO_ROOT),
        "DATABASE_URL": db_url,
        "SOCBOT_POLICY": str(REPO_ROOT / "policy.yaml"),
        "SLACK_BOT_TOKEN": standin.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": standin.api_url,
        "SOCBOT_ALERTS_CHANNEL": ALERTS_CHANNEL,
        "SOCBOT_HOST": "127.0.0.1",
        "PORT": str(port),
    }


@contextmanager
def server_process(db_url: str, standin: SlackStandIn, log: Path) -> Iterator[ServerProcess]:
    port = free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.slack.probe_server"],
            cwd=log.parent,  # no .env there
            env=server_env(db_url, standin, port),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = ServerProcess(process, f"http://127.0.0.1:{port}", log)
    try:
        wait_until_healthy(server)
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def wait_until_healthy(server: ServerProcess) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"server exited early:\n{server.log.read_text()}")
        try:
            if http_request("GET", server.url + "/healthz", timeout=2).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"server not healthy after {START_SECONDS}s:\n{server.log.read_text()}")


def seen_events(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(SlackEvent)).scalar_one())


@pytest.mark.skipif(not USE_POSTGRES, reason="processes share a database server on PostgreSQL")
def test_one_event_sent_to_two_processes_sharing_postgres_acts_once(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    with SlackStandIn() as standin, ExitStack() as stack:
        servers = [
            stack.enter_context(server_process(db_url, standin, tmp_path / f"server-{n}.log"))
            for n in (1, 2)
        ]
        envelope = event_callback(app_mention(f"{PROBE} shared"))
        deliveries = [(s, retry) for retry in (None, 1, 2) for s in servers]
        with ThreadPoolExecutor(len(deliveries)) as pool:
            answers = list(pool.map(lambda d: d[0].post_event(envelope, d[1]), deliveries))
        assert [a.status for a in answers] == [200] * len(deliveries)
        [post] = standin.wait_for("chat.postMessage", timeout=15)
        time.sleep(QUIET_SECONDS)
        assert len(standin.calls("chat.postMessage")) == 1
        assert post.params["text"].startswith("echo shared from pid ")
        assert int(post.params["text"].rsplit(" ", 1)[1]) in {s.process.pid for s in servers}
        assert seen_events(engine) == 1
        assert [s.stop() for s in servers] == [0, 0]


def test_sigterm_finishes_running_slack_work_then_exits_cleanly(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    with SlackStandIn() as standin:
        with server_process(db_url, standin, tmp_path / "server.log") as server:
            assert server.post_event(event_callback(app_mention(f"{SLOW} bye"))).status == 200
            time.sleep(0.3)  # the worker has the job in hand
            assert server.stop() == 0
        [post] = standin.calls("chat.postMessage")
        assert post.ok and post.params["text"].startswith("echo bye")
        log = server.log.read_text()
        assert "Traceback" not in log, log
