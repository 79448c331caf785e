"""Untrusted text cannot become a mention, a broadcast, a disguised link or invisible text."""

from __future__ import annotations

import json
import re

import pytest

from bot.slack.blocks.escape import (
    ZWJ,
    entities,
    inert_json,
    inline_code,
    mrkdwn,
    plain_text,
    unescape_entities,
)

HOSTILE = [
    "<!channel> wake up",
    "<!here|here>",
    "<!everyone>",
    "<!subteam^S0IAMOPS>",
    "<@U0IDADMIN1> please approve",
    "<https://evil.example/login|https://good.example>",
    "<#C0SECRET>",
    "&lt;!channel&gt; pre-escaped",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_mrkdwn_leaves_no_angle_bracket_to_open_a_mention_or_link(text: str) -> None:
    shown = mrkdwn(text)

    assert "<" not in shown and ">" not in shown
    # What a client displays is the text itself (defanged), not a mention or a link.
    assert unescape_entities(shown).replace("hxxps[:]//", "https://") == text


def test_bare_broadcasts_get_a_zero_width_joiner() -> None:
    text = "ping @here and @channel and @everyone, not @heresy"
    shown = mrkdwn(text)

    assert re.findall(r"@(\w+)", shown) == ["heresy"]
    assert shown.count(f"@{ZWJ}") == 3
    assert unescape_entities(shown).replace(ZWJ, "") == text


def test_urls_are_shown_as_inert_text() -> None:
    shown = mrkdwn("see https://evil.example/x and HTTP://EVIL.example and ftp://files")

    assert "://" not in shown
    assert "hxxps[:]//evil.example/x" in shown
    assert "HxxP[:]//EVIL.example" in shown
    assert "ftp[:]//files" in shown


def test_control_and_bidi_characters_are_dropped() -> None:
    text = "admin\u202egpj.exe\u0000\u0007\u200b\u2066x\u2069\tend\nline"

    shown = mrkdwn(text)

    assert shown == "admingpj.exex end\nline"


def test_length_is_capped_after_escaping() -> None:
    shown = mrkdwn("<" * 100, limit=50)

    assert len(shown) <= 50
    assert shown.endswith("…")
    assert "<" not in shown and not shown[:-1].endswith("&")  # no entity cut in half


def test_inline_code_cannot_be_closed_from_inside() -> None:
    shown = inline_code("x` <!channel> `@here")

    assert shown.startswith("`") and shown.endswith("`")
    assert shown.count("`") == 2
    assert "<" not in shown and f"@{ZWJ}here" in shown


def test_plain_text_drops_invisible_characters_and_broadcasts() -> None:
    shown = plain_text("\u202e@here https://evil.example " + "x" * 200, limit=60)

    assert "\u202e" not in shown and f"@{ZWJ}here" in shown
    assert "https://" not in shown
    assert len(shown) == 60


@pytest.mark.parametrize(
    "value",
    [
        {"reason": "contain <!channel> now", "identity": "p-maria-chen"},
        {"reason": "@here https://evil.example/a?b=c&d <@U123> ``` done"},
        {"note": "rtl \u202e and nbsp\u00a0 and zw\u200b", "n": [1, 2.5, None, True]},
        {"emoji": "👍🏽 ünïcödé 日本語"},
    ],
)
def test_inert_json_decodes_to_exactly_the_value(value: dict[str, object]) -> None:
    text = inert_json(value)
    shown = entities(text)

    assert json.loads(unescape_entities(shown)) == value
    assert "<" not in shown and "://" not in shown and "`" not in shown
    assert "@here" not in shown and "@channel" not in shown
    assert not any(char in shown for char in "\u202e\u00a0\u200b")


def test_values_that_are_not_text_are_shown_too() -> None:
    assert mrkdwn(ValueError("no <!here>")) == "no &lt;!here&gt;"
    assert mrkdwn(True) == "true" and mrkdwn(None) == "null" and mrkdwn(56) == "56"
    assert mrkdwn(["a", "<@U1>"]) == '["a", "&lt;@U1&gt;"]'
