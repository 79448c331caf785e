"""Where Prometheus scrapes: GET /metrics on serve's port, and the worker's own port."""

from __future__ import annotations

from collections.abc import Callable

import anyio
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest, start_http_server
from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.errors import ConfigError
from bot.observability.metrics import registry_for

METRICS_PATH = "/metrics"


def metrics_route(engine: Engine) -> Route:
    registry = registry_for(engine)

    async def metrics(_request: Request) -> Response:
        # The gauges query the database: off the event loop, like /healthz.
        body = await anyio.to_thread.run_sync(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return Route(METRICS_PATH, metrics, methods=["GET"])


def serve_worker_metrics(engine: Engine, host: str, port: int) -> Callable[[], None]:
    """Serve /metrics for a worker on host:port in a thread; returns how to stop it."""
    try:
        server, thread = start_http_server(port, addr=host, registry=registry_for(engine))
    except OSError as exc:
        raise ConfigError(
            f"the worker cannot serve metrics on {host}:{port} ({exc.strerror or exc}): set "
            "SOCBOT_WORKER_METRICS_PORT to a free port, or 0 to turn the endpoint off"
        ) from exc

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop
