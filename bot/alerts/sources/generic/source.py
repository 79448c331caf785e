"""Generic, YAML-configured JSON→Alert mappings for vendors without a normalizer of their own.

The bundled mappings (mappings.yaml beside this module: Auth0, OneLogin, Duo, 1Password) load
first. settings.alert_mappings_path (SOCBOT_ALERT_MAPPINGS) may name a file of the site's
own: those replace bundled mappings of the same name and are tried first when detecting, so a
deliberate local mapping wins over a bundled one whose match is looser. The file format is
described at the top of mappings.yaml; a file that breaks it is refused with file and line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from bot.alerts.model import Alert
from bot.alerts.sources.generic.load import load_mapping_file, load_mapping_text
from bot.alerts.sources.generic.mapping import EventMapping
from bot.errors import AlertRejected, MappingFileError

__all__ = ["MappingFileError", "detect", "mapping_names", "mappings", "normalize"]

BUNDLED_FILE = "mappings.yaml"


@dataclass(frozen=True)
class MappingSet:
    ordered: tuple[EventMapping, ...]  # detection order
    by_name: Mapping[str, EventMapping]

    @classmethod
    def of(cls, bundled: list[EventMapping], custom: list[EventMapping]) -> MappingSet:
        overridden = {mapping.name for mapping in custom}
        kept = [mapping for mapping in bundled if mapping.name not in overridden]
        ordered = (*custom, *kept)
        return cls(ordered, {mapping.name: mapping for mapping in ordered})


_loaded: tuple[Path | None, MappingSet] | None = None
_configured_path: Path | None = None


def configure_mappings(path: Path | None) -> None:
    """Use the site's mappings file (SOCBOT_ALERT_MAPPINGS, read once by the runtime) besides
    the bundled ones; None for the bundled ones alone."""
    global _configured_path
    _configured_path = path


def mappings() -> MappingSet:
    """The bundled mappings plus the configured file's, loaded once per configured path.

    MappingFileError (a ConfigError) when the configured file is missing or broken."""
    global _loaded
    path = _configured_path
    if _loaded is None or _loaded[0] != path:
        custom = load_mapping_file(path) if path is not None else []
        _loaded = (path, MappingSet.of(bundled_mappings(), custom))
    return _loaded[1]


@cache
def bundled_mappings() -> list[EventMapping]:
    bundled = resources.files(__package__ or "bot.alerts.sources").joinpath(BUNDLED_FILE)
    return load_mapping_text(bundled.read_text(encoding="utf-8"), source=str(bundled))


def forget_loaded() -> None:
    """Read the configured file again on next use (after it was edited in place)."""
    global _loaded
    _loaded = None


def mapping_names() -> list[str]:
    """The configured mapping names, in detection order."""
    return [mapping.name for mapping in mappings().ordered]


def detect(event: Mapping[str, Any]) -> str | None:
    """The name of the configured mapping that matches event, or None."""
    for mapping in mappings().ordered:
        if mapping.match.matches(event):
            return mapping.name
    return None


def normalize(event: Any, mapping_name: str) -> Alert:
    """The Alert mapping_name makes of event; AlertRejected when it cannot make one."""
    mapping = mappings().by_name.get(mapping_name)
    if mapping is None:
        known = ", ".join(mapping_names()) or "none"
        raise AlertRejected(
            f"no generic mapping named {mapping_name!r}; configured: {known}",
            source=f"generic:{mapping_name}",
        )
    return mapping.normalize(event)
