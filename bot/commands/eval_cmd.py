"""socbot eval: triage every labelled event on its own and print how the verdicts score."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.agent.offline import OfflineEngine
from bot.agent.tokens import TokenCounter
from bot.commands.common import Subparsers, add_command, settings
from bot.errors import AlertError
from bot.evaluation.labelled import FieldNames, LabelledEvent, read_labelled
from bot.evaluation.metrics import format_table
from bot.evaluation.runner import EvalRun, evaluate


def register(commands: Subparsers) -> None:
    cmd = add_command(
        commands,
        "eval",
        run_eval,
        "triage each labelled event of a JSONL file on its own (throwaway database) and print "
        "the confusion matrix, balanced accuracy, precision and recall per platform",
        database=False,
    )
    cmd.add_argument("file", metavar="FILE.jsonl", type=Path)
    cmd.add_argument("--json", action="store_true", help="print the scores as one JSON object")
    cmd.add_argument(
        "--offline",
        action="store_true",
        help="use the offline engine even when a model is configured",
    )
    defaults = FieldNames()
    cmd.add_argument("--event-field", default=defaults.event, help="field holding the event")
    cmd.add_argument(
        "--label-field", default=defaults.label, help="field holding true/false (null: skipped)"
    )
    cmd.add_argument(
        "--platform-field", default=defaults.platform, help="field naming the platform"
    )
    cmd.add_argument("--quiet", action="store_true", help="no progress on stderr")
    cmd.add_argument(
        "--fail-under",
        type=float,
        metavar="X",
        help="exit 1 when the overall balanced accuracy is below X (a CI gate)",
    )


def run_eval(args: argparse.Namespace) -> int:
    names = FieldNames(args.event_field, args.label_field, args.platform_field)
    labelled = read_labelled(args.file, names)
    for problem in labelled.problems:
        print(f"socbot eval: skipped {problem}", file=sys.stderr)
    if not labelled.events:
        raise AlertError(f"{args.file}: no labelled events to score")
    config = settings()
    model = OfflineEngine(TokenCounter(config.token_encoding)) if args.offline else None
    progress = None if args.quiet else _progress
    run = evaluate(config, labelled.events, model=model, progress=progress)
    if args.json:
        print(json.dumps(_as_json(run, labelled.problems, labelled.unlabelled), indent=2))
    else:
        _print_report(run, labelled.problems, labelled.unlabelled)
    return _gate(run, args.fail_under)


def _gate(run: EvalRun, floor: float | None) -> int:
    score = run.board.overall.balanced_accuracy
    if floor is None or (score is not None and score >= floor):
        return 0
    print(f"socbot eval: balanced accuracy {score} is below {floor}", file=sys.stderr)
    return 1


def _progress(done: int, total: int, event: LabelledEvent, verdict: str) -> None:
    if done == total or done % 25 == 0:
        print(f"socbot eval: {done}/{total} triaged ({event.where}: {verdict})", file=sys.stderr)


def _as_json(run: EvalRun, problems: list[str], unlabelled: int) -> dict[str, object]:
    return {
        "engine": run.engine,
        **run.board.as_dict(),
        "rejected_by_normalizer": run.rejected,
        "skipped_lines": problems,
        "unlabelled": unlabelled,
    }


def _print_report(run: EvalRun, problems: list[str], unlabelled: int) -> None:
    print(f"engine: {run.engine}   positive = malicious or suspicious verdict")
    print(format_table(run.board))
    verdicts = ", ".join(f"{k} {v}" for k, v in sorted(run.board.overall.verdicts.items()))
    print(f"verdicts: {verdicts}")
    if run.rejected:
        print(f"rejected by the normalizer ({len(run.rejected)}, scored negative):")
        for line in run.rejected[:10]:
            print(f"  {line}")
    if problems or unlabelled:
        print(f"lines skipped: {len(problems)} unreadable, {unlabelled} unlabelled")
