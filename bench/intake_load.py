"""Load for bench_intake.py: Okta-shaped events, a loopback HTTP client, a webhook server in a
child process, and the counting model and publisher the storm benchmark uses."""

from __future__ import annotations

import asyncio
import copy
import json
import multiprocessing
import socket
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = json.loads(
    (REPO_ROOT / "bot" / "demo_alerts" / "01-okta-mfa-push-fatigue.json").read_text("utf-8")
)
STORM_START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def okta_event(
    actor: str, *, at: datetime, target: str | None = None, event_type: str | None = None
) -> dict[str, Any]:
    """The demo MFA-fatigue event, for another actor (and target), at another time."""
    event = copy.deepcopy(TEMPLATE)
    event["uuid"] = str(uuid.uuid4())
    event["published"] = at.isoformat().replace("+00:00", "Z")
    event["actor"]["alternateId"] = actor
    event["target"][0]["alternateId"] = target or actor
    if event_type:
        event["eventType"] = event_type
    return event


def storm_events(count: int, identities: int, *, distinct_targets: bool) -> list[dict[str, Any]]:
    """count events over one minute, by `identities` actors; each with a target of its own
    (distinct fingerprints) or all about the actor (so repeats are duplicates)."""
    step = 60.0 / count
    return [
        okta_event(
            f"user{n % identities:02d}@lab.example",
            at=STORM_START + timedelta(seconds=n * step),
            target=f"device-{n}@lab.example" if distinct_targets else None,
        )
        for n in range(count)
    ]


# -- loopback HTTP ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(settings: Any, port: int, stop: Any, cpu: Any) -> None:
    import os

    import uvicorn
    from starlette.applications import Starlette

    from bot.alerts.intake.webhook import alert_routes
    from bot.runtime import Runtime

    app = Starlette(routes=alert_routes(Runtime(settings)))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    started = os.times()
    stop.wait()
    server.should_exit = True
    thread.join()
    ended = os.times()
    cpu.put(ended.user + ended.system - started.user - started.system)


@dataclass
class Servers:
    """Webhook server processes: their ports, and a way to stop them and learn their CPU."""

    ports: list[int]
    children: list[Any]
    stop: Any
    cpu: Any

    def cpu_seconds(self) -> float:
        return sum(float(self.cpu.get(timeout=5)) for _ in self.children)

    def close(self) -> float:
        """Stop every server; the CPU seconds they used after starting up."""
        self.stop.set()
        for child in self.children:
            child.join(30)
        return self.cpu_seconds()


def start_servers(settings: Any, count: int) -> Servers:
    """count webhook processes (each its own interpreter lock), each on a free port."""
    context = multiprocessing.get_context("spawn")
    stop, cpu = context.Event(), context.Queue()
    ports = [free_port() for _ in range(count)]
    children = [
        context.Process(target=_serve, args=(settings, port, stop, cpu), daemon=True)
        for port in ports
    ]
    for child in children:
        child.start()
    for port in ports:
        _wait_listening(port)
    return Servers(ports, children, stop, cpu)


def _wait_listening(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("a webhook server did not start")


@dataclass
class LoadResult:
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0


Request = tuple[str, bytes, dict[str, str]]


def send_all(ports: Sequence[int], requests: Sequence[Request], conns: int) -> LoadResult:
    """Every (path, body, headers) over `conns` keep-alive connections spread over the ports
    (as a load balancer would); statuses and the time taken."""
    result = LoadResult()
    started = time.perf_counter()
    asyncio.run(_send_all(ports, requests, conns, result))
    result.seconds = time.perf_counter() - started
    return result


async def _send_all(
    ports: Sequence[int], requests: Sequence[Request], conns: int, out: LoadResult
) -> None:
    shares = [requests[n::conns] for n in range(conns)]
    await asyncio.gather(
        *(_one_connection(ports[n % len(ports)], share, out) for n, share in enumerate(shares))
    )


async def _one_connection(port: int, share: Sequence[Request], out: LoadResult) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for path, body, headers in share:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{head}\r\n".encode()
            + body
        )
        await writer.drain()
        status = await _read_response(reader)
        out.statuses[status] = out.statuses.get(status, 0) + 1
    writer.close()


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        (int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length")),
        0,
    )
    await reader.readexactly(length)
    return int(lines[0].split()[1])


# -- counting stand-ins ----------------------------------------------------------------------


class CountingModel:
    """The offline engine, counting conversations (first turns) and turns."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.engine = inner.engine
        self.model = inner.model
        self.conversations = 0
        self.turns = 0
        self.first_prompt_tokens: list[int] = []
        self._lock = threading.Lock()

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
        reply = self.inner.complete(messages, tools)
        with self._lock:
            self.turns += 1
            if not any(m.get("role") in ("assistant", "tool") for m in messages):
                self.conversations += 1
                self.first_prompt_tokens.append(reply.usage.prompt_tokens)
        return reply


class CountingPublisher:
    def __init__(self) -> None:
        self.posts = 0
        self.duplicate_updates = 0
        self._lock = threading.Lock()

    def publish_triage(self, group: Any, result: Any) -> Any:
        from bot.posts import PostRef

        with self._lock:
            self.posts += 1
            return PostRef("C0BENCH", f"{time.time():.6f}")

    def publish_duplicates(self, post: Any, first_alert_id: str, count: int) -> None:
        with self._lock:
            self.duplicate_updates += 1
