"""The benchmark's 40-tool policy: decide() stays fast on it, and Cedar agrees with it."""

from __future__ import annotations

import importlib.util
import random
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from bot.policy import decide

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_policy.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_policy", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_policy"] = module
    spec.loader.exec_module(module)
    return module


def test_median_decision_on_a_40_tool_policy_is_well_under_50_microseconds(
    bench: ModuleType,
) -> None:
    data = bench.generate_policy(40)
    policy = bench.load_policy_text(bench.yaml.safe_dump(data))
    calls = bench.sample_calls(data, 3000, random.Random(1))
    timings = []
    for call in calls:
        start = time.perf_counter_ns()
        decide(policy, call)
        timings.append(time.perf_counter_ns() - start)

    assert statistics.median(timings) < 25_000


def test_cedar_reaches_the_same_outcomes_on_the_generated_policy(bench: ModuleType) -> None:
    pytest.importorskip("cedarpy")
    data = bench.generate_policy(40)
    calls = bench.sample_calls(data, 600, random.Random(2))

    outcomes = bench.check_agreement(bench.Engines(data), calls)

    assert {"run", "recommend", "require_approval"} <= set(outcomes)
    assert {"deny: undeclared", "deny: constraints", "deny: protected target"} <= set(outcomes)
