"""Audit tamper evidence in Slack: each signed checkpoint posted to a channel the database
admin cannot rewrite (SOCBOT_AUDIT_CHECKPOINT_CHANNEL), and a refused checkpoint (rows that
fail their seals) raised in the approvals channel, else the alerts channel.

Each checkpoint post carries the checkpoint's JSON line, so the channel's history is itself a
checkpoint file for `socbot audit verify --checkpoints`.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from bot.audit.signed_head import Checkpoint
from bot.runtime import Runtime

log = logging.getLogger(__name__)


def checkpoint_text(checkpoint: Checkpoint) -> str:
    return (
        f":lock: Audit checkpoint: seq {checkpoint.seq}, hash `{checkpoint.hash[:16]}…`, "
        f"signed by `{checkpoint.key_id}`. `socbot audit verify --checkpoints` holds the log "
        f"to lines like this one:\n```{checkpoint.to_json()}```"
    )


def alarm_text(message: str) -> str:
    return (
        f":rotating_light: The audit log may have been tampered with: {message}. "
        "No checkpoint was signed over it. Run `socbot audit verify --checkpoints` and check "
        "who changed the database."
    )


def attach_audit_posts(runtime: Runtime, client: WebClient) -> None:
    """Post checkpoints and tamper alarms through client, where the settings name channels."""
    tamper = runtime.tamper
    if tamper is None:
        return
    settings = runtime.settings
    checkpoints_channel = settings.audit_checkpoint_channel
    if checkpoints_channel:
        tamper.checkpointer.sinks.append(
            lambda checkpoint: _post(client, checkpoints_channel, checkpoint_text(checkpoint))
        )
    alarm_channel = settings.slack_approvals_channel or settings.slack_alerts_channel
    if alarm_channel:
        tamper.checkpointer.alarms.append(
            lambda message: _post(client, alarm_channel, alarm_text(message))
        )


def _post(client: WebClient, channel: str, text: str) -> None:
    client.chat_postMessage(channel=channel, text=text, unfurl_links=False, unfurl_media=False)
