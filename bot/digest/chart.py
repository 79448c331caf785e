"""The digest's chart as PNG bytes: the week's funnel and its credential lifetimes.

Left: alerts received → triaged → actions requested → approved → executed, this window as
solid bars, the window before as outlines. Right: how long the credentials issued in the
window lived, in buckets, both windows side by side. Drawn with matplotlib's Agg canvas and
no pyplot, so no global state and no display are involved (the worker draws on a thread).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from bot.digest.model import Digest, WindowKpis

if TYPE_CHECKING:
    from matplotlib.axes import Axes

THIS_WEEK, LAST_WEEK = "#2b6cb0", "#a0aec0"


def funnel(kpis: WindowKpis) -> list[tuple[str, int]]:
    return [
        ("Alerts received", kpis.alerts.received),
        ("Triaged", kpis.alerts.triaged),
        ("Actions requested", kpis.actions.requested),
        ("Approved", kpis.actions.approved),
        ("Executed", kpis.actions.executed),
    ]


def render_chart(digest: Digest) -> bytes:
    # matplotlib takes longer to import than the rest of socbot: only a drawing pays for it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 4.2), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2, width_ratios=(1.1, 1))
    _draw_funnel(left, digest)
    _draw_lifetimes(right, digest)
    figure.suptitle(digest.title, fontsize=12)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _draw_funnel(axes: Axes, digest: Digest) -> None:
    current, previous = funnel(digest.current), funnel(digest.previous)
    rows = list(range(len(current)))[::-1]
    axes.barh(rows, [v for _, v in current], height=0.6, color=THIS_WEEK, label="this window")
    axes.barh(
        rows,
        [v for _, v in previous],
        height=0.6,
        fill=False,
        edgecolor=LAST_WEEK,
        linewidth=1.5,
        label="window before",
    )
    for row, (_, value) in zip(rows, current, strict=True):
        axes.annotate(f" {value:,}", (value, row), va="center", fontsize=9)
    axes.set_yticks(rows, [label for label, _ in current])
    axes.set_title("Funnel", fontsize=10)
    axes.legend(loc="lower right", fontsize=8)


def _draw_lifetimes(axes: Axes, digest: Digest) -> None:
    current = digest.current.credentials.lifetime_buckets
    previous = digest.previous.credentials.lifetime_buckets
    names = list(current or previous)
    spots = list(range(len(names)))
    this = [current.get(name, 0) for name in names]
    before = [previous.get(name, 0) for name in names]
    axes.bar([s - 0.2 for s in spots], this, width=0.4, color=THIS_WEEK, label="this window")
    axes.bar([s + 0.2 for s in spots], before, width=0.4, color=LAST_WEEK, label="window before")
    axes.set_xticks(spots, names, rotation=30, ha="right", fontsize=8)
    axes.set_title("Credential lifetimes (issued → revoked)", fontsize=10)
    axes.set_ylabel("credentials")
    axes.legend(fontsize=8)
