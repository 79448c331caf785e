"""Figures for bench_soak.py: latency per minute, recovery after a fault, the printed report."""

from __future__ import annotations

import statistics
from typing import Any

from soak_load import Fault, Sample, Sent


def latency_by_minute(results: list[Sent]) -> list[dict[str, Any]]:
    if not results:
        return []
    start = min(r.at for r in results)
    minutes: dict[int, list[Sent]] = {}
    for result in results:
        minutes.setdefault(int((result.at - start) // 60), []).append(result)
    rows = []
    for minute, sent in sorted(minutes.items()):
        ms = sorted(r.latency * 1000 for r in sent)
        rows.append(
            {
                "minute": minute,
                "answered": len(sent),
                "not_202": sum(r.status != 202 for r in sent),
                "retried": sum(r.attempts > 1 for r in sent),
                "p50_ms": round(statistics.median(ms), 1),
                "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1),
                "max_ms": round(ms[-1], 1),
            }
        )
    return rows


def recovery_seconds(samples: list[Sample], fault: Fault) -> float | None:
    """Seconds after the fault ended until the triage backlog was back to its level before
    the fault (its median then, plus a little); None if it never got back."""
    before = [s.backlog for s in samples if s.at < fault.start and s.backlog >= 0]
    level = (statistics.median(before) if before else 0) + 5
    ended = fault.start + fault.seconds
    for sample in samples:
        if sample.at >= ended and 0 <= sample.backlog <= level:
            return round(sample.at - ended, 1)
    return None


def print_report(report: dict[str, Any]) -> None:
    print(f"soak: {report['settings']}")
    drained, retries = report["drained"], report["retries"]
    print(f"ran {report['seconds']} s; drained: {drained}; sender retries: {retries}")
    samples = report["samples"]
    step = max(1, len(samples) // 12)
    print("\n   t(s)  RSS MiB   fds  backlog")
    for sample in samples[::step] + samples[-1:]:
        at, rss, fds, backlog = (sample[k] for k in ("at", "rss_mib", "fds", "backlog"))
        print(f"{at:7.0f} {rss:8.1f} {fds:5d} {backlog:8d}")
    print("\nminute answered not_202 retried  p50 ms   p99 ms   max ms")
    for row in report["latency_by_minute"]:
        print(
            f"{row['minute']:6d} {row['answered']:8d} {row['not_202']:7d} {row['retried']:7d} "
            f"{row['p50_ms']:7.1f} {row['p99_ms']:8.1f} {row['max_ms']:8.1f}"
        )
    for fault in report["faults"]:
        print(
            f"fault {fault['kind']} at {fault['start']:.0f} s for {fault['seconds']:.0f} s: "
            f"backlog back to normal {fault['recovery_seconds']} s after it ended"
        )
    print(f"\nSlack calls: {report['slack_calls']}")
    print(f"serve log: {report['serve_log']}")
    print()
    for name, (ok, detail) in report["checks"].items():
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
