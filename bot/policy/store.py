"""The live policy: reloaded when policy.yaml changes, never replaced by a broken edit."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.canonical import sha256_hex
from bot.errors import AuditWriteError, PolicyError
from bot.policy.loader import load_policy_bytes, unreadable_policy
from bot.policy.model import Policy

log = logging.getLogger(__name__)

EventSink = Callable[[str, dict[str, Any]], None]


class PolicyStore:
    """Hands out the last good Policy; looks at the file at most every check_interval seconds.

    A look compares the sha256 of the file's bytes, not its mtime or size: an edit within the
    filesystem's timestamp granularity that keeps the size would otherwise go unseen. Reading a
    few kilobytes every couple of seconds costs nothing. A broken file is reported once per
    distinct content, not on every look; a missing file once until it changes.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        on_event: EventSink | None = None,
        check_interval_seconds: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self._on_event = on_event
        self._interval = check_interval_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._seen = ""
        self._policy = self._load_first()
        self._next_check = monotonic() + check_interval_seconds

    @property
    def current(self) -> Policy:
        if self._monotonic() >= self._next_check and self._lock.acquire(blocking=False):
            # Another thread already looking is enough: the rest carry on with the policy in hand.
            try:
                self._check(force=False)
            finally:
                self._lock.release()
        return self._policy

    def reload(self) -> Policy:
        """Look now, not at the next interval; a broken file is reported again. Returns the policy
        in force afterwards."""
        with self._lock:
            self._check(force=True)
        return self._policy

    def _load_first(self) -> Policy:
        raw, self._seen = self._look()
        policy = load_policy_bytes(self._bytes_or_refusal(raw), source=str(self.path))
        if not self._loaded(policy, previous=None):
            raise AuditWriteError(
                f"policy {policy.version[:12]} could not be put on record; refusing to start"
            )
        return policy

    def _check(self, *, force: bool) -> None:
        self._next_check = self._monotonic() + self._interval
        raw, fingerprint = self._look()
        already_judged = fingerprint == self._seen and not force
        self._seen = fingerprint
        if fingerprint == self._policy.version or already_judged:
            return
        try:
            policy = load_policy_bytes(self._bytes_or_refusal(raw), source=str(self.path))
        except PolicyError as error:
            self._rejected(error)
            return
        if not self._loaded(policy, previous=self._policy):
            # A policy not on record does not govern: keep the old one and look again next time.
            self._seen = ""
            return
        self._policy = policy

    def _look(self) -> tuple[bytes | OSError, str]:
        """The file's bytes and their sha256, or why it cannot be read and a stand-in."""
        try:
            raw = self.path.read_bytes()
        except OSError as error:
            return error, f"unreadable: {error.errno}"
        return raw, sha256_hex(raw)

    def _bytes_or_refusal(self, raw: bytes | OSError) -> bytes:
        if isinstance(raw, OSError):
            raise unreadable_policy(str(self.path), raw) from raw
        return raw

    def _loaded(self, policy: Policy, previous: Policy | None) -> bool:
        log.info("policy %s loaded from %s", policy.version[:12], policy.source)
        return self._emit(
            "policy.loaded",
            {
                "version": policy.version,
                "path": policy.source,
                "previous_version": None if previous is None else previous.version,
            },
        )

    def _rejected(self, error: PolicyError) -> None:
        kept = self._policy.version
        log.error("policy change refused, keeping %s: %s", kept[:12], error)
        data = {
            "file": error.file,
            "line": error.line,
            "reason": error.reason,
            "kept_version": kept,
        }
        self._emit("policy.rejected", data)

    def _emit(self, kind: str, data: dict[str, Any]) -> bool:
        """Tell the listener; False if it failed. Readers of .current never see its error."""
        if self._on_event is None:
            return True
        try:
            self._on_event(kind, data)
        except Exception:
            log.exception("policy event listener failed on %s", kind)
            return False
        return True
