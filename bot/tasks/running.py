"""The tasks this process is running now.

A task row with this process's pid that is not here was left by an earlier process with the
same pid (a restarted container), which is dead. The runner adds and drops ids; the owner
checks (bot.tasks.owners) read them. A module of its own so neither imports the other.
"""

from __future__ import annotations

import threading

_running_here: set[str] = set()
_running_lock = threading.Lock()


def running_here(task_id: str) -> bool:
    with _running_lock:
        return task_id in _running_here


def mark_running(task_id: str) -> None:
    with _running_lock:
        _running_here.add(task_id)


def mark_stopped(task_id: str) -> None:
    with _running_lock:
        _running_here.discard(task_id)
