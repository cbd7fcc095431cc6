from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from kaizen_agentic.analysis.comparison import (
    RECOVERED_TEST,
    Side,
    alpha_at_look,
    cmh_statistic,
    compare_sides,
    exact_stratified_mid_p,
)

DAY = 86400.0
START = 20089 * DAY


def test_cmh_statistic_matches_hand_computation() -> None:
    # stratum 1: cand 8/10, base 5/10 -> a=8, E = 10*13/20 = 6.5,
    #   V = 10*10*13*7 / (20^2 * 19) = 9100/7600
    # stratum 2: cand 3/5, base 2/6 -> a=3, E = 5*5/11, V = 5*6*5*6 / (11^2 * 10)
    tables = [(8, 10, 5, 10), (3, 5, 2, 6)]
    observed, expected = 11, 6.5 + 25 / 11
    variance = 9100 / 7600 + 900 / 1210
    assert math.isclose(cmh_statistic(tables), (observed - expected) ** 2 / variance)


def test_exact_mid_p_one_stratum_is_fisher_mid_p() -> None:
    a, n1, c, n0 = 12, 20, 5, 20
    dist = stats.hypergeom(n1 + n0, a + c, n1)
    upper = dist.sf(a) + dist.pmf(a) / 2
    lower = dist.cdf(a - 1) + dist.pmf(a) / 2
    assert math.isclose(exact_stratified_mid_p([(a, n1, c, n0)]), 2 * min(upper, lower))
    # and below Fisher's exact p: mid-p is the less conservative one
    assert (
        exact_stratified_mid_p([(a, n1, c, n0)])
        < stats.fisher_exact([[a, n1 - a], [c, n0 - c]]).pvalue
    )


def test_alpha_spending_sums_to_alpha() -> None:
    spent = sum(alpha_at_look(0.05, k) for k in range(1, 100_000))
    assert math.isclose(spent, 0.05, rel_tol=1e-6)
    assert alpha_at_look(0.05, 2) < alpha_at_look(0.05, 1) < 0.05


def side(rng: np.random.Generator, times: np.ndarray, p: float, q: float) -> Side:
    return Side.of(
        times, (rng.random(times.size) < p).astype(float), q + rng.normal(0, 0.1, times.size)
    )


def test_too_few_runs_is_insufficient_data() -> None:
    rng = np.random.default_rng(1)
    t = START + np.arange(5) * DAY
    result = compare_sides(side(rng, t, 0.5, 0.5), side(rng, t + 0.5, 0.9, 0.9))
    assert result.verdict == "insufficient_data" and result.success is None


def test_side_by_side_versions_are_stratified() -> None:
    rng = np.random.default_rng(4)
    t = np.sort(START + rng.uniform(0, 14 * DAY, 80))
    result = compare_sides(side(rng, t, 0.5, 0.6), side(rng, t + 60, 0.95, 0.8))
    assert result.design == "stratified-by-day"
    assert result.verdict == "improved"
    # 14 days: strata enough to estimate their variance, so both metrics recover
    # what the days' means say (combined_stratified_t)
    assert result.success is not None and result.success.test == RECOVERED_TEST
    assert result.quality is not None and result.quality.test == RECOVERED_TEST
    assert result.looks == 1 and math.isclose(result.alpha_at_look, 0.05 / 1.2020569031595942)


def test_few_strata_keep_the_exact_test_within_strata() -> None:
    rng = np.random.default_rng(4)
    # five days (Wednesday to Sunday), each of one version only: too few days to
    # recover what their means say, so stratified by week (weeks start on Thursday)
    tb = START + np.repeat([0.0, 2.0, 4.0], 4) * DAY + np.tile(np.arange(4) * 3600.0, 3)
    tc = START + np.repeat([1.0, 3.0], 6) * DAY + np.tile(np.arange(6) * 3600.0, 2)
    result = compare_sides(side(rng, tb, 0.5, 0.6), side(rng, tc, 0.95, 0.8))
    assert result.design == "stratified-by-week"
    assert result.success is not None and result.success.test.startswith("exact stratified")
    assert result.quality is not None and result.quality.test.startswith(
        "stratified regression t ("
    )


def rollout(seed: int, week_sd: float) -> tuple[Side, Side]:
    """Two weeks of the baseline alone, then the candidate's share rising 10 -> 90 %
    over four weeks; a shift of the environment every week, no version effect."""
    rng = np.random.default_rng(seed)

    def ramp(n: int) -> np.ndarray:  # inverse CDF of a density rising 0.1 -> 0.9
        u: np.ndarray = (-0.1 + np.sqrt(0.01 + 0.8 * rng.uniform(0, 1, n))) / 0.8
        return u

    tb = np.sort(np.r_[rng.uniform(0, 14, 40), 14 + (1 - ramp(40)) * 28]) * DAY + START
    tc = np.sort(14 + ramp(40) * 28) * DAY + START
    week = rng.normal(0, week_sd, 7)

    def quality(t: np.ndarray) -> np.ndarray:
        shift: np.ndarray = week[((t - START) // (7 * DAY)).astype(int)]
        return 0.7 + shift + rng.normal(0, 0.1, t.size)

    return Side.of(tb, np.ones(tb.size), quality(tb)), Side.of(tc, np.ones(tc.size), quality(tc))


def test_a_gradual_rollout_with_week_shifts_is_not_a_difference() -> None:
    base, cand = rollout(0, week_sd=0.3)
    # too few runs share a week with the other version (the baseline ran alone
    # first): one pooled stratum would credit the weeks' shifts to the candidate
    pooled = stats.ttest_ind(cand.quality, base.quality)
    assert pooled.pvalue < 1e-10
    result = compare_sides(base, cand)
    assert result.design == "stratified-by-day"
    assert result.quality is not None and result.quality.test == RECOVERED_TEST
    assert result.verdict == "no_significant_difference"
    assert result.quality.p_value > 0.05


def test_gradual_rollouts_with_week_shifts_rarely_come_out_different() -> None:
    verdicts = [compare_sides(*rollout(seed, week_sd=0.3)).verdict for seed in range(100, 160)]
    # nominal: about 2 % (quality alone, half of alpha at look 1); pooled: most of them
    assert sum(v in ("improved", "regressed") for v in verdicts) <= 4


def test_sequential_versions_under_drift_warn_confounded_by_time() -> None:
    rng = np.random.default_rng(6)
    tb = np.sort(START + rng.uniform(0, 20 * DAY, 60))
    tc = np.sort(START + rng.uniform(20 * DAY, 40 * DAY, 60))
    drift = lambda t: 0.9 - 0.4 * (t - START) / (40 * DAY)  # noqa: E731
    base = Side.of(tb, np.ones(60), drift(tb) + rng.normal(0, 0.02, 60))
    cand = Side.of(tc, np.ones(60), drift(tc) + rng.normal(0, 0.02, 60))
    result = compare_sides(base, cand)
    assert result.design == "near-switch"
    assert "confounded_by_time" in result.warnings
    assert result.verdict == "no_significant_difference"  # the drift is not the candidate's
    assert result.baseline_period == (float(tb[0]), float(tb[-1]))


def test_the_scipy_special_pieces_equal_scipy_stats() -> None:
    from scipy import stats

    from kaizen_agentic.analysis.comparison import _hypergeom_pmf, _slope_p

    k = np.arange(0, 9)
    np.testing.assert_allclose(_hypergeom_pmf(k, 30, 12, 8), stats.hypergeom.pmf(k, 30, 12, 8))
    rng = np.random.default_rng(3)
    x = np.arange(20.0)
    y = 0.02 * x + rng.normal(0, 0.1, 20)
    assert _slope_p(x, y) == pytest.approx(stats.linregress(x, y).pvalue, rel=1e-9)


def test_cliffs_delta_by_sorting_equals_the_pairwise_definition() -> None:
    from kaizen_agentic.analysis.comparison import _cliffs_delta

    rng = np.random.default_rng(11)
    base = rng.choice([0.25, 0.5, 0.75, 1.0], 40)
    cand = rng.choice([0.5, 0.75, 1.0], 33)
    pairwise = float(np.sign(cand[:, None] - base[None, :]).mean())
    assert _cliffs_delta(base, cand) == pytest.approx(pairwise)


def test_large_strata_use_the_chi_square_and_agree_with_the_exact_test() -> None:
    from scipy import stats

    from kaizen_agentic.analysis.comparison import cmh_statistic, exact_stratified_mid_p

    tables = [(30, 50, 22, 50), (28, 50, 20, 50)]
    exact = exact_stratified_mid_p(tables)
    approx = float(stats.chi2.sf(cmh_statistic(tables), 1))
    assert exact == pytest.approx(approx, rel=0.15)  # mid-p is close to the uncorrected chi-square


def test_stratified_t_equals_ols_with_a_dummy_per_stratum() -> None:
    from scipy import stats

    from kaizen_agentic.analysis.comparison import stratified_t

    rng = np.random.default_rng(5)
    strata = np.repeat([0.0, 1.0, 2.0, 3.0], 12)
    version = np.tile([0.0, 1.0, 0.0, 1.0, 1.0, 0.0], 8)
    y = 0.6 + 0.05 * strata + 0.08 * version + rng.normal(0, 0.1, strata.size)
    t, df = stratified_t(y, version, strata)
    # reference: y ~ stratum dummies + version by least squares, t of the version term
    design = np.column_stack([(strata == s).astype(float) for s in range(4)] + [version])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ beta
    dof = y.size - design.shape[1]
    cov = residual @ residual / dof * np.linalg.inv(design.T @ design)
    assert df == dof
    assert t == pytest.approx(beta[-1] / np.sqrt(cov[-1, -1]))
    assert 2 * stats.t.sf(abs(t), df) < 0.05  # the planted 0.08 shift is found


def _gls_reference(y: np.ndarray, version: np.ndarray, strata: np.ndarray) -> tuple[float, float]:
    """The combined t the long way: dummies, hat matrices, an explicit V and its inverse."""
    labels = np.unique(strata)
    dummies = np.column_stack([(strata == s).astype(float) for s in labels])
    within = np.column_stack([dummies, version])
    beta, *_ = np.linalg.lstsq(within, y, rcond=None)
    dof = y.size - within.shape[1]
    sigma2 = float(np.sum((y - within @ beta) ** 2)) / dof
    counts = dummies.sum(axis=0)
    share = dummies.T @ version / counts
    mean_y = dummies.T @ y / counts
    between = np.column_stack([np.ones(labels.size), labels, share])
    hat = between @ np.linalg.inv(between.T @ between) @ between.T
    resid = mean_y - hat @ mean_y
    m = labels.size
    tau2 = max(
        (resid @ resid - sigma2 * np.trace((np.eye(m) - hat) @ np.diag(1 / counts))) / (m - 3), 0
    )
    v = sigma2 * np.eye(y.size) + tau2 * dummies @ dummies.T
    design = np.column_stack([np.ones(y.size), strata, version])
    v_inv = np.linalg.inv(v)
    cov = np.linalg.inv(design.T @ v_inv @ design)
    gls = cov @ design.T @ v_inv @ y
    return float(gls[2] / np.sqrt(cov[2, 2])), float(dof)


def test_combined_stratified_t_is_gls_with_moment_variances() -> None:
    from kaizen_agentic.analysis.comparison import combined_stratified_t

    rng = np.random.default_rng(8)
    strata = np.sort(rng.integers(100, 112, 70)).astype(float)  # 12 days, 2-10 runs each
    version = (rng.random(70) < 0.5).astype(float)
    day_effect = rng.normal(0, 0.05, 112)[strata.astype(int)]
    y = 0.7 + 0.06 * version + day_effect + rng.normal(0, 0.1, 70)
    t, df = combined_stratified_t(y, version, strata)
    ref_t, ref_df = _gls_reference(y, version, strata)
    assert df == ref_df == 70 - 12 - 1
    assert t == pytest.approx(ref_t, rel=1e-9)


def test_combined_stratified_t_is_the_within_t_when_strata_differ_a_lot() -> None:
    from kaizen_agentic.analysis.comparison import combined_stratified_t, stratified_t

    rng = np.random.default_rng(9)
    strata = np.repeat(np.arange(10.0), 8)
    version = np.tile([0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0], 10)
    y = 0.5 + 3.0 * rng.normal(size=10)[strata.astype(int)] + 0.1 * version
    y = y + rng.normal(0, 0.1, y.size)
    combined, within = combined_stratified_t(y, version, strata), stratified_t(y, version, strata)
    assert combined[1] == within[1]
    assert combined[0] == pytest.approx(within[0], rel=1e-3)


def test_combined_stratified_t_recovers_what_small_strata_discard() -> None:
    """No stratum effect, 2-4 runs a stratum: the combined t is near the pooled one."""
    from kaizen_agentic.analysis.comparison import combined_stratified_t, stratified_t

    rng = np.random.default_rng(10)
    strata = np.repeat(np.arange(20.0), 3)
    version = (rng.random(60) < 0.5).astype(float)
    y = 0.7 + 0.1 * version + rng.normal(0, 0.1, 60)
    pooled = stats.ttest_ind(y[version == 1], y[version == 0]).statistic
    combined, within = (
        combined_stratified_t(y, version, strata)[0],
        stratified_t(y, version, strata)[0],
    )
    assert abs(combined - pooled) < abs(within - pooled)
    assert abs(combined) > abs(within)
