"""Estimated cost per call, from a per-model price table users can override.

Prices are USD per million tokens: (input, cached input, output). Override or
extend the table with a JSON file ``{"model": [input, cached, output]}`` named
by ``SUMMARIZER_PRICES`` or ``--prices``; unknown models cost 0 and are said so.
Batch prices are half the live ones (OpenAI's Batch API) unless the table names
``"model@batch"``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from summarizer.core.errors import ConfigError

Price = tuple[float, float, float]

DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4o-mini": (0.15, 0.075, 0.60),
    "gpt-4o": (2.50, 1.25, 10.00),
    "gpt-4.1-mini": (0.40, 0.10, 1.60),
    "gpt-4.1-nano": (0.10, 0.025, 0.40),
    "gpt-4.1": (2.00, 0.50, 8.00),
    "gpt-5-mini": (0.25, 0.025, 2.00),
    "gpt-5-nano": (0.05, 0.005, 0.40),
}


def load_prices(path: str | Path | None = None) -> dict[str, Price]:
    prices = dict(DEFAULT_PRICES)
    source = path or os.environ.get("SUMMARIZER_PRICES")
    if not source:
        return prices
    try:
        data = json.loads(Path(source).read_text("utf-8"))
        for model, value in data.items():
            input_price, cached_price, output_price = (float(v) for v in value)
            prices[model] = (input_price, cached_price, output_price)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(
            f"price table {source} is unreadable ({exc}); expected "
            '{"model": [input, cached_input, output]} in USD per million tokens'
        ) from None
    return prices


def price_of(prices: dict[str, Price], model: str) -> Price | None:
    """The model's price, or that of the longest known name it starts with
    (``gpt-4o-mini-2024-07-18`` is priced as ``gpt-4o-mini``); None when unknown."""
    price = prices.get(model)
    if price is None:
        base = model.split("/")[-1]
        by_length = sorted(prices.items(), key=lambda item: -len(item[0]))
        price = next((p for name, p in by_length if base.startswith(name)), None)
    return price


def cost(prices: dict[str, Price], model: str, prompt: int, cached: int, completion: int) -> float:
    """USD for one call; 0 for a model with no known price (the run says cost is untracked)."""
    price = price_of(prices, model)
    if price is None:
        return 0.0
    input_price, cached_price, output_price = price
    uncached = max(0, prompt - cached)
    return (uncached * input_price + cached * cached_price + completion * output_price) / 1e6


BATCH_SUFFIX = "@batch"
BATCH_DISCOUNT = 0.5


def batch_price_of(prices: dict[str, Price], model: str) -> Price | None:
    """The model's batch price: ``model@batch`` from the table, else half the live price."""
    explicit = prices.get(model + BATCH_SUFFIX)
    if explicit is not None:
        return explicit
    live = price_of(prices, model)
    return None if live is None else tuple(p * BATCH_DISCOUNT for p in live)  # type: ignore[return-value]


def batch_cost(
    prices: dict[str, Price], model: str, prompt: int, cached: int, completion: int
) -> float:
    """USD for one request of a provider batch job."""
    price = batch_price_of(prices, model)
    if price is None:
        return 0.0
    input_price, cached_price, output_price = price
    uncached = max(0, prompt - cached)
    return (uncached * input_price + cached * cached_price + completion * output_price) / 1e6
