"""Find the alert JSON in a Slack message that another integration posted.

Integrations post an alert as the message text (often in a ``` code block) or in a legacy
attachment (its text, or its fields as title → value). Slack rewrites text on the way: & < >
arrive as entities and URLs and e-mail addresses arrive wrapped as <https://…> or
<mailto:…|label>; both are undone before the JSON is read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

_CODE_BLOCK = re.compile(r"```(?:[a-zA-Z]+\n)?(.*?)```", re.DOTALL)
_LINK = re.compile(r"<((?:https?|mailto|ftp):[^|>\s]+)(?:\|([^>]*))?>")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def unformat(text: str) -> str:
    """Slack's message text as the sender wrote it: links unwrapped, entities decoded."""
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    for entity, raw in _ENTITIES:
        text = text.replace(entity, raw)
    return text


def alert_body(event: Mapping[str, Any]) -> str | None:
    """The text that should hold the alert's JSON, or None when the message offers none.

    A candidate that is not valid JSON is still returned: the intake then rejects it and
    says why, which an integration posting broken JSON needs to hear.
    """
    return next(_candidates(event), None)


def _candidates(event: Mapping[str, Any]) -> Iterator[str]:
    text = str(event.get("text") or "")
    yield from _json_like(text)
    for attachment in event.get("attachments") or []:
        if not isinstance(attachment, Mapping):
            continue
        for key in ("text", "fallback", "pretext"):
            yield from _json_like(str(attachment.get(key) or ""))
        fields = _fields_object(attachment)
        if fields:
            yield json.dumps(fields)


def _json_like(text: str) -> Iterator[str]:
    for block in _CODE_BLOCK.findall(text):
        if block.strip().startswith(("{", "[")):
            yield unformat(block.strip())
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        yield unformat(stripped)


def _fields_object(attachment: Mapping[str, Any]) -> dict[str, Any]:
    """A legacy attachment's fields as one object, its title kept under "title"."""
    fields = {
        unformat(str(f.get("title"))): unformat(str(f.get("value") or ""))
        for f in attachment.get("fields") or []
        if isinstance(f, Mapping) and f.get("title")
    }
    if fields and attachment.get("title"):
        fields.setdefault("title", unformat(str(attachment["title"])))
    return fields
