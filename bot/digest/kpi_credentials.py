"""Credential figures: the bot's own identity exposure, from the broker's audit rows.

Definitions:
- issued, revoked, revoke failures: credential.issued, credential.revoked and
  credential.revoke_failed rows in the window;
- lifetime: for each credential issued in the window and revoked before its end, the
  credential.revoked row's time minus the credential.issued row's time; median and max;
- revocation lag: the broker's lag_ms on each credential.revoked row in the window, the time
  from the moment the credential was due to go (its tool call or task ended, its ttl ran out)
  to its verified revocation; the median is reported;
- live at the end: credentials issued at any time before the window's end with no
  credential.revoked row before it (all history, not just the window; should be 0),
  counted as issued rows minus revoked rows (see live_credentials);
- credential-seconds: for each credential issued in the window, (its revocation time, or the
  window's end if it was not revoked by then, minus its issue time) × its number of scopes,
  summed. One credential with three scopes live for ten seconds is 30 credential-seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.audit.event import EventKind
from bot.digest.model import CredentialKpis
from bot.digest.queries import Span, json_number
from bot.digest.reader import AuditReader, to_micros
from bot.digest.stats import median

# Upper bounds (seconds) of the lifetime buckets the chart draws.
LIFETIME_BUCKETS: tuple[tuple[str, float], ...] = (
    ("< 0.1 s", 0.1),
    ("0.1–1 s", 1.0),
    ("1–10 s", 10.0),
    ("10–60 s", 60.0),
    ("1–5 min", 300.0),
    ("5–15 min", 900.0),
    ("≥ 15 min", float("inf")),
)


def credential_kpis(reader: AuditReader, span: Span, kinds: Mapping[str, int]) -> CredentialKpis:
    kpis = CredentialKpis(
        issued=kinds.get(EventKind.CREDENTIAL_ISSUED, 0),
        revoked=kinds.get(EventKind.CREDENTIAL_REVOKED, 0),
        revoke_failed=kinds.get(EventKind.CREDENTIAL_REVOKE_FAILED, 0),
    )
    lives = _lives(reader, span)
    kpis.lifetime_median_s = median(lives.lifetimes)
    kpis.lifetime_max_s = max(lives.lifetimes) if lives.lifetimes else None
    kpis.lifetime_buckets = lifetime_buckets(lives.lifetimes)
    kpis.revocation_lag_median_ms = median(lives.lags)
    kpis.credential_seconds = lives.scope_micros / 1_000_000
    kpis.live_at_end = live_credentials(reader, span)
    return kpis


@dataclass
class _Lives:
    lifetimes: list[float] = field(default_factory=list)  # seconds
    lags: list[float] = field(default_factory=list)  # ms
    scope_micros: int = 0
    revoked_twice: bool = False


def _lives(reader: AuditReader, span: Span) -> _Lives:
    """One row per credential seen in the span, grouped in SQL: issue time and scopes, first
    revocation time, how many revocations and the lag of one. Issued and revoked rows sit
    side by side, so one pass reads both."""
    end, lives = to_micros(span.end), _Lives()
    for issued, scopes, revoked, revocations, lag in reader.rows(*_per_credential(reader, span)):
        if issued is not None:
            live_until = end if revoked is None else min(int(revoked), end)
            lives.scope_micros += (live_until - int(issued)) * int(scopes or 0)
            if revoked is not None:
                lives.lifetimes.append((int(revoked) - int(issued)) / 1_000_000)
        if revocations and (lag_ms := json_number(lag)) is not None:
            lives.lags.append(lag_ms)
        lives.revoked_twice = lives.revoked_twice or revocations > 1
    if lives.revoked_twice:  # the broker revokes once; should a log say otherwise, count all
        lives.lags = _every_lag(reader, span)
    return lives


def _per_credential(reader: AuditReader, span: Span) -> tuple[str, dict[str, Any]]:
    issued = f"kind = '{EventKind.CREDENTIAL_ISSUED}'"
    revoked = f"kind = '{EventKind.CREDENTIAL_REVOKED}'"
    rows = (
        f"SELECT {reader.text('credential_id')} AS credential, "
        f"CASE WHEN {issued} THEN {reader.at_micros()} END AS issued_at, "
        f"CASE WHEN {issued} THEN {reader.array_length('scopes')} END AS scopes, "
        f"CASE WHEN {revoked} THEN {reader.at_micros()} END AS revoked_at, "
        f"CASE WHEN {revoked} THEN {reader.number('lag_ms')} END AS lag "
        f"FROM audit_event WHERE kind IN ('{EventKind.CREDENTIAL_ISSUED}', "
        f"'{EventKind.CREDENTIAL_REVOKED}') AND ts >= :start AND ts < :end"
    )
    sql = (
        "SELECT min(issued_at), max(scopes), min(revoked_at), count(revoked_at), max(lag) "
        f"FROM ({rows}) AS credential_rows GROUP BY credential"
    )
    return sql, {"start": reader.ts_param(span.start), "end": reader.ts_param(span.end)}


def _every_lag(reader: AuditReader, span: Span) -> list[float]:
    sql = (
        f"SELECT {reader.number('lag_ms')} FROM audit_event "
        f"WHERE kind = '{EventKind.CREDENTIAL_REVOKED}' AND ts >= :start AND ts < :end"
    )
    params = {"start": reader.ts_param(span.start), "end": reader.ts_param(span.end)}
    lags = (json_number(lag) for (lag,) in reader.rows(sql, params))
    return [lag for lag in lags if lag is not None]


def lifetime_buckets(lifetimes: list[float]) -> dict[str, int]:
    counts = dict.fromkeys((name for name, _ in LIFETIME_BUCKETS), 0)
    for lifetime in lifetimes:
        name = next(name for name, upper in LIFETIME_BUCKETS if lifetime < upper)
        counts[name] += 1
    return counts


def live_credentials(reader: AuditReader, span: Span) -> int:
    """credential.issued rows before the span's end minus credential.revoked rows before it,
    over all history: two counts off the (kind, ts) index. Exact because the broker writes at
    most one credential.revoked row per credential (the revocation is claimed by a
    conditional update), and only for a credential it issued."""
    sql = (
        "SELECT kind, count(*) FROM audit_event WHERE kind IN (:issued, :revoked) "
        "AND ts < :end GROUP BY kind"
    )
    params = {
        "issued": str(EventKind.CREDENTIAL_ISSUED),
        "revoked": str(EventKind.CREDENTIAL_REVOKED),
        "end": reader.ts_param(span.end),
    }
    counts = {str(kind): int(n) for kind, n in reader.rows(sql, params)}
    return counts.get("credential.issued", 0) - counts.get("credential.revoked", 0)
