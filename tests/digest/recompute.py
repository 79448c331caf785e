"""Every digest figure again, from exported audit rows, in plain Python.

This is a second, deliberately simple implementation of the definitions in bot/digest: it
reads the JSON lines `socbot audit export` writes (every row, every field parsed), keeps the
rows it needs with list comprehensions and computes each figure the obvious way, with the
statistics module for medians. It shares no code with bot.digest, so the two agree only if
both follow the written definitions. The result has the shape of dataclasses.asdict of a
WindowKpis, without the window.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from bot.audit.log import export_events
from tests.digest.recount_lineage import missing_links

Row = dict[str, Any]


def exported_rows(engine: Engine) -> list[Row]:
    rows = [json.loads(line) for line in export_events(engine)]
    for row in rows:
        row["at"] = datetime.fromisoformat(row["ts"].replace("Z", "+00:00"))
    return rows


def p90(values: list[float]) -> float | None:
    return sorted(values)[math.ceil(0.9 * len(values)) - 1] if values else None


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


class Recount:
    def __init__(self, rows: list[Row], start: datetime, end: datetime) -> None:
        self.all = rows
        self.start, self.end = start, end
        self.inside = [r for r in rows if start <= r["at"] < end]

    def kind(self, kind: str, rows: list[Row] | None = None) -> list[Row]:
        return [r for r in (self.inside if rows is None else rows) if r["kind"] == kind]

    def between(self, start: datetime, end: datetime) -> list[Row]:
        return [r for r in self.all if start <= r["at"] < end]

    def alerts(self) -> dict[str, Any]:
        triages = self.kind("triage.result")
        received = {r["data"]["alert_id"]: r["at"] for r in self.kind("alert.received")}
        first_post: dict[str, datetime] = {}
        for post in self.kind("triage.posted"):
            for alert_id in post["data"]["alert_ids"]:
                if alert_id in received and alert_id not in first_post:
                    first_post[alert_id] = post["at"]
        waits = [(first_post[a] - received[a]).total_seconds() for a in first_post]
        latest: dict[tuple[str, str], str] = {}
        for row in self.kind("analyst.feedback"):
            latest[(row["actor"], row["data"]["group_id"])] = row["data"]["rating"]
        agree = list(latest.values()).count("agree")
        disagree = list(latest.values()).count("disagree")
        return {
            "received": len(received),
            "duplicates": len(self.kind("alert.duplicate")),
            "rejected": len(self.kind("alert.rejected")),
            "storms": len({r["data"]["group_id"] for r in self.kind("alert.storm")}),
            "triaged": len({a for t in triages for a in t["data"]["alert_ids"]}),
            "triage_runs": len(triages),
            "posted": len(waits),
            "to_post_median_s": median(waits),
            "to_post_p90_s": p90(waits),
            "verdicts": dict(sorted(Counter(t["data"]["verdict"] for t in triages).items())),
            "feedback_agree": agree,
            "feedback_disagree": disagree,
            "feedback_agreement": share(agree, agree + disagree),
        }

    def actions(self) -> dict[str, Any]:
        def first_times(kind: str) -> dict[str, datetime]:
            times: dict[str, datetime] = {}
            for row in self.kind(kind):
                times.setdefault(row["data"]["request_id"], row["at"])
            return times

        requested, approved = first_times("action.requested"), first_times("action.approved")
        waits = [(approved[r] - requested[r]).total_seconds() for r in requested if r in approved]
        rejected = len({r["data"]["request_id"] for r in self.kind("approval.rejected")})
        return {
            "recommended": len(self.kind("recommendation")),
            "requested": len(self.kind("action.requested")),
            "approved": len(approved),
            "rejected": rejected,
            "expired": len(self.kind("action.expired")),
            "executed": len(self.kind("action.executed")),
            "failed": len(self.kind("action.failed")),
            "voided": len(self.kind("action.voided")),
            "approval_latency_median_s": median(waits),
            "override_rate": share(rejected, len(self.kind("action.requested"))),
        }

    def risk(self, sla_hours: float, as_of: datetime) -> dict[str, Any]:
        sla = timedelta(hours=sla_hours)
        reach = self.between(self.start, self.end + sla)
        severity: dict[str, str] = {}
        tasks: dict[str, set[str]] = {}
        for triage in self.kind("triage.result", reach):
            for alert_id in triage["data"]["alert_ids"]:
                severity[alert_id] = triage["data"]["severity"]
                tasks.setdefault(alert_id, set()).add(triage["task_id"])
        counts = {"contained": 0, "escaped": 0, "pending": 0}
        escaped: list[str] = []
        for alert in self.kind("alert.received"):
            alert_id, received = alert["data"]["alert_id"], alert["at"]
            if severity.get(alert_id, alert["data"]["vendor_severity"]) not in ("high", "critical"):
                continue
            moments = [
                r["at"]
                for r in self.kind("action.executed", reach)
                if r["data"]["requested_in"] in tasks.get(alert_id, set())
            ] + [
                r["at"]
                for r in self.kind("human.action", reach)
                if alert_id in r["data"]["alert_ids"]
            ]
            if any(received <= m <= received + sla for m in moments):
                counts["contained"] += 1
            elif received + sla <= as_of:
                counts["escaped"] += 1
                escaped.append(alert_id)
            else:
                counts["pending"] += 1
        decided = counts["contained"] + counts["escaped"]
        return {
            "sla_hours": sla_hours,
            "serious": decided + counts["pending"],
            **counts,
            "escape_rate": share(counts["escaped"], decided),
            "escaped_alerts": escaped[:20],
        }

    def credentials(self) -> dict[str, Any]:
        issued = {r["data"]["credential_id"]: r for r in self.kind("credential.issued")}
        revoked: dict[str, datetime] = {}
        for row in self.kind("credential.revoked"):
            revoked.setdefault(row["data"]["credential_id"], row["at"])
        lives = [(revoked[c] - r["at"]).total_seconds() for c, r in issued.items() if c in revoked]
        exposure = sum(
            (min(revoked.get(c, self.end), self.end) - r["at"]).total_seconds()
            * len(r["data"]["scopes"])
            for c, r in issued.items()
        )
        before_end = [r for r in self.all if r["at"] < self.end]
        ever_issued = {
            r["data"]["credential_id"] for r in self.kind("credential.issued", before_end)
        }
        ever_revoked = {
            r["data"]["credential_id"] for r in self.kind("credential.revoked", before_end)
        }
        lags = [r["data"]["lag_ms"] for r in self.kind("credential.revoked")]
        return {
            "issued": len(issued),
            "revoked": len(self.kind("credential.revoked")),
            "revoke_failed": len(self.kind("credential.revoke_failed")),
            "lifetime_median_s": median(lives),
            "lifetime_max_s": max(lives) if lives else None,
            "revocation_lag_median_ms": median(lags),
            "live_at_end": len(ever_issued - ever_revoked),
            "credential_seconds": exposure,
            "lifetime_buckets": buckets(lives),
        }

    def policy(self) -> dict[str, Any]:
        denials = Counter(
            r["data"]["rule"]
            for r in self.kind("policy.decision")
            if r["data"]["outcome"] == "deny"
        )
        limits = Counter(r["data"]["limit"] for r in self.kind("limit.hit"))
        return {
            "denials": sum(denials.values()),
            "denials_by_rule": dict(denials),
            "limit_hits": sum(limits.values()),
            "limit_hits_by_limit": dict(limits),
            "injection_suspects": len(self.kind("injection.suspect")),
        }

    def completeness(self) -> dict[str, Any]:
        executed = self.kind("action.executed")
        incomplete = [
            {"request_id": e["data"]["request_id"], "missing": missing}
            for e in executed
            if (missing := missing_links(self.all, e))
        ]
        return {
            "executed": len(executed),
            "complete": len(executed) - len(incomplete),
            "share": share(len(executed) - len(incomplete), len(executed)),
            "incomplete": incomplete[:10],
        }

    def usage(self, prices: dict[str, tuple[float, float]]) -> dict[str, Any]:
        models: dict[str, dict[str, Any]] = {}
        for row in sorted(self.kind("model.output"), key=lambda r: r["data"]["model"]):
            usage = models.setdefault(
                row["data"]["model"],
                {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": None},
            )
            usage["calls"] += 1
            usage["prompt_tokens"] += row["data"]["usage"]["prompt_tokens"]
            usage["completion_tokens"] += row["data"]["usage"]["completion_tokens"]
        unpriced = []
        for model, usage in models.items():
            price = model_price(model, prices)
            if price is None:
                unpriced.append(model)
            else:
                usage["cost_usd"] = (
                    usage["prompt_tokens"] * price[0] + usage["completion_tokens"] * price[1]
                ) / 1e6
        return {
            "models": models,
            "tokens": sum(u["prompt_tokens"] + u["completion_tokens"] for u in models.values()),
            "cost_usd": sum(u["cost_usd"] for u in models.values() if u["cost_usd"] is not None),
            "unpriced_models": unpriced,
        }

    def everything(
        self, sla_hours: float, as_of: datetime, prices: dict[str, tuple[float, float]]
    ) -> dict[str, Any]:
        return {
            "events": len(self.inside),
            "alerts": self.alerts(),
            "actions": self.actions(),
            "risk": self.risk(sla_hours, as_of),
            "credentials": self.credentials(),
            "policy": self.policy(),
            "completeness": self.completeness(),
            "usage": self.usage(prices),
        }


def model_price(model: str, prices: dict[str, tuple[float, float]]) -> tuple[float, float] | None:
    if model.startswith("socbot-offline"):
        return (0.0, 0.0)
    candidates = sorted((name for name in prices if model.startswith(name)), key=len)
    return prices[candidates[-1]] if candidates else None


def buckets(lives: list[float]) -> dict[str, int]:
    edges = [
        ("< 0.1 s", 0.1),
        ("0.1–1 s", 1),
        ("1–10 s", 10),
        ("10–60 s", 60),
        ("1–5 min", 300),
        ("5–15 min", 900),
    ]
    counts = {
        name: sum(1 for life in lives if low <= life < high)
        for (name, high), low in zip(edges, [0.0] + [e for _, e in edges[:-1]], strict=True)
    }
    counts["≥ 15 min"] = sum(1 for life in lives if life >= 900)
    return counts
