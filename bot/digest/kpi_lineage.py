"""Audit completeness: can every executed action be traced from request to result?

An action.executed row in the window has a complete lineage when the audit log also holds:
- request: the action.requested row for its request id, in the task that parked it
  (the executed row's requested_in);
- decision: a policy.decision row in that task for the same tool with outcome
  require_approval;
- approvals: an action.approved row for the request, and an approval.granted row by each
  approver that row names;
- credential: a credential.issued row for the tool in the execution's own task, and a
  credential.revoked row for that credential;
- result: a tool.result row for the tool in the execution's task, made with that credential,
  with status ok.
Share = complete ÷ executed. Rows are looked up by task id, whenever they were written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from bot.audit.event import EventKind
from bot.digest.model import CompletenessKpis
from bot.digest.queries import json_list
from bot.digest.reader import AuditReader
from bot.digest.rows import Event, WindowRows
from bot.digest.stats import ratio

LINKS = ("request", "decision", "approvals", "credential", "result")
PARKING_KINDS = (
    EventKind.ACTION_REQUESTED,
    EventKind.POLICY_DECISION,
    EventKind.APPROVAL_GRANTED,
    EventKind.ACTION_APPROVED,
)
EXECUTION_KINDS = (
    EventKind.CREDENTIAL_ISSUED,
    EventKind.CREDENTIAL_REVOKED,
    EventKind.TOOL_RESULT,
)
TASKS_PER_QUERY = 2_000
LISTED_INCOMPLETE = 10


@dataclass(frozen=True)
class Row:
    kind: str
    tool: str | None
    actor: str
    request_id: str | None
    outcome: str | None
    credential_id: str | None
    approvers: tuple[str, ...]
    status: str | None


TaskRows = dict[str, list[Row]]


def completeness_kpis(reader: AuditReader, rows: WindowRows) -> CompletenessKpis:
    executed = rows.in_window(EventKind.ACTION_EXECUTED)
    parked = task_rows(reader, {e.requested_in for e in executed}, PARKING_KINDS)
    ran = task_rows(reader, {e.task_id for e in executed}, EXECUTION_KINDS)
    kpis = CompletenessKpis(executed=len(executed))
    for action in executed:
        missing = missing_links(
            action, parked.get(action.requested_in, []), ran.get(action.task_id, [])
        )
        if missing:
            kpis.incomplete.append({"request_id": action.request_id, "missing": missing})
        else:
            kpis.complete += 1
    kpis.share = ratio(kpis.complete, kpis.executed)
    kpis.incomplete = kpis.incomplete[:LISTED_INCOMPLETE]
    return kpis


def task_rows(reader: AuditReader, task_ids: set[str], kinds: Sequence[str]) -> TaskRows:
    """The rows of these kinds in these tasks, by task, in seq order, whenever written."""
    found: TaskRows = defaultdict(list)
    ordered = sorted(task_ids)
    for first in range(0, len(ordered), TASKS_PER_QUERY):
        for task_id, row in _rows_of(reader, ordered[first : first + TASKS_PER_QUERY], kinds):
            found[task_id].append(row)
    return found


def _rows_of(
    reader: AuditReader, task_ids: Sequence[str], kinds: Sequence[str]
) -> Iterator[tuple[str, Row]]:
    tasks = {f"t{i}": task_id for i, task_id in enumerate(task_ids)}
    kind_names = {f"k{i}": str(kind) for i, kind in enumerate(kinds)}
    fields = ("request_id", "outcome", "credential_id")
    # The task id picks a few dozen rows; left to itself SQLite would walk the kind index.
    sql = (
        "SELECT task_id, kind, tool, actor, "
        f"{', '.join(reader.text(name) for name in fields)}, "
        f"{reader.json('approvers')}, {reader.text('status')} FROM audit_event "
        f"WHERE task_id IN ({', '.join(':' + t for t in tasks)}) "
        f"AND {reader.unindexed('kind')} IN ({', '.join(':' + k for k in kind_names)}) "
        "ORDER BY seq"
    )
    for (
        task_id,
        kind,
        tool,
        actor,
        request_id,
        outcome,
        credential_id,
        approvers,
        status,
    ) in reader.rows(sql, {**tasks, **kind_names}):
        approved_by = tuple(json_list(approvers))
        row = Row(kind, tool, actor, request_id, outcome, credential_id, approved_by, status)
        yield str(task_id), row


def missing_links(action: Event, parked: list[Row], own: list[Row]) -> list[str]:
    """The links of the lineage the rows do not show: parked are the rows of the task that
    parked the action, own those of the task that executed it."""
    credential = _issued_credential(action, own)
    present = {
        "request": _has(parked, EventKind.ACTION_REQUESTED, request_id=action.request_id),
        "decision": _has(
            parked, EventKind.POLICY_DECISION, tool=action.tool, outcome="require_approval"
        ),
        "approvals": _approved(action, parked),
        "credential": credential is not None
        and _has(own, EventKind.CREDENTIAL_REVOKED, credential_id=credential),
        "result": credential is not None
        and _has(
            own, EventKind.TOOL_RESULT, tool=action.tool, credential_id=credential, status="ok"
        ),
    }
    return [link for link in LINKS if not present[link]]


def _has(rows: list[Row], kind: str, **wanted: str) -> bool:
    return any(
        row.kind == kind and all(getattr(row, key) == value for key, value in wanted.items())
        for row in rows
    )


def _approved(action: Event, parked: list[Row]) -> bool:
    approvals = [
        row
        for row in parked
        if row.kind == EventKind.ACTION_APPROVED and row.request_id == action.request_id
    ]
    if not approvals:
        return False
    granted = {
        row.actor
        for row in parked
        if row.kind == EventKind.APPROVAL_GRANTED and row.request_id == action.request_id
    }
    return set(approvals[-1].approvers) <= granted and bool(approvals[-1].approvers)


def _issued_credential(action: Event, own: list[Row]) -> str | None:
    """The credential the execution's task was issued for the action's tool."""
    for row in own:
        if row.kind == EventKind.CREDENTIAL_ISSUED and row.tool == action.tool:
            return row.credential_id
    return None
