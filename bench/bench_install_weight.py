"""What a minimal socbot install weighs: socbot and its runtime dependencies (no extras),
as installed in this environment, largest first.

    python bench/bench_install_weight.py [--extra otel]

Walks socbot's requirements through importlib.metadata (markers evaluated for this
interpreter) and sums the size of every file each distribution installed.
"""

from __future__ import annotations

import argparse
import re
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def closure(root: str, extras: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = [(root, extras)]
    while todo:
        name, wanted = todo.pop()
        if _name(name) in seen:
            continue
        seen.add(_name(name))
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            env = [{"extra": extra} for extra in wanted] or [{"extra": ""}]
            marker = requirement.marker
            if marker is None or any(marker.evaluate(e) for e in env):
                todo.append((requirement.name, set(requirement.extras)))
    return seen


def size_of(name: str) -> int:
    dist = metadata.distribution(name)
    total = 0
    for file in dist.files or []:
        path = Path(str(dist.locate_file(file)))
        if path.is_file():
            total += path.stat().st_size
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extra", action="append", default=[], help="include an extra")
    args = parser.parse_args()
    sizes = sorted(((size_of(n), n) for n in closure("socbot", set(args.extra))), reverse=True)
    for size, name in sizes[:15]:
        print(f"{size / 1e6:8.1f} MB  {name}")
    print(f"{sum(s for s, _ in sizes) / 1e6:8.1f} MB  total, {len(sizes)} distributions")


if __name__ == "__main__":
    main()
