"""socbot providers check: settings, reachability and each tool's allowed actions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import get_settings
from bot.db import dispose_engine
from tests.aws.world import AwsWorld

POLICY = Path(__file__).resolve().parents[2] / "policy.yaml"


def run_check(
    world: AwsWorld,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    secret: str,
) -> tuple[int, str]:
    policy = tmp_path / "policy.yaml"
    shutil.copyfile(POLICY, policy)
    monkeypatch.chdir(tmp_path)
    env = {
        "DATABASE_URL": db_url,
        "SOCBOT_POLICY": str(policy),
        "SOCBOT_PROVIDERS": "lab,aws",
        "SOCBOT_AWS_ENDPOINT_URL": world.api.endpoint_url,
        "SOCBOT_AWS_ACCOUNTS": world.api.account,
        "SOCBOT_AWS_ROLE_ARN": world.role_arn,
        "SOCBOT_AWS_ACCESS_KEY_ID": world.base.access_key_id,
        "SOCBOT_AWS_SECRET_ACCESS_KEY": secret,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    capsys.readouterr()
    try:
        code = main(["providers", "check"])
    finally:
        get_settings.cache_clear()
        dispose_engine(db_url)
    return code, capsys.readouterr().out


def test_check_reports_each_provider_and_each_tools_actions(
    aws_world: AwsWorld,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = aws_world.base.secret_access_key
    code, out = run_check(aws_world, db_url, tmp_path, monkeypatch, capsys, secret)
    assert code == 0, out
    assert "providers: lab, aws" in out
    assert (
        f"answers: yes, as arn:aws:iam::{aws_world.api.account}:user/{aws_world.prefix}-socbot"
        in out
    )
    line = next(x for x in out.splitlines() if "deactivate_access_key" in x)
    assert "iam:UpdateAccessKey" in line and "iam:DeleteUser" not in line
    assert secret not in out


def test_check_fails_when_aws_refuses_the_base_keys(
    aws_world: AwsWorld,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run_check(aws_world, db_url, tmp_path, monkeypatch, capsys, "wrong-secret")
    assert code == 1
    assert "answers: NO" in out and "SignatureDoesNotMatch" in out
    assert "wrong-secret" not in out
