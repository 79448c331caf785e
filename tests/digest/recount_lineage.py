"""The lineage check of the recount (tests/digest/recompute.py): plain Python over every
exported row, following the five links bot.digest.kpi_lineage documents."""

from __future__ import annotations

from typing import Any

Row = dict[str, Any]


def missing_links(rows: list[Row], executed: Row) -> list[str]:
    data, tool = executed["data"], executed["tool"]
    parked = [r for r in rows if r["task_id"] == data["requested_in"]]
    own = [r for r in rows if r["task_id"] == executed["task_id"]]
    about = [r for r in parked if r["data"].get("request_id") == data["request_id"]]
    approvals = [r for r in about if r["kind"] == "action.approved"]
    granted = {r["actor"] for r in about if r["kind"] == "approval.granted"}
    credentials = [
        r["data"]["credential_id"]
        for r in own
        if r["kind"] == "credential.issued" and r["tool"] == tool
    ]
    credential = credentials[0] if credentials else None
    links = {
        "request": any(r["kind"] == "action.requested" for r in about),
        "decision": any(
            r["kind"] == "policy.decision"
            and r["tool"] == tool
            and r["data"]["outcome"] == "require_approval"
            for r in parked
        ),
        "approvals": bool(approvals)
        and bool(approvals[-1]["data"]["approvers"])
        and set(approvals[-1]["data"]["approvers"]) <= granted,
        "credential": any(
            r["kind"] == "credential.revoked" and r["data"]["credential_id"] == credential
            for r in own
        ),
        "result": any(
            r["kind"] == "tool.result"
            and r["tool"] == tool
            and r["data"].get("credential_id") == credential
            and r["data"].get("status") == "ok"
            for r in own
        ),
    }
    return [
        name
        for name in ("request", "decision", "approvals", "credential", "result")
        if not links[name]
    ]
