"""socbot alerts normalize / ingest: JSONL files of vendor events, one per line.

With --field F each line is a record holding the event in field F (a JSON object, or JSON
text). Problems are reported on stderr as FILE:LINE: reason, and the run goes on.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.alerts.intake.normalize import known_sources
from bot.alerts.intake.pipeline import (
    Intake,
    IntakeItem,
    IntakeOutcome,
    Prepared,
    Rejection,
    prepare_item,
)
from bot.alerts.triage.groups import current_groups
from bot.commands.common import runtime_for, settings
from bot.errors import AlertError
from bot.redaction import default_redactor

BATCH = 200  # lines stored per transaction by ingest
PROGRESS_EVERY = 5_000  # lines between progress notes on stderr


@dataclass(frozen=True)
class Line:
    number: int
    text: str
    item: IntakeItem | None  # None: the record itself is unusable (see problem)
    problem: str | None = None


@dataclass(frozen=True)
class LineFormat:
    field: str | None  # each line is a record holding the event in this field
    source: str | None  # every event's source; None: tell
    source_field: str | None = None  # the record's field naming the event's source
    via: str = "cli"

    @classmethod
    def of(cls, args: argparse.Namespace) -> LineFormat:
        return cls(args.field, args.source, getattr(args, "source_field", None))

    def source_of(self, record: dict[str, object]) -> str | None:
        named = record.get(self.source_field) if self.source_field else None
        if self.source is None and isinstance(named, str) and named in known_sources():
            return named
        return self.source


def read_lines(path: str, fmt: LineFormat) -> Iterator[Line]:
    """Every non-blank line of path (or stdin for -) as an intake item."""
    if path == "-":
        yield from _lines(sys.stdin, fmt)
        return
    try:
        with Path(path).open(encoding="utf-8", errors="replace") as handle:
            yield from _lines(handle, fmt)
    except OSError as exc:
        raise AlertError(f"cannot read {path}: {exc.strerror}") from exc


def _lines(handle: TextIO, fmt: LineFormat) -> Iterator[Line]:
    for number, text in enumerate(handle, start=1):
        if text.strip():
            yield _line(number, text.rstrip("\n"), fmt)


def _line(number: int, text: str, fmt: LineFormat) -> Line:
    field, source, via = fmt.field, fmt.source, fmt.via
    if field is None:
        return Line(number, text, IntakeItem(text, source, via))
    try:
        record = json.loads(text)
    except (ValueError, RecursionError):
        return Line(number, text, IntakeItem(text, source, via))  # intake says what is wrong
    if not isinstance(record, dict) or field not in record:
        return Line(number, text, None, f"the record has no field {field!r}")
    event = record[field]
    if not isinstance(event, dict | str):
        return Line(number, text, None, f"field {field!r} is not a JSON object")
    return Line(number, text, IntakeItem(event, fmt.source_of(record), via))


def where(path: str, line: Line) -> str:
    return f"{'stdin' if path == '-' else path}:{line.number}"


# -- normalize ------------------------------------------------------------------------------


def normalize(args: argparse.Namespace) -> int:
    max_bytes, redactor = settings().alert_max_bytes, default_redactor()
    failed = total = 0
    for line in read_lines(args.file, LineFormat.of(args)):
        total += 1
        made = prepare_item(line.item, max_bytes, redactor) if line.item else None
        if isinstance(made, Prepared):
            sys.stdout.write(made.alert.model_dump_json() + "\n")
            continue
        failed += 1
        reason = made.reason if isinstance(made, Rejection) else line.problem
        print(f"{where(args.file, line)}: {reason}", file=sys.stderr)
    print(f"normalized {total - failed} of {total} events; {failed} failed", file=sys.stderr)
    return 1 if failed and args.strict else 0


# -- ingest ---------------------------------------------------------------------------------


class IngestRun:
    """Feeds lines to the intake in batches, reports rejections, counts outcomes."""

    def __init__(self, intake: Intake, path: str) -> None:
        self.intake = intake
        self.path = path
        self.counts: Counter[str] = Counter()
        self.accepted: list[str] = []
        self.lines = 0

    def run(self, lines: Iterator[Line]) -> None:
        batch: list[Line] = []
        for line in lines:
            batch.append(line)
            if len(batch) == BATCH:
                self._store(batch)
                batch = []
        if batch:
            self._store(batch)

    def _store(self, batch: list[Line]) -> None:
        prepared = [self._prepared(line) for line in batch]
        for line, outcome in zip(batch, self.intake.store(prepared), strict=True):
            self._count(line, outcome)
        before, self.lines = self.lines, self.lines + len(batch)
        if self.lines // PROGRESS_EVERY > before // PROGRESS_EVERY:
            print(f"… {self.lines:,} lines", file=sys.stderr, flush=True)

    def _prepared(self, line: Line) -> Prepared | Rejection:
        if line.item is not None:
            return self.intake.prepare(line.item)
        problem = line.problem or "unusable record"
        return self.intake.rejection(
            line.text, reason=problem, problem="invalid", source=None, via="cli"
        )

    def _count(self, line: Line, outcome: IntakeOutcome) -> None:
        self.counts[outcome.status] += 1
        if outcome.storm:
            self.counts["storm"] += 1
        if outcome.status == "accepted" and outcome.alert_id:
            self.accepted.append(outcome.alert_id)
        if outcome.status == "rejected":
            reason = f"{outcome.reason} (kept as {outcome.rejected_id})"
            print(f"{where(self.path, line)}: rejected: {reason}", file=sys.stderr)

    def summary(self) -> str:
        c = self.counts
        groups = current_groups(self.intake.engine, self.accepted)
        return (
            f"ingested {self.lines:,} lines: {c['accepted']:,} accepted "
            f"({c['storm']:,} into storm groups), {c['duplicate']:,} duplicates, "
            f"{c['rejected']:,} rejected; the accepted alerts are in {len(groups):,} triage groups"
        )


def ingest(args: argparse.Namespace) -> int:
    run = IngestRun(Intake(runtime_for(args)), args.file)
    run.run(read_lines(args.file, LineFormat.of(args)))
    print(run.summary())
    return 1 if run.counts["rejected"] and args.strict else 0
