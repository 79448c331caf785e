"""The Dockerfile and compose.yaml, checked structurally (no container engine runs here), and
the image's health check run for real against socbot's /healthz."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import build_parser
from bot.runtime import Runtime
from bot.slack.server import create_http_app
from tests.support.slack import serving

REPO_ROOT = Path(__file__).resolve().parents[2]
PINNED_IMAGE = re.compile(r"^[\w./-]+(:\d+(\.\d+)+[\w.-]*)?(@sha256:[0-9a-f]{64})?$")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per Dockerfile instruction, continuation lines joined."""
    text = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n", " ", text)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text("utf-8"))
    return data


def image_is_pinned(reference: str) -> bool:
    """A digest, or a tag naming an exact release (3.11.7, 16.4): never latest or a major."""
    if "@sha256:" in reference:
        return True
    return ":" in reference and PINNED_IMAGE.match(reference) is not None


@pytest.mark.parametrize(
    ("reference", "pinned"),
    [
        ("python:3.11.7-slim-bookworm", True),
        ("postgres:16.4-bookworm", True),
        (f"python@sha256:{'a' * 64}", True),
        ("python:3-slim", False),
        ("python:latest", False),
        ("python", False),
    ],
)
def test_the_pin_check_tells_pinned_from_floating(reference: str, pinned: bool) -> None:
    assert image_is_pinned(reference) is pinned


def test_every_base_image_is_pinned() -> None:
    bases = [rest.split()[0] for keyword, rest in instructions() if keyword == "FROM"]
    assert bases and all(image_is_pinned(base) for base in bases), bases


def test_the_image_runs_as_a_user_that_is_not_root() -> None:
    users = [rest for keyword, rest in final_stage() if keyword == "USER"]
    assert users, "the final stage never switches user"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), user


def test_the_image_checks_its_health_on_healthz_and_serves_by_default() -> None:
    stage = dict(final_stage())
    assert "/healthz" in stage["HEALTHCHECK"]
    assert json.loads(stage["CMD"]) == ["socbot", "serve"]
    assert "3000" in stage["EXPOSE"]


def healthcheck_argv() -> list[str]:
    check = dict(final_stage())["HEALTHCHECK"]
    argv: list[str] = json.loads(check.split("CMD", 1)[1])
    return argv


def test_the_health_check_passes_against_a_real_server_and_fails_without_one(
    make_runtime: Callable[..., Runtime],
) -> None:
    argv = healthcheck_argv()
    assert argv[0] == "python"
    command = [sys.executable, *argv[1:]]
    runtime = make_runtime()
    with serving(create_http_app(runtime, None)) as url:
        port = url.rsplit(":", 1)[1].rstrip("/")
        healthy = subprocess.run(command, env={"PORT": port}, capture_output=True, timeout=30)
    assert healthy.returncode == 0, healthy.stderr
    gone = subprocess.run(command, env={"PORT": port}, capture_output=True, timeout=30)
    assert gone.returncode != 0


def test_compose_runs_postgres_migrations_serve_and_worker() -> None:
    services = compose()["services"]
    assert set(services) >= {"postgres", "migrate", "serve", "worker"}
    assert image_is_pinned(services["postgres"]["image"])
    assert "healthcheck" in services["postgres"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("serve", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        url = services[name]["environment"]["DATABASE_URL"]
        assert url.startswith("postgresql://") and "@postgres:" in url


@pytest.mark.parametrize("service", ["migrate", "serve", "worker"])
def test_compose_commands_are_real_socbot_commands(service: str) -> None:
    command = compose()["services"][service]["command"]
    assert command[0] == "socbot"
    args = build_parser().parse_args(command[1:])
    assert callable(args.handler)


def test_the_procfile_and_compose_agree_on_the_release_step() -> None:
    procfile = (REPO_ROOT / "Procfile").read_text(encoding="utf-8")
    release = next(line for line in procfile.splitlines() if line.startswith("release:"))
    assert shlex.split(release.split(":", 1)[1]) == compose()["services"]["migrate"]["command"]


def test_the_build_context_leaves_out_secrets_and_local_state() -> None:
    ignored = (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".git", ".venv", "*.db"} <= set(ignored)
