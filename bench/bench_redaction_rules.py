"""Hit rate on generated canaries and finds on ordinary alert text, per secret rule set.

    PYTHONPATH=. python bench/bench_redaction_rules.py --events '../shared/data/*.jsonl'

Engines: socbot's patterns alone, gitleaks' rules alone, detect-secrets (if installed; not a
dependency, measured for the choice), and the Redactor (all of socbot's together). A canary is
hit when neither its secret nor any 16-character piece of it survives. On alert events, every
string is scanned; each find is counted (these events are public test fixtures, so a find is a
false positive unless it is a planted example secret: --show prints them to judge).
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.redaction import PATTERNS, Redactor
from bot.secret_rules.formats import EXTRA_RULES
from bot.secret_rules.gitleaks import default_rules
from tests.support.secret_canaries import canaries

Finder = Callable[[str], list[tuple[str, str]]]  # text -> [(label, found text)]


def socbot_patterns(text: str) -> list[tuple[str, str]]:
    return [(lb, text[s:e]) for rule in (*PATTERNS, *EXTRA_RULES) for s, e, lb in rule.spans(text)]


def gitleaks(text: str) -> list[tuple[str, str]]:
    return [(label, text[s:e]) for s, e, label in default_rules().spans(text)]


def redactor(text: str) -> list[tuple[str, str]]:
    return [(label, text[s:e]) for s, e, label in Redactor().find_spans(text)]


def detect_secrets_finder() -> Finder | None:
    try:
        from detect_secrets import SecretsCollection
        from detect_secrets.settings import default_settings
    except ImportError:
        return None

    def find(text: str) -> list[tuple[str, str]]:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
            handle.write(text)
        collection = SecretsCollection()
        with default_settings():
            collection.scan_file(handle.name)
        Path(handle.name).unlink()
        return [(s.type, s.secret_value or "") for _, s in collection]

    return find


def canary_hits(find: Finder) -> tuple[int, int, Counter[str]]:
    total, hit, missed = 0, 0, Counter[str]()
    for canary in canaries():
        total += 1
        found = find(canary.text)
        redacted = canary.text
        for _, value in sorted(found, key=lambda item: -len(item[1])):
            if value:
                redacted = redacted.replace(value, "\0")
        if canary.survives_in(redacted):
            missed[canary.kind] += 1
        else:
            hit += 1
    return hit, total, missed


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def alert_finds(find: Finder, events: list[Any], batch: bool) -> tuple[int, Counter[str], list]:
    flagged, labels, examples = 0, Counter[str](), []
    for event in events:
        texts = ["\n".join(strings_in(event))] if batch else list(strings_in(event))
        finds = [item for text in texts for item in find(text)]
        flagged += bool(finds)
        labels.update(label for label, _ in finds)
        examples.extend(finds)
    return flagged, labels, examples


def load_events(pattern: str) -> list[Any]:
    events = []
    for path in sorted(glob.glob(pattern)):
        with open(path, encoding="utf-8") as handle:
            events.extend(json.loads(line).get("event", {}) for line in handle if line.strip())
    return events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="../shared/data/*.jsonl")
    parser.add_argument("--show", type=int, default=0, help="print N finds per engine")
    args = parser.parse_args()
    events = load_events(args.events)
    engines: dict[str, Finder | None] = {
        "socbot patterns": socbot_patterns,
        "gitleaks rules": gitleaks,
        "detect-secrets": detect_secrets_finder(),
        "Redactor (all)": redactor,
    }
    print(f"{len(list(canaries()))} canaries; {len(events)} alert events")
    print("| engine | canaries hit | events with a find | finds |")
    print("|---|---:|---:|---:|")
    for name, find in engines.items():
        if find is None:
            print(f"| {name} | not installed | | |")
            continue
        hit, total, missed = canary_hits(find)
        flagged, labels, examples = alert_finds(find, events, batch=name == "detect-secrets")
        print(
            f"| {name} | {hit}/{total} ({hit / total:.1%}) | {flagged}/{len(events)} "
            f"({flagged / max(len(events), 1):.1%}) | {sum(labels.values())} |"
        )
        print(f"  missed kinds: {dict(missed)}", file=sys.stderr)
        print(f"  finds by label: {dict(labels.most_common(12))}", file=sys.stderr)
        for label, value in examples[: args.show]:
            print(f"    {label}: {value[:80]!r}", file=sys.stderr)


if __name__ == "__main__":
    main()
