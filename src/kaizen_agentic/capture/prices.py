"""USD cost of captured tokens, from the genai-prices table or the user's overrides.

Prices are applied per API request, not to a run's totals: long-context
models charge a higher rate above a per-request input threshold, and a run's
summed input crosses that threshold long before any one request does.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
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
    requests: Iterable[RequestUsage],
    overrides: Mapping[str, PriceOverride] | None = None,
    cache: Path | None = None,
) -> CostEstimate:
    """Sum of each request's cost; None with a reason when any model cannot be priced.

    *cache* is the rates cache file (``.kaizen/capture/prices.json``); without
    it the table is read afresh.
    """
    overrides = overrides or {}
    total = 0.0
    missing: list[str] = []
    table: _Table | None = None
    for request in requests:
        override = overrides.get(request.model)
        if override is not None:
            usd: float | None = _override_cost(request.model, override, request.usage)
        else:
            table = table or _Table(cache)
            usd = table.cost(request)
        if usd is None:
            if request.model not in missing:
                missing.append(request.model)
        else:
            total += usd
    if table is not None:
        table.save()
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


Rates = dict[str, Any]  # one model's rates as the rates cache holds them


class _Table:
    """The genai-prices rates of each model, from the rates cache or the package.

    genai-prices brings pydantic (~200 ms to import), more than the hook's
    whole budget, so the rates the table gives a model (base and long-context
    tiers of each token kind) are kept in a small JSON file keyed by the
    installed genai-prices version; the package is imported only for a model
    the cache does not know yet. Both paths price a request with the same
    arithmetic (:func:`_rates_cost`), so a hook and an import agree.
    The table's date-dependent prices are read as of now when first cached.
    """

    def __init__(self, cache: Path | None = None) -> None:
        self.cache = cache
        self.version = _table_version()
        self.rates: dict[str, Rates | None] = _read_rates(cache, self.version)
        self.changed = False

    def cost(self, request: RequestUsage) -> float | None:
        if request.model not in self.rates:
            self.rates[request.model] = _table_rates(request.model)
            self.changed = True
        rates = self.rates[request.model]
        return None if rates is None else _rates_cost(rates, request.usage)

    def save(self) -> None:
        if self.cache is None or not self.changed or self.version is None:
            return
        from kaizen_agentic._fs import atomic_write_text

        document = {"genai_prices": self.version, "models": self.rates}
        with contextlib.suppress(OSError):  # a cache that cannot be written costs time only
            atomic_write_text(self.cache, json.dumps(document, sort_keys=True) + "\n")


_RATE_KINDS = {
    "input_mtok": "input_tokens",
    "output_mtok": "output_tokens",
    "cache_read_mtok": "cache_read_tokens",
    "cache_write_mtok": "cache_write_5m_tokens",
    "cache_write_1h_mtok": "cache_write_1h_tokens",
}


def _rates_cost(rates: Rates, usage: TokenUsage) -> float:
    """USD of one request: each kind at the rate of the highest tier its total input passes.

    Long-context tiers are chosen by the request's whole input, cached parts
    included, as the table defines them. A model without a 1-hour write rate
    is charged its 5-minute rate for those tokens.
    """
    prompt = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
    total = 0.0
    for kind, attribute in _RATE_KINDS.items():
        rate = rates.get(kind)
        if rate is None and kind == "cache_write_1h_mtok":
            rate = rates.get("cache_write_mtok")
        if rate is None:
            continue
        base, tiers = rate
        applicable = base
        for start, price in reversed(tiers):
            if prompt > start:
                applicable = price
                break
        total += getattr(usage, attribute) * applicable
    return total / 1_000_000


def _table_rates(model: str) -> Rates | None:
    """The rates genai-prices gives *model* (Anthropic), or None when it has no price."""
    import genai_prices

    try:
        found = genai_prices.calc_price(
            genai_prices.Usage(input_tokens=0, output_tokens=0), model, provider_id="anthropic"
        )
    except (LookupError, ValueError):
        return None
    price = found.model_price
    rates: Rates = {}
    for kind in _RATE_KINDS:
        value = getattr(price, kind, None)
        if value is None:
            continue
        tiers = getattr(value, "tiers", None)
        if tiers is None:
            rates[kind] = [float(value), []]
        else:
            rates[kind] = [float(value.base), [[int(t.start), float(t.price)] for t in tiers]]
    return rates


def _table_version() -> str | None:
    """The installed genai-prices version, read from its dist-info folder without importing it.

    ``importlib.metadata`` would cost ~50 ms; one folder listing costs microseconds.
    """
    import importlib.util

    try:
        spec = importlib.util.find_spec("genai_prices")
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    site = Path(spec.origin).parent.parent
    for info in site.glob("genai_prices-*.dist-info"):
        return info.name[len("genai_prices-") : -len(".dist-info")]
    return None


def _read_rates(cache: Path | None, version: str | None) -> dict[str, Rates | None]:
    if cache is None or version is None:
        return {}
    try:
        document = json.loads(cache.read_bytes())
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(document, dict) or document.get("genai_prices") != version:
        return {}
    models = document.get("models")
    if not isinstance(models, dict):
        return {}
    return {m: r for m, r in models.items() if r is None or _valid_rates(r)}


def _valid_rates(rates: object) -> bool:
    """A damaged entry is priced again from the table rather than trusted."""
    if not isinstance(rates, dict):
        return False
    for kind, rate in rates.items():
        if kind not in _RATE_KINDS or not isinstance(rate, list) or len(rate) != 2:
            return False
        base, tiers = rate
        if not _finite(base) or not isinstance(tiers, list):
            return False
        if not all(isinstance(t, list) and len(t) == 2 and all(map(_finite, t)) for t in tiers):
            return False
    return True


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
