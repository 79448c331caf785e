"""The few statistics the digest uses, defined once so anyone can recompute them.

- median: the middle value of the sorted values; with an even count, the mean of the two
  middle ones.
- p90: nearest rank. Sort the n values; take the one at position ceil(0.9 × n), counting from
  1. It is always one of the values observed.
- ratio: a ÷ b.

Each returns None when there is nothing to compute from (no values, or b = 0); the digest
shows None as "—".
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def nearest_rank(values: Sequence[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return float(ordered[rank - 1])


def p90(values: Sequence[float]) -> float | None:
    return nearest_rank(values, 0.9)


def ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def seconds(micros: float | None) -> float | None:
    """Microseconds as seconds; None stays None."""
    return None if micros is None else micros / 1_000_000
