"""`socbot serve` as its own process for bench_soak.py, with what the bench asks of it:
its pid, health, pending replies, and a mention now and then."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intake_load import free_port

from tests.support.slack import (
    ANALYST,
    BOT_USER_ID,
    SIGNING_SECRET,
    app_mention,
    event_callback,
    sign_request,
)
from tests.support.slack_standin import SlackStandIn, SlackUser

REPO_ROOT = Path(__file__).resolve().parents[1]
ALERTS_CHANNEL = "C0ALERTS"
ALERT_SECRET = "soak-okta-secret"


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    alert_secret: str = ALERT_SECRET

    @property
    def pid(self) -> int:
        return self.process.pid

    def get(self, path: str) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"null")
        finally:
            conn.close()

    def pending_replies(self) -> int:
        status, body = self.get("/healthz")
        outbox = (body or {}).get("outbox") or {}
        return int(outbox.get("pending_replies") or 0) if status == 200 else -1

    def mention_every(self, seconds: float, stop: threading.Event, asked: list[str]) -> None:
        while not stop.wait(seconds):
            event = app_mention(f"<@{BOT_USER_ID}> anything odd about p-maria-chen today?")
            body = json.dumps(event_callback(event)).encode()
            headers = {"Content-Type": "application/json", **sign_request(body, SIGNING_SECRET)}
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                conn.request("POST", "/slack/events", body, headers)
                if conn.getresponse().status == 200:
                    asked.append(event["ts"])
            except OSError:
                pass  # the ack did not arrive: Slack would retry; the bench counts only acked
            finally:
                conn.close()

    def log_summary(self) -> dict[str, Any]:
        lines = self.log_path.read_text(errors="replace").splitlines()
        errors = [line[:300] for line in lines if "ERROR" in line or line.startswith("ERROR")]
        return {
            "lines": len(lines),
            "tracebacks": sum(line.startswith("Traceback") for line in lines),
            "warnings": sum(" WARNING " in line or line.startswith("WARNING") for line in lines),
            "first_errors": errors[:5],
            "last_exceptions": [line[:300] for line in lines if _is_exception_line(line)][-5:],
        }


def _is_exception_line(line: str) -> bool:
    head = line.split(":", 1)[0]
    return bool(head) and not line.startswith(" ") and head.endswith(("Error", "Exception"))


@contextmanager
def serve_process(
    url: str, standin: SlackStandIn, workdir: Path, root: Path = REPO_ROOT
) -> Iterator[Served]:
    standin.add_user(SlackUser(ANALYST, email="analyst@example.com"))
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": standin.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": standin.api_url,
        "SOCBOT_ALERTS_CHANNEL": ALERTS_CHANNEL,
        "SOCBOT_ALERT_SECRETS": json.dumps({"okta": ALERT_SECRET}),
        "SOCBOT_POLICY": str(root / "policy.yaml"),
        "OPENAI_API_KEY": "",
        "SOCBOT_LOG_LEVEL": "WARNING",
    }
    log_path = workdir / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        served = Served(process, port, log_path)
        try:
            _wait_healthy(served)
            yield served
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_healthy(served: Served) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise RuntimeError(f"serve exited: {served.log_path.read_text()[-2000:]}")
        try:
            if served.get("/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("serve did not become healthy")
