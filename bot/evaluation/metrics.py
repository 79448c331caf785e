"""Confusion matrices and the figures read off them, overall and per platform."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

POSITIVE_VERDICTS = frozenset({"malicious", "suspicious"})


def is_positive(verdict: str) -> bool:
    """A verdict that tells an analyst to act counts as saying "a rule should fire"."""
    return verdict in POSITIVE_VERDICTS


@dataclass
class Confusion:
    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)

    def add(self, *, label: bool, verdict: str) -> None:
        predicted = is_positive(verdict)
        if label and predicted:
            self.tp += 1
        elif label:
            self.fn += 1
        elif predicted:
            self.fp += 1
        else:
            self.tn += 1
        self.verdicts[verdict] = self.verdicts.get(verdict, 0) + 1

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.tn + self.fn

    @property
    def recall(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def specificity(self) -> float | None:
        return _ratio(self.tn, self.tn + self.fp)

    @property
    def precision(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def balanced_accuracy(self) -> float | None:
        """The mean of recall and specificity; with one class only, that class's rate."""
        rates = [rate for rate in (self.recall, self.specificity) if rate is not None]
        return sum(rates) / len(rates) if rates else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": self.total,
            "tp": self.tp,
            "fp": self.fp,
            "tn": self.tn,
            "fn": self.fn,
            "balanced_accuracy": _rounded(self.balanced_accuracy),
            "precision": _rounded(self.precision),
            "recall": _rounded(self.recall),
            "specificity": _rounded(self.specificity),
            "verdicts": dict(sorted(self.verdicts.items())),
        }


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@dataclass
class Scoreboard:
    """One confusion matrix per platform and one over everything."""

    overall: Confusion = field(default_factory=Confusion)
    platforms: dict[str, Confusion] = field(default_factory=dict)

    def add(self, platform: str, *, label: bool, verdict: str) -> None:
        self.overall.add(label=label, verdict=verdict)
        self.platforms.setdefault(platform, Confusion()).add(label=label, verdict=verdict)

    def rows(self) -> Iterable[tuple[str, Confusion]]:
        yield from sorted(self.platforms.items())
        yield "overall", self.overall

    def as_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.as_dict(),
            "platforms": {name: c.as_dict() for name, c in sorted(self.platforms.items())},
        }


def format_table(board: Scoreboard) -> str:
    headers = ("platform", "events", "tp", "fp", "tn", "fn", "bal_acc", "precision", "recall")
    rows = [
        (
            name,
            c.total,
            c.tp,
            c.fp,
            c.tn,
            c.fn,
            _shown(c.balanced_accuracy),
            _shown(c.precision),
            _shown(c.recall),
        )
        for name, c in board.rows()
    ]
    widths = [max(len(str(v)) for v in column) for column in zip(headers, *rows, strict=True)]
    lines = [
        "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
        for row in (headers, *rows)
    ]
    return "\n".join(lines)


def _shown(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
