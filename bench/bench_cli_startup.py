"""How long `socbot` takes to start, beside `python -c pass` measured in the same run.

    python bench/bench_cli_startup.py [--runs 15] [--source DIR]

Each command runs as a fresh process (the installed console script's interpreter), in a
temp folder with the project's policy.yaml (--source: run the socbot source tree in DIR
instead, e.g. an older commit from `git archive`), rounds interleaved so a busy machine slows every
column alike. Reports the median and the best wall time, and each command's median minus the
bare interpreter's: what socbot itself adds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
COMMANDS: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "socbot --help": [sys.executable, "-m", "bot", "--help"],
    "socbot policy check": [sys.executable, "-m", "bot", "policy", "check"],
    "socbot init --help": [sys.executable, "-m", "bot", "init", "--help"],
}
TARGET_SECONDS = 0.3


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def measure(runs: int, cwd: Path, env: dict[str, str]) -> dict[str, list[float]]:
    commands = {
        name: argv
        for name, argv in COMMANDS.items()
        if not (name.startswith("socbot init") and "PYTHONPATH" in env)  # older trees lack it
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for argv in commands.values():  # one warm-up each: the page cache, .pyc files
        timed(argv, cwd, env)
    for _ in range(runs):
        for name, argv in commands.items():
            times[name].append(timed(argv, cwd, env))
    return times


def report(times: dict[str, list[float]]) -> None:
    bare = statistics.median(times["python -c pass"])
    print(f"{'command':<22}{'median s':>10}{'best s':>10}{'over python':>13}  target")
    for name, samples in times.items():
        median = statistics.median(samples)
        verdict = (
            ""
            if name == "python -c pass"
            else ("ok" if median < TARGET_SECONDS else f"OVER {TARGET_SECONDS}s")
        )
        print(f"{name:<22}{median:>10.3f}{min(samples):>10.3f}{median - bare:>13.3f}  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds (default 15)")
    parser.add_argument("--source", type=Path, help="a socbot source tree to time instead")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.source:
        env["PYTHONPATH"] = str(args.source.resolve())
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(REPO_ROOT / "policy.yaml", Path(tmp) / "policy.yaml")
        report(measure(args.runs, Path(tmp), env))


if __name__ == "__main__":
    main()
