"""slack-manifest.yaml asks for the least the app needs, and subscribes to every event the
listeners handle (and nothing they do not)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from slack_bolt import App
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack.context import SlackContext
from bot.slack.listeners import register_all
from bot.slack.server import SLACK_EVENTS_PATH
from tests.conftest import REPO_ROOT

MANIFEST = REPO_ROOT / "slack-manifest.yaml"
BOT_SCOPES = {
    "app_mentions:read",
    "channels:history",
    "groups:history",
    "im:history",
    "chat:write",
    "commands",
    "reactions:read",
    "users:read",
    "users:read.email",
    "usergroups:read",
    "files:write",
}
NEVER = {"reactions:write", "chat:write.customize", "chat:write.public", "admin"}
SCOPE_FOR_EVENT = {
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "message.mpim": "mpim:history",
    "reaction_added": "reactions:read",
    "reaction_removed": "reactions:read",
}
MESSAGE_EVENTS = {"message.channels", "message.groups", "message.im"}


class RegistrationSpy(App):
    """A Bolt app that notes what listeners register, then registers them as usual."""

    def __init__(self) -> None:
        super().__init__(
            token="xoxb-unused", signing_secret="unused", token_verification_enabled=False
        )
        self.event_types: set[str] = set()
        self.commands: set[str] = set()
        self.interactive: list[str] = []

    def event(self, event: Any, *args: Any, **kwargs: Any) -> Any:
        self.event_types.add(event if isinstance(event, str) else str(event.get("type")))
        return super().event(event, *args, **kwargs)

    def message(self, *args: Any, **kwargs: Any) -> Any:
        self.event_types.add("message")
        return super().message(*args, **kwargs)

    def command(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        self.commands.add(str(command))
        return super().command(command, *args, **kwargs)

    def action(self, *args: Any, **kwargs: Any) -> Any:
        self.interactive.append("action")
        return super().action(*args, **kwargs)

    def view(self, *args: Any, **kwargs: Any) -> Any:
        self.interactive.append("view")
        return super().view(*args, **kwargs)

    def shortcut(self, *args: Any, **kwargs: Any) -> Any:
        self.interactive.append("shortcut")
        return super().shortcut(*args, **kwargs)


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture
def registered(make_runtime: Callable[..., Runtime]) -> RegistrationSpy:
    spy = RegistrationSpy()
    client = WebClient(token="xoxb-unused", base_url="http://127.0.0.1:9/api/")
    ctx = SlackContext(make_runtime(seed=False), client, _NoWorkers(), "U0SOCBOT", "B0SOCBOT")
    register_all(spy, ctx)
    return spy


class _NoWorkers:
    def submit(self, what: str, work: Any, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("registering listeners must not start work")


def test_bot_scopes_are_exactly_the_justified_ones(manifest: dict[str, Any]) -> None:
    scopes = manifest["oauth_config"]["scopes"]
    assert set(scopes) == {"bot"}, "no user token scopes"
    assert set(scopes["bot"]) == BOT_SCOPES
    assert len(scopes["bot"]) == len(BOT_SCOPES)
    assert not NEVER & set(scopes["bot"])
    every_scope_commented = MANIFEST.read_text(encoding="utf-8").split("scopes:", 1)[1]
    for scope in BOT_SCOPES:
        line_before = every_scope_commented.split(f"- {scope}\n", 1)[0].rstrip().splitlines()[-1]
        assert line_before.strip().startswith("#"), f"{scope} has no comment saying why"


def test_analysts_can_write_to_socbot_in_a_direct_message(manifest: dict[str, Any]) -> None:
    app_home = manifest["features"]["app_home"]
    assert app_home["messages_tab_enabled"] is True
    assert app_home["messages_tab_read_only_enabled"] is False
    assert "message.im" in manifest["settings"]["event_subscriptions"]["bot_events"]
    assert "im:history" in manifest["oauth_config"]["scopes"]["bot"]


def test_every_subscribed_event_has_its_scope(manifest: dict[str, Any]) -> None:
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    for event in events:
        assert SCOPE_FOR_EVENT[event] in scopes, event
    if manifest["features"].get("slash_commands"):
        assert "commands" in scopes


def test_urls_point_at_the_servers_events_path_on_a_placeholder_host(
    manifest: dict[str, Any],
) -> None:
    settings = manifest["settings"]
    urls = [settings["event_subscriptions"]["request_url"]]
    urls += [c["url"] for c in manifest["features"]["slash_commands"]]
    for url in urls:
        parts = urlsplit(url)
        assert (parts.scheme, parts.hostname) == ("https", "socbot.example.com")
        assert parts.path == SLACK_EVENTS_PATH
    assert settings["socket_mode_enabled"] is False
    assert settings["token_rotation_enabled"] is False


def test_every_event_the_listeners_register_is_subscribed_and_no_other(
    manifest: dict[str, Any], registered: RegistrationSpy
) -> None:
    subscribed = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert registered.event_types, "no listeners registered: the spy is broken"
    for event_type in registered.event_types:
        if event_type == "message":
            assert subscribed >= MESSAGE_EVENTS
        else:
            assert event_type in subscribed
    handled = {e for e in subscribed if e.split(".")[0] in registered.event_types}
    assert handled == subscribed, f"subscribed but unhandled: {subscribed - handled}"


def test_every_command_registered_is_declared_and_interactivity_matches(
    manifest: dict[str, Any], registered: RegistrationSpy
) -> None:
    declared = {c["command"] for c in manifest["features"].get("slash_commands", [])}
    assert registered.commands == declared
    interactivity = manifest["settings"]["interactivity"]["is_enabled"]
    assert interactivity is bool(registered.interactive)
