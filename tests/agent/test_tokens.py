"""Token counting, truncation, history trimming and compact JSON, all offline."""

from __future__ import annotations

import itertools
import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tiktoken
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.agent.tokens import OFFLINE_ENCODING, TokenCounter, load_encoding

COUNTER = TokenCounter()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a socket fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def fresh_encodings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty tiktoken cache and no encoding already in memory, so every load is real."""
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})
    load_encoding.cache_clear()
    yield tmp_path
    load_encoding.cache_clear()


def test_default_encoding_counts_with_an_empty_cache_and_no_network(
    fresh_encodings: Path, no_network: None
) -> None:
    counter = TokenCounter()

    assert counter.encoding_name == OFFLINE_ENCODING
    assert counter.count("hello world") == 2


def test_encoding_that_needs_a_download_falls_back_with_a_warning(
    fresh_encodings: Path, no_network: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.agent.tokens"):
        counter = TokenCounter("r50k_base")

    assert counter.encoding_name == OFFLINE_ENCODING
    assert "r50k_base" in caplog.text and "not available offline" in caplog.text
    assert "r50k_base" not in tiktoken.registry.ENCODINGS


def test_encoding_is_loaded_once(fresh_encodings: Path) -> None:
    assert TokenCounter().encoding is TokenCounter(OFFLINE_ENCODING).encoding


def test_unknown_encoding_falls_back(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.agent.tokens"):
        counter = TokenCounter("no_such_encoding")

    assert counter.encoding_name == OFFLINE_ENCODING
    assert "no_such_encoding" in caplog.text


def test_count_grows_with_text() -> None:
    assert COUNTER.count("") == 0
    assert COUNTER.count("alice " * 100) > COUNTER.count("alice " * 10) > 0


def test_special_token_text_is_counted_as_plain_text() -> None:
    assert COUNTER.count("<|endoftext|>") > 1


def test_count_messages_adds_framing_and_tool_calls() -> None:
    plain = {"role": "assistant", "content": "checking"}
    with_call = {
        **plain,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_identity", "arguments": '{"identity":"alice"}'},
            }
        ],
    }

    one = COUNTER.count_messages([plain])

    assert one == COUNTER.count("assistant") + COUNTER.count("checking") + 3 + 3
    assert COUNTER.count_messages([with_call]) > one + COUNTER.count('{"identity":"alice"}')
    assert COUNTER.count_messages([plain, plain]) == 2 * one - 3


def test_truncate_leaves_short_text_alone() -> None:
    assert COUNTER.truncate("short text", 50) == "short text"


def test_truncate_cuts_to_the_budget_with_a_note() -> None:
    text = "user alice logged in from 203.0.113.7 " * 200
    total = COUNTER.count(text)

    cut = COUNTER.truncate(text, 100)

    assert COUNTER.count(cut) <= 100
    kept, note = cut.split("\n[truncated: ")
    assert text.startswith(kept)
    omitted = int(note.split()[0])
    assert 0 < omitted < total
    assert omitted + COUNTER.count(kept) >= total - 2


@settings(max_examples=60, deadline=None)
@given(text=st.text(min_size=0, max_size=600), budget=st.integers(min_value=16, max_value=200))
def test_truncate_never_exceeds_the_budget(text: str, budget: int) -> None:
    cut = COUNTER.truncate(text, budget)

    assert COUNTER.count(cut) <= budget
    assert cut == text or "[truncated: " in cut


def _tool_round(call_id: str, result_size: int) -> list[dict[str, Any]]:
    return [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": "list_sessions", "arguments": '{"identity":"a"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "content": "session " * result_size},
    ]


def _conversation(rounds: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are the copilot."},
        {"role": "user", "content": "Triage alert 7."},
    ]
    for number in range(rounds):
        messages += _tool_round(f"call_{number}", 50)
    return messages


def test_trim_history_returns_everything_within_budget() -> None:
    messages = _conversation(3)

    assert COUNTER.trim_history(messages, COUNTER.count_messages(messages)) == messages


def test_trim_history_keeps_system_task_and_newest_turns() -> None:
    messages = _conversation(10)
    budget = COUNTER.count_messages(messages) // 3

    trimmed = COUNTER.trim_history(messages, budget)

    assert COUNTER.count_messages(trimmed) <= budget
    assert trimmed[0] == messages[0]
    task, note = trimmed[1]["content"].split("\n\n")
    assert trimmed[1]["role"] == "user" and task == messages[1]["content"]
    assert "omitted" in note
    kept = trimmed[2:]
    assert kept == messages[len(messages) - len(kept) :]
    omitted = int(note.split()[0].strip("["))
    assert omitted == len(messages) - 2 - len(kept)


def test_trim_history_never_separates_tool_calls_from_results() -> None:
    messages = _conversation(8)
    for budget in range(120, COUNTER.count_messages(messages), 37):
        kept = COUNTER.trim_history(messages, budget)[2:]
        call_ids = {call["id"] for m in kept for call in m.get("tool_calls") or []}
        result_ids = {m["tool_call_id"] for m in kept if m["role"] == "tool"}
        assert call_ids == result_ids
        assert kept and kept[0]["role"] == "assistant"


def test_trim_history_can_drop_the_first_user_message() -> None:
    messages = _conversation(10)

    trimmed = COUNTER.trim_history(messages, 400, keep_first_user=False)

    assert trimmed[0] == messages[0]
    assert messages[1] not in trimmed


def test_trim_history_keeps_the_newest_turn_even_when_it_alone_is_too_big() -> None:
    messages = _conversation(2) + _tool_round("call_big", 2000)

    trimmed = COUNTER.trim_history(messages, 500)

    assert trimmed[-2:] == messages[-2:]
    assert len(trimmed) == 4


def test_compact_json_drops_nulls_and_empties_but_keeps_falsy_values() -> None:
    value = {
        "a": None,
        "b": "",
        "c": [],
        "d": {},
        "e": {"f": None},
        "g": 0,
        "h": False,
        "i": [None],
    }

    assert COUNTER.compact_json(value, 100) == '{"g":0,"h":false}'


def test_compact_json_shortens_long_strings_and_lists_with_notes() -> None:
    value = {"events": [{"ip": f"198.51.100.{n}", "ua": "Mozilla " * 200} for n in range(80)]}

    text = COUNTER.compact_json(value, 600)

    assert COUNTER.count(text) <= 600
    parsed = json.loads(text)
    assert parsed["events"][-1].endswith("more items not shown]")
    assert parsed["events"][0]["ip"] == "198.51.100.0"
    assert "more chars]" in parsed["events"][0]["ua"]


def test_compact_json_is_unchanged_when_it_fits() -> None:
    value = {"user": "alice", "groups": ["admins", "eng"], "mfa": True}

    assert json.loads(COUNTER.compact_json(value, 100)) == value


def test_compact_json_truncates_text_as_a_last_resort() -> None:
    value = {f"field_{n}": n for n in range(500)}

    text = COUNTER.compact_json(value, 50)

    assert COUNTER.count(text) <= 50
    assert "[truncated: " in text


def _thread(turns: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for number in range(turns):
        messages.append({"role": "user", "content": f"question {number} " + "why " * 30})
        messages.append({"role": "assistant", "content": f"answer {number} " + "because " * 30})
    return messages


@pytest.mark.parametrize("keep_first_user", [True, False])
def test_a_trimmed_history_stays_valid_for_strict_chat_templates(keep_first_user: bool) -> None:
    for conversation in (
        [{"role": "system", "content": "You are the copilot."}, *_thread(12)],
        _thread(12),
        _conversation(8),
    ):
        for budget in range(150, COUNTER.count_messages(conversation), 97):
            trimmed = COUNTER.trim_history(conversation, budget, keep_first_user=keep_first_user)
            roles = [m["role"] for m in trimmed]
            assert "system" not in roles[1:], "a system message after the start"
            pairs = list(itertools.pairwise(roles))
            assert ("user", "user") not in pairs, "two user messages in a row"
            assert "omitted" in json.dumps(trimmed)
