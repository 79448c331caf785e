"""Per-call redaction cost and process RSS with 1k/16k/64k live issued secrets, and RSS over
100k credentials issued and retired (64 live at a time).

    PYTHONPATH=. python bench/bench_redaction.py

Each size runs in a fresh process so RSS figures do not carry over. "alert field" is a
120-character user agent line; "tool output" is 2 kB of JSON text; "with secret" plants one
live secret in the tool output. Times are the median of repeated calls.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.redaction import Redactor

FIELD = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) " + (
    "Chrome/124.0 Safari/537.36"
)
OUTPUT = json.dumps(
    {
        "identity": "p-maria-chen",
        "sessions": [{"id": f"s{i}", "ip": f"203.0.113.{i}"} for i in range(40)],
        "note": "listed sessions for the identity",
    }
)[:2000]


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 1e6


def median_us(call: object, text: str, repeat: int = 300) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call(text)  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def one_size(live: int) -> dict[str, float]:
    redactor = Redactor()
    redactor.redact_text("warm the rule set")
    base = rss_mb()
    issued = ["scb_" + secrets.token_urlsafe(32) for _ in range(live)]
    start = time.perf_counter()
    for secret in issued:
        redactor.add_secret(secret)
    add_us = (time.perf_counter() - start) / max(live, 1) * 1e6
    planted = OUTPUT[:1000] + issued[live // 2] + OUTPUT[1000:]
    return {
        "live": live,
        "add_us": add_us,
        "field_us": median_us(redactor.redact_text, FIELD),
        "output_us": median_us(redactor.redact_text, OUTPUT),
        "secret_us": median_us(redactor.redact_text, planted),
        "rss_growth_mb": rss_mb() - base,
    }


def churn(total: int, live: int) -> dict[str, float]:
    redactor = Redactor()
    window: list[str] = []
    start_rss, marks = rss_mb(), {}
    for index in range(total):
        secret = "scb_" + secrets.token_urlsafe(32)
        redactor.add_secret(secret)
        window.append(secret)
        if len(window) > live:
            redactor.discard_secret(window.pop(0))
        if (index + 1) % (total // 4) == 0:
            marks[f"rss_after_{index + 1}"] = rss_mb() - start_rss
    return {"total": total, "live": live, **marks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--churn", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one_size(args.one)))
        return
    if args.churn:
        print(json.dumps(churn(100_000, 64)))
        return
    print(
        "| live secrets | add (us) | alert field (us) | tool output (us) | with secret (us) "
        "| RSS growth (MB) |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for live in (1_000, 16_000, 64_000):
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(live)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out)
        print(
            f"| {live:,} | {r['add_us']:.1f} | {r['field_us']:.1f} | {r['output_us']:.1f} "
            f"| {r['secret_us']:.1f} | {r['rss_growth_mb']:.1f} |"
        )
    out = subprocess.run(
        [sys.executable, __file__, "--churn"], check=True, capture_output=True, text=True
    ).stdout
    print("churn (RSS growth in MB over 100k issued, 64 live):", out.strip())


if __name__ == "__main__":
    main()
