"""Pull the facts a triage starts from out of flattened alert leaves, for any vendor.

Each fact is found by key-name heuristics: a rule names the keys that may hold it (most
telling first), the containers it must or must not sit in, and what its value must look like.
A leaf serves one fact at most: the single facts claim first (actor, then SCALAR_RULES in
order), then the lists in _MULTI_FINDERS order, so the actor's e-mail is not also counted as
a target. Vendor normalizers come later; these rules are their fallback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.alerts.compact.facts_rules import (
    ACTOR_RULES,
    CHANGE_CONTEXTS,
    GEO_KEYS,
    MULTI_RULES,
    PLACE_KEYS,
    SCALAR_RULES,
    TARGET_CONTEXTS,
    TARGET_IDENTITY_KEYS,
)
from bot.alerts.compact.flatten import Leaf, Value
from bot.alerts.compact.match import Rule, is_scalar_text, is_text, key_rank
from bot.alerts.compact.prune import normalize_key
from bot.alerts.compact.timestamps import iso_utc, parse_time

LIST_FACTS = ("mfa", "risk", "roles", "groups", "scopes", "permissions")


@dataclass(frozen=True)
class FactItem:
    leaf: int  # index into the leaves
    key: str
    value: Value


@dataclass(frozen=True)
class Fact:
    name: str
    items: tuple[FactItem, ...]
    scalar: bool


def find_facts(leaves: Sequence[Leaf]) -> list[Fact]:
    """Every fact found, in the order a triage reads them: who, what, where, how, to what."""
    claimed: set[int] = set()
    facts: list[Fact] = []
    for name, rules in (("actor", ACTOR_RULES), *SCALAR_RULES.items()):
        index = _pick(leaves, rules, claimed)
        if index is not None:
            claimed.add(index)
            item = FactItem(index, leaves[index].key, _fact_value(name, leaves[index].value))
            facts.append(Fact(name, (item,), scalar=True))
    for name, finder in _MULTI_FINDERS.items():
        items = finder(leaves, claimed)
        claimed.update(item.leaf for item in items)
        if items:
            facts.append(Fact(name, tuple(items), scalar=False))
    return facts


def _pick(leaves: Sequence[Leaf], rules: Sequence[Rule], claimed: set[int]) -> int | None:
    """The first rule that matches anything decides; within it, key rank, depth, order."""
    for rule in rules:
        ranked = [
            (leaf.depth, rank, index) if rule.shallow_first else (rank, leaf.depth, index)
            for index, leaf in enumerate(leaves)
            if index not in claimed and (rank := rule.rank(leaf)) is not None
        ]
        if ranked:
            return min(ranked)[2]
    return None


def _fact_value(name: str, value: Value) -> Value:
    """The event time in one ISO 8601 UTC form; everything else stays as sent."""
    moment = parse_time(value, numbers=True) if name == "time" else None
    return value if moment is None else iso_utc(moment)


def _matching(
    predicate: Callable[[Leaf], bool],
) -> Callable[[Sequence[Leaf], set[int]], list[FactItem]]:
    def find(leaves: Sequence[Leaf], claimed: set[int]) -> list[FactItem]:
        return [
            FactItem(index, leaf.key, leaf.value)
            for index, leaf in enumerate(leaves)
            if index not in claimed and predicate(leaf)
        ]

    return find


def _geo(leaves: Sequence[Leaf], claimed: set[int]) -> list[FactItem]:
    """City, state and country of the first place named, taken from one container only.

    A container counts as a place only if it names a city or a country: a lone "state" is
    as often a policy's state ("enabled") as a region.
    """
    places: dict[tuple[object, ...], list[FactItem]] = {}
    for index, leaf in enumerate(leaves):
        key = normalize_key(leaf.key)
        if index in claimed or key not in GEO_KEYS or not is_scalar_text(leaf.value):
            continue
        if not set(leaf.ancestors) & CHANGE_CONTEXTS:
            places.setdefault(leaf.path[:-1], []).append(FactItem(index, leaf.key, leaf.value))
    return next((items for items in places.values() if _names_a_place(items)), [])


def _names_a_place(items: list[FactItem]) -> bool:
    return any(normalize_key(item.key) in PLACE_KEYS for item in items)


def _targets(leaves: Sequence[Leaf], claimed: set[int]) -> list[FactItem]:
    """One name per target container (its most telling identity key), and every standalone
    target field (`targetUserName`, a request's `userName`)."""
    best: dict[tuple[object, ...], tuple[int, FactItem]] = {}
    for index, leaf in enumerate(leaves):
        rank = _rank_in_target_container(leaf)
        if rank is not None:
            holder = leaf.path[:-1]
        elif MULTI_RULES["targets"](leaf):
            rank, holder = 0, leaf.path
        else:
            continue
        current = best.get(holder)
        if index not in claimed and (current is None or rank < current[0]):
            best[holder] = (rank, FactItem(index, leaf.key, leaf.value))
    return sorted((item for _, item in best.values()), key=lambda item: item.leaf)


def _rank_in_target_container(leaf: Leaf) -> int | None:
    ancestors = set(leaf.ancestors)
    if not ancestors & TARGET_CONTEXTS or ancestors & CHANGE_CONTEXTS or not is_text(leaf.value):
        return None
    return key_rank(TARGET_IDENTITY_KEYS, normalize_key(leaf.key))


# Resources are the catch-all, so they come last: every more specific list claims first.
_MULTI_FINDERS: dict[str, Callable[[Sequence[Leaf], set[int]], list[FactItem]]] = {
    "geo": _geo,
    **{name: _matching(MULTI_RULES[name]) for name in LIST_FACTS},
    "targets": _targets,
    "resources": _matching(MULTI_RULES["resources"]),
}
