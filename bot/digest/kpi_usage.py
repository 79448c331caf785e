"""Model usage: tokens per model from model.output rows, and what they cost at list price.

Definitions (model.output rows whose time falls in the window, grouped by the model named in
the reply):
- calls: rows; prompt and completion tokens: the sums of usage.prompt_tokens and
  usage.completion_tokens;
- estimated cost: prompt tokens × input price + completion tokens × output price, prices in
  USD per million tokens from SOCBOT_MODEL_PRICES. A model matches the price entry with its
  exact name, else the longest entry its name starts with (gpt-4o-mini-2024-07-18 is priced
  as gpt-4o-mini). The offline engine runs locally and costs 0. A model with no price shows
  "—" and is left out of the total, which says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.digest.model import ModelUsage, UsageKpis
from bot.digest.queries import Keyed

Prices = Mapping[str, tuple[float, float]]
FREE_PREFIX = "socbot-offline"


def usage_kpis(models: Mapping[str, Keyed], prices: Prices) -> UsageKpis:
    """`models`: model.output rows in the window by model (keyed_counts)."""
    kpis = UsageKpis()
    for model in sorted(models):
        rows = models[model]
        usage = ModelUsage(rows.count, rows.prompt_tokens, rows.completion_tokens)
        price = price_of(model, prices)
        if price is not None:
            usage.cost_usd = cost(usage, price)
            kpis.cost_usd += usage.cost_usd
        else:
            kpis.unpriced_models.append(model)
        kpis.tokens += usage.prompt_tokens + usage.completion_tokens
        kpis.models[model] = usage
    return kpis


def price_of(model: str, prices: Prices) -> tuple[float, float] | None:
    if model.startswith(FREE_PREFIX):
        return (0.0, 0.0)
    if model in prices:
        return prices[model]
    matches = [name for name in prices if model.startswith(name)]
    return prices[max(matches, key=len)] if matches else None


def cost(usage: ModelUsage, price: tuple[float, float]) -> float:
    return (usage.prompt_tokens * price[0] + usage.completion_tokens * price[1]) / 1_000_000
