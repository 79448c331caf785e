"""The socbot command, driven through bot.cli.main on the test's own database and policy file.

Each test points DATABASE_URL and SOCBOT_POLICY at its own database and a copy of policy.yaml,
runs in a tmp working directory (no .env, no stray database files) and clears the settings
cache, so every command builds its runtime from exactly that configuration.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.audit.log import verify
from bot.cli import build_parser, main
from bot.clock import utcnow
from bot.config import Settings, get_settings
from bot.db import dispose_engine, get_engine, is_postgres
from bot.policy import approvers_for, load_policy
from bot.runtime import Runtime
from bot.schema import current_revision, head_revision
from bot.tasks.runner import TaskLimits
from tools.providers.lab.models import ACTIVE
from tools.providers.lab.views import session_state, sessions_of

REPO_ROOT = Path(__file__).resolve().parent.parent
POLICY = REPO_ROOT / "policy.yaml"
BROKEN_POLICIES = REPO_ROOT / "tests" / "fixtures" / "policies"
DEMO_ALERT = REPO_ROOT / "bot" / "demo_alerts" / "01-okta-mfa-push-fatigue.json"
VERDICT_LINE = re.compile(
    r"^(BENIGN|SUSPICIOUS|MALICIOUS|NEEDS-INFO) · (low|medium|high|critical) · "
    r"confidence [01]\.\d\d\s+\[engine: (?P<engine>[\w:.-]+), task (?P<task>task_\w+)\]$",
    re.MULTILINE,
)
READ = frozenset({"directory:read"})
VERDICTS = {"benign", "suspicious", "malicious", "needs-info"}
PARKED_LINE = re.compile(r"PARKED for approval: (\w+)\s+→ (act_\w+) \(needs (\d+)\)")


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


Socbot = Callable[..., Run]


def command_paths() -> list[tuple[str, ...]]:
    """Every command and subcommand the parser knows, found by walking it."""

    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        yield path
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from walk(sub, (*path, name))

    return list(walk(build_parser(), ()))


def parser_for(path: tuple[str, ...]) -> argparse.ArgumentParser:
    parser = build_parser()
    for name in path:
        subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = subparsers.choices[name]
    return parser


def flat(text_: str) -> str:
    return " ".join(text_.split())


@pytest.fixture
def socbot(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Socbot]:
    policy = tmp_path / "policy.yaml"
    shutil.copyfile(POLICY, policy)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SOCBOT_POLICY", str(policy))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    get_settings.cache_clear()
    capsys.readouterr()

    def run(*argv: str) -> Run:
        code = main(list(argv))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    yield run
    get_settings.cache_clear()
    dispose_engine(db_url)


@pytest.fixture
def db(socbot: Socbot, db_url: str) -> Engine:
    """The engine the commands use (one per URL per process)."""
    return get_engine(db_url)


def triage_demo_alert(socbot: Socbot) -> tuple[str, dict[str, tuple[str, int]]]:
    """Seed the lab, triage the MFA-fatigue alert; the task id and tool → (request, quorum)."""
    assert socbot("lab", "seed").code == 0
    run = socbot("triage", str(DEMO_ALERT))
    assert run.code == 0, run.err
    header = VERDICT_LINE.search(run.out)
    assert header is not None, run.out
    parked = {tool: (rid, int(n)) for tool, rid, n in PARKED_LINE.findall(run.out)}
    return header["task"], parked


def active_sessions(engine: Engine, identity_id: str) -> int:
    now = utcnow()
    with Session(engine) as session:
        rows = sessions_of(session, identity_id)
        return sum(1 for row in rows if session_state(row, now) == ACTIVE)


def scalar(engine: Engine, sql: str, **params: object) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


# -- help -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "socbot")
def test_every_command_explains_itself(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    parser = parser_for(path)
    with pytest.raises(SystemExit) as exit_:
        main([*path, "--help"])
    assert exit_.value.code == 0
    out = flat(capsys.readouterr().out)
    assert out.startswith(flat(f"usage: socbot {' '.join(path)}"))
    assert parser.description and flat(parser.description) in out
    unexplained = [a.option_strings for a in parser._actions if a.option_strings and not a.help]
    assert unexplained == []


def test_no_command_prints_the_overview(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    out = capsys.readouterr().out
    assert "demo" in out and "triage" in out and "socbot demo" in out


# -- policy -----------------------------------------------------------------------------------


def test_policy_check_accepts_the_real_policy(socbot: Socbot) -> None:
    policy = load_policy(POLICY)
    for argv in (("policy", "check"), ("policy", "check", str(POLICY))):
        run = socbot(*argv)
        assert run.code == 0, run.out + run.err
        assert f"ok — {len(policy.tools)} tools, version {policy.version[:12]}" in run.out


@pytest.mark.parametrize("name", ["syntax_error", "wrong_mode", "quorum_impossible", "unknown_key"])
def test_policy_check_names_file_line_and_reason(name: str, socbot: Socbot) -> None:
    path = BROKEN_POLICIES / f"{name}.yaml"
    line = next(
        number
        for number, content in enumerate(path.read_text().splitlines(), 1)
        if "# ERROR" in content
    )
    run = socbot("policy", "check", str(path))
    assert run.code == 1
    message = (run.out + run.err).strip()
    assert re.search(rf"{re.escape(str(path))}:{line}: \S.{{10,}}", message), message
    assert "Traceback" not in message


def test_policy_check_reports_a_rule_for_a_tool_that_does_not_exist(
    socbot: Socbot, tmp_path: Path
) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        POLICY.read_text().replace(
            "tools:\n",
            "tools:\n  purge_mailbox:\n    mode: read_only\n    scopes: [mail:read]\n",
            1,
        )
    )
    run = socbot("policy", "check", str(extra))
    assert run.code == 1
    assert "tools.purge_mailbox has a rule" in run.out and "no tool of that name" in run.out


def test_policy_explain_names_the_approvers_and_the_quorum(socbot: Socbot) -> None:
    policy = load_policy(POLICY)
    rule = policy.tools["suspend_identity"]
    approvers = approvers_for(policy, "suspend_identity")
    run = socbot("policy", "explain", "suspend_identity")
    assert run.code == 0
    assert rule.quorum == 2 and f"after {rule.quorum} different approvers" in run.out
    approver_line = next(line for line in run.out.splitlines() if "Approvers:" in line)
    for who in (*approvers.users, *approvers.usergroups):
        assert who in approver_line
    assert "never acts on" in run.out and "break-glass-*" in run.out


def test_policy_show_lists_every_tool(socbot: Socbot) -> None:
    run = socbot("policy", "show")
    assert run.code == 0
    for name, rule in load_policy(POLICY).tools.items():
        assert re.search(rf"^{name}\s+{rule.mode}\b", run.out, re.MULTILINE)


# -- lab and db -------------------------------------------------------------------------------


def test_lab_seed_then_show_an_identity(socbot: Socbot, db: Engine) -> None:
    run = socbot("lab", "seed")
    assert run.code == 0 and "lab seeded" in run.out
    people = scalar(db, "SELECT count(*) FROM lab_identities WHERE kind = 'person'")
    assert f"people={people}" in run.out
    shown = socbot("lab", "show", "maria.chen@lab.example")
    assert shown.code == 0
    identity = json.dumps(json.loads(shown.out))
    assert "p-maria-chen" in identity and "Maria Chen" in identity
    assert json.loads(socbot("lab", "show", "p-maria-chen").out) == json.loads(shown.out)


def test_db_upgrade_brings_the_schema_to_head(socbot: Socbot, db: Engine) -> None:
    run = socbot("db", "upgrade")
    assert run.code == 0 and "schema up to date" in run.out
    with db.connect() as conn:
        assert current_revision(conn) == head_revision()


# -- triage -----------------------------------------------------------------------------------


def test_triage_prints_verdict_engine_and_parked_actions(socbot: Socbot, db: Engine) -> None:
    task_id, parked = triage_demo_alert(socbot)
    assert parked, "the MFA-fatigue alert should park at least one action"
    with db.connect() as conn:
        rows = conn.execute(
            text("SELECT id, tool, quorum FROM action_request WHERE status = 'pending'")
        )
        pending = {row.tool: (row.id, row.quorum) for row in rows}
    assert parked == pending
    assert scalar(db, "SELECT kind FROM task WHERE id = :t", t=task_id) == "triage"


def test_triage_reads_the_alert_from_stdin(
    socbot: Socbot, db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    socbot("lab", "seed")
    monkeypatch.setattr(sys, "stdin", io.StringIO(DEMO_ALERT.read_text()))
    run = socbot("triage", "-", "--json", "--as", "U0ANALYST1")
    assert run.code == 0, run.err
    result = json.loads(run.out)
    assert result["engine"] == "offline" and result["verdict"] in VERDICTS
    assert scalar(db, "SELECT actor FROM task WHERE id = :t", t=result["task_id"]) == "U0ANALYST1"
    assert result["fell_back_because"] is None and result["stopped_by"] is None


@pytest.mark.parametrize(
    ("content", "line"), [('{\n  "eventType": "x",\n  oops\n}', 3), ("not json at all", 1)]
)
def test_triage_refuses_a_file_that_is_not_json(
    content: str, line: int, socbot: Socbot, tmp_path: Path
) -> None:
    path = tmp_path / "alert.json"
    path.write_text(content)
    run = socbot("triage", str(path))
    assert run.code == 2
    assert run.err.startswith(f"socbot: {path}:{line}:") and "not valid JSON" in run.err
    assert "Traceback" not in run.err + run.out and run.out == ""


def test_triage_refuses_bad_input_from_stdin_and_non_objects(
    socbot: Socbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("[1,\n2,,]"))
    run = socbot("triage", "-")
    assert (run.code, run.err.split(": not valid")[0]) == (2, "socbot: stdin:2:3")
    listing = tmp_path / "list.json"
    listing.write_text("[]")
    run = socbot("triage", str(listing))
    assert run.code == 2 and "one JSON object" in run.err
    run = socbot("triage", str(tmp_path / "missing.json"))
    assert run.code == 2 and "cannot read" in run.err and "Traceback" not in run.err


# -- actions ----------------------------------------------------------------------------------


def test_actions_list_show_approve_reject_and_withdraw(socbot: Socbot, db: Engine) -> None:
    _, parked = triage_demo_alert(socbot)
    suspend_id, quorum = parked["suspend_identity"]
    listing = socbot("actions", "list", "--status", "pending").out
    assert {line.split()[0] for line in listing.splitlines()[1:]} == {r for r, _ in parked.values()}
    shown = socbot("actions", "show", suspend_id).out
    assert f"{suspend_id}  pending" in shown and f"quorum     {quorum}" in shown

    first, second = sorted(approvers_for(load_policy(POLICY), "suspend_identity").users)[:2]
    approve = socbot("actions", "approve", suspend_id, "--as", first)
    assert approve.code == 0 and f"1 of {quorum}; action is pending" in approve.out
    stranger = socbot("actions", "approve", suspend_id, "--as", "U0NOTANAPPROVER")
    assert stranger.code == 1 and "not counted" in stranger.out
    assert socbot("actions", "withdraw", suspend_id, "--as", first).code == 0
    assert socbot("actions", "withdraw", suspend_id, "--as", first).code == 1
    reject = socbot("actions", "reject", suspend_id, "--as", second)
    assert reject.code == 0 and "rejected" in reject.out
    shown = socbot("actions", "show", suspend_id).out
    assert f"{first}: withdrawn" in shown and f"{second}: reject" in shown
    lab_status = "SELECT status FROM lab_identities WHERE id = 'p-maria-chen'"
    assert scalar(db, lab_status) == "active"


def test_approving_at_quorum_runs_the_action_once(socbot: Socbot, db: Engine) -> None:
    _, parked = triage_demo_alert(socbot)
    request_id, quorum = parked["revoke_sessions"]
    assert quorum == load_policy(POLICY).tools["revoke_sessions"].quorum == 1
    approver = sorted(approvers_for(load_policy(POLICY), "revoke_sessions").users)[0]
    assert active_sessions(db, "p-maria-chen") > 0
    run = socbot("actions", "approve", request_id, "--as", approver)
    assert run.code == 0 and "executed: ok" in run.out
    assert active_sessions(db, "p-maria-chen") == 0
    again = socbot("actions", "approve", request_id, "--as", approver)
    assert again.code == 1 and "not counted" in again.out
    assert "executed" in socbot("actions", "show", request_id).out.splitlines()[0]


# -- audit ------------------------------------------------------------------------------------


def tamper_with_audit_row(engine: Engine, seq: int) -> None:
    """Change a row behind the application's back: get past the trigger first."""
    with engine.begin() as conn:
        if is_postgres(engine):
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        else:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
        conn.execute(
            text("UPDATE audit_event SET actor = 'someone-else' WHERE seq = :seq"), {"seq": seq}
        )


def test_audit_verify_passes_then_catches_tampering(socbot: Socbot, db: Engine) -> None:
    triage_demo_alert(socbot)
    events = scalar(db, "SELECT count(*) FROM audit_event")
    run = socbot("audit", "verify")
    assert run.code == 0 and f"audit chain ok: {events} events" in run.out
    tamper_with_audit_row(db, 5)
    run = socbot("audit", "verify")
    assert run.code == 1 and "audit chain BROKEN at seq 5" in run.out


def test_audit_export_one_task_as_jsonl_and_csv(socbot: Socbot, db: Engine) -> None:
    task_id, _ = triage_demo_alert(socbot)
    expected = scalar(db, "SELECT count(*) FROM audit_event WHERE task_id = :t", t=task_id)
    assert scalar(db, "SELECT count(*) FROM audit_event") > expected  # so the filter matters
    jsonl = socbot("audit", "export", "--format", "jsonl", "--task", task_id)
    events = [json.loads(line) for line in jsonl.out.splitlines()]
    assert len(events) == expected and {e["task_id"] for e in events} == {task_id}
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert events[0]["kind"] == "task.start" and events[-1]["kind"] == "task.end"
    rows = list(
        csv.DictReader(
            io.StringIO(socbot("audit", "export", "--format", "csv", "--task", task_id).out)
        )
    )
    assert [int(r["seq"]) for r in rows] == [e["seq"] for e in events]
    assert [r["hash"] for r in rows] == [e["hash"] for e in events]


def test_audit_show_draws_a_task_lineage(socbot: Socbot) -> None:
    task_id, parked = triage_demo_alert(socbot)
    run = socbot("audit", "show", task_id)
    assert run.code == 0
    assert run.out.startswith(f"task {task_id}: ")
    kinds = ["task.start", "prompt", "model.output", "tool.call", "policy.decision"]
    positions = [run.out.find(kind) for kind in [*kinds, "action.requested", "task.end"]]
    assert -1 not in positions and positions == sorted(positions)
    requested = [line for line in run.out.splitlines() if "action.requested" in line]
    assert sorted(line.split("action.requested")[1].split()[0] for line in requested) == sorted(
        parked
    )
    missing = socbot("audit", "show", "task_does_not_exist")
    assert missing.code == 1 and "no audit events" in missing.out


# -- credentials ------------------------------------------------------------------------------


def test_credentials_list_live_and_sweep(socbot: Socbot, db: Engine) -> None:
    triage_demo_alert(socbot)
    issued = scalar(db, "SELECT count(*) FROM credential")
    every = socbot("credentials", "list").out.splitlines()[1:]
    assert len(every) == issued and all(" revoked " in line for line in every)
    assert "(none)" in socbot("credentials", "list", "--live").out

    runtime = Runtime(Settings(_env_file=None))
    running = TaskLimits(model_turns=5, tool_calls=5, tokens=10_000, seconds=120)
    overdue = TaskLimits(model_turns=5, tool_calls=5, tokens=10_000, seconds=0.001)
    with (
        runtime.tasks.run("thread", "U0ANALYST1", running) as task,
        runtime.broker.issue(task.id, "get_identity", READ, 300) as live,
    ):
        listing = socbot("credentials", "list", "--live").out
        assert live.credential_id in listing and "LIVE" in listing
        assert live.secret not in listing
        with (
            runtime.tasks.run("thread", "U0ANALYST1", overdue) as stale_task,
            runtime.broker.issue(stale_task.id, "get_identity", READ, 300) as stale,
        ):
            sweep = socbot("credentials", "sweep")
            assert sweep.code == 0 and "revoked 1" in sweep.out
            assert f"{stale.credential_id}  verified=True" in sweep.out
            assert live.credential_id not in sweep.out
            assert not runtime.provider.credential_accepted_by_id(stale.credential_id)
        assert runtime.provider.credential_accepted_by_id(live.credential_id)
    assert "(none)" in socbot("credentials", "list", "--live").out


# -- demo -------------------------------------------------------------------------------------


def test_demo_runs_the_whole_loop(socbot: Socbot, db_url: str, db: Engine, tmp_path: Path) -> None:
    run = socbot("demo", "--database", db_url)
    assert run.code == 0, run.err
    assert run.out.count(": accepted as alert_") == 5  # each sample went through the intake
    assert "audit chain: verified" in run.out
    assert re.search(r"credentials: [1-9]\d* issued, 0 still live", run.out)
    assert "a second execution is refused" in run.out
    assert verify(db).ok
    assert not (tmp_path / "socbot-demo.db").exists()
