"""An estimate of what a run cost, from the tokens the provider reported and a price table.

The shipped prices are list prices in US dollars per million tokens at the time of writing; they
change, so the table is overridable in config.toml (`[reign.prices."MODEL"] input = 3.0, output = 15.0`)
or REIGN_PRICES (JSON). A model with no price gets no cost rather than a wrong one.
"""

from __future__ import annotations

from reign.types import Usage

# model name prefix -> (input, output) US$ per million tokens; the longest matching prefix wins
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "claude-opus": (15.0, 75.0),
    "claude-sonnet": (3.0, 15.0),
    "claude-haiku": (1.0, 5.0),
    "gpt-5": (1.25, 10.0),
    "gpt-5-mini": (0.25, 2.0),
    "gpt-4.1": (2.0, 8.0),
    "gpt-4o": (2.5, 10.0),
    "gpt-4o-mini": (0.15, 0.6),
}


def price_of(model: str, overrides: dict[str, tuple[float, float]] | None = None) -> tuple[float, float] | None:
    table = {**DEFAULT_PRICES, **(overrides or {})}
    if model in table:
        return table[model]
    prefixes = [p for p in table if model.startswith(p)]
    return table[max(prefixes, key=len)] if prefixes else None


def cost(usage: Usage, model: str, overrides: dict[str, tuple[float, float]] | None = None) -> float | None:
    price = price_of(model, overrides)
    if price is None:
        return None
    return (usage.input_tokens * price[0] + usage.output_tokens * price[1]) / 1_000_000


def describe(usage: Usage, model: str, overrides: dict[str, tuple[float, float]] | None = None) -> str:
    """`1,200 in / 80 out tokens, ~$0.0048` (or `cost unknown` when the model has no price)."""
    tokens = f"{usage.input_tokens:,} in / {usage.output_tokens:,} out tokens"
    dollars = cost(usage, model, overrides)
    if dollars is None:
        return f"{tokens} (no price for {model or 'this model'}: set [reign.prices] in config.toml)"
    return f"{tokens}, ~${dollars:.4f} estimated"
