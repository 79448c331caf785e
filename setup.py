"""Ships the repository's prompts/, policy.yaml and .env.example inside the wheel.

They stay where people edit them, at the top of the checkout; building copies them into the
bot.bundled package, where bot.bundled finds them in an installed copy."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = {
    "policy.yaml": "policy.yaml",
    ".env.example": "env.example",
}


class BuildWithBundledFiles(build_py):  # type: ignore[misc]
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "bot" / "bundled"
        (target / "prompts").mkdir(parents=True, exist_ok=True)
        for prompt in sorted((ROOT / "prompts").glob("*.md")):
            shutil.copyfile(prompt, target / "prompts" / prompt.name)
        for source, name in BUNDLED.items():
            shutil.copyfile(ROOT / source, target / name)


setup(cmdclass={"build_py": BuildWithBundledFiles})
