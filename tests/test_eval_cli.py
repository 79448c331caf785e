"""socbot eval: each labelled event triaged on its own, scored per platform, nothing written
to the live database; bad lines are named and skipped, never hiding the rest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.config import get_settings
from bot.evaluation.metrics import Confusion
from tests.detection.events import cloudtrail, okta

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOCBOT_POLICY", str(REPO_ROOT / "policy.yaml"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'live.db'}")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def row(event: Any, label: Any, platform: str) -> str:
    return json.dumps({"event": event, "expected_malicious": label, "platform": platform})


def labelled_file(folder: Path) -> Path:
    lines = [
        row(okta("user.account.privilege.grant"), True, "okta"),
        row(okta("user.session.start"), False, "okta"),
        row(cloudtrail("StopLogging", eventSource="cloudtrail.amazonaws.com"), True, "aws"),
        row(cloudtrail("CreateAccessKey"), False, "aws"),
        row({"what": "no vendor has this shape"}, True, "aws"),
        "{not json",
        row(okta("user.session.start"), None, "okta"),
        "",
    ]
    path = folder / "labelled.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_eval_scores_each_event_and_prints_json(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["eval", str(labelled_file(workdir)), "--json", "--offline"])
    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out)
    overall = report["overall"]
    assert (overall["tp"], overall["fp"], overall["tn"], overall["fn"]) == (2, 0, 2, 1)
    assert overall["balanced_accuracy"] == round((2 / 3 + 1) / 2, 3)
    assert report["platforms"]["okta"]["balanced_accuracy"] == 1.0
    assert report["platforms"]["aws"]["recall"] == 0.5
    assert overall["verdicts"]["benign"] == 2
    assert report["skipped_lines"] == [
        f"{workdir / 'labelled.jsonl'}:6: not valid JSON at column 2 "
        "(Expecting property name enclosed in double quotes)"
    ]
    assert report["unlabelled"] == 1
    assert report["rejected_by_normalizer"][0].startswith(f"{workdir / 'labelled.jsonl'}:5: ")
    assert "socbot eval: 5/5 triaged" in err
    assert "skipped" in err
    assert not (workdir / "live.db").exists()  # a throwaway database, never the live one


def test_eval_prints_a_table_with_field_names_given(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workdir / "other.jsonl"
    path.write_text(
        json.dumps({"raw": okta("user.session.start"), "bad": "no", "src": "idp"}) + "\n",
        encoding="utf-8",
    )
    args = ["eval", str(path), "--offline", "--quiet"]
    code = main([*args, "--event-field", "raw", "--label-field", "bad", "--platform-field", "src"])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    assert out.splitlines()[1].split()[:3] == ["platform", "events", "tp"]
    assert out.splitlines()[2].split()[:6] == ["idp", "1", "0", "0", "1", "0"]


def test_eval_refuses_a_file_without_labelled_events(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workdir / "empty.jsonl"
    path.write_text(row(okta("user.session.start"), None, "okta") + "\n", encoding="utf-8")
    assert main(["eval", str(path), "--offline"]) == 2
    assert "no labelled events to score" in capsys.readouterr().err


def test_a_bad_label_is_named() -> None:
    from bot.evaluation.labelled import FieldNames, _one

    with pytest.raises(ValueError, match="must be true, false or null"):
        _one(row({}, "perhaps", "x"), FieldNames(), "f:1")


def test_balanced_accuracy_with_one_class_is_that_class_rate() -> None:
    matrix = Confusion()
    matrix.add(label=True, verdict="malicious")
    matrix.add(label=True, verdict="needs-info")
    assert matrix.balanced_accuracy == 0.5 and matrix.precision == 1.0
    assert matrix.specificity is None


def test_fail_under_gates_on_the_overall_balanced_accuracy(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = labelled_file(workdir)
    assert main(["eval", str(path), "--offline", "--quiet", "--fail-under", "0.8"]) == 0
    assert main(["eval", str(path), "--offline", "--quiet", "--fail-under", "0.9"]) == 1
    assert "is below 0.9" in capsys.readouterr().err


def test_detection_check_lists_rules_and_names_a_bad_line(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["detection", "check"]) == 0
    out = capsys.readouterr().out
    assert "rules ok (shipped only)" in out and "okta" in out
    bad = workdir / "local.yaml"
    bad.write_text("rules:\n  - id: local.x\n    severity: urgent\n", encoding="utf-8")
    assert main(["detection", "check", str(bad)]) == 2
    assert f"{bad}:3: " in capsys.readouterr().err
