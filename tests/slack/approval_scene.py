"""What the approval-card tests share: a served app with the identity admins known to the
Slack stand-in, a parked action with its card posted, reactions sent as signed events, and
ways to read back the card, the thread and the ephemeral notes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot.actions.approvals import ActionRequest
from bot.posts import PostRef
from bot.runtime import Runtime
from bot.slack.approvals.cards import post_approval_card
from bot.slack.approvals.usergroups import SlackUsergroupDirectory
from bot.slack.blocks.escape import unescape_entities
from bot.slack.context import SlackContext
from tests.support.approvals import audit_rows
from tests.support.slack import ALERTS_CHANNEL, ServedSlack, reaction, serve_app, slack_settings
from tests.support.slack_standin import SlackStandIn, SlackUser

APPROVE, REJECT = "white_check_mark", "x"
IAM_GROUP = "S0IAMOPS"
ADMINS = (
    SlackUser("U0IDADMIN1", email="ana.lima@lab.example", real_name="Ana Lima"),
    SlackUser("U0IDADMIN2", email="david.okafor@lab.example", real_name="David Okafor"),
    SlackUser("U0IDADMIN3", email="sofia.rossi@lab.example", real_name="Sofia Rossi"),
    SlackUser("U0CLOUDADM1", email="kenji.sato@lab.example", real_name="Kenji Sato"),
)


@dataclass
class Scene:
    served: ServedSlack
    slack: SlackStandIn

    @property
    def runtime(self) -> Runtime:
        return self.served.runtime

    @property
    def ctx(self) -> SlackContext:
        return self.served.service.ctx

    def card(self, request_id: str, *, thread_ts: str | None = None) -> PostRef:
        return post_approval_card(self.ctx, request_id, channel=ALERTS_CHANNEL, thread_ts=thread_ts)

    def react(self, ref: PostRef, user: str, name: str = APPROVE, *, added: bool = True) -> None:
        event = reaction(name, channel=ref.channel, ts=ref.ts, user=user, added=added)
        assert self.served.post_event(event).status == 200

    def request(self, request_id: str) -> ActionRequest:
        return self.runtime.approvals.get(request_id)

    def ephemerals_to(self, user: str) -> list[str]:
        calls = self.slack.calls("chat.postEphemeral", ok=True)
        return [str(c.params["text"]) for c in calls if c.params.get("user") == user]

    def refusals_of(self, request_id: str, user: str) -> list[str]:
        rows = audit_rows(self.runtime, "approval.refused")
        return [
            r["data"]["reason"]
            for r in rows
            if r["actor"] == user and r["data"]["request_id"] == request_id
        ]

    def card_blocks(self, ref: PostRef) -> list[dict[str, Any]]:
        """The card as it stands now in the channel (updates applied)."""
        [message] = [m for m in self.slack.messages(ref.channel) if m["ts"] == ref.ts]
        return list(message["blocks"])

    def card_title(self, ref: PostRef) -> str:
        return str(self.card_blocks(ref)[0]["text"]["text"])

    def card_text(self, ref: PostRef, block_id: str) -> str:
        [block] = [b for b in self.card_blocks(ref) if b.get("block_id") == block_id]
        return str(block["text"]["text"])

    def thread_replies(self, ref: PostRef) -> list[dict[str, Any]]:
        return [m for m in self.slack.messages(ref.channel) if m.get("thread_ts") == ref.ts]

    def settle(self, condition: Callable[[], bool], timeout: float = 15.0) -> None:
        """Until condition holds and the workers are idle; AssertionError if it never does."""
        until(condition, timeout)
        self.served.wait_idle(timeout)


def serve_scene(
    make_runtime: Callable[..., Runtime], slack_standin: SlackStandIn
) -> Iterator[Scene]:
    """For a fixture: the served app, its approval rules reading user groups from the
    stand-in (as the server must wire them; see SlackUsergroupDirectory)."""
    for user in ADMINS:
        slack_standin.add_user(user)
    slack_standin.set_usergroup(IAM_GROUP, [])
    runtime = make_runtime(**slack_settings(slack_standin))
    client = WebClient(token=slack_standin.token, base_url=slack_standin.api_url)
    runtime.usergroups = SlackUsergroupDirectory(client, runtime.settings.usergroup_cache_seconds)
    with serve_app(runtime, slack_standin) as served:
        yield Scene(served, slack_standin)


def until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.02)


def action_on_card(blocks: list[dict[str, Any]]) -> Any:
    """The action an approver reads on the card, decoded back from its code blocks."""
    parts = [
        b["text"]["text"]
        for b in blocks
        if str(b.get("block_id", "")).startswith("action")
        and not str(b["block_id"]).endswith("-cut")
    ]
    code = "".join(part[part.index("```") + 3 : part.rindex("```")] for part in parts)
    return json.loads(unescape_entities(code))


def all_text(value: Any) -> str:
    """Every text a card shows, joined: for checks that nothing unescaped slipped in."""
    if isinstance(value, dict):
        return "\n".join(all_text(v) for v in value.values())
    if isinstance(value, list):
        return "\n".join(all_text(v) for v in value)
    return value if isinstance(value, str) else ""
