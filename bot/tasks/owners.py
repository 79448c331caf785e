"""Whether the process that took some work is provably dead, so the work can be reclaimed
now rather than when its lease or deadline runs out.

On this host: its pid is free or a zombie, or was reused by a later process; for this very
process's pid, the work is not among what this process runs now. On another host: its
heartbeat went stale or shows a later incarnation (bot.tasks.heartbeat). Without proof the owner
counts as alive, and leases and deadlines decide as before.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from bot.tasks.heartbeat import INCARNATION, remote_owner_dead
from bot.tasks.process_alive import pid_is_dead
from bot.tasks.records import TaskRecord
from bot.tasks.running import running_here


@dataclass(frozen=True)
class WorkerOwner:
    host: str
    pid: int
    incarnation: str | None


def parse_worker(worker: str) -> WorkerOwner | None:
    """The owner in a queue worker name (host:pid:incarnation.n); None if it is not one."""
    host, _, rest = worker.partition(":")
    pid_text, _, tail = rest.partition(":")
    if not host or not pid_text.isdigit():
        return None
    incarnation = tail.split(".", 1)[0] if "." in tail else None
    return WorkerOwner(host, int(pid_text), incarnation)


def task_owner_dead_here(task: TaskRecord) -> bool:
    """True when the task's owner is on this host and provably dead (no database needed)."""
    if task.owner_host != socket.gethostname():
        return False
    if task.owner_pid == os.getpid():
        return not running_here(task.id)
    return pid_is_dead(task.owner_pid, took_work_at=task.started_at)


def task_owner_dead(engine: Engine, task: TaskRecord) -> bool:
    if task.owner_host == socket.gethostname():
        return task_owner_dead_here(task)
    return remote_owner_dead(engine, task.owner_host, task.owner_pid)


def worker_dead(engine: Engine, worker: str, took_at: datetime) -> bool:
    owner = parse_worker(worker)
    if owner is None:
        return False
    if owner.host != socket.gethostname():
        return remote_owner_dead(engine, owner.host, owner.pid, owner.incarnation)
    if owner.pid == os.getpid():
        return owner.incarnation is not None and owner.incarnation != INCARNATION
    return pid_is_dead(owner.pid, took_work_at=took_at)
