"""How many prompt tokens alert compaction saves, and whether the key facts survive it.

Run on demand from the repository root:

    python bench/bench_tokens.py [--data PATH] [--worst N] [--check]

Each line of the data file is a JSON record holding a raw vendor event in "event" and its
source in "platform". For every event this counts tokens (the offline cl100k encoding; never
downloaded) of the raw event as json.dumps sends it and of compact_alert(event).text, then
reports per platform and overall the median and total ratio compact/raw, the share of
events whose actor, action and source IP, as found in the raw event, all appear in the text,
and how the compact tokens split between the fact lines and the event tree.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bot.agent.tokens import OFFLINE_ENCODING, TokenCounter  # noqa: E402
from bot.alerts.compact.text import compact_alert, key_facts  # noqa: E402

DEFAULT_DATA = REPO_ROOT / ".." / "shared" / "data" / "identity-events-dev.jsonl"
KEY_FACTS = ("actor", "action", "source_ip")
EVENT_SECTION = "\nevent:\n"  # where the fact lines end and the event tree begins
TARGET_RATIO = 0.40
SIZE_BUCKETS = (150, 400, 800)  # raw tokens


@dataclass(frozen=True)
class Measurement:
    record_id: str
    platform: str
    raw_tokens: int
    compact_tokens: int
    facts_tokens: int  # of compact_tokens, the fact lines before the event tree
    found: tuple[str, ...]  # key facts the heuristics found in the raw event
    lost: tuple[str, ...]  # of those, the ones missing from the compact text
    action_matches_label: bool

    @property
    def ratio(self) -> float:
        return self.compact_tokens / self.raw_tokens


@dataclass
class Summary:
    name: str
    rows: list[Measurement] = field(default_factory=list)

    def line(self) -> str:
        raw = sum(row.raw_tokens for row in self.rows)
        compact = sum(row.compact_tokens for row in self.rows)
        median = statistics.median(row.ratio for row in self.rows)
        kept = _share(self.rows, lambda row: not row.lost)
        found = [_share(self.rows, lambda row, f=f: f in row.found) for f in KEY_FACTS]
        label = _share(self.rows, lambda row: row.action_matches_label)
        return (
            f"{self.name:<17}{len(self.rows):>5}{raw:>9}{compact:>9}{compact / raw:>8.1%}"
            f"{median:>8.1%}{kept:>8.1%}  "
            + " ".join(f"{share:>6.0%}" for share in found)
            + f"{label:>8.0%}"
        )


HEADER = (
    f"{'platform':<17}{'n':>5}{'raw':>9}{'compact':>9}{'total':>8}{'median':>8}{'facts':>8}"
    f"  {'actor':>6} {'action':>6} {'ip':>6}{'label':>8}\n"
    f"{'':<17}{'':>5}{'tokens':>9}{'tokens':>9}{'ratio':>8}{'ratio':>8}{'kept':>8}"
    f"  {'found':>6} {'found':>6} {'found':>6}{'action':>8}"
)


def _share(rows: Sequence[Measurement], test: Any) -> float:
    return sum(1 for row in rows if test(row)) / len(rows)


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                record = json.loads(line)
                record.setdefault("id", f"line {number}")
                yield record


def measure(record: dict[str, Any], counter: TokenCounter) -> Measurement:
    event = record["event"]
    compact = compact_alert(event)
    facts = key_facts(event)
    found = tuple(name for name in KEY_FACTS if name in facts)
    lost = tuple(name for name in found if _as_text(facts[name]) not in compact.text)
    return Measurement(
        record_id=str(record["id"]),
        platform=str(record.get("platform", "unknown")),
        raw_tokens=counter.count(json.dumps(event)),
        compact_tokens=counter.count(compact.text),
        facts_tokens=counter.count(compact.text.split(EVENT_SECTION, 1)[0]),
        found=found,
        lost=lost,
        action_matches_label=str(facts.get("action")) == str(record.get("action")),
    )


def _as_text(value: Any) -> str:
    """How the compact text spells a value: JSON's true/false, anything else as str()."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


def summaries(rows: Sequence[Measurement]) -> list[Summary]:
    by_platform: dict[str, Summary] = {}
    for row in rows:
        by_platform.setdefault(row.platform, Summary(row.platform)).rows.append(row)
    ordered = sorted(by_platform.values(), key=lambda summary: -len(summary.rows))
    return [*ordered, Summary("overall", list(rows))]


def size_summaries(rows: Sequence[Measurement]) -> list[Summary]:
    """The same figures by raw size: small events have little noise to lose."""
    bounds = [(0, SIZE_BUCKETS[0]), *zip(SIZE_BUCKETS, [*SIZE_BUCKETS[1:], None], strict=True)]
    found = []
    for low, high in bounds:
        name = f"raw {low}-{high - 1}" if high else f"raw {low}+"
        inside = [
            row for row in rows if row.raw_tokens >= low and (not high or row.raw_tokens < high)
        ]
        found.extend([Summary(name, inside)] if inside else [])
    return found


def print_report(rows: Sequence[Measurement], worst: int) -> None:
    print(f"{len(rows)} events, encoding {OFFLINE_ENCODING}\n")
    print(HEADER)
    for summary in summaries(rows):
        print(summary.line())
    print()
    for summary in size_summaries(rows):
        print(summary.line())
    print("\nwhere the compact tokens go, as shares of the raw tokens:")
    for summary in summaries(rows):
        raw = sum(row.raw_tokens for row in summary.rows)
        facts = sum(row.facts_tokens for row in summary.rows)
        event = sum(row.compact_tokens - row.facts_tokens for row in summary.rows)
        print(f"  {summary.name:<17} facts {facts / raw:6.1%}   event {event / raw:6.1%}")
    lost = [row for row in rows if row.lost]
    print(f"\nevents with a key fact missing from the compact text: {len(lost)}")
    for row in lost[:20]:
        print(f"  {row.record_id} ({row.platform}): {', '.join(row.lost)}")
    if worst:
        print(f"\nhighest ratios (least saving), {worst}:")
        for row in sorted(rows, key=lambda row: -row.ratio)[:worst]:
            print(f"  {row.ratio:6.1%} {row.raw_tokens:>5} → {row.compact_tokens:<5} "
                  f"{row.platform} {row.record_id}")  # fmt: skip


def meets_target(rows: Sequence[Measurement]) -> bool:
    total = sum(row.compact_tokens for row in rows) / sum(row.raw_tokens for row in rows)
    return total < TARGET_RATIO and not any(row.lost for row in rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="JSONL of records")
    parser.add_argument("--worst", type=int, default=0, help="list the N least-saving events")
    parser.add_argument(
        "--check", action="store_true", help=f"exit 1 unless total < {TARGET_RATIO:.0%} raw"
    )
    args = parser.parse_args(argv)
    if not args.data.is_file():
        parser.error(f"no data file at {args.data}; pass --data PATH to a JSONL file")
    counter = TokenCounter(OFFLINE_ENCODING)
    rows = [measure(record, counter) for record in read_records(args.data)]
    if not rows:
        parser.error(f"{args.data} holds no records")
    print_report(rows, args.worst)
    return 0 if meets_target(rows) or not args.check else 1


if __name__ == "__main__":
    raise SystemExit(main())
