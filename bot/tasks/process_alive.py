"""Whether a process on this host is provably gone: its pid is free, a zombie, or now
belongs to a process that started after the work was taken (the pid was reused).

Linux's /proc answers the last two; elsewhere only a free pid counts as proof.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

PROC = Path("/proc")
_DEAD_STATES = {"Z", "X", "x"}  # zombie, dead
# /proc start times are boot time plus clock ticks: a clock stepped since boot shifts them.
_PROC_SLACK_SECONDS = 30.0
_OWN_SLACK_SECONDS = 1.0
# This process's start, on the clock task rows are written with (imported before any task).
_STARTED_AT = datetime.now(UTC)


def pid_is_dead(pid: int, *, took_work_at: datetime | None = None) -> bool:
    """True only when the process with pid on this host cannot still be doing work it took
    at took_work_at."""
    if pid <= 0:
        return True
    if pid == os.getpid():  # our pid, but maybe an earlier process's (a restarted container)
        return _started_after(_STARTED_AT, took_work_at, _OWN_SLACK_SECONDS)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # someone else's process: it exists, /proc may still say more
    state, started = _proc_stat(pid)
    if state in _DEAD_STATES:
        return True
    return _started_after(started, took_work_at, _PROC_SLACK_SECONDS)


def _started_after(started: datetime | None, took_work_at: datetime | None, slack: float) -> bool:
    if started is None or took_work_at is None:
        return False
    if took_work_at.tzinfo is None:
        took_work_at = took_work_at.replace(tzinfo=UTC)
    return (started - took_work_at).total_seconds() > slack


def _proc_stat(pid: int) -> tuple[str | None, datetime | None]:
    """(state letter, start time) of pid from /proc/<pid>/stat; Nones where unknown."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None, None
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    fields = raw[raw.rfind(")") + 2 :].split()
    if len(fields) < 20:
        return None, None
    boot = _boot_time()
    started = None
    if boot is not None:
        seconds = boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
        started = datetime.fromtimestamp(seconds, tz=UTC)
    return fields[0], started


@lru_cache(maxsize=1)
def _boot_time() -> float | None:
    try:
        for line in (PROC / "stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        return None
    return None
