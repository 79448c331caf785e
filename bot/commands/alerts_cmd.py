"""socbot alerts: normalize and ingest event files, list rejections, the queue, drain it."""

from __future__ import annotations

import argparse
import base64

from sqlalchemy import select
from sqlmodel import col

from bot.alerts.tables import RejectedAlert, TriageGroupRecord
from bot.alerts.triage.publish import NoPublisher
from bot.alerts.triage.worker import TriageWorker, WorkDone
from bot.clock import as_utc
from bot.commands.alerts_files import ingest, normalize
from bot.commands.common import Subparsers, add_command, print_table, runtime_for, short
from bot.commands.triage_cmd import render_triage
from bot.db import session_scope
from bot.errors import AlertError


def register(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "alerts",
        help="alert intake: normalize, ingest, rejected alerts, the triage queue",
        description="Alert intake from files, what it refused, and the triage queue.",
    )
    sub = parser.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)
    _register_files(sub)
    rejected = add_command(
        sub, "rejected", list_rejected, "rejected alerts and why, newest first", reads_only=True
    )
    rejected.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    rejected.add_argument("--show", metavar="REJECTED_ID", help="print one rejected payload")
    queue = add_command(
        sub, "queue", list_queue, "triage groups and their states, newest first", reads_only=True
    )
    queue.add_argument("--status", help="only this status (queued, running, done, failed …)")
    queue.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    work = add_command(sub, "work", work_queue, "triage what is due in the queue, then stop")
    work.add_argument("--once", action="store_true", help="triage at most one group")
    work.add_argument("--json", action="store_true", help="print each result as JSON")


def _register_files(sub: Subparsers) -> None:
    norm = add_command(
        sub,
        "normalize",
        normalize,
        "normalize a JSONL file of vendor events to JSONL on stdout (no database)",
        database=False,
    )
    ing = add_command(sub, "ingest", ingest, "store a JSONL file of vendor events for triage")
    for cmd in (norm, ing):
        cmd.add_argument("file", metavar="FILE.jsonl", help="one event per line; - for stdin")
        cmd.add_argument("--field", metavar="F", help="each line is a record; the event is in F")
        cmd.add_argument("--source", metavar="S", help="the source of every event (default: tell)")
        cmd.add_argument(
            "--source-field",
            metavar="G",
            help="with --field: take each event's source from the record's field G when it "
            "names a known source (e.g. --source-field platform), else tell",
        )
        cmd.add_argument(
            "--strict", action="store_true", help="exit 1 if any event could not be taken"
        )


def list_rejected(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    with session_scope(runtime.engine) as session:
        if args.show:
            row = session.get(RejectedAlert, args.show)
            if row is None:
                raise AlertError(f"no rejected alert {args.show}")
            print(_payload_text(row))
            return 0
        query = select(RejectedAlert).order_by(col(RejectedAlert.received_at).desc())
        rows = list(session.scalars(query.limit(args.limit)))
    print_table(
        ("ID", "RECEIVED", "VIA", "SOURCE", "BYTES", "REASON"),
        [(r.id, _time(r), r.via, r.source or "-", _size(r), short(r.reason, 70)) for r in rows],
    )
    return 0


def _payload_text(row: RejectedAlert) -> str:
    if row.encoding == "base64":
        return base64.b64decode(row.payload).decode("utf-8", errors="backslashreplace")
    return row.payload


def _size(row: RejectedAlert) -> str:
    return f"{row.size:,}" + (" (cut)" if row.truncated else "")


def _time(row: RejectedAlert | TriageGroupRecord) -> str:
    stamp = row.received_at if isinstance(row, RejectedAlert) else row.created_at
    return as_utc(stamp).strftime("%Y-%m-%d %H:%M:%S")


def list_queue(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    query = select(TriageGroupRecord).order_by(col(TriageGroupRecord.created_at).desc())
    if args.status:
        query = query.where(col(TriageGroupRecord.status) == args.status)
    with session_scope(runtime.engine) as session:
        rows = list(session.scalars(query.limit(args.limit)))
    print_table(
        ("GROUP", "STATUS", "KIND", "ALERTS", "TRIES", "SOURCE", "TYPE", "VERDICT", "CREATED"),
        [
            (
                r.id,
                r.status,
                r.kind,
                r.alert_count,
                r.attempts,
                r.source,
                short(r.event_type, 32),
                f"{r.verdict}/{r.severity}" if r.verdict else short(r.last_error, 40),
                _time(r),
            )
            for r in rows
        ],
    )
    return 0


def work_queue(args: argparse.Namespace) -> int:
    worker = TriageWorker(runtime_for(args), NoPublisher())
    done: list[WorkDone] = []
    while (work := worker.run_once()) is not None:
        done.append(work)
        _print_work(work, as_json=args.json)
        if args.once:
            break
    if not args.json:
        failed = sum(1 for w in done if w.status != "done")
        print(f"triaged {len(done) - failed} groups; {failed} not (see socbot alerts queue)")
    return 1 if any(w.status == "failed" for w in done) else 0


def _print_work(work: WorkDone, *, as_json: bool) -> None:
    if as_json:
        if work.result is not None:
            print(work.result.model_dump_json())
        return
    print(f"group {work.group_id}: {work.status}")
    if work.result is not None:
        print(render_triage(work.result))
    elif work.error:
        print(f"  error: {short(work.error, 200)}")
