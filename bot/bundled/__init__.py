"""The files triage needs, found the same way in a checkout and in an installed wheel.

In a checkout they are the repository's own prompts/, policy.yaml and .env.example, so an
edit there takes effect at once. Building the wheel copies them into this package (see
setup.py), so an installed socbot finds them here with importlib.resources.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
POLICY_NAME = "policy.yaml"


def _in_checkout() -> bool:
    return (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "prompts").is_dir()


def _packaged(name: str) -> Path:
    return Path(str(resources.files(__name__).joinpath(name)))


def prompts_dir() -> Path:
    """The folder of prompt files that ships with socbot."""
    return CHECKOUT / "prompts" if _in_checkout() else _packaged("prompts")


def default_policy() -> Path:
    """The starter policy.yaml that ships with socbot."""
    return CHECKOUT / POLICY_NAME if _in_checkout() else _packaged(POLICY_NAME)


def env_example() -> Path:
    """The commented list of every setting, the starting point of a .env file."""
    return CHECKOUT / ".env.example" if _in_checkout() else _packaged("env.example")
