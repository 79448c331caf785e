"""What the detection engine says about the alerts of a triage, as a data block for the model.

Both engines read it: the offline engine takes its verdict from it, a language model sees
which rules fired on which fields. The block is built from the alerts only, never from text
the model wrote.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.alerts.model import Alert
from bot.detection.engine import Detection, DetectionEngine

BLOCK_LABEL = "detection"


@lru_cache(maxsize=4)
def engine_for(admin_file: Path | None) -> DetectionEngine:
    """One engine per rules file and process: the rules are read and checked once."""
    return DetectionEngine.from_settings(admin_file)


def detections(engine: DetectionEngine, alerts: Sequence[Alert]) -> list[Detection]:
    return [engine.detect(alert) for alert in alerts]


def block_text(found: Sequence[Detection]) -> str:
    """The strongest detection first; a storm sample adds how many of its alerts fired."""
    ranked = sorted(found, key=_strength, reverse=True)
    data: dict[str, Any] = ranked[0].as_data() if ranked else {"verdict": "needs-info"}
    if len(found) > 1:
        data["sample_alerts"] = len(found)
        data["sample_alerts_with_findings"] = sum(1 for d in found if d.findings)
    return json.dumps(data, sort_keys=True)


def _strength(detection: Detection) -> tuple[int, int]:
    order = ("needs-info", "benign", "suspicious", "malicious")
    return order.index(detection.verdict), len(detection.findings)
