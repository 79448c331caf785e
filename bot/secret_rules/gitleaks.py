"""gitleaks' rule set, run the way gitleaks runs it: keywords pick the rules worth trying, the
regex finds a candidate, its secret group must clear the rule's entropy, and allowlists (the
rule's and the global one) spare known non-secrets. Paths and commits do not apply here.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import ahocorasick

from bot.secret_rules.base import WORD_START, Span, shannon_entropy
from bot.secret_rules.go_regex import to_python

# Rules socbot turns off, with why. Access key ids are identifiers: analysts read them and
# the key tools take them as arguments; the secret key beside them is what is redacted.
DISABLED: Mapping[str, str] = {
    "aws-access-token": "AKIA/ASIA key ids are identifiers socbot's tools act on, not secrets",
    "pkcs12-file": "matches file paths, and socbot redacts text",
}

# What socbot allows beyond gitleaks' own lists, measured on alert text: alerts are full of
# UUID ids (KeyStoreId, requestId …) where the generic rule expects a key, and of ARNs whose
# `:secret:name` names a secret without holding one.
EXTRA_ALLOWED: Mapping[str, tuple[Mapping[str, Any], ...]] = {
    "generic-api-key": (
        {"regexes": [r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"]},
        {"regexTarget": "match", "regexes": [r"(?i)^secret:[\w/+=.@-]+$"]},
    ),
}


@dataclass(frozen=True)
class Allowlist:
    regexes: tuple[re.Pattern[str], ...]
    target: str  # "secret", "match" or "line": what the regexes are tried on
    stopwords: tuple[str, ...]
    require_all: bool
    needs_paths: bool  # an AND list that also names paths can never hold outside a repo

    @classmethod
    def of(cls, spec: Mapping[str, Any]) -> Allowlist:
        return cls(
            tuple(_compile(pattern) for pattern in spec.get("regexes", ())),
            spec.get("regexTarget", "secret"),
            tuple(word.lower() for word in spec.get("stopwords", ())),
            spec.get("condition", "OR").upper() == "AND",
            bool(spec.get("paths")),
        )

    def allows(self, secret: str, match: str, line: str) -> bool:
        checks: list[bool] = []
        if self.regexes:
            target = {"match": match, "line": line}.get(self.target, secret)
            checks.append(any(regex.search(target) for regex in self.regexes))
        if self.stopwords:
            lowered = secret.lower()
            checks.append(any(word in lowered for word in self.stopwords))
        if not checks:
            return False
        if self.require_all:
            return not self.needs_paths and all(checks)
        return any(checks)


@dataclass(frozen=True, eq=False)  # hashed by identity: rules go in sets
class GitleaksRule:
    label: str
    regex: re.Pattern[str]
    keywords: tuple[str, ...]
    secret_group: int
    entropy: float
    allowlists: tuple[Allowlist, ...]
    lead: int = 0  # how many [\w.-] the dropped lazy lead could take before the match

    def spans(self, text: str) -> Iterator[Span]:
        for match in self.regex.finditer(text):
            start, end = self._secret_span(match)
            secret = text[start:end]
            if not secret or (self.entropy and shannon_entropy(secret) <= self.entropy):
                continue
            whole = text[_lead_start(text, match.start(), self.lead) : match.end()]
            line = text[text.rfind("\n", 0, start) + 1 : _line_end(text, end)]
            if not any(a.allows(secret, whole, line) for a in self.allowlists):
                yield start, end, self.label

    def _secret_span(self, match: re.Match[str]) -> tuple[int, int]:
        if self.secret_group:
            return match.span(self.secret_group)
        for group in range(1, (match.re.groups or 0) + 1):
            if match.group(group):
                return match.span(group)
        return match.span()


class GitleaksRules:
    """The rule set; `spans` tries only the rules one of whose keywords is in the text."""

    def __init__(self, rules: Sequence[GitleaksRule]) -> None:
        self.rules = tuple(rules)
        by_keyword: dict[str, list[GitleaksRule]] = {}
        for rule in self.rules:
            for keyword in rule.keywords:
                by_keyword.setdefault(keyword, []).append(rule)
        # One pass finds every keyword (overlaps too), as gitleaks' own prefilter does.
        self._keywords = ahocorasick.Automaton()
        for word, matching in by_keyword.items():
            self._keywords.add_word(word, tuple(matching))
        self._keywords.make_automaton()
        self._always = tuple(rule for rule in self.rules if not rule.keywords)

    def spans(self, text: str) -> list[Span]:
        chosen = {rule for _, rules in self._keywords.iter(text.lower()) for rule in rules}
        return [span for rule in (*chosen, *self._always) for span in rule.spans(text)]


def _line_end(text: str, position: int) -> int:
    end = text.find("\n", position)
    return len(text) if end < 0 else end


_LEAD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def _lead_start(text: str, start: int, lead: int) -> int:
    """Where the match would start had the regex kept its lazy `[\\w.-]{0,N}?` lead."""
    floor = max(0, start - lead)
    while start > floor and text[start - 1] in _LEAD_CHARS:
        start -= 1
    return start


_LAZY_LEAD = r"[\w.-]{0,50}?"


def _without_lazy_lead(pattern: str) -> tuple[str, int]:
    """The pattern less the lazy `[\\w.-]{0,50}?` it opens with, and how many it dropped.

    That lead can match nothing, so it never changes whether or where the secret matches;
    but Python's engine retries it at every position, which made such rules 10x slower.
    """
    head, rest, dropped = "", pattern, 0
    while True:
        for opener in ("(?i)", "(?i:"):
            if rest.startswith(opener):
                head, rest = head + opener, rest[len(opener) :]
        if not rest.startswith(_LAZY_LEAD):
            return head + rest, dropped * 50
        rest, dropped = rest[len(_LAZY_LEAD) :], dropped + 1


def _compile(pattern: str) -> re.Pattern[str]:
    # ASCII: RE2's \w, \b and \s are ASCII, and the rules' thresholds assume them.
    return re.compile(_escaped_starts(to_python(pattern)), re.ASCII)


def _escaped_starts(pattern: str) -> str:
    """A leading \\b also accepts a token right after an escaped newline or tab (see
    WORD_START): alerts and model answers quote JSON text."""
    flags = "(?i)" if pattern.startswith("(?i)") else ""
    body = pattern[len(flags) :]
    return flags + WORD_START + body[2:] if body.startswith(r"\b") else pattern


def rule_from(spec: Mapping[str, Any], global_allowlist: Allowlist) -> GitleaksRule:
    pattern, lead = _without_lazy_lead(spec["regex"])
    return GitleaksRule(
        label=spec["id"],
        regex=_compile(pattern),
        lead=lead,
        keywords=tuple(word.lower() for word in spec.get("keywords", ())),
        secret_group=int(spec.get("secretGroup", 0)),
        entropy=float(spec.get("entropy", 0.0)),
        allowlists=(
            global_allowlist,
            *map(Allowlist.of, spec.get("allowlists", ())),
            *map(Allowlist.of, EXTRA_ALLOWED.get(spec["id"], ())),
        ),
    )


def parse(config: Mapping[str, Any]) -> GitleaksRules:
    global_allowlist = Allowlist.of(config.get("allowlist", {}))
    return GitleaksRules(
        [
            rule_from(spec, global_allowlist)
            for spec in config["rules"]
            if spec["id"] not in DISABLED and "regex" in spec
        ]
    )


@cache
def default_rules() -> GitleaksRules:
    """The rule set shipped beside this module, compiled once per process."""
    text = resources.files(__package__).joinpath("gitleaks.toml").read_text(encoding="utf-8")
    return parse(tomllib.loads(text))
