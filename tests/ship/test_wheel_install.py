"""A wheel of socbot, installed into a fresh environment, triages an alert from a folder that
is not the repository: prompts, the starter policy and the rest ship inside the wheel."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ALERT = REPO_ROOT / "bot" / "demo_alerts" / "01-okta-mfa-push-fatigue.json"
VERDICT = re.compile(r"^(BENIGN|SUSPICIOUS|MALICIOUS|NEEDS-INFO) · \w+ · confidence", re.M)

pytestmark = pytest.mark.slow


def run(*argv: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{argv}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding the built wheel; the dependencies come from this environment."""
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    pip = (sys.executable, "-m", "pip")
    run(*pip, "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", dist, REPO_ROOT)
    venv = root / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    wheel = next(dist.glob("socbot-*.whl"))
    run(*pip, "--python", python, "install", "--quiet", "--no-deps", "--no-index", wheel)
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    # Appended after the wheel's own site-packages, so this checkout's socbot never wins.
    deps = sysconfig.get_paths()["purelib"]
    Path(site.strip(), "socbot-test-deps.pth").write_text(deps + "\n", encoding="utf-8")
    return venv


def clean_env(tmp: Path) -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "SYSTEMROOT"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["DATABASE_URL"] = f"sqlite:///{tmp / 'installed.db'}"
    return env


def test_the_wheel_carries_prompts_policy_and_env_example(installed: Path) -> None:
    python = installed / "bin" / "python"
    out = run(
        python,
        "-c",
        "import bot, bot.bundled as b; print(bot.__file__); "
        "print(b.prompts_dir(), b.default_policy(), b.env_example())",
        cwd=installed,
    )
    assert str(REPO_ROOT) not in out
    for name in ("prompts", "policy.yaml", "env.example"):
        assert f"bot/bundled/{name}" in out


def test_installed_socbot_triages_an_alert_outside_the_repository(
    installed: Path, tmp_path: Path
) -> None:
    socbot = installed / "bin" / "socbot"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = clean_env(tmp_path)
    run(socbot, "lab", "seed", cwd=outside, env=env)
    out = run(socbot, "triage", ALERT, cwd=outside, env=env)
    assert VERDICT.search(out), out
    assert "engine: offline" in out
    assert "starter policy" in out and "bot/bundled/policy.yaml" in out
    assert not (outside / "policy.yaml").exists()


def test_init_then_the_written_policy_governs(installed: Path, tmp_path: Path) -> None:
    socbot = installed / "bin" / "socbot"
    env = clean_env(tmp_path)
    run(socbot, "init", tmp_path / "site", env=env)
    out = run(socbot, "policy", "check", cwd=tmp_path / "site", env=env)
    assert out.startswith("policy.yaml: ok"), out
    assert "SOCBOT_POLICY" in (tmp_path / "site" / ".env").read_text(encoding="utf-8")


def test_installed_demo_runs_outside_the_repository(installed: Path, tmp_path: Path) -> None:
    out = run(installed / "bin" / "socbot", "demo", cwd=tmp_path, env=clean_env(tmp_path))
    assert "audit chain: verified" in out and "0 still live" in out
    assert (tmp_path / "socbot-demo.db").exists() and not (tmp_path / "policy.yaml").exists()
