"""socbot's policy gate against Cedar (cedarpy) on the same 40-tool policy and calls.

    python bench/bench_policy.py [--tools 40] [--calls 200000] [--sample 4000] [--batch 100]

Builds a policy.yaml with mixed modes, argument constraints and protected targets, writes the
closest Cedar policy set (one permit per declared tool, forbids for constraints and protected
targets, tool classes as entity parents), checks both engines agree on every sampled call,
then times each engine per decision. Cedar cannot measure string lengths or quantify over a
set, so the request carries argument lengths and up to four alias slots.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.policy import Policy, ToolCall, decide, load_policy_text
from bot.policy.model import OUTCOME_OF_MODE

MODES = ("read_only", "recommend", "execute_with_approval")
GLOBAL_GLOBS = ("break-glass-*", "break-glass-*@lab.example", "arn:aws:iam::*:user/break-glass-*")
CONSTRAINTS: dict[str, dict[str, Any]] = {
    "hours": {"minimum": 1, "maximum": 168},
    "limit": {"maximum": 500},
    "reason": {"minLength": 10, "maxLength": 200},
    "severity": {"enum": ["low", "medium", "high"]},
}
VALID_ARGS: dict[str, Any] = {"hours": 24, "limit": 50, "reason": "new device", "severity": "high"}
BROKEN_ARGS: dict[str, Any] = {"hours": 500, "limit": 9000, "reason": "bad", "severity": "urgent"}
ALIAS_SLOTS = 4
DEFAULTS = {"credential_ttl_seconds": 300, "approval_expiry_minutes": 30, "quorum": 1}
DEFAULTS["containment_sla_hours"] = 4
UNDECLARED = ("delete_identity", "wipe_device", "grant_admin", "export_audit")


def tool_rule(index: int) -> dict[str, Any]:
    mode = MODES[index % 3]
    rule: dict[str, Any] = {"mode": mode, "scopes": [f"scope{index}:use"], "ttl_seconds": 120}
    if mode == "execute_with_approval":
        rule.update(approvers={"groups": ["admins"]}, quorum=1 + index % 2)
    if index % 2 == 0:
        fields = list(CONSTRAINTS)[index % 4 :] + list(CONSTRAINTS)[: index % 4]
        rule["constraints"] = {"properties": {f: CONSTRAINTS[f] for f in fields[: 1 + index % 3]}}
    if index % 5 == 0:
        rule["protected_targets"] = [f"vip-{index}-*", "*@board.example"]
    return rule


def generate_policy(tools: int) -> dict[str, Any]:
    return {
        "policy_format": 1,
        "defaults": DEFAULTS,
        "task_limits": {"model_turns": 12, "tool_calls": 30, "tokens": 40000, "seconds": 180},
        "approver_groups": {"admins": {"users": ["U0ADMIN1", "U0ADMIN2"], "usergroups": ["S0OPS"]}},
        "protected_targets": list(GLOBAL_GLOBS),
        "tools": {f"tool_{i:02d}": tool_rule(i) for i in range(tools)},
    }


# --- Cedar ----------------------------------------------------------------------------------


def cedar_glob(glob: str) -> str:
    if any(c in glob for c in "?[]"):
        raise ValueError(f"Cedar `like` has only `*`: cannot express {glob!r}")
    return json.dumps(glob)


def alias_clause(globs: Iterable[str]) -> str:
    tests = [
        f"(context.aliases has a{slot} && context.aliases.a{slot} like {cedar_glob(glob)})"
        for glob in globs
        for slot in range(ALIAS_SLOTS)
    ]
    return " || ".join(tests)


def constraint_clause(field: str, keyword: str, value: Any) -> str:
    arg, length = f"context.args.{field}", f"context.lengths.{field}"
    present = f"context.args has {field}"
    if keyword == "enum":
        options = ", ".join(json.dumps(option) for option in value)
        return f"({present} && !([{options}].contains({arg})))"
    checks = {
        "maximum": f"{arg} > {value}",
        "minimum": f"{arg} < {value}",
        "exclusiveMaximum": f"{arg} >= {value}",
        "exclusiveMinimum": f"{arg} <= {value}",
        "maxLength": f"{length} > {value}",
        "minLength": f"{length} < {value}",
    }
    if keyword not in checks:
        raise ValueError(f"no Cedar form for the JSON Schema keyword {keyword!r}")
    return f"({present} && {checks[keyword]})"


def cedar_tool_policies(name: str, rule: Mapping[str, Any]) -> list[str]:
    tool = f"Tool::{json.dumps(name)}"
    scope = f'principal, action == Action::"call", resource == {tool}'
    policies = [f'@id("tools.{name}")\npermit ({scope});']
    properties = (rule.get("constraints") or {}).get("properties", {})
    clauses = [
        constraint_clause(field, keyword, value)
        for field, keywords in properties.items()
        for keyword, value in keywords.items()
    ]
    if clauses:
        body = " || ".join(clauses)
        policies.append(f'@id("tools.{name}.constraints")\nforbid ({scope}) when {{ {body} }};')
    if rule["mode"] != "read_only":
        for i, glob in enumerate(rule.get("protected_targets", ())):
            label = f"tools.{name}.protected_targets[{i}]"
            when = alias_clause([glob])
            policies.append(f'@id("{label}")\nforbid ({scope}) when {{ {when} }};')
    return policies


def cedar_policy_text(data: Mapping[str, Any]) -> str:
    acting = 'principal, action == Action::"call", resource in ToolClass::"acting"'
    policies = [
        f'@id("protected_targets[{i}]")\nforbid ({acting}) when {{ {alias_clause([glob])} }};'
        for i, glob in enumerate(data.get("protected_targets", ()))
    ]
    for name, rule in data["tools"].items():
        policies += cedar_tool_policies(name, rule)
    return "\n\n".join(policies)


def cedar_entities(data: Mapping[str, Any]) -> str:
    def entity(name: str, rule: Mapping[str, Any]) -> dict[str, Any]:
        acting = rule["mode"] != "read_only"
        parents = [{"type": "ToolClass", "id": "acting"}] if acting else []
        return {"uid": {"type": "Tool", "id": name}, "attrs": {}, "parents": parents}

    return json.dumps([entity(name, rule) for name, rule in data["tools"].items()])


def cedar_request(call: ToolCall) -> dict[str, Any]:
    """A ToolCall as Cedar sees it: lengths precomputed, aliases in fixed slots."""
    if len(call.target_aliases) > ALIAS_SLOTS:
        raise ValueError(f"more than {ALIAS_SLOTS} aliases do not fit the Cedar request")
    lengths = {key: len(value) for key, value in call.args.items() if isinstance(value, str)}
    aliases = {f"a{i}": alias for i, alias in enumerate(sorted(call.target_aliases))}
    return {
        "principal": {"type": "Actor", "id": call.actor},
        "action": {"type": "Action", "id": "call"},
        "resource": {"type": "Tool", "id": call.tool},
        "context": {"args": dict(call.args), "lengths": lengths, "aliases": aliases},
    }


def cedar_outcome(result: Any, outcome_of_rule: Mapping[str, str]) -> tuple[str, frozenset[str]]:
    rules = frozenset(result.diagnostics.id_annotations_by_reason.values())
    if result.allowed:
        return outcome_of_rule[next(iter(rules))], rules
    return "deny", rules or frozenset({"undeclared"})


# --- calls ------------------------------------------------------------------------------------


def sample_calls(data: Mapping[str, Any], count: int, rng: random.Random) -> list[ToolCall]:
    names = [*data["tools"], *UNDECLARED]
    return [one_call(data, rng.choice(names), rng) for _ in range(count)]


def one_call(data: Mapping[str, Any], tool: str, rng: random.Random) -> ToolCall:
    rule = data["tools"].get(tool, {})
    fields = list((rule.get("constraints") or {}).get("properties", {}))
    args: dict[str, Any] = {"identity": f"user{rng.randrange(1000)}@lab.example"}
    args.update({field: VALID_ARGS[field] for field in fields})
    if fields and rng.random() < 0.2:
        broken = rng.choice(fields)
        args[broken] = BROKEN_ARGS[broken]
    return ToolCall(tool, args, target_aliases(rule, rng), f"U0ANALYST{rng.randrange(5)}")


def target_aliases(rule: Mapping[str, Any], rng: random.Random) -> frozenset[str]:
    person = rng.choice(["alice", "bob", "break-glass-root", "carol"])
    if rule.get("protected_targets") and rng.random() < 0.3:
        person = rule["protected_targets"][0].replace("*", "ceo")
    spellings = [person, f"{person}@lab.example", f"arn:aws:iam::123456789012:user/{person}"]
    slack_id = [f"u0{person}"] if rng.random() < 0.5 else []
    return frozenset(spellings[: rng.randint(0, 3)] + slack_id)


# --- measuring ------------------------------------------------------------------------------


def time_each(run: Callable[[Any], Any], items: list[Any]) -> list[int]:
    clock, samples = time.perf_counter_ns, []
    gc.collect()
    for item in items:
        start = clock()
        run(item)
        samples.append(clock() - start)
    return samples


def time_batches(run: Callable[[list[Any]], Any], items: list[Any], batch: int) -> list[float]:
    clock, samples = time.perf_counter_ns, []
    gc.collect()
    for start in range(0, len(items), batch):
        chunk = items[start : start + batch]
        begin = clock()
        run(chunk)
        samples.append((clock() - begin) / len(chunk))
    return samples


def percentile(samples: list[float] | list[int], fraction: float) -> float:
    ordered = sorted(samples)
    return float(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))])


Row = tuple[str, float, float, float]  # name, median, p99, mean in µs


def summary(name: str, samples: list[float] | list[int]) -> Row:
    median, p99, mean = (
        statistics.median(samples),
        percentile(samples, 0.99),
        statistics.fmean(samples),
    )
    return name, median / 1000, p99 / 1000, mean / 1000


def print_table(rows: list[Row], baseline: float) -> None:
    print(f"{'engine':<52}{'median µs':>11}{'p99 µs':>10}{'mean µs':>10}{'× socbot':>10}")
    for name, median, p99, mean in rows:
        print(f"{name:<52}{median:>11.2f}{p99:>10.2f}{mean:>10.2f}{median / baseline:>10.1f}")


# --- running --------------------------------------------------------------------------------


class Engines:
    """Both engines loaded from the same generated policy data."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        import cedarpy

        self.cedarpy = cedarpy
        self.policy: Policy = load_policy_text(yaml.safe_dump(data), source="<bench>")
        self.policy_set = cedarpy.PolicySet.from_str(cedar_policy_text(data))
        self.entities = cedarpy.Entities.from_json_str(cedar_entities(data))
        self.outcome_of_rule = {
            f"tools.{name}": OUTCOME_OF_MODE[rule["mode"]] for name, rule in data["tools"].items()
        }

    def cedar_one(self, request: dict[str, Any]) -> tuple[str, frozenset[str]]:
        result = self.cedarpy.is_authorized(request, self.policy_set, self.entities)
        return cedar_outcome(result, self.outcome_of_rule)

    def cedar_batch(self, requests: list[dict[str, Any]]) -> list[tuple[str, frozenset[str]]]:
        results = self.cedarpy.is_authorized_batch(requests, self.policy_set, self.entities)
        return [cedar_outcome(result, self.outcome_of_rule) for result in results]


def check_agreement(engines: Engines, calls: list[ToolCall]) -> Counter[str]:
    """Same outcome for every call, and socbot's deciding rule among those Cedar names."""
    requests = [cedar_request(call) for call in calls]
    results = engines.cedarpy.is_authorized_batch(requests, engines.policy_set, engines.entities)
    outcomes: Counter[str] = Counter()
    for call, result in zip(calls, results, strict=True):
        ours = decide(engines.policy, call)
        theirs, rules = cedar_outcome(result, engines.outcome_of_rule)
        # Not `assert`: python -O must not turn the agreement check off.
        if result.diagnostics.errors or ours.outcome != theirs or ours.rule not in rules:
            raise AssertionError(f"engines disagree on {call}: {ours} vs {theirs} {rules}")
        outcomes[ours.outcome if ours.outcome != "deny" else f"deny: {kind(ours.rule)}"] += 1
    return outcomes


def kind(rule: str) -> str:
    if rule == "undeclared":
        return "undeclared"
    return "constraints" if rule.endswith(".constraints") else "protected target"


def measure(engines: Engines, calls: list[ToolCall], batch: int) -> list[Row]:
    policy, requests = engines.policy, [cedar_request(call) for call in calls]
    rows = [summary("socbot decide(), per call", time_each(lambda c: decide(policy, c), calls))]
    translate = time_each(cedar_request, calls)
    rows.append(summary("ToolCall → Cedar request (Python), per call", translate))
    rows.append(summary("cedarpy is_authorized, per call", time_each(engines.cedar_one, requests)))
    label = f"cedarpy is_authorized_batch({batch}), per call"
    rows.append(summary(label, time_batches(engines.cedar_batch, requests, batch)))
    return rows


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tools", type=int, default=40, help="tools in the generated policy")
    parser.add_argument("--calls", type=int, default=200_000, help="decisions timed per engine")
    parser.add_argument("--sample", type=int, default=4000, help="distinct calls, all compared")
    parser.add_argument("--batch", type=int, default=100, help="requests per is_authorized_batch")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    rng = random.Random(args.seed)
    data = generate_policy(args.tools)
    engines = Engines(data)
    sample = sample_calls(data, args.sample, rng)
    outcomes = check_agreement(engines, sample)
    print(f"{args.tools} tools; {args.sample} distinct calls, both engines agree on all of them:")
    for outcome, count in sorted(outcomes.items()):
        print(f"  {outcome:<26}{count / args.sample:>7.1%}")
    calls = [sample[i % len(sample)] for i in range(args.calls)]
    rows = measure(engines, calls, args.batch)
    print(f"\n{args.calls} decisions per engine, Python {sys.version.split()[0]}")
    print_table(rows, baseline=rows[0][1])


if __name__ == "__main__":
    main()
