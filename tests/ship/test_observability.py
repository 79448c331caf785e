"""Logs carry task and alert ids on every line, in JSON or text; SOCBOT_LOG_LEVEL reaches
every process; /metrics on serve and on the worker's port count what the audit log records
and read queue depth, pending approvals and live credentials from the database."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from bot.agent.offline import OfflineEngine
from bot.agent.tokens import TokenCounter
from bot.alerts.intake.pipeline import Intake
from bot.alerts.triage.publish import NoPublisher
from bot.alerts.triage.worker import TriageWorker
from bot.errors import ConfigError
from bot.observability.logs import configure_logging, log_context
from bot.observability.scrape import serve_worker_metrics
from bot.runtime import Runtime
from bot.slack.client import FittingWebClient
from bot.slack.server import create_http_app
from tests.support.slack import serving
from tests.support.slack_standin import SlackStandIn

REPO_ROOT = Path(__file__).resolve().parents[2]
ALERT = REPO_ROOT / "bot" / "demo_alerts" / "01-okta-mfa-push-fatigue.json"
MakeRuntime = Callable[..., Runtime]
SAMPLE = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>[^}]*)\})? (?P<value>[-+\d.eE]+|NaN)$")


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    stream = io.StringIO()
    configure_logging(logging.INFO, "json", stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    configure_logging(logging.WARNING, "text")


class LoggingEngine(OfflineEngine):
    """The offline engine, logging each turn the way a real model client might."""

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
        logging.getLogger("socbot.test.model").info("model turn with %d messages", len(messages))
        return super().complete(messages, tools)


def test_every_line_of_a_triage_carries_its_task_alert_and_group(
    make_runtime: MakeRuntime, log_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    runtime = make_runtime(model=LoggingEngine(TokenCounter()))
    outcome = Intake(runtime).accept(ALERT.read_text(encoding="utf-8"), via="cli")
    worker = TriageWorker(runtime, NoPublisher(), name="test")
    claim = worker.queue.claim(worker.name, group_id=str(outcome.group_id))
    assert claim is not None
    done = worker.work_on(claim)
    assert done.result is not None
    turns = [line for line in log_lines() if line["logger"] == "socbot.test.model"]
    assert turns, "the model logged nothing"
    for line in turns:
        assert line["task_id"] == done.result.task_id
        assert line["alert_id"] == str(outcome.alert_id)
        assert line["group_id"] == str(outcome.group_id)
    assert all(line["level"] == "info" and line["ts"].endswith("+00:00") for line in turns)


def test_concurrent_contexts_never_borrow_each_others_ids(
    log_lines: Callable[[], list[dict[str, Any]]],
) -> None:
    log = logging.getLogger("socbot.test.threads")
    barrier = threading.Barrier(8)

    def work(n: int) -> None:
        with log_context(task_id=f"task_{n}", alert_id=f"alr_{n}"):
            barrier.wait()
            for _ in range(20):
                log.info("n=%d", n)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.info("outside")
    lines = log_lines()
    assert len(lines) == 8 * 20 + 1
    for line in lines[:-1]:
        n = line["message"].removeprefix("n=")
        assert (line["task_id"], line["alert_id"]) == (f"task_{n}", f"alr_{n}")
    assert "task_id" not in lines[-1]


def test_text_format_keeps_the_ids_readable() -> None:
    stream = io.StringIO()
    configure_logging(logging.INFO, "text", stream)
    try:
        with log_context(task_id="task_1"):
            logging.getLogger("socbot.test").warning("hello")
    finally:
        configure_logging(logging.WARNING, "text")
    assert re.search(r"WARNING socbot\.test: hello \[task_id=task_1\]$", stream.getvalue().strip())


def cli(tmp_path: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    shutil.copyfile(REPO_ROOT / "policy.yaml", tmp_path / "policy.yaml")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SOCBOT_", "OPENAI_"))}
    # A fresh database each run: the same alert again would be a duplicate, never triaged.
    database = tmp_path / f"log-{len(list(tmp_path.glob('*.db')))}.db"
    base["DATABASE_URL"] = f"sqlite:///{database}"
    return subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        cwd=tmp_path,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_the_command_line_honours_log_level_and_format(tmp_path: Path) -> None:
    quiet = cli(tmp_path, "triage", str(ALERT))
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    loud = cli(tmp_path, "triage", str(ALERT), SOCBOT_LOG_LEVEL="INFO")
    lines = [json.loads(line) for line in loud.stderr.splitlines()]
    assert any("loaded from" in line["message"] for line in lines), loud.stderr
    text = cli(tmp_path, "triage", str(ALERT), SOCBOT_LOG_LEVEL="INFO", SOCBOT_LOG_FORMAT="text")
    assert " INFO bot.policy.store: policy " in text.stderr
    bad = cli(tmp_path, "triage", str(ALERT), SOCBOT_LOG_LEVEL="chatty")
    assert (
        bad.returncode == 2 and "SOCBOT_LOG_LEVEL" in bad.stderr and "Traceback" not in bad.stderr
    )


def scrape(url: str) -> dict[str, float]:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        body = response.read().decode()
    samples = {}
    for line in body.splitlines():
        match = SAMPLE.match(line)
        if match:
            samples[f"{match['name']}{{{match['labels'] or ''}}}"] = float(match["value"])
    return samples


def test_serve_metrics_count_what_happened_and_read_the_database(
    make_runtime: MakeRuntime,
) -> None:
    runtime = make_runtime()
    with serving(create_http_app(runtime, None)) as url:
        before = scrape(f"{url}/metrics")
        outcome = Intake(runtime).accept(ALERT.read_text(encoding="utf-8"), via="cli")
        queued = scrape(f"{url}/metrics")
        worker = TriageWorker(runtime, NoPublisher(), name="test")
        claim = worker.queue.claim(worker.name, group_id=str(outcome.group_id))
        assert claim is not None and worker.work_on(claim).result is not None
        after = scrape(f"{url}/metrics")
    received = 'socbot_alerts_total{outcome="received",source="okta"}'
    assert queued[received] - before.get(received, 0) == 1
    assert queued['socbot_triage_queue_depth{status="queued"}'] == 1
    assert after['socbot_triage_queue_depth{status="queued"}'] == 0
    pending = len(runtime.approvals.list_requests("pending"))
    assert pending > 0 and after["socbot_approvals_pending{}"] == pending
    assert after["socbot_credentials_live{}"] == 0 and after["socbot_database_up{}"] == 1
    done = [k for k in after if k.startswith("socbot_triage_seconds_count{")]
    assert sum(after[k] for k in done) - sum(before.get(k, 0) for k in done) == 1
    tokens = 'socbot_model_tokens_total{engine="offline",kind="prompt"}'
    assert after[tokens] > before.get(tokens, 0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_worker_serves_metrics_on_its_own_port(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    port = free_port()
    stop = serve_worker_metrics(runtime.engine, "127.0.0.1", port)
    try:
        samples = scrape(f"http://127.0.0.1:{port}/metrics")
        assert samples["socbot_approvals_pending{}"] == 0
        with pytest.raises(ConfigError, match="SOCBOT_WORKER_METRICS_PORT"):
            serve_worker_metrics(runtime.engine, "127.0.0.1", port)
    finally:
        stop()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2)


def test_slack_api_errors_are_counted_by_method_and_code(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    with serving(create_http_app(runtime, None)) as url, SlackStandIn() as slack:
        key = 'socbot_slack_api_errors_total{error="invalid_auth",method="chat.postMessage"}'
        before = scrape(f"{url}/metrics").get(key, 0)
        client = FittingWebClient(token="xoxb-wrong", base_url=slack.api_url)
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="C0ALERTS", text="hi")
        assert scrape(f"{url}/metrics")[key] == before + 1
