"""What every rule gives the redactor: spans of text to replace, each with a label."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

Span = tuple[int, int, str]  # start, end, label

# Where a token may start: at a word boundary, or right after an escaped newline or tab, as
# in JSON or log text that quotes other text ("…\\nxoxb-…" holds a token, not "nxoxb-").
WORD_START = r"(?:\b|(?<=\\[nrt]))"


class Rule(Protocol):
    @property
    def label(self) -> str: ...

    @property
    def needs(self) -> tuple[str, ...]: ...

    def spans(self, text: str) -> Iterator[Span]: ...


def shannon_entropy(text: str) -> float:
    """Bits per character: how random text looks (gitleaks' measure, so its thresholds hold)."""
    if not text:
        return 0.0
    counts, length = Counter(text), len(text)
    return -sum(count / length * math.log2(count / length) for count in counts.values())


@dataclass(frozen=True)
class RegexRule:
    """A regex for one kind of secret. Named groups mark the secret part; else the whole match.

    `check`, when given, must accept the secret part: for formats whose shape alone is too
    common (a `Basic` header must decode to user:password).
    """

    label: str
    regex: re.Pattern[str]
    check: Callable[[str], bool] | None = None
    needs: tuple[str, ...] = ()  # lowercase words the text must hold for the regex to run

    def spans(self, text: str) -> Iterator[Span]:
        for match in self.regex.finditer(text):
            named = [name for name, value in match.groupdict().items() if value is not None]
            for start, end in [(match.start(n), match.end(n)) for n in named] or [match.span()]:
                if self.check is None or self.check(text[start:end]):
                    yield start, end, self.label
