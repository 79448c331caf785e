"""Webhook deliveries already taken in, kept long enough to refuse a replay.

A delivery's keys are its source with its signature, and its source with the vendor's event
id when the event carries one: a replayed request repeats the first, a re-signed copy of the
same event the second. Either one seen before refuses the delivery.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import DateTime, delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Field, SQLModel, col

from bot.canonical import hash_value
from bot.clock import utcnow
from bot.db import session_scope
from bot.db_deadline import is_deadline_error
from bot.errors import IntakeBusy

PRUNE_EVERY = 200  # takes between deletions of receipts past their keeping time


class WebhookReceipt(SQLModel, table=True):
    __tablename__ = "webhook_receipt"

    key: str = Field(primary_key=True, max_length=64)
    source: str = Field(max_length=120)
    received_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)


def receipt_keys(source: str, signature: str | None, vendor_event_id: str | None) -> list[str]:
    keys = []
    if signature:
        keys.append(hash_value(["signature", source, signature.strip().lower()]))
    if vendor_event_id:
        keys.append(hash_value(["event", source, vendor_event_id]))
    return keys


class ReceiptBook:
    def __init__(self, engine: Engine, keep_seconds: int) -> None:
        self._engine = engine
        self._keep = timedelta(seconds=keep_seconds)
        self._takes = 0

    def take(self, source: str, keys: Iterable[str]) -> bool:
        """Record the delivery's keys; False when one was already there (a replay)."""
        now = utcnow()
        self._takes += 1
        if self._takes % PRUNE_EVERY == 0:
            self.forget_before(now)
        try:
            with session_scope(self._engine) as session:
                for key in keys:
                    session.add(WebhookReceipt(key=key, source=source[:120], received_at=now))
        except IntegrityError:
            return False
        except SQLAlchemyError as exc:
            if is_deadline_error(exc):
                why = "the database did not answer in time to record the delivery"
                raise IntakeBusy(why) from exc
            raise
        return True

    def release(self, keys: Iterable[str]) -> None:
        """Forget keys of a delivery that was not stored after all."""
        wanted = list(keys)
        if not wanted:
            return
        with session_scope(self._engine) as session:
            session.execute(delete(WebhookReceipt).where(col(WebhookReceipt.key).in_(wanted)))

    def forget_before(self, now: datetime | None = None) -> int:
        cutoff = (now or utcnow()) - self._keep
        with session_scope(self._engine) as session:
            result = session.execute(
                delete(WebhookReceipt).where(col(WebhookReceipt.received_at) < cutoff)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
