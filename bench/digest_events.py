"""A fortnight of socbot activity as audit rows, for the digest benchmark.

Alerts arrive at random through two ISO weeks; each plays out as the running bot would write
it (bench/digest_scenes.py). Events from overlapping alerts are merged in time order, then
sealed into one valid hash chain, so the digest cannot tell these rows from rows the bot
wrote.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bench.digest_scenes import Scene, alert_story
from bot.audit.event import GENESIS_HASH, event_hash
from bot.canonical import canonical_json


@dataclass(order=True)
class Pending:
    at: datetime
    order: int
    row: dict[str, Any] = field(compare=False)


def activity(
    start: datetime, end: datetime, events: int, seed: int = 7
) -> Iterator[dict[str, Any]]:
    """About `events` sealed audit rows between start and end, oldest first."""
    rng = random.Random(seed)
    alerts = max(1, events // 28)
    arrivals = sorted(start + (end - start) * rng.random() for _ in range(alerts))
    pending: list[Pending] = []
    order, seq, prev_hash = 0, 0, GENESIS_HASH
    for index, arrival in enumerate([*arrivals, None]):
        while pending and (arrival is None or pending[0].at <= arrival) and seq < events:
            item = heapq.heappop(pending)
            seq += 1
            row = seal_row(item.row, item.at, seq, prev_hash)
            prev_hash = row["hash"]
            yield row
        if arrival is None or seq >= events:
            return
        scene = Scene(rng, index, arrival)
        alert_story(scene)
        for at, row in scene.rows:
            order += 1
            heapq.heappush(pending, Pending(at, order, row))


def seal_row(spec: dict[str, Any], at: datetime, seq: int, prev_hash: str) -> dict[str, Any]:
    row = {
        "seq": seq,
        "ts": at,
        "task_id": spec.get("task_id"),
        "kind": spec["kind"],
        "actor": spec["actor"],
        "tool": spec.get("tool"),
        "data": canonical_json(spec["data"]),
        "policy_version": spec.get("policy_version"),
        "prompt_hash": spec.get("prompt_hash"),
        "tool_hash": spec.get("tool_hash"),
        "prev_hash": prev_hash,
    }
    row["hash"] = event_hash(row)
    return row
