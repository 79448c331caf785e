"""The Web API client and `socbot serve`'s refusals: what happens before anything is served."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError

from bot.cli import main
from bot.config import Settings, get_settings
from bot.errors import ConfigError
from bot.slack.client import make_web_client
from tests.support.slack_standin import SlackStandIn

SLACK_ENV = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SOCBOT_ALERTS_CHANNEL")


def settings_for(standin: SlackStandIn) -> Settings:
    return Settings(_env_file=None, slack_bot_token=standin.token, slack_api_url=standin.api_url)


def test_no_bot_token_is_a_config_error_that_says_where_to_find_one() -> None:
    with pytest.raises(ConfigError, match=r"SLACK_BOT_TOKEN.*OAuth & Permissions"):
        make_web_client(Settings(_env_file=None, slack_bot_token=None))


def test_a_long_retry_after_fails_the_call_instead_of_parking_a_worker() -> None:
    with SlackStandIn() as standin:
        client = make_web_client(settings_for(standin))
        standin.rate_limit_next("chat.postMessage", retry_after=120)
        started = time.monotonic()
        with pytest.raises(SlackApiError, match="ratelimited"):
            client.chat_postMessage(channel="C0ALERTS", text="later")
        assert time.monotonic() - started < 5
        assert [c.status for c in standin.calls("chat.postMessage")] == [429]


def test_rate_limits_are_retried_a_bounded_number_of_times() -> None:
    with SlackStandIn() as standin:
        client = make_web_client(settings_for(standin))
        standin.rate_limit_next("auth.test", times=10, retry_after=0)
        with pytest.raises(SlackApiError, match="ratelimited"):
            client.auth_test()
        assert len(standin.calls("auth.test")) == 4  # the call and three retries


CHANNEL = {"SOCBOT_ALERTS_CHANNEL": "C0ALERTS"}
HTTP_READY = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


@pytest.mark.parametrize(
    ("argv", "present", "missing"),
    [
        (["serve"], {}, ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SOCBOT_ALERTS_CHANNEL"]),
        (["serve"], {"SLACK_BOT_TOKEN": "xoxb-1", **CHANNEL}, ["SLACK_SIGNING_SECRET"]),
        (["serve"], HTTP_READY, ["SOCBOT_ALERTS_CHANNEL"]),
        (["serve", "--socket"], {**HTTP_READY, **CHANNEL}, ["SLACK_APP_TOKEN"]),
    ],
)
def test_serve_refuses_to_start_without_the_settings_it_needs(
    argv: list[str],
    present: dict[str, str],
    missing: list[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    for name in SLACK_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in present.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'untouched.db'}")
    get_settings.cache_clear()
    try:
        assert main(argv) == 2
    finally:
        get_settings.cache_clear()
    error = capsys.readouterr().err
    for name in SLACK_ENV:
        assert (name in error) == (name in missing), error
    assert not (tmp_path / "untouched.db").exists()  # refused before touching anything
