"""/socbot over real HTTP: signed slash commands into the served app, answered ephemerally in
the ack; `contained` answers later through the response_url, served here on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import bot.demo_alerts
from bot.alerts.intake.pipeline import Intake
from bot.runtime import Runtime
from bot.slack.blocks.escape import unescape_entities
from tests.slack.approval_scene import Scene, action_on_card, serve_scene, until
from tests.support.approvals import REASON, audit_rows, park, park_revoke_sessions
from tests.support.slack_standin import SlackStandIn

DEMO = Path(bot.demo_alerts.__file__).parent


@pytest.fixture
def s(make_runtime: Callable[..., Runtime], slack_standin: SlackStandIn) -> Iterator[Scene]:
    yield from serve_scene(make_runtime, slack_standin)


class ResponseUrl:
    """A response_url on 127.0.0.1 that keeps what is POSTed to it."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        received = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/commands/T0SOCBOT/1/x"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def response_url() -> Iterator[ResponseUrl]:
    catcher = ResponseUrl()
    yield catcher
    catcher.close()


def command(s: Scene, text: str, **fields: Any) -> dict[str, Any]:
    """POST /socbot text; the ack's JSON body (it must be ephemeral)."""
    result = s.served.post_command(text, **fields)
    assert result.status == 200, result.body
    answer = result.json()
    assert answer["response_type"] == "ephemeral"
    return dict(answer)


def test_help_lists_every_subcommand_and_how_to_approve(s: Scene) -> None:
    text = command(s, "help")["text"]

    for sub in ("pending", "show <request id>", "policy", "contained <alert or group id>"):
        assert f"/socbot {sub}" in text
    assert ":white_check_mark: to approve" in text and ":x: to" in text
    assert command(s, "")["text"] == text


def test_an_unknown_subcommand_says_so_and_shows_help(s: Scene) -> None:
    text = command(s, "approve-everything <!channel>")["text"]

    assert text.startswith("I do not know `approve-everything`")
    assert "/socbot pending" in text and "<!channel>" not in text


def test_pending_lists_open_actions_with_their_state(s: Scene) -> None:
    revoke = park_revoke_sessions(s.runtime)
    suspend = park(s.runtime, "suspend_identity", {"identity": "p-tom-becker", "reason": REASON})
    s.card(suspend)
    s.runtime.approvals.decide(suspend, "U0IDADMIN2", "approve")
    done = park_revoke_sessions(s.runtime, "p-lee-park")
    s.runtime.approvals.decide(done, "U0IDADMIN3", "reject")

    text = command(s, "pending")["text"]

    lines = {line.split("`")[1]: line for line in text.splitlines()[1:]}
    assert set(lines) == {revoke, suspend}
    assert "`suspend_identity` on `p-tom-becker` — *pending*, 1 of 2 approvals" in lines[suspend]
    assert "card in <#C0ALERTS>" in lines[suspend]
    assert "*pending*, 0 of 1 approvals · expires in 29 min" in lines[revoke]


def test_pending_with_nothing_open(s: Scene) -> None:
    assert command(s, "pending")["text"] == "No actions are waiting for approval."


def test_policy_summarises_modes_approvers_and_quorums(s: Scene) -> None:
    text = command(s, "policy")["text"]

    version = s.runtime.policies.current.version[:12]
    assert text.splitlines()[0].startswith(f"*Policy* `{version}`")
    line = next(x for x in text.splitlines() if x.startswith("• `suspend_identity`"))
    assert "*2* approval(s) from <@U0IDADMIN1>, <@U0IDADMIN2>, <@U0IDADMIN3>" in line
    assert "<!subteam^S0IAMOPS>" in line and "within 30 min" in line
    assert "• `get_identity`: runs on its own (read-only)" in text
    assert "• `reset_mfa`: drafts a recommendation only; never runs" in text


def test_show_gives_the_stored_action_and_its_verdicts(s: Scene) -> None:
    request_id = park(s.runtime, "suspend_identity", {"identity": "p-maria-chen", "reason": REASON})
    s.runtime.approvals.decide(request_id, "U0IDADMIN2", "approve")
    s.runtime.approvals.withdraw(request_id, "U0IDADMIN2")
    s.runtime.approvals.decide(request_id, "U0IDADMIN3", "approve")
    request = s.request(request_id)

    text = command(s, f"show {request_id}")["text"]

    fake_blocks = [{"block_id": "action", "text": {"text": text}}]
    assert action_on_card(fake_blocks) == {
        "tool": "suspend_identity",
        "target": "p-maria-chen",
        "args": request.args,
    }
    assert f"hash `{request.action_hash[:10]}`" in text
    assert "• <@U0IDADMIN2>: withdrawn via `cli`" in text
    assert "• <@U0IDADMIN3>: approve via `cli`" in text


def test_show_an_unknown_request(s: Scene) -> None:
    text = command(s, "show act_<!here>")["text"]

    assert text.startswith(":warning: no action request")
    assert "<!here>" not in text and "&lt;!here&gt;" in text
    assert command(s, "show")["text"].startswith("Usage: `/socbot show <request id>`")


def accept_demo_alert(runtime: Runtime, name: str) -> tuple[str, str]:
    """Take a demo alert in through the real intake; its (alert id, group id)."""
    outcome = Intake(runtime).accept((DEMO / name).read_bytes(), via="cli")
    assert outcome.alert_id and outcome.group_id, outcome
    return outcome.alert_id, outcome.group_id


def test_contained_records_human_action_for_a_group(s: Scene, response_url: ResponseUrl) -> None:
    first, group = accept_demo_alert(s.runtime, "01-okta-mfa-push-fatigue.json")
    duplicate, same_group = accept_demo_alert(s.runtime, "01-okta-mfa-push-fatigue.json")
    assert same_group == group and duplicate != first
    note = "Reset Maria's MFA by phone <!channel> https://evil.example"

    ack = command(
        s, f"contained {group} {note}", user_id="U0IDADMIN3", response_url=response_url.url
    )
    until(lambda: len(response_url.posts) == 1)

    assert ack["text"] == f"Recording containment for `{group}`…"
    [row] = audit_rows(s.runtime, "human.action")
    assert row["actor"] == "U0IDADMIN3"
    assert row["data"]["group_id"] == group
    assert row["data"]["alert_ids"] == sorted([first, duplicate])
    assert row["data"]["note"] == note
    [answer] = response_url.posts
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith(f":shield: Recorded: `{group}` contained by <@U0IDADMIN3>")
    assert "<!channel>" not in answer["text"] and "https://" not in answer["text"]
    assert "Reset Maria's MFA by phone &lt;!channel&gt;" in answer["text"]


def test_contained_by_alert_id_covers_the_alert_and_its_duplicates(
    s: Scene, response_url: ResponseUrl
) -> None:
    first, group = accept_demo_alert(s.runtime, "02-cloudtrail-key-new-region.json")
    duplicate, _ = accept_demo_alert(s.runtime, "02-cloudtrail-key-new-region.json")
    other, _ = accept_demo_alert(s.runtime, "03-google-oauth-consent.json")

    command(s, f"contained {first} key deactivated by hand", response_url=response_url.url)
    until(lambda: len(response_url.posts) == 1)

    [row] = audit_rows(s.runtime, "human.action")
    assert row["data"]["group_id"] == group
    assert row["data"]["alert_ids"] == sorted([first, duplicate])
    assert other not in row["data"]["alert_ids"]
    assert row["actor"] == "U0ANALYST1"


def test_contained_needs_a_known_id_and_a_note(s: Scene, response_url: ResponseUrl) -> None:
    usage = command(s, "contained grp_nothing", response_url=response_url.url)["text"]
    assert usage.startswith("Usage: `/socbot contained")

    command(s, "contained grp_nothing did it", response_url=response_url.url)
    until(lambda: len(response_url.posts) == 1)

    assert response_url.posts[0]["text"].startswith(":warning: no alert or triage group")
    assert unescape_entities(response_url.posts[0]["text"]).count("'grp_nothing'") == 1
    assert audit_rows(s.runtime, "human.action") == []
