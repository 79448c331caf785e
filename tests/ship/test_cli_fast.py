"""The command line loads only the chosen command, and takes --database and --policy the same
way everywhere (before or after the command; old spellings still work, unshown)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import COMMANDS, build_parser, chosen_command, main
from bot.config import get_settings
from bot.db import dispose_engine

REPO_ROOT = Path(__file__).resolve().parents[2]
POLICY = REPO_ROOT / "policy.yaml"
HEAVY = ("sqlalchemy", "sqlmodel", "matplotlib", "slack_bolt", "slack_sdk", "openai", "alembic")

LOADED = """\
import contextlib, io, json, sys
from bot.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exit_:
        code = exit_.code
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(%r)))
print(json.dumps({"code": code, "heavy": heavy}))
"""


def loaded_after(*argv: str, cwd: Path) -> dict[str, object]:
    script = LOADED % json.dumps(HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", script, *argv], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


@pytest.mark.parametrize(
    "argv",
    [("--help",), ("policy", "check", str(POLICY)), ("policy", "--help"), ("init", "--help")],
    ids=" ".join,
)
def test_help_and_policy_check_load_no_database_slack_or_chart_library(
    argv: tuple[str, ...], tmp_path: Path
) -> None:
    result = loaded_after(*argv, cwd=tmp_path)
    assert result == {"code": 0, "heavy": []}


def test_the_digest_loads_matplotlib_only_to_draw_a_chart(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'd.db'}"
    assert loaded_after("--database", database, "db", "upgrade", cwd=tmp_path)["code"] == 0
    plain = loaded_after("--database", database, "digest", "--no-verify", cwd=tmp_path)
    assert plain["code"] == 0 and "matplotlib" not in plain["heavy"]  # type: ignore[operator]
    chart = str(tmp_path / "chart.png")
    drawn = loaded_after("--database", database, "digest", "--chart", chart, cwd=tmp_path)
    assert drawn["code"] == 0 and "matplotlib" in drawn["heavy"]  # type: ignore[operator]
    assert (tmp_path / "chart.png").read_bytes().startswith(b"\x89PNG")


def test_the_overview_summaries_are_the_commands_own() -> None:
    full = subparsers(build_parser())
    lazy = subparsers(build_parser(load=[]))
    for name in COMMANDS:
        own = {a.dest: a.help for a in full._choices_actions}[name]
        assert {a.dest: a.help for a in lazy._choices_actions}[name] == own, name


def test_the_command_word_is_found_past_global_options() -> None:
    assert chosen_command(["--database", "policy", "audit", "verify"]) == "audit"
    assert chosen_command(["--debug", "--policy", "p.yaml", "triage", "-"]) == "triage"
    assert chosen_command(["-v", "--help"]) is None
    assert chosen_command(["nonsense"]) is None


def every_parser(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found.extend(every_parser(sub))
    return found


def test_database_and_policy_are_spelled_one_way_everywhere() -> None:
    for parser in every_parser(build_parser()):
        options = {o for a in parser._actions for o in a.option_strings if a.help != "==SUPPRESS=="}
        assert "--file" not in options, parser.prog
        if "--database" in options:
            assert "--policy" in options, parser.prog


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "SOCBOT_POLICY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    return tmp_path


def test_database_goes_before_or_after_the_command(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{workdir / 'chosen.db'}"
    try:
        assert main(["--database", url, "lab", "seed"]) == 0
        assert main(["lab", "show", "--database", url]) == 0
        overview = json.loads(capsys.readouterr().out.split("\n", 1)[1])
        assert overview["identities_by_kind"]["person"] == 50
        assert (
            main(["--database", "sqlite:///elsewhere.db", "audit", "verify", "--database", url])
            == 0
        )
    finally:
        dispose_engine(url)
    assert not (workdir / "socbot.db").exists() and not (workdir / "elsewhere.db").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ("policy", "check", "--policy", "{p}"),
        ("--policy", "{p}", "policy", "check"),
        ("policy", "check", "{p}"),
        ("policy", "show", "--file", "{p}"),
        ("policy", "explain", "reset_mfa", "--policy", "{p}"),
    ],
    ids=" ".join,
)
def test_every_policy_command_takes_policy_and_the_old_spellings(
    argv: tuple[str, ...], workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    custom = workdir / "custom-policy.yaml"
    custom.write_text(POLICY.read_text(encoding="utf-8"), encoding="utf-8")
    assert main([a.format(p=custom) for a in argv]) == 0
    out = capsys.readouterr().out
    assert out.strip()
    if argv[:2] == ("policy", "check") or argv[1:3] == ("policy", "check"):
        assert out.startswith(f"{custom}: ok")
