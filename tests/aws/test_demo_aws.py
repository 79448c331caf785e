"""socbot demo --provider aws: the whole loop on a local AWS API, ending verified."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.commands.demo_aws import demo_environment
from bot.config import get_settings
from bot.db import dispose_engine
from tools.providers.aws.local_api import LocalAwsApi, moto_binary
from tools.providers.aws.session import AwsKeys

POLICY = Path(__file__).resolve().parents[2] / "policy.yaml"


def test_demo_on_aws_deactivates_the_key_after_approval_and_verifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if moto_binary() is None:
        pytest.skip("moto_server is not installed: pip install -e '.[aws]'")
    # The demo configures its own process; these make the test restore what it sets.
    probe = LocalAwsApi("http://127.0.0.1:1", AwsKeys("AKIAPROBE", "x"), None)  # type: ignore[arg-type]
    for name in demo_environment(probe, {"base_key": "x", "base_secret": "y"}):
        monkeypatch.setenv(name, "")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOCBOT_POLICY", str(POLICY))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    get_settings.cache_clear()
    try:
        code = main(["demo", "--provider", "aws", "--database", url])
    finally:
        get_settings.cache_clear()
        dispose_engine(url)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "deactivate_access_key(" in out and "awaiting_approval" in out
    assert "U0CLOUDADM1 approves" in out
    assert "executed in AWS: ok" in out
    assert " in AWS: Inactive" in out
    assert "0 live, all refused by AWS after revocation: True; per-call users left in AWS: 0" in out
    assert "audit chain: verified" in out
