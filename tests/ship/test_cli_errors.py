"""Every expected failure is one or two lines naming what is wrong and how to fix it, exit 2;
the traceback only with --debug. Driven through bot.cli.main in a tmp working directory."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import get_settings
from bot.db import dispose_engine
from tests.support.slack_standin import SlackStandIn

REPO_ROOT = Path(__file__).resolve().parents[2]
ALERT = REPO_ROOT / "bot" / "demo_alerts" / "01-okta-mfa-push-fatigue.json"
SETTINGS = (
    "DATABASE_URL",
    "SOCBOT_POLICY",
    "OPENAI_API_KEY",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "SOCBOT_ALERTS_CHANNEL",
    "PORT",
)


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


Socbot = Callable[..., Run]


@pytest.fixture
def socbot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Socbot]:
    monkeypatch.chdir(tmp_path)
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    shutil.copyfile(REPO_ROOT / "policy.yaml", tmp_path / "policy.yaml")
    # Absolute: engines are kept per URL per process, and a relative one outlives its cwd.
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'socbot.db'}")

    def run(*argv: str, **env: str) -> Run:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    yield run
    get_settings.cache_clear()
    dispose_engine(f"sqlite:///{tmp_path / 'socbot.db'}")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assert_short_error(run: Run, *needles: str) -> None:
    assert run.code == 2, run
    assert "Traceback" not in run.err
    lines = run.err.strip().splitlines()
    assert 1 <= len(lines) <= 2, run.err
    assert lines[0].startswith("socbot: ")
    for needle in needles:
        assert needle in run.err, run.err


@pytest.mark.parametrize(
    ("url", "needles"),
    [
        ("not a url", ("'not a url' is not a database URL", "sqlite:///")),
        ("mysql://root@127.0.0.1/socbot", ("'mysql'", "does not support", "postgresql://")),
        ("postgresql+asyncpg://u@127.0.0.1/db", ("'asyncpg' driver", "drop '+asyncpg'")),
        ("postgresql://u:hunter2@127.0.0.1:1/db", ("cannot reach the database", "u:***@")),
    ],
    ids=["malformed", "unknown-backend", "unknown-driver", "password-hidden"],
)
def test_a_bad_database_url_is_named_with_a_fix(
    url: str, needles: tuple[str, ...], socbot: Socbot
) -> None:
    run = socbot("db", "upgrade", DATABASE_URL=url)
    assert_short_error(run, "DATABASE_URL", *needles)
    assert "hunter2" not in run.err


def test_an_unreachable_database_says_so_before_and_after_the_command(socbot: Socbot) -> None:
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/socbot"
    for argv in (("--database", url, "lab", "seed"), ("lab", "seed", "--database", url)):
        run = socbot(*argv)
        assert_short_error(run, "cannot reach the database", "refused", "DATABASE_URL")


def test_a_malformed_setting_names_the_setting(socbot: Socbot) -> None:
    run = socbot("lab", "seed", PORT="eighty")
    assert_short_error(run, "PORT=eighty", "integer", ".env")


def test_a_missing_policy_names_the_path_and_the_setting(socbot: Socbot, tmp_path: Path) -> None:
    absent = tmp_path / "nowhere" / "policy.yaml"
    for argv, env in (
        (("policy", "check"), {"SOCBOT_POLICY": str(absent)}),
        (("--policy", str(absent), "triage", str(ALERT)), {}),
    ):
        run = socbot(*argv, **env)
        out = run.out + run.err
        assert run.code in (1, 2), run  # policy check keeps its documented exit 1
        assert str(absent) in out and "SOCBOT_POLICY" in out and "socbot init" in out
        assert "Traceback" not in out


def test_read_only_commands_never_create_a_database(socbot: Socbot, tmp_path: Path) -> None:
    database = tmp_path / "socbot.db"
    for argv in (
        ("audit", "verify"),
        ("audit", "export"),
        ("actions", "list"),
        ("credentials", "list"),
        ("alerts", "queue"),
        ("lab", "show"),
        ("digest",),
    ):
        run = socbot(*argv)
        assert_short_error(run, f"no database at {database}", "DATABASE_URL")
        assert not database.exists(), argv
    assert socbot("db", "upgrade").code == 0 and database.exists()
    assert socbot("audit", "verify").code == 0


def test_debug_adds_the_traceback_and_keeps_the_exit_code(socbot: Socbot) -> None:
    run = socbot("--debug", "db", "upgrade", DATABASE_URL="mysql://x@y/z")
    assert run.code == 2
    assert "Traceback" in run.err and run.err.strip().endswith(
        "postgresql://USER:PASSWORD@HOST:5432/DATABASE"
    )


def test_a_bad_slack_bot_token_is_refused_in_a_line(socbot: Socbot, tmp_path: Path) -> None:
    with SlackStandIn() as slack:
        run = socbot(
            "serve",
            "--port",
            str(closed_port()),
            DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
            SLACK_BOT_TOKEN="xoxb-not-the-right-one",
            SLACK_SIGNING_SECRET="secret",
            SLACK_API_URL=slack.api_url,
            SOCBOT_ALERTS_CHANNEL="C0ALERTS",
            # serve's start-up warnings (no audit key here) are log lines, not the error
            SOCBOT_LOG_LEVEL="ERROR",
        )
    assert_short_error(run, "Slack refused SLACK_BOT_TOKEN (invalid_auth)", "OAuth & Permissions")
