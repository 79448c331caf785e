"""socbot's HTTP server: Slack events, the alert webhook and a health check, on one port.

- POST /slack/events: handed to the Bolt app on a worker thread (Bolt is synchronous), so a
  slow request never holds up the event loop or another request's ack. Not mounted in
  Socket Mode, where events arrive over the socket and carry no signature.
- GET /healthz: 200 {"ok": true, "database": "ok", "policy_version": …}, or 503 naming what
  failed.
- whatever bot.alerts.intake.webhook.alert_routes returns (POST /alerts/{source}).

start_service wires the running parts; serve() runs them under uvicorn until SIGTERM/SIGINT.
"""

from __future__ import annotations

import gc
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType

import anyio
import uvicorn
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk.errors import SlackApiError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.alerts.intake.webhook import alert_routes
from bot.config import Settings
from bot.db_health import DeadlineWatch
from bot.errors import ConfigError
from bot.observability.scrape import metrics_route
from bot.runtime import Runtime
from bot.slack.admission import EventGate
from bot.slack.answers.outbox import OutboxDrainer
from bot.slack.app import Registrar, build_app, connect
from bot.slack.approvals.usergroups import ensure_usergroup_directory
from bot.slack.client import make_web_client
from bot.slack.context import SlackContext
from bot.slack.event_claims import forget_old_events
from bot.slack.events_guard import EventsGuard
from bot.slack.health import health_endpoint
from bot.slack.policy_notice import watch_policy
from bot.slack.triage.workers import TriageWorkers, start_triage_workers
from bot.slack.workers import ThreadWorkerPool
from bot.tasks.heartbeat import HeartbeatThread

log = logging.getLogger(__name__)

Callback = Callable[[], None]
Endpoint = Callable[[Request], Awaitable[Response]]

SLACK_EVENTS_PATH = "/slack/events"  # slack-manifest.yaml's request URLs end with this
MAX_SLACK_BODY = 1_000_000  # Slack's payloads are a few kB; anything this big is not Slack
SLACK_REQUEST_THREADS = 64  # Bolt dispatches at once: acks, not work, hold these threads
SHUTDOWN_SECONDS = 20  # for open requests, then again for running Slack work


@dataclass
class SlackService:
    """The running Slack front end: context, Bolt app, pools, and the ASGI app serving them."""

    runtime: Runtime
    ctx: SlackContext
    bolt: App
    gate: EventGate
    workers: ThreadWorkerPool
    http: Starlette
    triage: TriageWorkers | None = field(default=None)
    outbox: OutboxDrainer | None = field(default=None)
    heartbeat: HeartbeatThread | None = field(default=None)

    def close(self, timeout: float = 30.0) -> None:
        """Stop taking work and wait (up to timeout) for what runs to finish."""
        if self.triage is not None:
            self.triage.stop(timeout)
        self.gate.close(timeout)  # admitted events hand their work to the workers
        self.bolt.listener_runner.listener_executor.shutdown(wait=False)
        self.workers.shutdown(timeout)
        if self.outbox is not None:
            self.outbox.stop(timeout)  # replies still pending are posted by the next start
        if self.heartbeat is not None:
            self.heartbeat.stop()


def start_service(
    runtime: Runtime,
    *,
    socket_mode: bool = False,
    registrars: Sequence[Registrar] = (),
    triage: bool = True,
) -> SlackService:
    """Build everything serve() runs; auth.test is the one Web API call made here."""
    client = make_web_client(runtime.settings)
    workers = ThreadWorkerPool(client, runtime.audit, runtime.settings.slack_workers)
    gate: EventGate | None = None
    try:
        ctx = connect(runtime, client, workers)
        ensure_usergroup_directory(ctx)  # before anything builds the approval rules
        watch_policy(ctx)
        warm_up(runtime)
        gate = EventGate(ctx)
        bolt = build_app(ctx, gate=gate, socket_mode=socket_mode, registrars=registrars)
        forget_old_events(runtime.engine)
        triage_workers = start_triage_workers(ctx) if triage else None
    except BaseException:
        if gate is not None:
            gate.close(timeout=0)
        workers.shutdown(timeout=0)
        raise
    wake = triage_workers.wake if triage_workers is not None else None
    http = create_http_app(runtime, None if socket_mode else bolt, on_alert_accepted=wake)
    outbox = OutboxDrainer(ctx).start()
    heartbeat = HeartbeatThread(runtime.engine).start()
    return SlackService(runtime, ctx, bolt, gate, workers, http, triage_workers, outbox, heartbeat)


def warm_up(runtime: Runtime) -> None:
    """Pay start-up costs now (policy, credential sweep, token encoding), not while the
    first events wait for their acks."""
    _ = runtime.policies.current, runtime.executor, runtime.model
    runtime.counter.count("warm-up")


def create_http_app(
    runtime: Runtime, bolt: App | None, *, on_alert_accepted: Callback | None = None
) -> Starlette:
    watch = DeadlineWatch()
    routes: list[BaseRoute] = [
        Route("/healthz", health_endpoint(runtime, watch), methods=["GET"]),
        metrics_route(runtime.engine),
    ]
    if bolt is not None:
        routes.append(slack_route(bolt, _signing_secret(runtime.settings)))
    routes.extend(alert_routes(runtime, on_accepted=on_alert_accepted, watch=watch))
    return Starlette(routes=routes)


def slack_route(bolt: App, signing_secret: str) -> Route:
    """POST /slack/events, checked (size, signature, shape), then dispatched to bolt off the
    event loop."""
    guard = EventsGuard(signing_secret, MAX_SLACK_BODY)
    return Route(SLACK_EVENTS_PATH, _slack_endpoint(bolt, guard), methods=["POST"])


def _signing_secret(settings: Settings) -> str:
    secret = settings.slack_signing_secret
    return secret.get_secret_value() if secret else ""


def _slack_endpoint(bolt: App, guard: EventsGuard) -> Endpoint:
    limiter = anyio.CapacityLimiter(SLACK_REQUEST_THREADS)

    async def slack_events(request: Request) -> Response:
        body, refusal = await guard.read(request)
        if refusal is not None:
            return PlainTextResponse(refusal.reason, status_code=refusal.status)
        bolt_request = to_bolt_request(request, body)
        response = await anyio.to_thread.run_sync(bolt.dispatch, bolt_request, limiter=limiter)
        return to_starlette_response(response)

    return slack_events


def serve(
    settings: Settings,
    *,
    socket: bool,
    host: str | None = None,
    port: int | None = None,
    registrars: Sequence[Registrar] = (),
) -> None:
    """Run socbot's front end until SIGTERM or SIGINT, then finish running work and stop."""
    if socket:
        app_token(settings)  # refuse before connecting anything
    runtime = Runtime(settings)
    service = start_service(runtime, socket_mode=socket, registrars=registrars)
    server = uvicorn.Server(
        uvicorn.Config(
            service.http,
            host=host or settings.serve_host,
            port=settings.serve_port if port is None else port,
            lifespan="off",
            log_level=settings.log_level.lower(),
            log_config=None,  # uvicorn's lines go through socbot's handler (JSON or text)
            timeout_graceful_shutdown=SHUTDOWN_SECONDS,
        )
    )
    handler = None
    settle_heap()
    try:
        _quiet_signal_handlers(server)
        if socket:
            handler = SocketModeHandler(service.bolt, app_token(settings))
            connect_socket(handler)
        log.info(
            "socbot serving on %s:%s (socket mode: %s)",
            server.config.host,
            server.config.port,
            socket,
        )
        server.run()
    finally:
        if handler is not None:
            handler.close()
        service.close(SHUTDOWN_SECONDS)


def settle_heap() -> None:
    """Move everything built at start-up out of the collector's reach. A full collection
    then scans only what requests and jobs created since, so it no longer stalls every ack
    in flight for tens of milliseconds."""
    gc.collect()
    gc.freeze()


def connect_socket(handler: SocketModeHandler) -> None:
    try:
        handler.connect()
    except SlackApiError as exc:
        raise ConfigError(
            f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')}): Socket Mode needs "
            "an app-level token (xapp-…) with connections:write, from Basic Information"
        ) from exc


def app_token(settings: Settings) -> str:
    token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    if not token:
        raise ConfigError(
            "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-…) with "
            "the connections:write scope, from the app's Basic Information page"
        )
    return token


def _quiet_signal_handlers(server: uvicorn.Server) -> None:
    """uvicorn re-raises the signal that stopped it once it has stopped; these handlers make
    that a no-op, so the cleanup in serve() runs instead of the process dying mid-way."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        server.should_exit = True

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
