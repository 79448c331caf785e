"""The Bolt app for one workspace: verified requests, each event acted on once, listeners.

build_app wires, in order: Slack's request signature check (Bolt; forged or older than five
minutes → 401), authorization from what auth.test said at start-up (no Web API call per
request), a gate that drops what socbot must not act on (its own and other bots' messages,
events already seen, events from another workspace), a global error handler, and then every
listener module (bot.slack.listeners), after any extra registrars (tests, benchmarks): Bolt
runs the first listener that matches an event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import ConfigError
from bot.runtime import Runtime
from bot.slack.admission import EventGate, request_kind, where_to_reply
from bot.slack.audit_posts import attach_audit_posts
from bot.slack.context import SlackContext, WorkerPool
from bot.slack.listeners import register_all
from bot.slack.redacting import redact_calls
from bot.slack.workers import report_failure

log = logging.getLogger(__name__)

Registrar = Callable[[App, SlackContext], None]


def connect(runtime: Runtime, client: WebClient, workers: WorkerPool) -> SlackContext:
    """Ask Slack who the bot is (auth.test, once) and build the listeners' context."""
    client = redact_calls(client, runtime.redactor)
    try:
        identity = client.auth_test()
    except SlackApiError as exc:
        raise ConfigError(
            f"Slack refused SLACK_BOT_TOKEN ({exc.response.get('error')}): copy the Bot User "
            "OAuth Token again from the app's OAuth & Permissions page"
        ) from exc
    attach_audit_posts(runtime, client)
    return SlackContext(
        runtime=runtime,
        client=client,
        workers=workers,
        bot_user_id=str(identity["user_id"]),
        bot_id=identity.get("bot_id"),
        team_id=identity.get("team_id"),
    )


def build_app(
    ctx: SlackContext,
    *,
    gate: EventGate,
    socket_mode: bool = False,
    registrars: Sequence[Registrar] = (),
) -> App:
    """The Bolt app. Over HTTP every request must carry Slack's signature; in Socket Mode
    the connection itself is authenticated and there is no signature to check."""
    secret = ctx.settings.slack_signing_secret
    signing_secret = secret.get_secret_value() if secret else ""
    if not signing_secret and not socket_mode:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from the app's "
            "Basic Information page (or serve with --socket and SLACK_APP_TOKEN)"
        )
    app = App(
        client=_tokenless_copy(ctx.client),  # the token comes from authorize, per request
        signing_secret=signing_secret,
        authorize=_authorizer(ctx),
        request_verification_enabled=not socket_mode,
        token_verification_enabled=False,
        listener_executor=ThreadPoolExecutor(
            max_workers=max(4, ctx.settings.slack_workers), thread_name_prefix="slack-listener"
        ),
        logger=logging.getLogger("bot.slack.bolt"),
    )
    gate.install(app)
    app.error(_error_handler(ctx))
    for registrar in registrars:  # first, so a test's listener sees the events it matches
        registrar(app, ctx)
    register_all(app, ctx)
    return app


def _tokenless_copy(client: WebClient) -> WebClient:
    return WebClient(
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=client.retry_handlers,
        logger=client.logger,
    )


def _authorizer(ctx: SlackContext) -> Callable[..., AuthorizeResult]:
    def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=ctx.team_id or team_id,
            bot_token=ctx.client.token,
            bot_id=ctx.bot_id,
            bot_user_id=ctx.bot_user_id,
        )

    return authorize


def _error_handler(ctx: SlackContext) -> Callable[..., None]:
    def handle(error: Exception, body: dict[str, Any]) -> None:
        reply_to, user = where_to_reply(body)
        what = f"handling your {request_kind(body)}"
        report_failure(ctx.client, ctx.runtime.audit, what, error, reply_to=reply_to, user=user)

    return handle
