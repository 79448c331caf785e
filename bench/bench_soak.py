"""Soak: `socbot serve` under steady signed alert load, mentions and faults; nothing lost.

Run on demand from the repository root:

    python bench/bench_soak.py [--rate 20] [--duration 300] [--mention-every 20]
        [--storm-every 60] [--fault slack500@60+30] [--fault slack429@150+30]
        [--fault dblock@240+20] [--database-url URL] [--drain 180] [--json FILE]
        [--serve-root DIR]

`socbot serve` runs as its own process (offline engine, lab provider) against the Slack Web API
stand-in from tests/ and SQLite in a temp dir (or --database-url, e.g. a PostgreSQL schema
URL). The sender (bench/soak_load.py) sends okta alerts at --rate a second, with a storm
burst every --storm-every seconds and 10 % repeats; a mention arrives every --mention-every
seconds. Faults: slack500 / slack429 fail every Slack method for a window; dblock holds a
real lock on the alert table from another connection.

Reported: RSS and fds of the serve process over time, webhook latency per minute, Slack
calls per method, and the nothing-lost checks: every 202 stored, no alert stored twice,
every group triaged once and posted once (posts = groups), every mention answered once, the
audit chain verifies, no credential left live. Exit 1 when a check fails.

--serve-root runs `socbot serve` (and builds the database) from another source tree, e.g. an
earlier commit exported with `git archive`, for before/after figures under the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "bench")]

from soak_load import Fault, Sampler, Sender, hold_database_lock  # noqa: E402
from soak_report import latency_by_minute, print_report, recovery_seconds  # noqa: E402
from soak_serve import ALERTS_CHANNEL, Served, serve_process  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from bot.audit.verify import verify  # noqa: E402
from bot.db import make_engine  # noqa: E402
from tests.support.slack_standin import SlackStandIn  # noqa: E402

BACKLOG_SQL = (
    "SELECT count(*) FROM triage_group WHERE status IN ('queued', 'running') OR publish_pending"
)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'soak.db'}"
        root = Path(args.serve_root).resolve() if args.serve_root else REPO_ROOT
        seed_database(root, url, Path(tmp))
        engine = make_engine(url)
        with SlackStandIn() as standin, serve_process(url, standin, Path(tmp), root) as served:
            report = soak(args, url, engine, standin, served)
        report["checks"] = checks(engine, standin, report)
        report["serve_log"] = served.log_summary()
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=str))
    return 0 if all(ok for ok, _ in report["checks"].values()) else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=20.0, help="alerts a second")
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of load")
    parser.add_argument("--mention-every", type=float, default=20.0)
    parser.add_argument("--storm-every", type=float, default=60.0)
    parser.add_argument("--fault", action="append", type=Fault.parse, default=[])
    parser.add_argument("--database-url", help="default: SQLite in a temp dir")
    parser.add_argument("--drain", type=float, default=180.0, help="seconds to wait after load")
    parser.add_argument("--sample-every", type=float, default=5.0)
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--serve-root", help="source tree to run serve from (default: this one)")
    return parser.parse_args(argv)


def seed_database(root: Path, url: str, workdir: Path) -> None:
    """The schema and the lab, built by the serve tree's own code."""
    env = {**os.environ, "PYTHONPATH": str(root), "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "bot", "lab", "seed"],
        cwd=workdir,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def soak(
    args: argparse.Namespace, url: str, engine: Engine, standin: SlackStandIn, served: Served
) -> dict[str, Any]:
    sampler = Sampler(lambda: served.pid, lambda: backlog(engine), args.sample_every).start()
    started = time.monotonic()
    for fault in args.fault:
        threading.Timer(fault.start, apply_fault, args=(fault, url, standin)).start()
    stop_mentions = threading.Event()
    mentions: list[str] = []
    mention_thread = threading.Thread(
        target=served.mention_every, args=(args.mention_every, stop_mentions, mentions)
    )
    mention_thread.start()
    sender = Sender(served.port, served.alert_secret, args.rate, args.storm_every)
    sender.run(args.duration)
    stop_mentions.set()
    mention_thread.join()
    drained = drain(engine, served, args.drain)
    sampler.stop()
    return {
        "settings": {k: v for k, v in vars(args).items() if k != "fault"},
        "faults": [
            {**vars(f), "recovery_seconds": recovery_seconds(sampler.samples, f)}
            for f in args.fault
        ],
        "seconds": round(time.monotonic() - started, 1),
        "drained": drained,
        "samples": [vars(s) for s in sampler.samples],
        "latency_by_minute": latency_by_minute(sender.results),
        "sent": sender.results,
        "retries": sender.retries,
        "mentions": mentions,
        "slack_calls": slack_calls(standin),
    }


def apply_fault(fault: Fault, url: str, standin: SlackStandIn) -> None:
    if fault.kind == "slack500":
        standin.outage(None, fault.seconds)
    elif fault.kind == "slack429":
        standin.rate_limit_for(None, fault.seconds)
    else:
        hold_database_lock(url, fault.seconds)


def backlog(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(BACKLOG_SQL)).scalar_one())


def drain(engine: Engine, served: Served, seconds: float) -> bool:
    """Wait until every group is posted and no reply waits; False if that took too long."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if backlog(engine) == 0 and served.pending_replies() == 0:
            return True
        time.sleep(1)
    return False


def slack_calls(standin: SlackStandIn) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for call in standin.calls():
        per = counts.setdefault(call.method, {"ok": 0, "failed": 0})
        per["ok" if call.ok else "failed"] += 1
    return counts


def checks(engine: Engine, standin: SlackStandIn, report: dict[str, Any]) -> dict[str, Any]:
    accepted = {s.alert_id for s in report["sent"] if s.status == 202}
    with engine.connect() as conn:
        stored = set(conn.execute(text("SELECT id FROM alert")).scalars())
        twice = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT vendor_event_id FROM alert "
                "GROUP BY vendor_event_id HAVING count(*) > 1) AS repeated"
            )
        ).scalar_one()
        groups = dict(
            conn.execute(text("SELECT status, count(*) FROM triage_group GROUP BY status")).all()
        )
        live = conn.execute(
            text("SELECT count(*) FROM credential WHERE revoked_at IS NULL")
        ).scalar_one()
        results = conn.execute(
            text("SELECT data FROM audit_event WHERE kind = 'triage.result'")
        ).scalars()
        triaged = [json.loads(data)["group_id"] for data in results]
    posts = [m for m in standin.messages(ALERTS_CHANNEL) if not m.get("thread_ts")]
    answers = [len(answer_posts(standin, ts)) for ts in report["mentions"]]
    chain = verify(engine)
    done = groups.get("done", 0)
    return {
        "every 202 stored": (
            accepted <= stored,
            f"{len(accepted - stored)} of {len(accepted)} missing",
        ),
        "no alert stored twice": (twice == 0, f"{twice} vendor events stored more than once"),
        "every group triaged once": (
            len(triaged) == len(set(triaged)) == done and set(groups) <= {"done", "merged"},
            f"{len(triaged)} triage results for {len(set(triaged))} groups; groups {groups}",
        ),
        "posts = groups": (len(posts) == done, f"{len(posts)} posts, {done} groups triaged"),
        "every mention answered once": (
            all(n == 1 for n in answers),
            f"{len(answers)} mentions, replies per mention {sorted(set(answers))}",
        ),
        "chain verifies": (chain.ok, chain.reason),
        "no credential live": (live == 0, f"{live} live"),
    }


def answer_posts(standin: SlackStandIn, thread_ts: str) -> list[dict[str, Any]]:
    """socbot's answers in the thread: its messages there that are not drafts or cards."""
    return [
        m
        for m in standin.messages()
        if m.get("thread_ts") == thread_ts
        and m.get("bot_id")
        and not m.get("blocks")
        and not str(m.get("text", "")).startswith(":memo:")
    ]


if __name__ == "__main__":
    sys.exit(main())
