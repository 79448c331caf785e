"""An approval is for the identity the target resolved to when it was parked, not for the
name the model wrote: a name that now resolves to someone else voids it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text

from bot.actions.approvals import EXECUTED, VOIDED, hash_matches
from bot.runtime import Runtime
from tests.support.approvals import about, audit_rows, execute, park, sessions_state, tool_runs

MakeRuntime = Callable[..., Runtime]
REASON = "MFA push fatigue, then an approved push from a new country"


def email_of(runtime: Runtime, identity: str) -> str:
    with runtime.engine.connect() as conn:
        query = text("SELECT email FROM lab_identities WHERE id = :i")
        return str(conn.execute(query, {"i": identity}).scalar_one())


def set_email(runtime: Runtime, identity: str, email: str) -> None:
    with runtime.engine.begin() as conn:
        query = text("UPDATE lab_identities SET email = :e WHERE id = :i")
        conn.execute(query, {"e": email, "i": identity})


def park_by_email(runtime: Runtime, email: str) -> str:
    request_id = park(runtime, "revoke_sessions", {"identity": email, "reason": REASON})
    assert runtime.approvals.decide(request_id, "U0IDADMIN2", "approve").ready_to_execute
    return request_id


def test_the_request_is_bound_to_the_resolved_identity_and_its_hash_covers_it(
    make_runtime: MakeRuntime,
) -> None:
    runtime = make_runtime()
    request_id = park_by_email(runtime, email_of(runtime, "p-maria-chen"))
    request = runtime.approvals.get(request_id)
    assert request.target_identity_id == "p-maria-chen"
    assert hash_matches(request)
    request.target_identity_id = "p-tom-becker"
    assert not hash_matches(request)


def test_an_email_reassigned_after_approval_voids_the_action(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    email = email_of(runtime, "p-maria-chen")
    request_id = park_by_email(runtime, email)
    set_email(runtime, "p-maria-chen", "maria.chen.old@lab.example")
    set_email(runtime, "p-tom-becker", email)  # the address now belongs to someone else
    toms_sessions = sessions_state(runtime, "p-tom-becker")

    outcome = execute(runtime, request_id)

    assert (outcome.status, outcome.rule) == ("denied", "approval.void"), outcome
    assert "p-tom-becker" in outcome.content["reason"]
    assert "p-maria-chen" in outcome.content["reason"]
    assert runtime.approvals.get(request_id).status == VOIDED
    assert tool_runs(runtime, "revoke_sessions") == 0
    assert sessions_state(runtime, "p-tom-becker") == toms_sessions
    [voided] = about(audit_rows(runtime, "action.voided"), request_id)
    assert "now resolves to p-tom-becker" in voided["data"]["reason"]


def test_a_name_that_still_resolves_to_the_same_identity_runs(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    request_id = park_by_email(runtime, email_of(runtime, "p-maria-chen"))
    assert execute(runtime, request_id).status == "ok"
    assert runtime.approvals.get(request_id).status == EXECUTED
