"""socbot's Prometheus metrics, counted where the facts are recorded.

Counters follow the audit log: AuditLog.record hands each event it stored to observe_event,
so an alert, a denial or an execution is counted exactly when it is on record, by whichever
path recorded it. Triage latency is timed by the triage worker; Slack API errors by the
Slack client. Gauges (queue depth, approvals pending, credentials live) are read from the
database at scrape time by DatabaseGauges, so every process reports the shared truth.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import DateTime, text
from sqlalchemy.engine import Engine

from bot.clock import as_utc, utcnow

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)

ALERTS = Counter(
    "socbot_alerts_total",
    "Alerts taken in, by source and outcome (received, duplicate, rejected).",
    ["source", "outcome"],
    registry=REGISTRY,
)
TRIAGE_SECONDS = Histogram(
    "socbot_triage_seconds",
    "Wall time of one triage of an alert or storm group, by outcome.",
    ["outcome"],
    buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600),
    registry=REGISTRY,
)
EXECUTIONS = Counter(
    "socbot_executions_total",
    "Approved actions run, by tool and outcome (executed, failed).",
    ["tool", "outcome"],
    registry=REGISTRY,
)
DENIALS = Counter(
    "socbot_policy_denials_total",
    "Tool calls the policy gate denied, by tool and rule.",
    ["tool", "rule"],
    registry=REGISTRY,
)
MODEL_TOKENS = Counter(
    "socbot_model_tokens_total",
    "Model tokens used, by engine and kind (prompt, completion).",
    ["engine", "kind"],
    registry=REGISTRY,
)
MODEL_ERRORS = Counter(
    "socbot_model_errors_total",
    "Model calls that failed, by error class.",
    ["error"],
    registry=REGISTRY,
)
SLACK_ERRORS = Counter(
    "socbot_slack_api_errors_total",
    "Slack Web API calls that failed, by method and Slack's error code.",
    ["method", "error"],
    registry=REGISTRY,
)
CREDENTIALS = Counter(
    "socbot_credentials_total",
    "Credentials issued and revoked by this process, by event.",
    ["event"],
    registry=REGISTRY,
)
MODEL_ERROR_CLASSES = frozenset({"ModelError", "APIError", "APIConnectionError", "RateLimitError"})


def observe_event(kind: str, data: Mapping[str, Any], tool: str | None) -> None:
    """Count one audit event just recorded. Never raises: metrics must not stop the work."""
    try:
        _count(kind, data, tool)
    except Exception:  # a malformed event's data is the audit log's business, not ours
        log.debug("could not count audit event %s", kind, exc_info=True)


def _count(kind: str, data: Mapping[str, Any], tool: str | None) -> None:
    if kind in ("alert.received", "alert.duplicate", "alert.rejected"):
        ALERTS.labels(str(data.get("source") or "unknown"), kind.split(".", 1)[1]).inc()
    elif kind in ("action.executed", "action.failed"):
        EXECUTIONS.labels(str(tool or data.get("tool") or "?"), kind.split(".", 1)[1]).inc()
    elif kind == "policy.decision" and data.get("outcome") == "deny":
        DENIALS.labels(str(tool or "?"), str(data.get("rule") or "?")).inc()
    elif kind == "model.output":
        usage = data.get("usage") or {}
        engine = str(data.get("engine") or "?")
        for part in ("prompt", "completion"):
            MODEL_TOKENS.labels(engine, part).inc(float(usage.get(f"{part}_tokens") or 0))
    elif kind == "error" and data.get("error") in MODEL_ERROR_CLASSES:
        MODEL_ERRORS.labels(str(data["error"])).inc()
    elif kind in ("credential.issued", "credential.revoked"):
        CREDENTIALS.labels(kind.split(".", 1)[1]).inc()


def observe_slack_error(method: str, error: str | None) -> None:
    SLACK_ERRORS.labels(method, error or "unknown").inc()


class DatabaseGauges(Collector):
    """Queue depth, approvals pending and credentials live, read when Prometheus scrapes."""

    QUEUE = "SELECT status, COUNT(*) FROM triage_group WHERE status IN ('queued', 'running') GROUP BY status"  # noqa: E501
    PENDING = "SELECT COUNT(*) FROM action_request WHERE status = 'pending'"
    # Unrevoked credentials are few (revocation follows every call); expiry is compared here,
    # where both sides are datetimes, not as SQLite's text.
    UNREVOKED = text("SELECT expires_at FROM credential WHERE revoked_at IS NULL").columns(
        expires_at=DateTime(timezone=True)
    )

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # read at scrape time only: registering must not touch the database

    def collect(self) -> Iterator[GaugeMetricFamily]:
        queue = GaugeMetricFamily(
            "socbot_triage_queue_depth", "Triage groups waiting or running.", labels=["status"]
        )
        pending = GaugeMetricFamily("socbot_approvals_pending", "Actions awaiting approval.")
        live = GaugeMetricFamily("socbot_credentials_live", "Credentials not revoked or expired.")
        up = GaugeMetricFamily("socbot_database_up", "1 if the scrape could read the database.")
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(text(self.QUEUE))
                counts = {str(status): int(n) for status, n in rows}
                waiting = conn.execute(text(self.PENDING)).scalar_one()
                now = utcnow()
                alive = sum(1 for e in conn.execute(self.UNREVOKED).scalars() if as_utc(e) > now)
        except Exception:
            log.warning("metrics: the database could not be read", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        for status in ("queued", "running"):
            queue.add_metric([status], counts.get(status, 0))
        pending.add_metric([], waiting)
        live.add_metric([], alive)
        up.add_metric([], 1)
        yield from (queue, pending, live, up)


def registry_for(engine: Engine) -> CollectorRegistry:
    """This process's counters plus the database gauges of `engine`, for one endpoint."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Counters())
    registry.register(DatabaseGauges(engine))
    return registry


class _Counters(Collector):
    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()
