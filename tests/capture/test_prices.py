from __future__ import annotations

from datetime import datetime, timezone

import pytest

from kaizen_agentic.capture import RequestUsage, TokenUsage, price_requests, price_usage
from kaizen_agentic.errors import InvalidInputError

OVERRIDE = {
    "house-model": {
        "input_per_mtok": 2.0,
        "output_per_mtok": 10.0,
        "cache_read_per_mtok": 0.5,
        "cache_write_5m_per_mtok": 3.0,
        "cache_write_1h_per_mtok": 4.0,
    }
}


def test_override_applies_each_rate_including_both_cache_writes() -> None:
    usage = TokenUsage(1_000_000, 100_000, 2_000_000, 300_000, 100_000)
    # 2 + 1 + 1 + 0.2*3 + 0.1*4
    assert price_usage("house-model", usage, OVERRIDE).usd == pytest.approx(5.0)


def test_override_wins_over_the_table() -> None:
    usage = TokenUsage(1000, 0, 0, 0, 0)
    overrides = {"claude-sonnet-4-5": {"input_per_mtok": 1000.0}}
    assert price_usage("claude-sonnet-4-5", usage, overrides).usd == pytest.approx(1.0)


def test_unknown_model_has_no_price_and_says_why() -> None:
    estimate = price_usage("no-such-model-xyz", TokenUsage(10, 10, 0, 0, 0))
    assert estimate.usd is None
    assert estimate.reason is not None and "no-such-model-xyz" in estimate.reason


def test_table_price_of_a_known_model() -> None:
    # Claude Sonnet 4.5: $3 input, $15 output, $0.30 cache read, $3.75 5m and $6 1h write per MTok.
    usage = TokenUsage(10_000, 1_000, 20_000, 10_000, 4_000)
    expected = (10_000 * 3 + 1_000 * 15 + 20_000 * 0.3 + 6_000 * 3.75 + 4_000 * 6) / 1e6
    when = datetime(2026, 2, 1, tzinfo=timezone.utc)
    assert price_usage("claude-sonnet-4-5-20250929", usage, when=when).usd == pytest.approx(
        expected
    )


def test_requests_are_priced_one_by_one() -> None:
    # Two 150k-token requests stay under the 200k long-context tier; their sum would not.
    one = RequestUsage("claude-sonnet-4-5-20250929", TokenUsage(150_000, 0, 0, 0, 0), None)
    assert price_requests([one, one]).usd == pytest.approx(2 * 150_000 * 3 / 1e6)


def test_one_unpriced_model_leaves_the_total_empty() -> None:
    known = RequestUsage("house-model", TokenUsage(1, 0, 0, 0, 0), None)
    unknown = RequestUsage("mystery", TokenUsage(1, 0, 0, 0, 0), None)
    estimate = price_requests([known, unknown], OVERRIDE)
    assert estimate.usd is None and "mystery" in (estimate.reason or "")


def test_bad_override_value() -> None:
    with pytest.raises(InvalidInputError, match="input_per_mtok"):
        price_usage("m", TokenUsage(1, 0, 0, 0, 0), {"m": {"input_per_mtok": "cheap"}})  # type: ignore[dict-item]
