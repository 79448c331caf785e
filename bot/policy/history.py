"""Every policy version socbot has run under, with its text, so a change can be diffed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Text
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel

from bot.clock import utcnow
from bot.db import session_scope


class PolicyVersionRecord(SQLModel, table=True):
    __tablename__ = "policy_version"

    version: str = Field(primary_key=True, max_length=64)  # sha256 of content
    content: str = Field(sa_type=Text)
    path: str = Field(max_length=500)
    first_seen_at: datetime = Field(sa_type=DateTime(timezone=True))


def remember(engine: Engine, version: str, content: str, path: str) -> None:
    """Keep a version's text; a version already kept is left as it is."""
    with session_scope(engine) as session:
        if session.get(PolicyVersionRecord, version) is None:
            session.add(
                PolicyVersionRecord(
                    version=version, content=content, path=path[:500], first_seen_at=utcnow()
                )
            )


def content_of(engine: Engine, version: str) -> str | None:
    with session_scope(engine) as session:
        record = session.get(PolicyVersionRecord, version)
        return None if record is None else record.content
