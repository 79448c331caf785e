"""`socbot digest` in each format, with --chart, and `socbot worker --once`, through bot.cli."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO

import pytest

from bot.cli import main
from bot.config import get_settings
from bot.db import dispose_engine
from bot.runtime import Runtime
from tests.digest.activity import (
    ADMIN_GROUP,
    LAST_MONDAY,
    MFA,
    POST_AT,
    THIS_MONDAY,
    Activity,
    at,
)
from tests.digest.clock import FakeClock, install

POLICY = Path(__file__).resolve().parents[2] / "policy.yaml"


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


Socbot = Callable[..., Run]


@pytest.fixture
def socbot(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    make_runtime: Callable[..., Runtime],
) -> Iterator[Socbot]:
    """A database with an alert in each of 2026-W46 and 2026-W47; the clock at the post."""
    clock = FakeClock(LAST_MONDAY)
    install(monkeypatch, clock)
    activity = Activity(make_runtime(), make_runtime(seed=False), clock, monkeypatch)
    before = activity.receive(at(LAST_MONDAY, 2, 10), "high")
    activity.triage(before, ADMIN_GROUP, after=timedelta(minutes=2))
    activity.post(before, after=timedelta(minutes=1))
    now = activity.receive(at(THIS_MONDAY, 1, 10), "critical")
    activity.triage(now, MFA, after=timedelta(minutes=1))
    activity.post(now, after=timedelta(seconds=30))
    activity.feedback(now, "U0ANALYST1", "agree", after=timedelta(minutes=2))
    clock.set(POST_AT)
    policy = tmp_path / "policy.yaml"
    shutil.copyfile(POLICY, policy)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SOCBOT_POLICY", str(policy))
    for name in ("SLACK_BOT_TOKEN", "SOCBOT_DIGEST_CHANNEL", "SOCBOT_DIGEST_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    capsys.readouterr()

    def run(*argv: str) -> Run:
        code = main(list(argv))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    yield run
    get_settings.cache_clear()
    dispose_engine(db_url)


def test_text_puts_each_figure_beside_last_weeks(socbot: Socbot) -> None:
    run = socbot("digest", "--week", "2026-W47")
    assert run.code == 0, run.err
    assert "socbot governance digest, 2026-W47" in run.out
    assert "beside 2026-W46" in run.out
    received = next(line for line in run.out.splitlines() if line.startswith("Received"))
    assert received.split()[1:] == ["1", "1"]
    agreement = next(line for line in run.out.splitlines() if line.startswith("Analyst agreement"))
    assert agreement.split()[-2:] == ["100.0%", "—"]  # no feedback last week: a dash, not 0
    assert "Chain verification: OK" in run.out


def test_markdown_is_a_table_per_section(socbot: Socbot) -> None:
    run = socbot("digest", "--week", "2026-W47", "--format", "markdown")
    assert run.code == 0, run.err
    assert run.out.startswith("# socbot governance digest, 2026-W47")
    assert "## Critical risk (containment SLA 4 h)" in run.out
    assert "| Received | 1 | 1 |" in run.out
    assert "| Triaged (alerts) | 1 | 1 |" in run.out


def test_json_carries_every_figure_raw(socbot: Socbot) -> None:
    run = socbot("digest", "--week", "2026-W47", "--format", "json")
    assert run.code == 0, run.err
    digest = json.loads(run.out)
    now, before = digest["current"], digest["previous"]
    assert now["window"]["week"] == "2026-W47" and before["window"]["week"] == "2026-W46"
    assert now["alerts"]["received"] == 1 and now["alerts"]["feedback_agree"] == 1
    assert before["alerts"]["feedback_agreement"] is None
    assert now["risk"]["sla_hours"] == 4
    assert digest["chain"]["ok"] is True and len(digest["chain"]["head_hash"]) == 64


def test_slack_prints_the_message_it_would_post(socbot: Socbot) -> None:
    run = socbot("digest", "--week", "2026-W47", "--format", "slack")
    assert run.code == 0, run.err
    message = json.loads(run.out)
    assert message["blocks"][0]["type"] == "header"
    assert "2026-W47" in message["text"]
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in message["blocks"])


def test_chart_is_written_as_png(socbot: Socbot, tmp_path: Path) -> None:
    chart = tmp_path / "digest.png"
    run = socbot("digest", "--week", "2026-W47", "--chart", str(chart), "--no-verify")
    assert run.code == 0, run.err
    assert chart.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "Chain verification: not run" in run.out


def test_since_compares_with_the_equal_stretch_before(socbot: Socbot) -> None:
    run = socbot("digest", "--since", "7d", "--format", "json", "--no-verify")
    assert run.code == 0, run.err
    digest = json.loads(run.out)
    now, before = digest["current"]["window"], digest["previous"]["window"]
    assert now["start"] == before["end"]
    assert now["end"].startswith("2026-11-23T09:00:00")  # the clock
    assert digest["current"]["alerts"]["received"] == 1  # Tuesday's alert is within 7 days


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--week", "2021-W53"), "not an ISO week"),
        (("--since", "yesterday"), "cannot read 'yesterday' as a time"),
    ],
)
def test_bad_windows_are_refused_with_a_reason(
    socbot: Socbot, argv: tuple[str, ...], message: str
) -> None:
    run = socbot("digest", *argv)
    assert run.code == 2 and message in run.err


def test_worker_once_runs_every_job_and_logs_the_digest_without_slack(socbot: Socbot) -> None:
    first = socbot("worker", "--once")
    assert first.code == 0, first.err
    assert "digest: 2026-W47 logged" in first.out
    assert "approval expiry:" in first.out and "credential sweep:" in first.out
    again = socbot("worker", "--once")
    assert "digest: 2026-W47 skipped" in again.out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def lines_until(stream: IO[str], last: str) -> Iterator[str]:
    for _ in range(500):
        line = stream.readline()
        yield line
        if not line or line.startswith(last):
            return


def test_worker_starts_with_a_summary_and_stops_cleanly_on_sigterm(
    db_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "SOCBOT_POLICY": str(POLICY),
        "SOCBOT_DIGEST_TIMEZONE": "Europe/Berlin",
        "PYTHONPATH": str(POLICY.parent),
        "SOCBOT_WORKER_METRICS_PORT": str(metrics_port := free_port()),
    }
    for name in ("SLACK_BOT_TOKEN", "SOCBOT_DIGEST_CHANNEL", "OPENAI_API_KEY"):
        env.pop(name, None)
    worker = subprocess.Popen(
        [sys.executable, "-m", "bot", "worker"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert worker.stdout is not None
        summary = list(lines_until(worker.stdout, "Stop with Ctrl-C or SIGTERM"))
        metrics = f"http://127.0.0.1:{metrics_port}/metrics"
        with urllib.request.urlopen(metrics, timeout=10) as scraped:
            assert b"socbot_approvals_pending 0.0" in scraped.read()
        worker.send_signal(signal.SIGTERM)
        rest, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    text = "".join(summary)
    assert "weekly digest: mon 09:00 Europe/Berlin → the log" in text, text
    assert "SOCBOT_DIGEST_CHANNEL" in text and "credential sweep: every minute" in text
    assert f"metrics: {metrics}" in text
    assert worker.returncode == 0, rest
    assert "socbot worker stopped" in rest
