"""Issued secrets: redacted while they can appear, dropped once revoked and stored, with a
scan whose cost and memory do not grow with how many credentials a process has issued."""

from __future__ import annotations

import secrets
import tracemalloc
from typing import Any

import pytest

from bot.redaction import Redactor
from bot.secret_rules.issued import IssuedSecrets
from tests.tasks.test_credentials import MARIA, MakeRuntime, call_tool, replace_tool
from tools.base import TaskContext


def test_a_secret_is_found_anywhere_until_its_last_hold_is_released() -> None:
    issued = IssuedSecrets()
    secret = secrets.token_urlsafe(24)
    issued.hold(secret, "credential")
    issued.hold(secret, "credential")
    text = f"a{secret}b {secret}"
    assert [(s, e) for s, e, _ in issued.spans(text)] == [(1, 33), (35, 67)]
    issued.release(secret)
    assert len(list(issued.spans(text))) == 2
    issued.release(secret)
    assert list(issued.spans(text)) == [] and len(issued) == 0


def test_secrets_sharing_a_prefix_are_each_found() -> None:
    issued = IssuedSecrets()
    first, second = "scb_AAAA" + "x" * 20, "scb_AAAA" + "y" * 20
    issued.hold(first, "one")
    issued.hold(second, "two")
    assert {label for _, _, label in issued.spans(f"{first} {second}")} == {"one", "two"}
    issued.release(first)
    assert {label for _, _, label in issued.spans(f"{first} {second}")} == {"two"}


def test_memory_is_flat_over_100k_issued_and_retired_secrets() -> None:
    redactor = Redactor()
    tracemalloc.start()
    try:
        for _ in range(1_000):  # warm the dicts to their working size
            value = secrets.token_urlsafe(32)
            redactor.add_secret(value)
            redactor.discard_secret(value)
        before, _ = tracemalloc.get_traced_memory()
        live = [secrets.token_urlsafe(32) for _ in range(64)]
        for index in range(100_000):
            redactor.add_secret(live[index % 64] + str(index))
            if index >= 64:
                redactor.discard_secret(live[(index - 64) % 64] + str(index - 64))
        for index in range(100_000 - 64, 100_000):
            redactor.discard_secret(live[index % 64] + str(index))
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert redactor.live_secrets == 0
    assert after - before < 64_000, f"grew {after - before} bytes over 100k credentials"


def test_holding_keeps_a_secret_redacted_past_another_discard() -> None:
    redactor = Redactor()
    secret = secrets.token_urlsafe(24)
    redactor.add_secret(secret)
    with redactor.holding(secret):
        redactor.discard_secret(secret)
        assert secret not in redactor.redact_text(secret)
    assert redactor.redact_text(secret) == secret


def test_a_call_stores_its_echoed_secret_redacted_then_stops_redacting_it(
    make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime()
    seen: list[str] = []

    def leaky(args: Any, ctx: TaskContext) -> dict[str, Any]:
        seen.append(ctx.credential.secret)
        return {"raw": ctx.credential.secret}

    replace_tool(monkeypatch, "get_identity", leaky)
    live_before = runtime.redactor.live_secrets
    _, outcome = call_tool(runtime, "get_identity", MARIA)
    raw = outcome.content["result"]["raw"]
    assert raw.startswith("[REDACTED:") and seen[0] not in raw
    # Revoked and stored: it can no longer appear, so it is no longer held.
    assert runtime.redactor.live_secrets == live_before
