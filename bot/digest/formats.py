"""The digest as text, Markdown, Slack Block Kit, or JSON.

Text and Markdown print one table per section: the figure, this window, the window before.
Slack gets a header, a context line and one section block per table (monospaced, so columns
line up), within Slack's limits (50 blocks, 3,000 characters a block). JSON carries every
figure raw (None for "—"), for scripts and the test that recomputes them.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any, Literal

from bot.digest.model import Digest
from bot.digest.sections import Section, sections

DigestFormat = Literal["text", "markdown", "json", "slack"]
FORMATS: tuple[str, ...] = ("text", "markdown", "json", "slack")
SLACK_BLOCK_CHARS = 2_900


def render(digest: Digest, fmt: str) -> str:
    if fmt == "text":
        return to_text(digest)
    if fmt == "markdown":
        return to_markdown(digest)
    if fmt == "json":
        return json.dumps(to_json(digest), indent=2, ensure_ascii=False)
    if fmt == "slack":
        return json.dumps(to_slack(digest), indent=2, ensure_ascii=False)
    raise ValueError(f"unknown digest format {fmt!r}: choose one of {', '.join(FORMATS)}")


def heading(digest: Digest) -> str:
    now, before = digest.current.window, digest.previous.window
    return (
        f"{now.label} ({_span(now.start, now.end)}, {digest.timezone}) "
        f"beside {before.label}; made {digest.generated_at:%Y-%m-%d %H:%MZ}"
    )


def _span(start: datetime, end: datetime) -> str:
    return f"{start:%Y-%m-%d %H:%MZ} → {end:%Y-%m-%d %H:%MZ}"


def table(section: Section, now: str = "this window", before: str = "window before") -> list[str]:
    rows = [(line.label, line.now, line.before) for line in section.lines]
    widths = [max(len(row[i]) for row in [("", now, before), *rows]) for i in range(3)]
    lines = [f"{'':<{widths[0]}}  {now:>{widths[1]}}  {before:>{widths[2]}}"]
    lines += [f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c:>{widths[2]}}" for a, b, c in rows]
    return [line.rstrip() for line in lines]


def to_text(digest: Digest) -> str:
    out = [digest.title, heading(digest)]
    for section in sections(digest):
        out += ["", section.title.upper(), *table(section), *section.notes]
    return "\n".join(out) + "\n"


def to_markdown(digest: Digest) -> str:
    out = [f"# {digest.title}", "", heading(digest)]
    for section in sections(digest):
        out += [
            "",
            f"## {section.title}",
            "",
            "| | this window | window before |",
            "|---|---:|---:|",
        ]
        out += [f"| {line.label} | {line.now} | {line.before} |" for line in section.lines]
        out += ["", *(f"- {note}" for note in section.notes)] if section.notes else []
    return "\n".join(out) + "\n"


def to_slack(digest: Digest) -> dict[str, Any]:
    """chat.postMessage arguments: fallback text and blocks."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": digest.title[:150]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": heading(digest)}]},
    ]
    for section in sections(digest):
        body = "\n".join(table(section))
        notes = "\n".join(section.notes)
        text = f"*{section.title}*\n```{body}```" + (f"\n{notes}" if notes else "")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(text)}})
    return {"text": f"{digest.title}: {heading(digest)}", "blocks": blocks[:50]}


def _clip(text: str) -> str:
    return text if len(text) <= SLACK_BLOCK_CHARS else text[: SLACK_BLOCK_CHARS - 1] + "…"


def to_json(digest: Digest) -> dict[str, Any]:
    return json.loads(json.dumps(dataclasses.asdict(digest), default=_jsonable))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
