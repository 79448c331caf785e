"""Policy changes that widen power are noticed: each version's text is kept, the diff is
audited, widening changes are classified and posted to the approvals channel, and
`socbot policy check --against OLD` lists them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.cli import main
from bot.runtime import Runtime
from tests.support.gate_checks import REPO_POLICY, audit_rows, policy_text, rows_of
from tests.support.slack import ServedSlack, slack_app, slack_standin
from tests.support.slack_standin import SlackStandIn

__all__ = ["slack_app", "slack_standin"]
MakeRuntime = Callable[..., Runtime]
APPROVALS = "C0APPROVALS"
WIDENING = (
    "tools.suspend_identity.mode: execute_with_approval → read_only",
    "tools.revoke_sessions.quorum: 2 → 1",
    "tools.revoke_sessions.approvers: users added: U0INTRUDER",
    "protected_targets: no longer protected: break-glass-*",
    "tools.revoke_sessions.ttl_seconds: 120 → 600",
    "tools.revoke_sessions.rate_limit: 30 per 3600s → 300 per 3600s",
)


def widen(data: dict[str, Any]) -> None:
    tools = data["tools"]
    tools["suspend_identity"]["mode"] = "read_only"
    tools["revoke_sessions"].update(ttl_seconds=600, quorum=1)
    tools["revoke_sessions"]["approvers"]["users"] = ["U0INTRUDER"]
    tools["revoke_sessions"]["rate_limit"] = {"calls": 300, "per_seconds": 3600}
    data["protected_targets"].remove("break-glass-*")


def quorum_two(data: dict[str, Any]) -> None:
    data["tools"]["revoke_sessions"]["quorum"] = 2


def narrow(data: dict[str, Any]) -> None:
    quorum_two(data)
    data["tools"]["revoke_sessions"]["quorum"] = 3
    data["tools"]["get_identity"]["ttl_seconds"] = 30


def edit(runtime: Runtime, mutate: Callable[[dict[str, Any]], None]) -> None:
    def both(data: dict[str, Any]) -> None:
        quorum_two(data)
        mutate(data)

    runtime.settings.policy_path.write_text(policy_text(both), encoding="utf-8")
    runtime.policies.reload()


def kept_versions(runtime: Runtime) -> dict[str, str]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(text("SELECT version, content FROM policy_version"))
        return {row[0]: row[1] for row in rows}


def test_a_widening_reload_is_audited_with_each_class_of_change(
    make_runtime: MakeRuntime,
) -> None:
    runtime = make_runtime(policy_text=policy_text(quorum_two))
    first = runtime.policies.current
    edit(runtime, widen)
    second = runtime.policies.current

    assert second.tools["suspend_identity"].mode == "read_only"
    loaded = rows_of(audit_rows(runtime.engine), "policy.loaded")
    assert [row["data"]["version"] for row in loaded] == [first.version, second.version]
    assert "widening" not in loaded[0]["data"]
    assert sorted(loaded[1]["data"]["widening"]) == sorted(f"widening: {w}" for w in WIDENING)
    assert set(loaded[1]["data"]["widening"]) <= set(loaded[1]["data"]["changes"])
    kept = kept_versions(runtime)
    assert kept == {
        first.version: first.content,
        second.version: runtime.settings.policy_path.read_text(encoding="utf-8"),
    }


def test_a_narrowing_reload_lists_changes_but_no_widening(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(policy_text=policy_text(quorum_two))
    assert runtime.policies.current.tools["revoke_sessions"].quorum == 2
    edit(runtime, narrow)
    [_, loaded] = rows_of(audit_rows(runtime.engine), "policy.loaded")
    assert loaded["data"]["widening"] == []
    assert "narrowing: tools.revoke_sessions.quorum: 2 → 3" in loaded["data"]["changes"]
    assert "narrowing: tools.get_identity.ttl_seconds: 60 → 30" in loaded["data"]["changes"]


def test_widening_changes_are_posted_to_the_approvals_channel(
    slack_app: Callable[..., ServedSlack], slack_standin: SlackStandIn
) -> None:
    served = slack_app(policy_text=policy_text(quorum_two), slack_approvals_channel=APPROVALS)
    edit(served.runtime, narrow)  # narrowing only: nothing to post
    edit(served.runtime, widen)

    [post] = slack_standin.wait_for("chat.postMessage", timeout=10)
    assert post.params["channel"] == APPROVALS
    assert "widens what socbot may do" in post.params["text"]
    assert "tools.suspend_identity.mode" in post.params["text"]
    assert "read_only" in post.params["text"]
    served.wait_idle()
    assert len(slack_standin.calls("chat.postMessage")) == 1


def test_policy_check_against_an_old_file_lists_widening_changes_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(policy_text(quorum_two), encoding="utf-8")

    def widen_from_two(data: dict[str, Any]) -> None:
        quorum_two(data)
        widen(data)
        data["tools"]["get_identity"]["ttl_seconds"] = 30  # one narrowing, listed after

    new.write_text(policy_text(widen_from_two), encoding="utf-8")

    assert main(["policy", "check", str(new), "--against", str(old)]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[1] == f"against {old}: {len(WIDENING) + 1} changes, {len(WIDENING)} widen power"
    listed = [line.strip() for line in out[2:]]
    assert sorted(listed[: len(WIDENING)]) == sorted(f"widening: {w}" for w in WIDENING)
    assert listed[-1] == "narrowing: tools.get_identity.ttl_seconds: 60 → 30"


def test_the_real_policy_against_itself_has_no_changes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["policy", "check", str(REPO_POLICY), "--against", str(REPO_POLICY)]) == 0
    assert "0 changes, 0 widen power" in capsys.readouterr().out
