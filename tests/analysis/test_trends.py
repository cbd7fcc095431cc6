from __future__ import annotations

import math

import numpy as np
import pytest

from kaizen_agentic.analysis.trends import (
    DAY,
    PHI_MARGIN,
    _lag1_autocorrelation,
    cochran_armitage_z,
    daily_groups,
    quality_trend,
    success_trend,
)

START = 20089 * DAY


def test_cochran_armitage_matches_hand_computation() -> None:
    # 3 days, 4 runs each, 4, 2 and 1 successes: N=12, p=7/12, mean score 1,
    # T = 4(-1) + 2(0) + 1(1) = -3, Var = p(1-p) * (4 + 0 + 4) = 280/144.
    z = cochran_armitage_z(np.array([0.0, 1, 2]), np.array([4.0, 4, 4]), np.array([4.0, 2, 1]))
    assert math.isclose(z, -3 / math.sqrt(280 / 144), rel_tol=1e-12)


def test_daily_groups_skips_missing_values() -> None:
    times = START + np.array([0.1, 0.2, 1.5, 1.6, 2.5]) * DAY
    g = daily_groups(times, np.array([0.5, np.nan, 1.0, 0.0, 0.25]))
    assert g.count.tolist() == [1, 2, 1]
    assert g.total.tolist() == [0.5, 1.0, 0.25]


def test_daily_groups_of_runs_in_time_order_and_shuffled_agree() -> None:
    rng = np.random.default_rng(3)
    times = np.sort(START + rng.uniform(0, 40 * DAY, 2000))
    values = rng.random(2000)
    values[::5] = np.nan
    ordered = daily_groups(times, values)  # found where the day changes
    order = rng.permutation(times.size)
    shuffled = daily_groups(times[order], values[order])  # found by sorting
    assert ordered.day.tolist() == shuffled.day.tolist()
    assert ordered.count.tolist() == shuffled.count.tolist()
    assert np.allclose(ordered.total, shuffled.total) and np.allclose(
        ordered.squares, shuffled.squares
    )
    assert ordered.day.size == np.unique(np.floor(times / DAY)).size


def test_lag1_autocorrelation_step_by_step() -> None:
    r = np.array([1.0, 2.0, 1.0, -1.0, -2.0, -1.0, 1.0, 2.0])
    raw = (2 + 2 - 1 + 2 + 2 - 1 + 2) / (1 + 4 + 1 + 1 + 4 + 1 + 1 + 4)  # 8/17
    assert math.isclose(_lag1_autocorrelation(r), raw - PHI_MARGIN / math.sqrt(8))
    assert _lag1_autocorrelation(np.array([1.0, -1, 1, -1, 1, -1])) == 0.0


def test_a_burst_within_one_minute_is_insufficient() -> None:
    times = START + np.arange(12) * 5.0
    result = quality_trend(times, np.linspace(0.5, 0.9, 12))
    assert (result.verdict, result.n, result.days) == ("insufficient_data", 12, 1)


def test_tied_scores_do_not_zero_the_change() -> None:
    rng = np.random.default_rng(3)
    times = np.sort(START + rng.uniform(0, 30 * DAY, 60))
    latent = 0.95 - 0.15 * (times - times[0]) / np.ptp(times) + rng.normal(0, 0.05, 60)
    scores = np.clip(np.round(latent * 4) / 4, 0.5, 1.0)
    result = quality_trend(times, scores)
    assert result.verdict == "declining"
    assert result.change_over_window is not None and result.change_over_window < -0.1


def test_few_noisy_runs_are_inconclusive_not_stable() -> None:
    rng = np.random.default_rng(5)
    times = START + (np.arange(5) + 0.5) * DAY
    result = quality_trend(times, 0.75 + rng.normal(0, 0.1, 5))
    assert result.verdict == "inconclusive"
    assert result.min_detectable_change is not None and result.min_detectable_change > 0.05


def test_quiet_stationary_quality_is_stable() -> None:
    rng = np.random.default_rng(11)
    times = np.sort(START + rng.uniform(0, 30 * DAY, 300))
    result = quality_trend(times, 0.8 + rng.normal(0, 0.01, 300))
    assert result.verdict == "stable"


def test_success_decline_over_a_month() -> None:
    rng = np.random.default_rng(2)
    day = np.repeat(np.arange(30), 4)
    times = START + (day + rng.uniform(0, 1, day.size)) * DAY
    p = 0.95 - 0.55 * day / 29
    result = success_trend(times, (rng.random(day.size) < p).astype(float))
    assert result.verdict == "declining"
    assert result.method == "cochran-armitage-wls-quasibinomial"
    assert result.change_over_window is not None and -0.8 < result.change_over_window < -0.3


def test_all_successes_is_no_trend() -> None:
    times = START + (np.arange(120) / 4 + 0.1) * DAY
    result = success_trend(times, np.ones(120))
    # the variance is floored at p = 0.95, so 120 runs cannot rule out a 0.05 change
    assert result.verdict == "inconclusive" and result.p_value == 1.0


def test_success_slope_is_one_binomial_weighted_step_from_cochran_armitage() -> None:
    from scipy import stats

    rng = np.random.default_rng(12)
    day = np.repeat(np.arange(20.0), 5)
    times = START + (day + rng.uniform(0, 1, day.size)) * DAY
    y = (rng.random(day.size) < 0.9 - 0.4 * day / 19).astype(float)
    result = success_trend(times, y)
    # reference, per run: OLS (the Cochran-Armitage slope), then weighted LS with
    # weights 1 / (p (1 - p)) at the OLS fit, then the Wald variance at the refit
    x = np.floor(times / DAY)
    design = np.column_stack([np.ones_like(x), x])
    ols = np.linalg.lstsq(design, y, rcond=None)[0]
    p = np.clip(design @ ols, 0.05, 0.95)
    root = 1 / np.sqrt(p * (1 - p))
    beta = np.linalg.lstsq(design * root[:, None], y * root, rcond=None)[0]
    p = np.clip(design @ beta, 0.05, 0.95)
    w = 1 / (p * (1 - p))
    days = np.unique(x)
    expected = np.array([p[x == d].sum() for d in days])
    binomial = np.array([(p * (1 - p))[x == d].sum() for d in days])
    observed = np.array([y[x == d].sum() for d in days])
    dispersion = max(float(np.sum((observed - expected) ** 2 / binomial)) / (days.size - 2), 1.0)
    cov = dispersion * np.linalg.inv(design.T @ (w[:, None] * design))
    z = beta[1] / np.sqrt(cov[1, 1])
    reference_p = (
        2 * stats.t.sf(abs(z), days.size - 2) if dispersion > 1 else 2 * stats.norm.sf(abs(z))
    )
    assert result.slope_per_day == pytest.approx(beta[1], rel=1e-9)
    assert result.p_value == pytest.approx(reference_p, rel=1e-6)
    assert result.verdict == "declining"
