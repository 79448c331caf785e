"""What every command shares: building the runtime, printing tables, reading JSON input."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from bot.alerts.sources.generic.source import configure_mappings
from bot.config import Settings, get_settings
from bot.errors import AlertError
from bot.runtime import Runtime

Handler = Callable[[argparse.Namespace], int]
Subparsers = Any  # argparse's private _SubParsersAction


def runtime_for(args: argparse.Namespace) -> Runtime:
    settings = get_settings()
    overrides: dict[str, Any] = {}
    if getattr(args, "database", None):
        overrides["database_url"] = args.database
    if getattr(args, "policy", None):
        overrides["policy_path"] = Path(args.policy)
    return Runtime(settings.model_copy(update=overrides) if overrides else settings)


def add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database",
        metavar="URL",
        help="database URL (default: DATABASE_URL, else sqlite:///socbot.db)",
    )


def add_command(
    commands: Subparsers,
    name: str,
    handler: Handler,
    help_text: str,
    *,
    database: bool = True,
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=help_text, description=help_text
    )
    parser.set_defaults(handler=handler)
    if database:
        add_database_option(parser)
    return parser


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    text_rows = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text_rows:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=False)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False))
    print(line.rstrip())
    for row in text_rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=False)).rstrip())
    if not text_rows:
        print("(none)")


def read_json_input(source: str) -> Any:
    """A JSON document from a file path or '-' for stdin, with errors that name the source."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise AlertError(f"cannot read {source}: {exc.strerror}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = "stdin" if source == "-" else source
        raise AlertError(f"{where}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from exc


def settings() -> Settings:
    """Settings for commands that need no runtime; the alert mappings file is applied here."""
    loaded = get_settings()
    configure_mappings(loaded.alert_mappings_path)
    return loaded


def short(text: str | None, width: int = 60) -> str:
    if not text:
        return ""
    return text if len(text) <= width else text[: width - 1] + "…"
