"""What every command shares: building the runtime, printing tables, reading JSON input."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import AlertError, ConfigError
from bot.observability.logs import configure_logging

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.runtime import Runtime

Handler = Callable[[argparse.Namespace], int]
Subparsers = Any  # argparse's private _SubParsersAction


def settings_for(args: argparse.Namespace) -> Settings:
    """The settings with --database and --policy, wherever on the line they were given."""
    settings = _read_settings()
    overrides: dict[str, Any] = {}
    if getattr(args, "database", None):
        overrides["database_url"] = args.database
    if getattr(args, "policy", None):
        overrides["policy_path"] = Path(args.policy)
    chosen = settings.model_copy(update=overrides) if overrides else settings
    configure_process_logging(chosen, args)
    if chosen.otel_enabled:
        from bot.observability.tracing import enable_tracing

        enable_tracing()
    return chosen


SERVICES = frozenset({"serve", "worker"})


def configure_process_logging(settings: Settings, args: argparse.Namespace) -> None:
    """SOCBOT_LOG_LEVEL and SOCBOT_LOG_FORMAT for every process. Left unset, the level is
    INFO for serve and worker and WARNING for one-off commands, which print their results."""
    if getattr(args, "verbose", False):
        level: str | int = logging.DEBUG
    elif "log_level" in settings.model_fields_set or getattr(args, "command", "") in SERVICES:
        level = settings.log_level
    else:
        level = logging.WARNING
    try:
        configure_logging(level, settings.log_format)
    except ValueError as exc:
        raise ConfigError(f"SOCBOT_LOG_LEVEL: {exc}") from exc


def runtime_for(args: argparse.Namespace) -> Runtime:
    # SQLAlchemy and the rest load only for commands that use them.
    from bot.db_url import refuse_missing_database
    from bot.runtime import Runtime

    settings = settings_for(args)
    if getattr(args, "reads_only", False):
        refuse_missing_database(settings.database_url)
    return Runtime(settings)


def add_database_option(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: an option not given here leaves the one given before the command in place.
    parser.add_argument(
        "--database",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="database URL (default: DATABASE_URL, else sqlite:///socbot.db)",
    )


def add_policy_option(parser: argparse.ArgumentParser, *old_spellings: str) -> None:
    """--policy FILE; older spellings still work but are no longer shown."""
    parser.add_argument(
        "--policy",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="policy file (default: SOCBOT_POLICY, else ./policy.yaml, else the starter one)",
    )
    for spelling in old_spellings:
        parser.add_argument(
            spelling, dest="policy", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )


def add_command(
    commands: Subparsers,
    name: str,
    handler: Handler,
    help_text: str,
    *,
    database: bool = True,
    reads_only: bool = False,
) -> argparse.ArgumentParser:
    """A command; with `database`, it takes --database and --policy. A `reads_only` command
    refuses a SQLite file that does not exist instead of creating it."""
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=help_text, description=help_text
    )
    parser.set_defaults(handler=handler, reads_only=reads_only)
    if database:
        add_database_option(parser)
        add_policy_option(parser)
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
    """Settings for commands that need no runtime: read once, here."""
    return _read_settings()


def _read_settings() -> Settings:
    """The one place settings are read (the alert mappings file they name applies at once)."""
    # pydantic-settings and the mappings load only for commands that read settings.
    from bot.alerts.sources.generic.source import configure_mappings
    from bot.config import get_settings

    loaded = get_settings()
    configure_mappings(loaded.alert_mappings_path)
    return loaded


def short(text: str | None, width: int = 60) -> str:
    if not text:
        return ""
    return text if len(text) <= width else text[: width - 1] + "…"
