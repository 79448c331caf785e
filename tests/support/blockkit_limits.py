"""Slack's Block Kit limits, checked the way Slack checks them, written apart from socbot's own
fitting code (bot.slack.blockkit) so a mistake there cannot hide here.

problems(blocks) lists what Slack would refuse, in the shape of its invalid_blocks errors;
the Slack stand-in answers {"ok": false, "error": "invalid_blocks"} with them.
"""

from __future__ import annotations

from typing import Any

LIMITS = {
    "blocks": 50,
    "section.text": 3000,
    "section.fields": 10,
    "section.field": 2000,
    "header.text": 150,
    "context.elements": 10,
    "context.text": 3000,
    "button.text": 75,
    "button.value": 2000,
}


def _too_long(value: Any, limit: int, where: str) -> list[str]:
    text = value.get("text") if isinstance(value, dict) else value
    if isinstance(text, str) and len(text) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{where}]"]
    return []


def _element_problems(element: dict[str, Any], where: str) -> list[str]:
    if element.get("type") != "button":
        return []
    found = _too_long(element.get("text"), LIMITS["button.text"], f"{where}/text/text")
    return found + _too_long(element.get("value"), LIMITS["button.value"], f"{where}/value")


def _block_problems(block: dict[str, Any], where: str) -> list[str]:
    kind = block.get("type")
    found: list[str] = []
    if kind == "section":
        found += _too_long(block.get("text"), LIMITS["section.text"], f"{where}/text/text")
        fields = block.get("fields") or []
        if len(fields) > LIMITS["section.fields"]:
            found.append(f"must provide no more than 10 items [json-pointer:{where}/fields]")
        for i, field in enumerate(fields):
            found += _too_long(field, LIMITS["section.field"], f"{where}/fields/{i}/text")
        if isinstance(block.get("accessory"), dict):
            found += _element_problems(block["accessory"], f"{where}/accessory")
    elif kind == "header":
        found += _too_long(block.get("text"), LIMITS["header.text"], f"{where}/text/text")
    elif kind == "context":
        elements = block.get("elements") or []
        if len(elements) > LIMITS["context.elements"]:
            found.append(f"must provide no more than 10 items [json-pointer:{where}/elements]")
        for i, element in enumerate(elements):
            found += _too_long(element, LIMITS["context.text"], f"{where}/elements/{i}/text")
    elif kind == "actions":
        for i, element in enumerate(block.get("elements") or []):
            found += _element_problems(element, f"{where}/elements/{i}")
    return found


def problems(blocks: Any) -> list[str]:
    if not isinstance(blocks, list):
        return ["blocks must be a list"]
    found = []
    if len(blocks) > LIMITS["blocks"]:
        found.append("must provide no more than 50 items [json-pointer:/blocks]")
    for i, block in enumerate(blocks):
        found += _block_problems(block, f"/blocks/{i}") if isinstance(block, dict) else []
    return found


def refusal(params: dict[str, Any]) -> dict[str, Any] | None:
    """Slack's answer to a message whose blocks break a limit, or None if they do not."""
    if "blocks" not in params:
        return None
    found = problems(params["blocks"])
    return {"ok": False, "error": "invalid_blocks", "errors": found} if found else None
