"""Compute a digest: every figure for a window and for the window before, and the chain check.

Both windows are read in one database snapshot, so the figures agree with each other even
while the bot keeps writing; each window on its own connection and thread. The chain check
then verifies the whole log (bot.audit.verify), against the head the last posted digest
remembered when there is one, which shows rows cut from the end or a rewritten chain.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from bot.audit.event import EventKind
from bot.audit.verify import verify
from bot.clock import utcnow
from bot.digest.kpi_actions import action_kpis
from bot.digest.kpi_alerts import alert_kpis
from bot.digest.kpi_credentials import credential_kpis
from bot.digest.kpi_lineage import completeness_kpis
from bot.digest.kpi_policy import policy_kpis
from bot.digest.kpi_risk import risk_kpis
from bot.digest.kpi_usage import usage_kpis
from bot.digest.model import ChainCheck, Digest, WindowKpis
from bot.digest.queries import Span, count_kinds, keyed_counts
from bot.digest.reader import AuditReader
from bot.digest.rows import load_rows
from bot.digest.snapshot import audit_snapshots
from bot.digest.window import Window


@dataclass(frozen=True)
class DigestOptions:
    sla_hours: float = 4.0
    prices: Mapping[str, tuple[float, float]] | None = None
    timezone: str = "UTC"
    verify_chain: bool = True
    expected_head: tuple[int, str] | None = None


def compute_digest(
    engine: Engine,
    window: Window,
    previous: Window,
    options: DigestOptions,
    *,
    now: datetime | None = None,
) -> Digest:
    """The digest of `window` beside `previous`; `now` decides which SLAs have run out."""
    now = now or utcnow()
    with audit_snapshots(engine, 2) as (this, last), ThreadPoolExecutor(1, "digest") as pool:
        # The window before is read on a second connection at the same time: the databases
        # work on both at once, and while one side waits for SQL the other runs Python.
        earlier = pool.submit(window_kpis, last, previous, options, now)
        current = window_kpis(this, window, options, now)
        before = earlier.result()
    chain = (
        check_chain(engine, options.expected_head) if options.verify_chain else ChainCheck(False)
    )
    return Digest(current, before, chain, now, options.timezone)


def window_kpis(
    reader: AuditReader, window: Window, options: DigestOptions, as_of: datetime
) -> WindowKpis:
    span = Span(window.start, window.end)
    kinds = count_kinds(reader, span)
    keyed = keyed_counts(reader, span)
    rows = load_rows(reader, span, timedelta(hours=options.sla_hours))
    return WindowKpis(
        window=window,
        events=sum(kinds.values()),
        alerts=alert_kpis(kinds, keyed, rows),
        actions=action_kpis(kinds, keyed, rows),
        risk=risk_kpis(rows, options.sla_hours, as_of),
        credentials=credential_kpis(reader, span, kinds),
        policy=policy_kpis(kinds, keyed),
        completeness=completeness_kpis(reader, rows),
        usage=usage_kpis(keyed[EventKind.MODEL_OUTPUT], options.prices or {}),
    )


def check_chain(engine: Engine, expected_head: tuple[int, str] | None) -> ChainCheck:
    report = verify(engine, expected_head=expected_head)
    return ChainCheck(
        checked=True,
        ok=report.ok,
        events=report.events_checked,
        head_seq=report.head_seq,
        head_hash=report.head_hash,
        reason=report.reason,
        first_bad_seq=report.first_bad_seq,
    )
