"""How fast socbot acks Slack events while the model is slow, against a Bolt app that only acks.

Run on demand from the repository root:

    python bench/bench_slack_ack.py [--events 500] [--concurrency 50] [--model-seconds 2]
                                    [--database-url URL]

Both apps are served the same way (bot.slack.server's /slack/events route under uvicorn on
127.0.0.1) against the Slack Web API stand-in from tests/. The load comes from a separate
process (so its threads do not share the servers' interpreter lock): `--events` signed
app_mention events, `--concurrency` at a time over keep-alive connections, each timed from
request to full response.

- bare: a Bolt app with one app_mention listener that acks; nothing else.
- socbot: the real front end (signature check, dedupe claim in the database, the real
  listeners, the worker pool), with a model that takes `--model-seconds` a turn, so every
  event starts a conversation the workers are still busy with while later events arrive.

Each round measures the bare app, then a freshly started socbot; the verdict compares the
median p99 over `--rounds`, as a busy machine makes single runs noisy.
Targets: socbot's p99 within 1.5× the bare app's and under 100 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from slack_bolt import Ack, App  # noqa: E402
from slack_bolt.authorization import AuthorizeResult  # noqa: E402
from slack_sdk import WebClient  # noqa: E402
from starlette.applications import Starlette  # noqa: E402

from bot.agent.model import ModelReply, Usage  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.slack.server import settle_heap, slack_route, start_service  # noqa: E402
from tests.support.slack import (  # noqa: E402
    ANALYST,
    BOT_USER_ID,
    SIGNING_SECRET,
    app_mention,
    event_callback,
    serving,
    sign_request,
)
from tests.support.slack_standin import SlackStandIn, SlackUser  # noqa: E402
from tools.providers.lab.seed import seed_lab  # noqa: E402

TARGET_RATIO = 1.5
TARGET_P99_MS = 100.0


class SlowModel:
    """A ChatModel that takes `seconds` a turn and then answers in plain text."""

    engine = "bench-slow"
    model = "bench-slow-1"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.turns = 0
        self._lock = threading.Lock()

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> ModelReply:
        with self._lock:
            self.turns += 1
        time.sleep(self.seconds)
        return ModelReply("Nothing alarming in what I can see.", usage=Usage(200, 20))


@dataclass(frozen=True)
class Figures:
    name: str
    latencies_ms: list[float]
    seconds: float
    statuses: dict[int, int]

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def row(self) -> str:
        return (
            f"| {self.name} | {len(self.latencies_ms)} | {self.percentile(50):.1f} | "
            f"{self.percentile(99):.1f} | {max(self.latencies_ms):.1f} | "
            f"{statistics.fmean(self.latencies_ms):.1f} | "
            f"{len(self.latencies_ms) / self.seconds:.0f} | {self.statuses} |"
        )


# -- load, from a child process ------------------------------------------------------------


def signed_requests(count: int) -> list[tuple[bytes, dict[str, str]]]:
    requests = []
    for n in range(count):
        event = app_mention(f"<@{BOT_USER_ID}> is alert {n} anything to worry about?")
        body = json.dumps(event_callback(event, event_id=f"Ev{uuid.uuid4().hex[:12]}")).encode()
        headers = {"Content-Type": "application/json", **sign_request(body, SIGNING_SECRET)}
        requests.append((body, headers))
    return requests


def _load(
    url: str,
    warmup: list[tuple[bytes, dict[str, str]]],
    requests: list[tuple[bytes, dict[str, str]]],
    concurrency: int,
) -> Any:
    """Send warmup, then requests, `concurrency` at a time over kept-alive connections (one
    per thread, opened during warm-up); the measured latencies and seconds."""
    parts = urlsplit(url)
    local = threading.local()

    def send(request: tuple[bytes, dict[str, str]]) -> tuple[float, int]:
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        body, headers = request
        started = time.perf_counter()
        local.conn.request("POST", "/slack/events", body, headers)
        response = local.conn.getresponse()
        response.read()
        return (time.perf_counter() - started) * 1000, response.status

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(send, warmup))
        started = time.perf_counter()
        results = list(pool.map(send, requests))
        return results, time.perf_counter() - started


def run_load(name: str, url: str, events: int, concurrency: int) -> Figures:
    context = multiprocessing.get_context("spawn")
    warmup, measured = signed_requests(concurrency * 2), signed_requests(events)
    with context.Pool(1) as pool:
        results, seconds = pool.apply(_load, (url, warmup, measured, concurrency))
    statuses: dict[int, int] = {}
    for _, status in results:
        statuses[status] = statuses.get(status, 0) + 1
    return Figures(name, [ms for ms, _ in results], seconds, statuses)


# -- the two apps --------------------------------------------------------------------------


def bare_app(standin: SlackStandIn) -> Starlette:
    client = WebClient(token=standin.token, base_url=standin.api_url)

    def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token=standin.token,
            bot_user_id=BOT_USER_ID,
        )

    app = App(
        client=client,
        signing_secret=SIGNING_SECRET,
        authorize=authorize,
        token_verification_enabled=False,
    )

    @app.event("app_mention")
    def ack_only(ack: Ack) -> None:
        ack()

    return Starlette(routes=[slack_route(app)])


@contextmanager
def socbot_app(standin: SlackStandIn, database_url: str, model: SlowModel) -> Iterator[Starlette]:
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        policy_path=REPO_ROOT / "policy.yaml",
        openai_api_key=None,
        slack_bot_token=standin.token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=standin.api_url,
    )
    runtime = Runtime(settings, model_override=model)
    seed_lab(runtime.engine)
    service = start_service(runtime, triage=False)
    try:
        yield service.http
    finally:
        print(f"  socbot: {service.workers.pending} conversations not finished; cancelling")
        service.gate.close(timeout=30)
        service.workers.shutdown(timeout=model.seconds + 30, cancel_queued=True)


def measure(
    name: str, app: Starlette, events: int, concurrency: int, during: Callable[[], str] | None
) -> Figures:
    settle_heap()  # as serve() does once everything is built
    with serving(app) as url:
        figures = run_load(name, url, events, concurrency)
        if during is not None:
            print(f"  {name}: {during()}")
    return figures


def one_round(args: argparse.Namespace, slack: SlackStandIn, database_url: str) -> list[Figures]:
    """The bare app, then a freshly started socbot, each measured the same way."""
    bare = measure("bare Bolt (ack only)", bare_app(slack), args.events, args.concurrency, None)
    model = SlowModel(args.model_seconds)
    with socbot_app(slack, database_url, model) as app:
        busy = lambda: f"{model.turns} model turns started during the run"  # noqa: E731
        real = measure("socbot", app, args.events, args.concurrency, busy)
    return [bare, real]


def median_p99(figures: list[Figures]) -> float:
    return statistics.median(f.percentile(99) for f in figures)


def report(args: argparse.Namespace, database_url: str, rounds: list[list[Figures]]) -> bool:
    print(
        f"\n{args.events} events, {args.concurrency} concurrent, model "
        f"{args.model_seconds:g} s a turn, database {database_url.split(':')[0]}, "
        f"{len(rounds)} rounds\n"
    )
    print("| app | events | p50 ms | p99 ms | max ms | mean ms | events/s | statuses |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for figures in rounds:
        for row in figures:
            print(row.row())
    bare, real = median_p99([r[0] for r in rounds]), median_p99([r[1] for r in rounds])
    ratio = real / bare
    met = ratio <= TARGET_RATIO and real < TARGET_P99_MS
    print(
        f"\nmedian p99: bare {bare:.1f} ms, socbot {real:.1f} ms; ratio {ratio:.2f}× "
        f"(target ≤ {TARGET_RATIO}× and socbot < {TARGET_P99_MS:g} ms): "
        f"{'met' if met else 'NOT met'}"
    )
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--model-seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3, help="bare then socbot, this often")
    parser.add_argument("--database-url", help="default: a SQLite file in a temp dir")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, SlackStandIn(users=[SlackUser(ANALYST)]) as slack:
        rounds = []
        for number in range(args.rounds):
            url = args.database_url or f"sqlite:///{Path(tmp) / f'bench-{number}.db'}"
            rounds.append(one_round(args, slack, url))
    return 0 if report(args, url, rounds) else 1


if __name__ == "__main__":
    raise SystemExit(main())
