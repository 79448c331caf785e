"""The weekly digest in Slack: the digest's blocks in the digest channel, the chart in the
message's thread. Without Slack configured, the digest goes to the log instead."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.digest.formats import to_slack
from bot.digest.model import Digest
from bot.digest.publish import DigestPoster, LogPoster
from bot.posts import PostRef
from bot.slack.client import make_web_client

log = logging.getLogger(__name__)


class SlackDigestPoster:
    """chat.postMessage with the digest's blocks, then the chart into the message's thread
    (files upload v2). A chart Slack refuses is logged: the digest itself went out."""

    def __init__(self, client: WebClient, channel: str) -> None:
        self._client, self._channel = client, channel
        self.where = f"Slack channel {channel}"

    def post(self, week: str, digest: Digest, chart: bytes) -> PostRef:
        payload = to_slack(digest)
        response = self._client.chat_postMessage(
            channel=self._channel,
            text=payload["text"],
            blocks=payload["blocks"],
            unfurl_links=False,
        )
        ref = PostRef(str(response["channel"]), str(response["ts"]))
        try:
            self._client.files_upload_v2(
                channel=ref.channel,
                thread_ts=ref.ts,
                file=chart,
                filename=f"socbot-digest-{week}.png",
                title=f"socbot digest {week}: funnel and credential lifetimes",
            )
        except SlackApiError as exc:
            log.warning("the digest of %s was posted but its chart was refused: %s", week, exc)
        return ref


def make_poster(settings: Settings) -> DigestPoster:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    if not token or not settings.slack_digest_channel:
        return LogPoster()
    return SlackDigestPoster(make_web_client(settings), settings.slack_digest_channel)
