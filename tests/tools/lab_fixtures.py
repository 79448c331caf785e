"""Helpers the lab tests share (kept out of conftest.py so tests can import them by name)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.clock import as_utc
from tools.base import PresentedCredential
from tools.providers.lab.models import SEEDED_TABLES, LabAuthEvent

IssueCredential = Callable[..., PresentedCredential]
Snapshot = Callable[[], dict[str, list[dict[str, Any]]]]


def rows_of(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every seeded row as plain data; event ids left out (the database numbers them)."""
    snapshot: dict[str, list[dict[str, Any]]] = {}
    with Session(engine) as session:
        for model in SEEDED_TABLES:
            rows = [row.model_dump() for row in session.exec(select(model)).all()]
            for row in rows:
                if model is LabAuthEvent:
                    row.pop("id")
                for key, value in row.items():
                    if hasattr(value, "tzinfo"):
                        row[key] = as_utc(value)
            snapshot[str(model.__tablename__)] = sorted(rows, key=repr)
    return snapshot
