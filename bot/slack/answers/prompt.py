"""What the model is given for a question asked in a Slack thread.

The thread's earlier turns become chat history, trimmed to a share of the task's token budget;
the new question (and, in an alert's thread, that alert's normalized facts) goes after the
thread prompt as untrusted data blocks. An analyst's words are never instructions: every one
of them, old or new, reaches the model inside a DATA fence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.agent.prompts import DataBlock, RenderedPrompt, load_prompt
from bot.agent.tokens import TokenCounter
from bot.slack.answers.store import ThreadMessage

# The thread's history may fill at most this share of the task's token budget, so the turns
# of this answer (each one resends the history) still fit.
HISTORY_SHARE = 0.25
_MENTION = "<@{user}(?:\\|[^>]*)?>"


def strip_mention(text: str, bot_user_id: str) -> str:
    """The message without the bot's own @-mention (Slack writes it <@U…> or <@U…|name>)."""
    pattern = _MENTION.format(user=re.escape(bot_user_id))
    return re.sub(r"\s+", " ", re.sub(pattern, " ", text)).strip()


def history_budget(task_tokens: int) -> int:
    return max(int(task_tokens * HISTORY_SHARE), 1)


def history_messages(
    thread: Sequence[ThreadMessage], counter: TokenCounter, budget: int
) -> list[dict[str, Any]]:
    """The thread's earlier turns as chat messages, the oldest dropped to fit `budget`."""
    messages = [_as_message(message) for message in thread]
    return counter.trim_history(messages, budget, keep_first_user=False)


def _as_message(message: ThreadMessage) -> dict[str, Any]:
    if message.role == "assistant":
        return {"role": "assistant", "content": message.text}
    who = message.user_id or "unknown"
    block = DataBlock("earlier message", message.text).render()
    return {"role": "user", "content": f"Earlier in this thread, {who} wrote:\n{block}"}


def question_prompt(
    question: str, *, asker: str, alert_facts: Mapping[str, Any] | None, prompts_dir: Path | None
) -> RenderedPrompt:
    """The thread prompt with the question (and the thread's alert) as data blocks."""
    blocks = []
    if alert_facts:
        facts = json.dumps(dict(alert_facts), indent=1, sort_keys=True, default=str)
        blocks.append(DataBlock("alert of this thread", facts, "json"))
    blocks.append(DataBlock(f"message from {_label(asker)}", question))
    return load_prompt("thread", prompts_dir).render_with_data(blocks)


def _label(user_id: str) -> str:
    # A data block label is lowercase words; Slack ids are upper-case letters and digits.
    cleaned = re.sub(r"[^a-z0-9_ -]", "", user_id.lower())[:40]
    return f"user {cleaned}" if cleaned else "the analyst"
