"""The formats and the chart on their own: nothing to compute from shows "—", never an error,
long breakdowns are cut, and every format says the same numbers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.digest.chart import render_chart
from bot.digest.formats import render, to_slack
from bot.digest.model import ChainCheck, Digest, ModelUsage, WindowKpis
from bot.digest.sections import BREAKDOWN_LINES, duration, usd
from bot.digest.window import digest_zone, previous_window, week_window

ZONE = digest_zone("UTC")


def empty_digest() -> Digest:
    window = week_window("2026-W47", ZONE)
    return Digest(
        WindowKpis(window),
        WindowKpis(previous_window(window, ZONE)),
        ChainCheck(False),
        datetime(2026, 11, 23, 9, tzinfo=UTC),
        "UTC",
    )


def test_an_empty_log_shows_dashes_not_zero_division() -> None:
    text = render(empty_digest(), "text")
    for label in ("Time to triage post, median", "Override rate", "Escape rate", "Lifetime, max"):
        line = next(line for line in text.splitlines() if line.startswith(label))
        assert line.split()[-2:] == ["—", "—"], line
    assert "Chain verification: not run" in text
    assert json.loads(render(empty_digest(), "json"))["current"]["actions"]["override_rate"] is None


def test_every_format_tells_the_same_figures() -> None:
    digest = empty_digest()
    digest.current.alerts.received = 1234
    digest.current.actions.override_rate = 0.25
    text, markdown = render(digest, "text"), render(digest, "markdown")
    slack = json.dumps(to_slack(digest))
    for out in (text, markdown, slack):
        assert "1,234" in out and "25.0%" in out


def test_long_breakdowns_are_cut_and_slack_blocks_stay_within_limits() -> None:
    digest = empty_digest()
    digest.current.policy.denials_by_rule = {
        f"tools.tool_{i:02d}.rate_limit": 100 - i for i in range(40)
    }
    digest.current.policy.denials = sum(digest.current.policy.denials_by_rule.values())
    digest.current.usage.models = {f"model-{i}": ModelUsage(1, 10, 10, None) for i in range(12)}
    text = render(digest, "text")
    assert "by tools.tool_00.rate_limit" in text
    assert f"by tools.tool_{BREAKDOWN_LINES:02d}.rate_limit" not in text
    message = to_slack(digest)
    assert len(message["blocks"]) <= 50
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in message["blocks"])


def test_spelled_values() -> None:
    assert [duration(v) for v in (0.25, 42.0, 600.0, 9000.0)] == [
        "250 ms",
        "42.0 s",
        "10.0 min",
        "2.5 h",
    ]
    assert [usd(v) for v in (0.0, 0.0007, 12.5, None)] == ["$0.00", "$0.0007", "$12.50", "—"]


def test_the_chart_is_a_png_even_for_an_empty_week() -> None:
    png = render_chart(empty_digest())
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
