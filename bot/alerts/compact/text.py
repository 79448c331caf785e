"""Compact a raw identity alert of any vendor into token-cheap text for the triage prompt.

    event ─▶ redact secrets ─▶ prune (nulls, empties, noise keys, JSON-in-strings, long
    strings and lists cut with a note) ─▶ flatten to leaves ─▶ facts (actor, action, outcome,
    source IP …) ─▶ drop filler and values said elsewhere (compact_body, compact_filler) ─▶
    fact lines, then the event as an indented tree (compact_render)

The text opens with the facts, each leaf it came from taken out of the event lines below,
so nothing is said twice; only a list fact's leaf inside a list item (one target among
several) stays in its item too, to keep the item whole, and only while the item has more to
say. Every cut is listed in `dropped`. No rule here names a vendor; per-vendor normalizers
come on top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.alerts.compact.body import body_leaves
from bot.alerts.compact.facts import Fact, find_facts
from bot.alerts.compact.flatten import Leaf, Path, Value, flatten, render_path
from bot.alerts.compact.prune import Pruner
from bot.alerts.compact.render import KEYED_FACTS, fact_value, render_alert, spread
from bot.alerts.compact.timestamps import parse_time
from bot.errors import AlertError


@dataclass(frozen=True)
class CompactAlert:
    text: str  # for the prompt's data block
    facts: dict[str, Any]  # JSON-ready: actor, action, outcome, source_ip, targets …
    dropped: list[str]  # dotted paths removed as noise or as repeats of another field


def compact_alert(event: Mapping[str, Any]) -> CompactAlert:
    """The alert as compact text plus its facts. Secrets are redacted before anything else."""
    if not isinstance(event, Mapping):
        raise AlertError(
            f"an alert must be a JSON object, got {type(event).__name__}; send the vendor event"
        )
    pruner = Pruner()
    tree, prefix = _unwrapped(pruner.prune(_redacted(event)))
    leaves = flatten(tree)
    facts = find_facts(leaves)
    fact_leaves = {item.leaf: fact for fact in facts for item in fact.items}
    consumed = {index for index, fact in fact_leaves.items() if _consumes(fact, leaves[index])}
    item_facts = set(fact_leaves) - consumed
    body, repeats = body_leaves(leaves, consumed, item_facts, _event_time(facts))
    dropped = [*pruner.dropped, *((*prefix, *path) for path in repeats)]
    return CompactAlert(
        text=render_alert(facts, leaves, body),
        facts=facts_as_dict(facts),
        dropped=[render_path(path) for path in dropped],
    )


def _consumes(fact: Fact, leaf: Leaf) -> bool:
    """Whether a fact takes its leaf out of the event lines. A list item keeps its part of a
    list fact (a target's name), so the item still reads whole; a single fact says enough."""
    return fact.scalar or fact.name == "geo" or not leaf.list_context


def key_facts(event: Mapping[str, Any]) -> dict[str, Any]:
    """The facts as the raw event holds them: not redacted, nothing cut. For checks and tests."""
    tree, _ = _unwrapped(Pruner(caps=False).prune(event))
    return facts_as_dict(find_facts(flatten(tree)))


def _event_time(facts: Sequence[Fact]) -> datetime | None:
    value = next((fact.items[0].value for fact in facts if fact.name == "time"), None)
    return parse_time(value)


def _redacted(event: Mapping[str, Any]) -> Any:
    # Imported here, not at the top: redaction is its own part, and compaction must refuse
    # to run without it rather than let a secret reach the prompt.
    try:
        from bot.redaction import default_redactor
    except ImportError as exc:
        raise AlertError(
            "secret redaction (bot.redaction) is not available, so the alert cannot be shown"
            " to the model; install the complete socbot package"
        ) from exc
    try:
        return default_redactor().redact(dict(event))
    except RecursionError as exc:
        raise AlertError("the alert is nested too deeply to read; send the vendor event") from exc


def _unwrapped(tree: Any) -> tuple[Any, Path]:
    """{"data": {…}} → {…}: a lone wrapper key adds a step to every path and says nothing."""
    prefix: Path = ()
    while isinstance(tree, dict) and len(tree) == 1:
        ((key, inner),) = tree.items()
        if not isinstance(inner, dict):
            break
        tree, prefix = inner, (*prefix, key)
    return tree, prefix


def facts_as_dict(facts: Sequence[Fact]) -> dict[str, Any]:
    """Scalars as sent; geo as one place name; mfa and risk by key; the rest as value lists."""
    result: dict[str, Any] = {}
    for fact in facts:
        if fact.scalar or fact.name == "geo":
            result[fact.name] = _json_ready(fact_value(fact))
        elif fact.name in KEYED_FACTS:
            result[fact.name] = {item.key: _json_ready(item.value) for item in fact.items}
        else:
            result[fact.name] = [_json_ready(value) for value in _values(fact)]
    return result


def _values(fact: Fact) -> list[Value]:
    """Every value once, a scalar list counted item by item."""
    values: list[Value] = []
    for item in fact.items:
        values.extend(value for value in spread(item.value) if value not in values)
    return values


def _json_ready(value: Value) -> Any:
    return list(value) if isinstance(value, tuple) else value
