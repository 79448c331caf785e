"""`socbot audit keygen`, `audit checkpoint` and `audit verify --checkpoints` end to end: a
triage through the real command writes sealed rows and publishes checkpoints to a file, and
after a database admin recomputes a rewritten chain only --checkpoints says it is broken."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import get_settings
from bot.db import dispose_engine, get_engine
from tests.support.tamper_attacks import rebuild_chain

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_ALERT = REPO_ROOT / "bot" / "demo_alerts" / "01-okta-mfa-push-fatigue.json"
Run = Callable[..., tuple[int, str]]


@pytest.fixture
def socbot(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Run]:
    shutil.copyfile(REPO_ROOT / "policy.yaml", tmp_path / "policy.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SOCBOT_POLICY", str(tmp_path / "policy.yaml"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    get_settings.cache_clear()

    def run(*argv: str) -> tuple[int, str]:
        get_settings.cache_clear()
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    yield run
    get_settings.cache_clear()
    dispose_engine(db_url)


def test_verify_with_checkpoints_finds_what_plain_verify_cannot(
    socbot: Run, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = socbot("audit", "keygen", "audit.pem")
    assert code == 0 and "ed25519:" in out
    monkeypatch.setenv("SOCBOT_AUDIT_KEY_FILE", str(tmp_path / "audit.pem"))
    monkeypatch.setenv("SOCBOT_AUDIT_CHECKPOINT_FILE", str(tmp_path / "checkpoints.jsonl"))
    monkeypatch.setenv("SOCBOT_AUDIT_CHECKPOINT_EVENTS", "4")
    assert socbot("lab", "seed")[0] == 0
    code, out = socbot("triage", str(DEMO_ALERT))
    assert code == 0, out
    code, out = socbot("audit", "checkpoint")
    assert code == 0 and ("checkpoint signed" in out or "nothing new" in out), out
    published = (tmp_path / "checkpoints.jsonl").read_text().splitlines()
    assert len(published) >= 2

    code, out = socbot("audit", "verify", "--checkpoints")
    assert code == 0, out
    assert f"checkpoints: {len(published)} from" in out and "audit chain ok" in out

    def rewrite_first_tool_result(rows: list[dict[str, object]]) -> list[dict[str, object]]:
        target = next(r for r in rows if r["kind"] == "tool.result")
        target["data"] = '{"result":"nothing to see"}'
        return rows

    rebuild_chain(get_engine(db_url), rewrite_first_tool_result)
    monkeypatch.delenv("SOCBOT_AUDIT_KEY_FILE")
    assert socbot("audit", "verify")[0] == 0  # without the key: the chain was recomputed
    monkeypatch.setenv("SOCBOT_AUDIT_KEY_FILE", str(tmp_path / "audit.pem"))
    code, out = socbot("audit", "verify")  # with the key configured, seals are always checked
    assert code == 1 and "not sealed by the audit key" in out, out
    code, out = socbot("audit", "verify", "--checkpoints", str(tmp_path / "checkpoints.jsonl"))
    assert code == 1 and "BROKEN" in out and "not sealed by the audit key" in out, out
    assert "trigger audit_event_" in out  # and it says the triggers are gone


def test_keygen_will_not_overwrite_and_verify_needs_the_key(socbot: Run) -> None:
    assert socbot("audit", "keygen", "audit.pem")[0] == 0
    code, out = socbot("audit", "keygen", "audit.pem")
    assert code == 2 and "already exists" in out
    assert socbot("db", "upgrade")[0] == 0  # verify is read-only: it never creates a database
    code, out = socbot("audit", "verify", "--checkpoints")
    assert code == 2 and "SOCBOT_AUDIT_KEY_FILE" in out


def test_verify_warns_when_there_is_no_checkpoint_to_hold_to(
    socbot: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert socbot("audit", "keygen", "audit.pem")[0] == 0
    monkeypatch.setenv("SOCBOT_AUDIT_KEY_FILE", str(tmp_path / "audit.pem"))
    assert socbot("db", "upgrade")[0] == 0  # verify is read-only: it never creates a database
    code, out = socbot("audit", "verify", "--checkpoints")
    assert code == 0 and "checkpoints: 0 from the database" in out
    assert "warning: no signed checkpoints" in out
