"""GET /healthz: whether the database answers within its deadline, the audit log is
append-only, OpenBao accepts socbot when credentials are held there, and a policy is in force;
and how many analysts' replies wait for Slack in the outbox."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.audit.health import append_only_problems
from bot.db_deadline import read_only, with_deadline
from bot.db_health import DeadlineWatch, database_status
from bot.runtime import Runtime
from bot.slack.answers.outbox_store import OutboxStore

log = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]


def health_endpoint(runtime: Runtime, watch: DeadlineWatch | None = None) -> Endpoint:
    async def healthz(_request: Request) -> Response:
        report = await anyio.to_thread.run_sync(health_report, runtime, watch)
        return JSONResponse(report, status_code=200 if report["ok"] else 503)

    return healthz


def health_report(runtime: Runtime, watch: DeadlineWatch | None = None) -> dict[str, object]:
    """Whether the database answers in time, keeps the audit log append-only, and which policy
    is in force; the replies waiting for Slack."""
    report: dict[str, object] = {"ok": True, "database": "ok", "policy_version": None}
    database = database_status(runtime.engine, runtime.settings.db_deadline_seconds, watch)
    if database != "ok":
        report.update(ok=False, database=database)
    else:
        report["outbox"] = outbox_report(runtime)
    try:
        # A read that neither takes nor waits long for SQLite's write lock.
        deadline = runtime.settings.db_deadline_seconds
        problems = append_only_problems(read_only(with_deadline(runtime.engine, deadline)))
    except Exception as exc:
        problems = [f"could not check: {type(exc).__name__}"]
    report["audit"] = "; ".join(problems) or "append-only"
    if problems:
        log.error("health check: audit log is not append-only: %s", report["audit"])
        report["ok"] = False
    openbao_problem = _openbao_problem(runtime)
    if openbao_problem is not None:
        report.update(ok=False, openbao=openbao_problem)
    try:
        report["policy_version"] = runtime.policies.current.version
    except Exception as exc:
        log.warning("health check: no policy in force: %s", exc)
        report.update(ok=False, policy=f"not loaded: {exc}")
    return report


def outbox_report(runtime: Runtime) -> dict[str, object]:
    """Replies to analysts that wait for Slack: how many, and the oldest one's age."""
    deadline = runtime.settings.db_deadline_seconds
    try:
        count, oldest = OutboxStore(with_deadline(runtime.engine, deadline)).pending()
    except Exception as exc:
        log.warning("health check: could not count pending replies: %s", exc)
        return {"pending_replies": None, "oldest_pending_seconds": None}
    return {"pending_replies": count, "oldest_pending_seconds": oldest}


def _openbao_problem(runtime: Runtime) -> str | None:
    """What is wrong with OpenBao when credentials are held there; None otherwise."""
    if runtime.settings.credential_backend != "openbao":
        return None
    from bot.openbao.leases import OpenBaoLeaseLedger

    try:
        backend = runtime.credential_backend
    except Exception as exc:
        return f"not connected: {type(exc).__name__}"
    return backend.health() if isinstance(backend, OpenBaoLeaseLedger) else None
