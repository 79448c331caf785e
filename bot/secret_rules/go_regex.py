"""Go (RE2) regex syntax as Python's `re` reads it, for rule sets written for Go scanners.

Three differences matter in practice: a flag group such as `(?i)` in mid-pattern (Go scopes it
to the rest of its enclosing group; Python accepts flags only at the start), `\\z` (Python
spells it `\\Z`), and POSIX classes such as `[[:alnum:]]` inside brackets.
"""

from __future__ import annotations

import re

_POSIX_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "lower": "a-z",
    "upper": "A-Z",
    "space": r"\s",
    "xdigit": "0-9a-fA-F",
    "word": r"\w",
    "punct": r"!-/:-@\[-`{-~",
}
_POSIX = re.compile(r"\[:([a-z]+):\]")
_FLAG_GROUP = re.compile(r"\(\?([imsU-]+)\)")


def to_python(pattern: str) -> str:
    """The same regex in Python syntax; ValueError for a POSIX class Python has no words for."""
    pattern = _POSIX.sub(_posix_class, pattern).replace(r"\z", r"\Z")
    return _scope_inline_flags(pattern)


def _posix_class(match: re.Match[str]) -> str:
    name = match.group(1)
    if name not in _POSIX_CLASSES:
        raise ValueError(f"POSIX class [:{name}:] has no Python equivalent")
    return _POSIX_CLASSES[name]


def _scope_inline_flags(pattern: str) -> str:
    """Turn each mid-pattern `(?f)` into `(?f:` closed where its enclosing group closes."""
    out: list[str] = []
    closers: list[int] = [0]  # per open group: how many scoped-flag groups to close with it
    index, in_class = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class:
            in_class = char != "]" or _class_just_opened(pattern, index)
        elif char == "[":
            in_class = True
        elif char == "(":
            flags = _FLAG_GROUP.match(pattern, index)
            if flags and (index > 0 or len(out) > 0):
                out.append(f"(?{flags.group(1)}:")
                closers[-1] += 1
                index = flags.end()
                continue
            closers.append(0)
        elif char == ")":
            out.append(")" * closers.pop())
        out.append(char)
        index += 1
    out.append(")" * closers[0])
    return "".join(out)


def _class_just_opened(pattern: str, index: int) -> bool:
    """A `]` right after `[` or `[^` is a literal, not the end of the class."""
    before = pattern[max(0, index - 2) : index]
    return before.endswith("[") or before == "[^"
