"""Every Block Kit message fitted to Slack's limits before it is sent, with a text fallback.

Slack rejects a whole message if one part is over its limit. So text is cut here, after it
was escaped (an entity such as &amp; is longer than the character it stands for, so cutting
before escaping can still overflow), never inside an entity, a mention or an open code
fence, and the cut says where the rest can be read. Values that carry meaning (button
values) are not cut: one over its limit is a bug, raised as BlockKitError.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from bot.errors import BlockKitError
from bot.slack.blocks.escape import ELLIPSIS

Block = dict[str, Any]

MAX_BLOCKS = 50
SECTION_TEXT = 3_000
MAX_FIELDS = 10
FIELD_TEXT = 2_000
HEADER_TEXT = 150
BUTTON_TEXT = 75
ACTION_VALUE = 2_000
CONTEXT_TEXT = 3_000
MAX_CONTEXT_ELEMENTS = 10
FALLBACK_TEXT = 3_000  # Slack takes up to 40,000; a notification shows far less
FENCE = "```"
_OPEN_ENTITY = re.compile(r"&[#\w]{0,10}$")
_OPEN_ANGLE = re.compile(r"<[^<>]*$")
DEFAULT_FULL_VIEW = "socbot audit export"


@dataclass(frozen=True)
class Message:
    blocks: list[Block]
    text: str


def fit_message(blocks: list[Block], text: str, *, full_view: str = DEFAULT_FULL_VIEW) -> Message:
    """`blocks` within every limit and a non-empty `text` fallback. `full_view` names the
    command that shows everything, e.g. 'socbot actions show act_…'."""
    note = f"{ELLIPSIS} (cut; see `{full_view}`)"
    fitted = [_fit_block(copy.deepcopy(block), note) for block in blocks]
    if len(fitted) > MAX_BLOCKS:
        hidden = len(fitted) - MAX_BLOCKS + 1
        more = f"{hidden} more blocks not shown; see `{full_view}`"
        fitted = [*fitted[: MAX_BLOCKS - 1], _context(more)]
    return Message(fitted, fit_text(text or _first_text(fitted), FALLBACK_TEXT, note))


def fit_text(text: str, limit: int, note: str) -> str:
    """text, or its longest safe prefix followed by `note`, in at most `limit` characters."""
    if len(text) <= limit:
        return text
    keep = text[: max(limit - len(note) - len(FENCE) - 1, 0)]
    keep = _OPEN_ANGLE.sub("", _OPEN_ENTITY.sub("", keep))
    closing = FENCE if keep.count(FENCE) % 2 else ""
    if closing and keep.endswith("`"):  # a fence cut in two would leave stray backticks
        keep = keep.rstrip("`")
        closing = FENCE if keep.count(FENCE) % 2 else ""
    return f"{keep}{closing}\n{note}" if closing else f"{keep}{note}"


def _fit_block(block: Block, note: str) -> Block:
    kind = block.get("type")
    if kind == "section":
        _fit_section(block, note)
    elif kind == "header":
        _fit_object(block.get("text"), HEADER_TEXT, ELLIPSIS)
    elif kind == "context":
        elements = block.get("elements") or []
        block["elements"] = elements[:MAX_CONTEXT_ELEMENTS]
        for element in block["elements"]:
            _fit_object(element, CONTEXT_TEXT, note)
    elif kind == "actions":
        for element in block.get("elements") or []:
            _fit_element(element)
    return block


def _fit_section(block: Block, note: str) -> None:
    _fit_object(block.get("text"), SECTION_TEXT, note)
    fields = block.get("fields")
    if fields:
        if len(fields) > MAX_FIELDS:
            hidden = len(fields) - MAX_FIELDS + 1
            fields = [*fields[: MAX_FIELDS - 1], {"type": "mrkdwn", "text": f"{hidden} more"}]
        for field in fields:
            _fit_object(field, FIELD_TEXT, note)
        block["fields"] = fields
    if "accessory" in block:
        _fit_element(block["accessory"])


def _fit_element(element: Block) -> None:
    if element.get("type") == "button":
        _fit_object(element.get("text"), BUTTON_TEXT, ELLIPSIS)
        value = element.get("value")
        if isinstance(value, str) and len(value) > ACTION_VALUE:
            raise BlockKitError(
                f"button {element.get('action_id')!r}: value of {len(value)} characters is "
                f"over Slack's {ACTION_VALUE}"
            )


def _fit_object(obj: Any, limit: int, note: str) -> None:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        obj["text"] = fit_text(obj["text"], limit, note)


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _first_text(blocks: list[Block]) -> str:
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict) and text.get("text"):
            return str(text["text"])
    return "socbot"
