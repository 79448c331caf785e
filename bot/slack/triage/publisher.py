"""The Slack TriagePublisher: one post per triage group in the alerts channel, its proposals
in the post's thread, and later duplicates counted on the post itself.

A storm group is one summary post with its size; a duplicate never makes a new top-level
post, it redraws the first post's counter line with chat.update.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.alerts.triage.publish import TriageGroup
from bot.alerts.triage.verdict import TriageResult
from bot.errors import ConfigError
from bot.posts import PostRef
from bot.slack.answers.store import ConversationStore, TriagePostRecord
from bot.slack.approvals.proposals import post_proposals
from bot.slack.blocks.triage_post import fallback_text, triage_blocks, with_duplicates
from bot.slack.context import SlackContext

log = logging.getLogger(__name__)


class SlackTriagePublisher:
    """TriagePublisher (bot.alerts.triage.publish) that posts to settings.slack_alerts_channel."""

    def __init__(self, ctx: SlackContext) -> None:
        if not ctx.settings.slack_alerts_channel:
            raise ConfigError(
                "SOCBOT_ALERTS_CHANNEL is not set: set it to the id (C…) of the channel "
                "where triage posts should go, and invite socbot there"
            )
        self.ctx = ctx
        self.channel: str = ctx.settings.slack_alerts_channel
        self.store = ConversationStore(ctx.runtime.engine, ctx.runtime.redactor)

    def publish_triage(self, group: TriageGroup, result: TriageResult) -> PostRef | None:
        post = self._existing_post(group, result) or self._post(group, result)
        post_proposals(self.ctx, result.actions, channel=post.channel, thread_ts=post.ts)
        return PostRef(post.channel, post.ts)

    def publish_duplicates(self, post: PostRef, first_alert_id: str, count: int) -> None:
        record = self.store.triage_post(post.channel, post.ts)
        if record is None:
            log.warning("no triage post at %s/%s to count duplicates on", post.channel, post.ts)
            return
        blocks = with_duplicates(record.blocks, first_alert_id, count)
        self.ctx.client.chat_update(
            channel=post.channel, ts=post.ts, text=record.text, blocks=blocks
        )

    def _existing_post(self, group: TriageGroup, result: TriageResult) -> TriagePostRecord | None:
        # A publish retried after a failure further on must not make a second post.
        record = self.store.triage_post_of_group(group.group_id)
        return record if record is not None and record.task_id == result.task_id else None

    def _post(self, group: TriageGroup, result: TriageResult) -> TriagePostRecord:
        blocks, text = triage_blocks(group, result), fallback_text(group, result)
        response = self.ctx.client.chat_postMessage(
            channel=self.channel, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False
        )
        channel, ts = str(response["channel"]), str(response["ts"])
        record = TriagePostRecord(
            channel=channel,
            ts=ts,
            group_id=group.group_id,
            alert_ids=[str(alert_id) for alert_id in group.alert_ids],
            task_id=result.task_id,
            facts=_first_alert_facts(group),
            blocks=blocks,
            text=text,
        )
        self.store.save_triage_post(**record.__dict__)
        self._audit_posted(record)
        return record

    def _audit_posted(self, record: TriagePostRecord) -> None:
        self.ctx.runtime.audit.record(
            "triage.posted",
            task_id=record.task_id,
            actor="slack",
            data={
                "group_id": record.group_id,
                "alert_ids": record.alert_ids,
                "channel": record.channel,
                "ts": record.ts,
            },
        )


def _first_alert_facts(group: TriageGroup) -> dict[str, Any]:
    """The normalized fields of the group's first alert (raw vendor event left out)."""
    if not group.alerts:
        return {}
    facts = group.alerts[0].model_dump(mode="json", exclude={"raw"}, exclude_none=True)
    if group.is_storm:
        facts["storm_size"] = group.total
    return facts
