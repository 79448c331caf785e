"""socbot alerts normalize / ingest / rejected / queue / work, and socbot triage through the
intake, driven through bot.cli.main on the test's own database."""

from __future__ import annotations

import io
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import bot.demo_alerts
from bot.alerts.model import Alert
from bot.cli import main
from bot.config import get_settings
from bot.db import dispose_engine, get_engine
from tests.alerts.intake_helpers import acme, acme_event, rows, scalar

__all__ = ["acme"]
pytestmark = pytest.mark.usefixtures("acme")
REPO_ROOT = Path(__file__).resolve().parents[2]
MFA_FATIGUE = Path(bot.demo_alerts.__file__).parent / "01-okta-mfa-push-fatigue.json"


class Socbot:
    def __init__(self, capsys: pytest.CaptureFixture[str], db_url: str) -> None:
        self.capsys = capsys
        self.engine = get_engine(db_url)

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err


@pytest.fixture
def socbot(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Socbot]:
    shutil.copyfile(REPO_ROOT / "policy.yaml", tmp_path / "policy.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SOCBOT_POLICY", str(tmp_path / "policy.yaml"))
    monkeypatch.setenv("SOCBOT_STORM_THRESHOLD", "1000")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    get_settings.cache_clear()
    capsys.readouterr()
    yield Socbot(capsys, db_url)
    get_settings.cache_clear()
    dispose_engine(db_url)


def jsonl(path: Path, lines: list[Any]) -> Path:
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"
    )
    return path


def test_normalize_writes_jsonl_and_reports_bad_lines_by_number(
    socbot: Socbot, tmp_path: Path
) -> None:
    events = jsonl(
        tmp_path / "events.jsonl",
        [acme_event("a@example.org"), "{broken", "", acme_event("b@example.org"), [1, 2]],
    )
    code, out, err = socbot("alerts", "normalize", str(events))
    assert code == 0
    alerts = [Alert.model_validate_json(line) for line in out.splitlines()]
    assert [a.actor.email for a in alerts if a.actor] == ["a@example.org", "b@example.org"]
    assert f"{events}:2: not valid JSON" in err and f"{events}:5: an alert must be" in err
    assert "normalized 2 of 4 events; 2 failed" in err
    assert socbot("alerts", "normalize", str(events), "--strict")[0] == 1


def test_normalize_takes_the_event_from_a_field_of_each_record(
    socbot: Socbot, tmp_path: Path
) -> None:
    records = jsonl(
        tmp_path / "records.jsonl",
        [
            {"id": "r1", "platform": "acme", "event": acme_event("a@example.org")},
            {"id": "r2", "platform": "acme"},
            {"id": "r3", "event": "not an event"},
        ],
    )
    code, out, err = socbot("alerts", "normalize", str(records), "--field", "event")
    assert code == 0 and len(out.splitlines()) == 1
    assert f"{records}:2: the record has no field 'event'" in err
    assert f"{records}:3: not valid JSON" in err
    wrong_source = socbot(
        "alerts", "normalize", str(records), "--field", "event", "--source", "okta"
    )
    assert wrong_source[1] == "" and "okta:" in wrong_source[2]


def test_normalize_can_take_each_source_from_a_field_of_the_record(
    socbot: Socbot, tmp_path: Path
) -> None:
    logout = {"eventType": "logout"}  # a stripped Okta event: no shape to tell it by
    records = jsonl(
        tmp_path / "records.jsonl",
        [
            {"platform": "okta", "event": logout},
            {"platform": "not-a-source", "event": logout},
        ],
    )
    args = ("alerts", "normalize", str(records), "--field", "event")
    code, out, err = socbot(*args, "--source-field", "platform")
    assert code == 0 and [Alert.model_validate_json(x).source for x in out.splitlines()] == ["okta"]
    assert f"{records}:2: could not tell which vendor" in err
    assert socbot(*args)[1] == ""  # without the field, neither line can be told


def test_ingest_stores_dedupes_and_keeps_rejections_then_work_drains(
    socbot: Socbot, tmp_path: Path
) -> None:
    assert socbot("lab", "seed")[0] == 0
    lines = [acme_event(f"user{n % 3}@example.org") for n in range(7)] + ["not json"]
    code, out, err = socbot("alerts", "ingest", str(jsonl(tmp_path / "in.jsonl", lines)))
    assert code == 0
    assert "ingested 8 lines: 3 accepted (0 into storm groups), 4 duplicates, 1 rejected" in out
    assert "in 3 triage groups" in out and "in.jsonl:8: rejected: not valid JSON" in err
    assert scalar(socbot.engine, "SELECT count(*) FROM alert") == 7
    rejected_id = rows(socbot.engine, "SELECT id FROM rejected_alert")[0][0]
    listing = socbot("alerts", "rejected")[1]
    assert rejected_id in listing and "cli" in listing and "not valid JSON" in listing
    assert socbot("alerts", "rejected", "--show", rejected_id)[1] == "not json\n"
    queue = socbot("alerts", "queue", "--status", "queued")[1]
    assert len(queue.splitlines()) == 4 and "login.failed" in queue
    code, out, _ = socbot("alerts", "work", "--once")
    assert code == 0 and out.count("group grp_") == 1 and "triaged 1 groups" in out
    code, out, _ = socbot("alerts", "work")
    assert code == 0 and out.count("group grp_") == 2
    assert "(none)" in socbot("alerts", "queue", "--status", "queued")[1]
    assert scalar(socbot.engine, "SELECT count(*) FROM task WHERE kind = 'triage'") == 3


def test_triage_stores_the_alert_and_a_repeat_is_reported_as_a_duplicate(
    socbot: Socbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    socbot("lab", "seed")
    code, out, _ = socbot("triage", str(MFA_FATIGUE))
    assert code == 0 and out.startswith("MALICIOUS · critical")
    (alert,) = rows(socbot.engine, "SELECT id, group_id, via FROM alert")
    assert alert.via == "cli"
    group = rows(socbot.engine, "SELECT status, task_id FROM triage_group")[0]
    assert group.status == "done" and f"task {group.task_id}]" in out
    monkeypatch.setattr(sys, "stdin", io.StringIO(MFA_FATIGUE.read_text()))
    code, out, _ = socbot("triage", "-")
    assert code == 0 and out.startswith(f"duplicate of alert {alert.id} (1 so far)")
    assert f"task {group.task_id}]" in out  # the first triage, shown again, not redone
    assert scalar(socbot.engine, "SELECT count(*) FROM task WHERE kind = 'triage'") == 1


def test_triage_refuses_what_intake_refuses_and_keeps_it(socbot: Socbot, tmp_path: Path) -> None:
    unknown = tmp_path / "unknown.json"
    unknown.write_text('{"hello": "world"}')
    code, out, err = socbot("triage", str(unknown))
    assert code == 2 and out == ""
    assert "could not tell which vendor sent this event" in err and "kept as rej_" in err
    code, _, err = socbot("triage", str(unknown), "--source", "nosuch")
    assert code == 2 and "unknown source 'nosuch'" in err
    assert scalar(socbot.engine, "SELECT count(*) FROM rejected_alert") == 2
