"""Expected failures as one or two lines that say what is wrong and how to fix it.

The command line prints these instead of a traceback (`socbot --debug` shows it as well).
Library classes are looked up only if their module is loaded already: a failure never
imports SQLAlchemy or Slack just to be described."""

from __future__ import annotations

import sys
from collections.abc import Callable

from bot.errors import EXPECTED_ERRORS

Explainer = Callable[[BaseException], str | None]


def explain_failure(exc: BaseException) -> str | None:
    """The message for an expected failure, or None for a bug (which keeps its traceback)."""
    for explainer in EXPLAINERS:
        message = explainer(exc)
        if message is not None:
            return message
    return None


def first_line(text: object, width: int = 200) -> str:
    line = (str(text).strip().splitlines() or [""])[0]
    return line if len(line) <= width else line[: width - 1] + "…"


def _loaded(module: str, name: str) -> type[BaseException] | None:
    found = getattr(sys.modules.get(module), name, None)
    return found if isinstance(found, type) and issubclass(found, BaseException) else None


def _socbot(exc: BaseException) -> str | None:
    return str(exc) if isinstance(exc, EXPECTED_ERRORS) else None


def _settings(exc: BaseException) -> str | None:
    validation_error = _loaded("pydantic_core", "ValidationError")
    if validation_error is None or not isinstance(exc, validation_error):
        return None
    problems = []
    for error in exc.errors():  # type: ignore[attr-defined]
        name = ".".join(str(part) for part in error.get("loc", ())) or "a setting"
        problems.append(f"{name}={first_line(error.get('input'), 60)!s}: {error.get('msg')}")
    title = getattr(exc, "title", "settings")
    return f"{title} refused {'; '.join(problems)}; fix it in the environment or .env"


def _database(exc: BaseException) -> str | None:
    db_error = _loaded("sqlalchemy.exc", "DBAPIError")
    if db_error is None or not isinstance(exc, db_error):
        return None
    reason = first_line(getattr(exc, "orig", None) or exc)
    return (
        f"database error: {reason}\n"
        "check DATABASE_URL (or --database) and that the database is up and migrated "
        "(`socbot db upgrade`)"
    )


def _slack(exc: BaseException) -> str | None:
    slack_error = _loaded("slack_sdk.errors", "SlackApiError")
    if slack_error is None or not isinstance(exc, slack_error):
        return None
    code = exc.response.get("error") if getattr(exc, "response", None) else None  # type: ignore[attr-defined]
    return (
        f"Slack refused a call ({code or first_line(exc)}): check SLACK_BOT_TOKEN, "
        "SLACK_APP_TOKEN and the app's scopes (see docs/slack.md)"
    )


EXPLAINERS: tuple[Explainer, ...] = (_socbot, _settings, _database, _slack)
