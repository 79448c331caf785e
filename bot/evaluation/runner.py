"""Triage labelled events one at a time, each on its own, and score the verdicts.

No dedupe, no storm grouping: every event is normalized and triaged as a group of one.
The runtime writes to a throwaway SQLite database, never the live one.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.agent.model import ChatModel
from bot.alerts.intake.normalize import normalize_event
from bot.alerts.triage.publish import TriageGroup
from bot.alerts.triage.run import triage_group
from bot.config import Settings
from bot.errors import AlertRejected
from bot.evaluation.labelled import LabelledEvent
from bot.evaluation.metrics import Scoreboard
from bot.runtime import Runtime
from tools.providers.lab.seed import seed_lab

REJECTED = "rejected"  # the normalizer refused the event: scored as a negative verdict
Progress = Callable[[int, int, LabelledEvent, str], None]


@dataclass
class EvalRun:
    board: Scoreboard = field(default_factory=Scoreboard)
    rejected: list[str] = field(default_factory=list)  # "file:line: reason"
    engine: str = ""


def evaluate(
    settings: Settings,
    events: Sequence[LabelledEvent],
    *,
    model: ChatModel | None = None,
    progress: Progress | None = None,
) -> EvalRun:
    """Score every event's verdict; model None means the configured one (offline without a key)."""
    run = EvalRun()
    with tempfile.TemporaryDirectory(prefix="socbot-eval-") as folder:
        database = Path(folder) / "eval.db"
        runtime = Runtime(
            settings.model_copy(update={"database_url": f"sqlite:///{database}"}),
            model_override=model,
        )
        seed_lab(runtime.engine)
        run.engine = runtime.model.engine
        for number, event in enumerate(events, start=1):
            verdict = _verdict(runtime, event, number, run)
            run.board.add(event.platform, label=event.label, verdict=verdict)
            if progress is not None:
                progress(number, len(events), event, verdict)
        runtime.engine.dispose()
    return run


def _verdict(runtime: Runtime, event: LabelledEvent, number: int, run: EvalRun) -> str:
    try:
        alert = normalize_event(event.event, redactor=runtime.redactor)
    except AlertRejected as exc:
        run.rejected.append(f"{event.where}: {exc}")
        return REJECTED
    group = TriageGroup(f"eval-{number}", (f"eval-alert-{number}",), (alert,), 1)
    return triage_group(runtime, group, actor="eval").verdict
