"""The webhook under test: a real uvicorn server on 127.0.0.1, and a plain HTTP client."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette

SECRETS = {"acme": "acme-webhook-secret-1", "okta": "okta-webhook-secret-2"}


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


@contextmanager
def served(app: Starlette) -> Iterator[str]:
    """app on a free port of 127.0.0.1 for the block; yields host:port."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def post(address: str, path: str, body: bytes, headers: Mapping[str, str] | None = None) -> Reply:
    connection = http.client.HTTPConnection(address, timeout=10)
    try:
        connection.request("POST", path, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        raw = response.read()
        parsed = json.loads(raw) if raw.startswith(b"{") else {"text": raw.decode()}
        return Reply(response.status, parsed, {k.lower(): v for k, v in response.getheaders()})
    finally:
        connection.close()
