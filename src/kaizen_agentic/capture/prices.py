"""USD cost of captured tokens, from the genai-prices table or the user's overrides.

Prices are applied per API request, not to a run's totals: long-context
models charge a higher rate above a per-request input threshold, and a run's
summed input crosses that threshold long before any one request does.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kaizen_agentic.capture.transcript import RequestUsage, TokenUsage
from kaizen_agentic.errors import InvalidInputError

__all__ = ["OVERRIDE_KEYS", "CostEstimate", "PriceOverride", "price_requests", "price_usage"]

#: The keys of one model's entry under ``prices:`` in the config, USD per million tokens.
OVERRIDE_KEYS = (
    "input_per_mtok",
    "output_per_mtok",
    "cache_read_per_mtok",
    "cache_write_5m_per_mtok",
    "cache_write_1h_per_mtok",
)

PriceOverride = Mapping[str, float]


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """``usd`` is None when some model has no price; ``reason`` then says which.

    ``source`` is ``computed`` (from a price table) or ``reported`` (the runner said it).
    """

    usd: float | None
    reason: str | None = None
    source: str = "computed"


def price_usage(
    model: str,
    usage: TokenUsage,
    overrides: Mapping[str, PriceOverride] | None = None,
    when: datetime | None = None,
) -> CostEstimate:
    """The cost of *usage* on *model*: an override for the model wins over the table."""
    return price_requests([RequestUsage(model, usage, when)], overrides)


def price_requests(
    requests: Iterable[RequestUsage], overrides: Mapping[str, PriceOverride] | None = None
) -> CostEstimate:
    """Sum of each request's cost; None with a reason when any model cannot be priced."""
    overrides = overrides or {}
    total = 0.0
    missing: list[str] = []
    table: _Table | None = None
    for request in requests:
        override = overrides.get(request.model)
        if override is not None:
            usd: float | None = _override_cost(request.model, override, request.usage)
        else:
            table = table or _Table()
            usd = table.cost(request)
        if usd is None:
            if request.model not in missing:
                missing.append(request.model)
        else:
            total += usd
    if missing:
        names = ", ".join(missing)
        return CostEstimate(None, f"no price for model {names} (add it under prices: in config)")
    return CostEstimate(round(total, 6))


def _override_cost(model: str, override: PriceOverride, usage: TokenUsage) -> float:
    rates = {}
    for key in OVERRIDE_KEYS:
        value = override.get(key, 0.0)
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if not numeric or not math.isfinite(value):
            raise InvalidInputError(f"prices.{model}.{key} must be a number, not {value!r}.")
        rates[key] = float(value)
    return (
        usage.input_tokens * rates["input_per_mtok"]
        + usage.output_tokens * rates["output_per_mtok"]
        + usage.cache_read_tokens * rates["cache_read_per_mtok"]
        + usage.cache_write_5m_tokens * rates["cache_write_5m_per_mtok"]
        + usage.cache_write_1h_tokens * rates["cache_write_1h_per_mtok"]
    ) / 1_000_000


class _Table:
    """genai-prices, imported on first use (it brings pydantic) and looked up once per model."""

    def __init__(self) -> None:
        import genai_prices

        self._prices = genai_prices
        self._found: dict[str, Any] = {}

    def cost(self, request: RequestUsage) -> float | None:
        usage = self._usage(request.usage)
        price = self._found.get(request.model)
        if price is None and request.model not in self._found:
            try:
                calc = self._prices.calc_price(
                    usage,
                    request.model,
                    provider_id="anthropic",
                    genai_request_timestamp=request.timestamp,
                )
            except (LookupError, ValueError):
                self._found[request.model] = None
                return None
            self._found[request.model] = calc.model_price
            return float(calc.total_price)
        if price is None:
            return None
        return float(price.calc_price(usage)["total_price"])

    def _usage(self, usage: TokenUsage) -> Any:
        # genai-prices counts input_tokens as all input, cached parts included.
        return self._prices.Usage(
            input_tokens=usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens,
            output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens,
            cache_write_tokens=usage.cache_write_tokens,
            cache_write_1h_tokens=usage.cache_write_1h_tokens,
        )
