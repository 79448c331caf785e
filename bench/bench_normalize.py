"""How well alert normalization reads real-shaped vendor events, and how fast.

Run on demand from the repository root:

    python bench/bench_normalize.py [PATH] [--rounds N] [--rejections N]

PATH is a JSONL file of records, each holding a raw vendor event in "event", its platform in
"platform" and its upstream log type in "log_type" (default: the shared labelled set). For
every event this runs normalize_event(event) with no source, so detection picks the
normalizer, and normalize_event(event, expected) with the source named. Per platform and
overall it reports the share of events that normalize, that detection gives a source and the
right one, and whose alert has an actor, an action (event_type), a source IP, and a target.
"ip found" is the share of events holding an IP address anywhere (JSON text inside strings
included) whose alert has a source IP. Throughput is events per second through
normalize_event with detection and redaction, the median of --rounds passes.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bot.alerts.intake.normalize import normalize_event  # noqa: E402
from bot.alerts.model import Alert, AlertRejected  # noqa: E402

DEFAULT_DATA = REPO_ROOT / ".." / "shared" / "data" / "identity-events-dev.jsonl"
GENERIC_BY_LOG_TYPE = {
    "Auth0.Events": "generic:auth0",
    "OneLogin.Events": "generic:onelogin",
    "Duo.Administrator": "generic:duo_admin",
    "Duo.Authentication": "generic:duo_auth",
    "OnePassword.SignInAttempt": "generic:onepassword_signin",
}


@dataclass(frozen=True)
class Result:
    platform: str
    expected: str
    detected: Alert | None
    rejection: str | None  # why detection + normalization failed
    named_ok: bool  # normalized when the expected source is named
    has_ip: bool  # an IP address appears somewhere in the raw event


@dataclass
class Summary:
    name: str
    rows: list[Result] = field(default_factory=list)

    def line(self, seconds_per_event: float) -> str:
        shares = [self._share(test) for test in COLUMNS.values()]
        with_ip = [row for row in self.rows if row.has_ip]
        ip_found = _share(with_ip, lambda row: bool(row.detected and row.detected.source_ip))
        found = f"{ip_found:>{WIDTH}.0%}" if with_ip else f"{'-':>{WIDTH}}"
        return (
            f"{self.name:<17}{len(self.rows):>5}"
            + "".join(f"{share:>{WIDTH}.0%}" for share in shares)
            + f"{found}{seconds_per_event * 1e6:>{WIDTH}.0f}"
        )

    def _share(self, test: Callable[[Result], bool]) -> float:
        return _share(self.rows, test)


def _share(rows: Sequence[Result], test: Callable[[Result], bool]) -> float:
    return sum(1 for row in rows if test(row)) / len(rows) if rows else 0.0


COLUMNS: dict[str, Callable[[Result], bool]] = {
    "named ok": lambda row: row.named_ok,
    "detect ok": lambda row: row.detected is not None,
    "right src": lambda row: row.detected is not None and row.detected.source == row.expected,
    "actor": lambda row: bool(row.detected and row.detected.actor),
    "action": lambda row: bool(row.detected and row.detected.event_type),
    "source ip": lambda row: bool(row.detected and row.detected.source_ip),
    "target": lambda row: bool(row.detected and row.detected.target),
}
WIDTH = 11
HEADER = f"{'platform':<17}{'n':>5}" + "".join(
    f"{name:>{WIDTH}}" for name in [*COLUMNS, "ip found", "µs/event"]
)


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def expected_source(record: dict[str, Any]) -> str:
    platform = str(record.get("platform", "unknown"))
    if platform == "other_idp":
        return GENERIC_BY_LOG_TYPE.get(str(record.get("log_type")), "generic:?")
    return platform


def measure(record: dict[str, Any]) -> Result:
    event = record["event"]
    expected = expected_source(record)
    detected, rejection = _attempt(lambda: normalize_event(event))
    named, _why = _attempt(lambda: normalize_event(event, expected))
    return Result(
        platform=str(record.get("platform", "unknown")),
        expected=expected,
        detected=detected,
        rejection=rejection,
        named_ok=named is not None,
        has_ip=any(_is_ip(text) for text in _strings(event)),
    )


def _attempt(run: Callable[[], Alert]) -> tuple[Alert | None, str | None]:
    try:
        return run(), None
    except AlertRejected as rejected:
        return None, str(rejected)


def _strings(value: Any) -> Iterator[str]:
    """Every string in value, reading strings that hold a JSON object or list as JSON too."""
    if isinstance(value, dict):
        for child in value.values():
            yield from _strings(child)
    elif isinstance(value, list):
        for child in value:
            yield from _strings(child)
    elif isinstance(value, str):
        yield value
        if value.lstrip().startswith(("{", "[")):
            yield from _strings(_json_or_none(value))


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip())
    except ValueError:
        return False
    return True


def timings(records: Sequence[dict[str, Any]], rounds: int) -> dict[str, float]:
    """Seconds per event through normalize_event with detection, per platform: the median of
    rounds passes over all records."""
    passes: dict[str, list[float]] = {}
    for _ in range(rounds):
        spent: dict[str, float] = {}
        for record in records:
            platform = str(record.get("platform", "unknown"))
            spent[platform] = spent.get(platform, 0.0) + _seconds_for(record["event"])
        for platform, seconds in spent.items():
            passes.setdefault(platform, []).append(seconds)
    counts = Counter(str(record.get("platform", "unknown")) for record in records)
    return {name: statistics.median(runs) / counts[name] for name, runs in passes.items()}


def _seconds_for(event: Any) -> float:
    started = time.perf_counter()
    _attempt(lambda: normalize_event(event))
    return time.perf_counter() - started


def summaries(rows: Sequence[Result]) -> list[Summary]:
    by_platform: dict[str, Summary] = {}
    for row in rows:
        by_platform.setdefault(row.platform, Summary(row.platform)).rows.append(row)
    ordered = sorted(by_platform.values(), key=lambda summary: -len(summary.rows))
    return [*ordered, Summary("overall", list(rows))]


def print_report(rows: Sequence[Result], seconds: dict[str, float], rejections: int) -> None:
    print(f"{len(rows)} events\n")
    print(HEADER)
    for summary in summaries(rows):
        print(summary.line(seconds.get(summary.name, 0.0)))
    rate = 1 / seconds["overall"]
    print(f"\nthroughput: {rate:,.0f} events/s (normalize_event with detection and redaction)")
    if rejections:
        print_rejections(rows, rejections)


def print_rejections(rows: Sequence[Result], limit: int) -> None:
    reasons = Counter((row.platform, row.rejection) for row in rows if row.rejection)
    print(f"\nmost common rejections with detection ({sum(reasons.values())} in all):")
    for (platform, reason), count in reasons.most_common(limit):
        print(f"  {count:>4}  {platform}: {reason}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA, help="JSONL records")
    parser.add_argument("--rounds", type=int, default=5, help="timed passes for throughput")
    parser.add_argument("--rejections", type=int, default=10, help="list the N commonest")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        parser.error(f"no data file at {args.data}; pass the path to a JSONL file")
    records = list(read_records(args.data))
    if not records:
        parser.error(f"{args.data} holds no records")
    rows = [measure(record) for record in records]
    seconds = timings(records, max(1, args.rounds))
    seconds["overall"] = sum(seconds[row.platform] for row in rows) / len(rows)
    print_report(rows, seconds, args.rejections)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
