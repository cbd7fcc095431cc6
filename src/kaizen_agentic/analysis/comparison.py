"""Did the new version help? A time-aware, look-aware comparison of two versions (SPEC §4).

Pure functions over arrays: each :class:`Side` holds run times (epoch
seconds), 0/1 success and quality (NaN where absent). The design decides the
test, because a prompt edit almost always runs *after* the version it
replaces and the environment moves meanwhile:

- **Periods overlap** (the versions ran side by side): runs are stratified by
  UTC day; by week only when there are fewer than six days and under 80 %
  of runs share a day with the other version (but 80 % share a week). Never
  one pooled stratum: in a gradual rollout (the candidate's share rising
  over the weeks) it credits the environment's shifts to the version whose
  share rises with them, and week strata leave the shifts within a week
  in. With six strata or more, both metrics (success as 0/1, a linear
  probability model) are tested by
  :func:`combined_stratified_t`: random stratum effects and a linear trend
  over the strata, so what the strata's means say about the versions is
  recovered rather than discarded (Yates 1940) — comparing only within
  strata of a few runs each throws away about one run per stratum. With
  fewer strata, success is tested by the exact conditional test of a
  common odds ratio over the strata (the exact Cochran-Mantel-Haenszel
  test, Mehta, Patel & Gray 1985) with a mid-p value (Lancaster 1961),
  quality by a within-stratum regression t (:func:`stratified_t`). Mid-p is
  not conservative the way Fisher's test is, so success no longer needs the
  larger share of alpha.
- **Periods do not overlap**: the runs nearest the switch (the last k of the
  baseline, the first k of the candidate, k the smaller side) are fitted
  with a segmented regression — a common linear time trend plus a step at
  the switch (interrupted time series, Wagner et al. 2002) — and the step is
  tested. A drift that merely continues across the switch is not credited
  to the candidate. When the baseline alone already drifted (a slope test
  within the baseline at ``alpha``), the result warns ``confounded_by_time``.

Two metrics, one family: weighted Holm with equal weights (each metric is
an outcome a prompt edit can move; with mid-p neither is conservative).

Repeated looks: the loop re-compares every cycle, so the family's alpha is
spent across looks — look k gets ``alpha * k**-3 / zeta(3)`` (the shares
sum to alpha over any number of looks, so by the union bound the chance of
ever calling a difference that is not there stays at most alpha). Look 1
gets 83 % of alpha; later looks need stronger evidence, which accumulating
runs supply. ``looks`` is the number of looks taken so far, this one included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kaizen_agentic.analysis.distributions import chi2_one_sf, t_two_sided_p

__all__ = [
    "RECOVERED_TEST",
    "Comparison",
    "MetricComparison",
    "Side",
    "alpha_at_look",
    "cmh_statistic",
    "combined_stratified_t",
    "compare_sides",
    "exact_stratified_mid_p",
]

FloatArray = NDArray[np.float64]
DAY, WEEK = 86400.0, 7 * 86400.0
ZETA3 = 1.2020569031595942
SPENDING = "alpha-spending k^-3 over looks (union bound)"
EXACT_LIMIT = 5000  # runs in the strata up to which success takes the exact mid-p test
# residual degrees of freedom of the stratum means needed to estimate their variance
MIN_BETWEEN_DF = 3
RECOVERED_TEST = "stratified regression t, between-strata information recovered"


@dataclass(frozen=True)
class Side:
    """One version's runs: times (epoch s), success (0/1) and quality (NaN = none)."""

    times: FloatArray
    success: FloatArray
    quality: FloatArray

    @staticmethod
    def of(times: FloatArray, success: FloatArray, quality: FloatArray | None = None) -> Side:
        t = np.asarray(times, dtype=np.float64)
        q = np.full(t.size, np.nan) if quality is None else np.asarray(quality, np.float64)
        return Side(t, np.asarray(success, dtype=np.float64), q)

    @property
    def n(self) -> int:
        return int(self.times.size)

    def period(self) -> tuple[float, float] | None:
        return (float(self.times.min()), float(self.times.max())) if self.n else None


@dataclass(frozen=True)
class MetricComparison:
    """One metric, candidate against baseline; ``difference`` is candidate − baseline."""

    metric: str
    test: str
    n_baseline: int
    n_candidate: int
    baseline_value: float
    candidate_value: float
    difference: float  # rate or mean; the step at the switch for the segmented design
    effect_size: float | None  # odds ratio (success) or Cliff's delta (quality)
    statistic: float
    p_value: float
    adjusted_p_value: float = 1.0
    significant: bool = False


@dataclass(frozen=True)
class Comparison:
    """The answer of :func:`compare_sides`; periods are (first, last) epoch seconds."""

    verdict: str
    design: str  # "stratified-by-day" | "stratified-by-week" | "near-switch" | "none"
    method: str
    looks: int
    alpha: float
    alpha_at_look: float
    n_baseline: int
    n_candidate: int
    baseline_period: tuple[float, float] | None
    candidate_period: tuple[float, float] | None
    success: MetricComparison | None = None
    quality: MetricComparison | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)


def alpha_at_look(alpha: float, looks: int) -> float:
    """The share of *alpha* spent at look number *looks* (1-based)."""
    return alpha / (looks**3 * ZETA3)


def compare_sides(
    baseline: Side,
    candidate: Side,
    *,
    alpha: float = 0.05,
    looks: int = 1,
    min_samples: int = 10,
) -> Comparison:
    """Compare *candidate* with *baseline*; see the module docstring for the methods."""
    if looks < 1:
        raise ValueError(f"looks: must be at least 1, got {looks}")
    level = alpha_at_look(alpha, looks)
    head = {
        "looks": looks,
        "alpha": alpha,
        "alpha_at_look": level,
        "n_baseline": baseline.n,
        "n_candidate": candidate.n,
        "baseline_period": baseline.period(),
        "candidate_period": candidate.period(),
    }
    if min(baseline.n, candidate.n) < min_samples:
        return Comparison("insufficient_data", "none", SPENDING, **head)  # type: ignore[arg-type]
    warnings: list[str] = []
    success: MetricComparison | None
    quality: MetricComparison | None
    b_first, b_last = head["baseline_period"]  # type: ignore[misc]
    c_first, c_last = head["candidate_period"]  # type: ignore[misc]
    if c_first <= b_last and b_first <= c_last:
        design, strata = _strata(baseline.times, candidate.times)
        success = _success_stratified(baseline, candidate, strata)
        quality = _quality_stratified(baseline, candidate, strata)
    else:
        design = "near-switch"
        if c_first < b_first:  # the candidate is the older one: the switch runs the other way
            baseline, candidate = candidate, baseline
            warnings.append("candidate_ran_before_baseline")
        k = min(baseline.n, candidate.n)
        order_b, order_c = np.argsort(baseline.times), np.argsort(candidate.times)
        near_b, near_c = _take(baseline, order_b[-k:]), _take(candidate, order_c[:k])
        success = _segmented(near_b, near_c, "success", near_b.success, near_c.success)
        quality = _segmented(near_b, near_c, "quality", near_b.quality, near_c.quality)
        if _drifted(near_b, alpha):
            warnings.append("confounded_by_time")
        if warnings and warnings[0] == "candidate_ran_before_baseline":
            success, quality = _flip(success), _flip(quality)
    tested = [m for m in (success, quality) if m is not None]
    adjusted = _holm([m.p_value for m in tested])
    tested = [
        _mark(m, p, p <= level and m.difference != 0) for m, p in zip(tested, adjusted, strict=True)
    ]
    by_name = {m.metric: m for m in tested}
    up = [m for m in tested if m.significant and m.difference > 0]
    down = [m for m in tested if m.significant and m.difference < 0]
    if up and down:
        verdict = "no_significant_difference"
        warnings.append("metrics_disagree")
    else:
        verdict = "improved" if up else "regressed" if down else "no_significant_difference"
    return Comparison(
        verdict,
        design,
        f"{SPENDING}; look {looks}",
        success=by_name.get("success"),
        quality=by_name.get("quality"),
        warnings=tuple(warnings),
        **head,  # type: ignore[arg-type]
    )


# --- stratified (overlapping periods) ------------------------------------------


def _strata(base_times: FloatArray, cand_times: FloatArray) -> tuple[str, FloatArray]:
    """Stratum per run (baseline runs first): by day, by week only when days are too few.

    Day strata when 80 % of runs share a day with the other version, or when
    there are days enough for :func:`combined_stratified_t` to recover what
    the days' means say (the days that hold one version only then speak
    through their means, against a linear trend, weighted by how much the
    days differ). Week strata only for the few-day rest, when 80 % of runs
    share a week; else days again. Never one pooled stratum: in a gradual
    rollout it credits every shift of the environment to the version whose
    share rises with it, and week strata leave the shifts within a week in.
    """
    times = np.concatenate([base_times, cand_times])
    is_cand = np.r_[np.zeros(base_times.size), np.ones(cand_times.size)]
    days = np.floor(times / DAY)
    if _recovers(days) or _mixed_share(days, is_cand) >= 0.8:
        return "stratified-by-day", days
    weeks = np.floor(times / WEEK)
    if _mixed_share(weeks, is_cand) >= 0.8:
        return "stratified-by-week", weeks
    return "stratified-by-day", days


def _mixed_share(label: FloatArray, is_cand: FloatArray) -> float:
    """The share of runs in a stratum that holds both versions."""
    _, inverse = np.unique(label, return_inverse=True)
    cand_count = np.bincount(inverse, weights=is_cand)
    mixed = (cand_count > 0) & (cand_count < np.bincount(inverse))
    return float(mixed[inverse].mean())


def _success_stratified(base: Side, cand: Side, strata: FloatArray) -> MetricComparison:
    y = np.concatenate([base.success, cand.success])
    is_cand = np.r_[np.zeros(base.n), np.ones(cand.n)]
    rate_b, rate_c = float(base.success.mean()), float(cand.success.mean())
    tables = _tables(y, is_cand, strata)
    odds_ratio = _mantel_haenszel_odds_ratio(tables)
    test, statistic, p = _success_test(y, is_cand, strata, tables)
    return MetricComparison(
        "success", test, base.n, cand.n, rate_b, rate_c, rate_c - rate_b, odds_ratio, statistic, p
    )


def _success_test(
    y: FloatArray, is_cand: Any, strata: Any, tables: list[Any]
) -> tuple[str, float, float]:
    """(test name, statistic, two-sided p) of the success comparison across *strata*."""
    if _recovers(strata):
        # Enough strata to estimate their variance: the linear-probability
        # model with random stratum effects, as for quality.
        t, df = combined_stratified_t(y, is_cand, strata)
        return RECOVERED_TEST, t, t_two_sided_p(t, df) if df > 0 else 1.0
    exact = sum(n1 + n0 for _, n1, _, n0 in tables) <= EXACT_LIMIT
    statistic = cmh_statistic(tables) if tables else 0.0
    if not tables:
        p = 1.0
    elif exact:
        p = exact_stratified_mid_p(tables)
    else:  # the convolution grows with n²; at this size the chi-square is as good
        p = chi2_one_sf(statistic)
    test = "exact stratified (CMH) mid-p" if exact else "Cochran-Mantel-Haenszel chi-square"
    return test, statistic, p


def _tables(
    y: FloatArray, is_cand: FloatArray, strata: FloatArray
) -> list[tuple[int, int, int, int]]:
    """One 2x2 table per stratum holding both versions (see :func:`cmh_statistic`)."""
    tables = []
    for s in np.unique(strata):
        inside = strata == s
        c, b = inside & (is_cand == 1), inside & (is_cand == 0)
        if c.any() and b.any():
            tables.append((int(y[c].sum()), int(c.sum()), int(y[b].sum()), int(b.sum())))
    return tables


def cmh_statistic(tables: list[tuple[int, int, int, int]]) -> float:
    """Cochran-Mantel-Haenszel chi-square (1 df, no continuity correction).

    Each table is ``(candidate successes, candidate runs, baseline successes,
    baseline runs)`` of one stratum.
    """
    observed = expected = variance = 0.0
    for a, n1, c, n0 in tables:
        n, m1 = n1 + n0, a + c
        observed += a
        expected += n1 * m1 / n
        if n > 1:
            variance += n1 * n0 * m1 * (n - m1) / (n * n * (n - 1))
    return (observed - expected) ** 2 / variance if variance > 0 else 0.0


def exact_stratified_mid_p(tables: list[tuple[int, int, int, int]]) -> float:
    """Two-sided mid-p of the exact conditional test of a common odds ratio of 1.

    Given each stratum's margins, the candidate's successes are hypergeometric;
    their sum's distribution is the convolution over strata. Two-sided: twice
    the smaller one-sided mid-p, at most 1.
    """
    pmf = np.ones(1)
    observed = 0
    for a, n1, c, n0 in tables:
        m1 = a + c
        support = np.arange(max(0, m1 - n0), min(n1, m1) + 1)
        piece = np.zeros(support[-1] + 1)
        piece[support] = _hypergeom_pmf(support, n1 + n0, m1, n1)
        pmf = np.convolve(pmf, piece)
        observed += a
    below = float(pmf[:observed].sum())
    above = float(pmf[observed + 1 :].sum())
    at = float(pmf[observed])
    return min(1.0, 2.0 * min(below + at / 2.0, above + at / 2.0))


def _mantel_haenszel_odds_ratio(tables: list[tuple[int, int, int, int]]) -> float | None:
    top = sum(a * (n0 - c) / (n1 + n0) for a, n1, c, n0 in tables)
    bottom = sum((n1 - a) * c / (n1 + n0) for a, n1, c, n0 in tables)
    return top / bottom if bottom > 0 else None


def _quality_stratified(base: Side, cand: Side, strata: FloatArray) -> MetricComparison | None:
    y = np.concatenate([base.quality, cand.quality])
    is_cand = np.r_[np.zeros(base.n), np.ones(cand.n)]
    keep = np.isfinite(y)
    n_b, n_c = int(np.sum(keep & (is_cand == 0))), int(np.sum(keep & (is_cand == 1)))
    if not n_b or not n_c:
        return None
    if _recovers(strata[keep]):
        t, df = combined_stratified_t(y[keep], is_cand[keep], strata[keep])
        test = RECOVERED_TEST
    else:
        t, df = stratified_t(y[keep], is_cand[keep], strata[keep])
        test = "stratified regression t (version within day or week)"
    qb, qc = y[keep & (is_cand == 0)], y[keep & (is_cand == 1)]
    mean_b, mean_c = float(qb.mean()), float(qc.mean())
    return MetricComparison(
        "quality",
        test,
        n_b,
        n_c,
        mean_b,
        mean_c,
        mean_c - mean_b,
        _cliffs_delta(qb, qc),
        t,
        t_two_sided_p(t, df) if df > 0 else 1.0,
    )


def stratified_t(
    values: FloatArray, is_candidate: FloatArray, strata: FloatArray
) -> tuple[float, float]:
    """t of the version effect in ``y ~ stratum + version`` (within-stratum OLS), and its df.

    Demeaning by stratum compares the versions only inside each day (or
    week); a stratum with one version only adds nothing. For scores on a
    bounded scale with this many runs the t is as valid as a rank test and
    more powerful when the effect is a shift.
    """
    _, inverse = np.unique(strata, return_inverse=True)
    counts = np.bincount(inverse)

    def within(v: FloatArray) -> FloatArray:
        result: FloatArray = v - (np.bincount(inverse, weights=v) / counts)[inverse]
        return result

    x, y = within(is_candidate.astype(np.float64)), within(values.astype(np.float64))
    sxx = float(x @ x)
    df = float(values.size - counts.size - 1)
    if sxx <= 0 or df <= 0:
        return 0.0, 0.0
    slope = float(x @ y) / sxx
    residual = y - slope * x
    sigma2 = float(residual @ residual) / df
    if sigma2 <= 0:
        return (math.copysign(math.inf, slope) if slope else 0.0), df
    return slope / math.sqrt(sigma2 / sxx), df


def _recovers(strata: FloatArray) -> bool:
    """Whether there are strata enough to estimate their variance (see below)."""
    return int(np.unique(strata).size) >= 3 + MIN_BETWEEN_DF


def combined_stratified_t(
    values: FloatArray, is_candidate: FloatArray, strata: FloatArray
) -> tuple[float, float]:
    """t of the version effect with random stratum effects and a linear trend over strata.

    The model is ``y = a + b·stratum + d·version + u_stratum + e`` with
    ``u ~ N(0, tau²)`` and ``e ~ N(0, sigma²)``. Comparing the versions only
    within strata (:func:`stratified_t`) discards what the strata's means
    say about the versions — about one run per stratum, a sixth of the
    information at six runs a day. Yates's recovery of inter-block
    information (1940) adds it back, weighted by how far the strata differ:
    ``sigma²`` from the within-stratum fit, ``tau²`` by moments from the
    residuals of the stratum means on ``[1, stratum, candidate share]``
    (their expectation is ``tau²·(S - 3) + sigma²·Σ M_ss / n_s``, M the
    residual projection: a between-groups moment estimator in the manner
    of Swamy & Arora 1972, for unequal strata), floored at zero. The
    estimate is generalised least squares with those variances: each
    stratum's values less ``theta_s`` times their mean,
    ``theta_s = 1 - sqrt(sigma² / (sigma² + n_s·tau²))``, then OLS on
    ``[1, stratum, version]``; its variance is ``sigma²`` times the
    version's diagonal element of the inverse cross-product. When the strata
    differ a lot, ``theta`` nears 1 and this is the within estimate; when
    they do not differ, 0, and it is the pooled regression with a linear
    trend. The trend keeps a drift that the candidate's share follows out of
    the between-strata part. ``sigma²`` has the within fit's degrees of
    freedom, ``n - S - 1``, and so has the t. With fewer than
    ``3 + MIN_BETWEEN_DF`` strata ``tau²`` cannot be estimated and this is
    :func:`stratified_t`.
    """
    labels, inverse = np.unique(strata, return_inverse=True)
    m = int(labels.size)
    if m < 3 + MIN_BETWEEN_DF:
        return stratified_t(values, is_candidate, strata)
    counts = np.bincount(inverse).astype(np.float64)
    x, y = is_candidate.astype(np.float64), values.astype(np.float64)

    def means(v: FloatArray) -> FloatArray:
        result: FloatArray = np.bincount(inverse, weights=v) / counts
        return result

    x_within, y_within = x - means(x)[inverse], y - means(y)[inverse]
    sxx = float(x_within @ x_within)
    df = float(values.size - m - 1)
    if sxx <= 0 or df <= 0:
        return 0.0, 0.0
    slope = float(x_within @ y_within) / sxx
    sigma2 = float(np.sum((y_within - slope * x_within) ** 2)) / df

    trend = labels - labels.mean()
    between = np.column_stack([np.ones(m), trend, means(x)])
    q, _ = np.linalg.qr(between)
    residual_projection = np.eye(m) - q @ q.T
    r = residual_projection @ means(y)
    noise = sigma2 * float(np.sum(np.diag(residual_projection) / counts))
    tau2 = max((float(r @ r) - noise) / (m - 3), 0.0)

    # no noise within strata (sigma² = 0): the within estimate
    theta = 1.0 - np.sqrt(sigma2 / (sigma2 + counts * tau2)) if sigma2 > 0 else np.ones(m)
    design = np.column_stack([np.ones(values.size), trend[inverse], x])
    group_means = np.column_stack([means(column) for column in design.T])
    design = design - theta[inverse, None] * group_means[inverse]
    target = y - theta[inverse] * means(y)[inverse]
    beta, *_ = np.linalg.lstsq(design, target, rcond=None)
    variance = sigma2 * float(np.linalg.pinv(design.T @ design)[2, 2])
    if variance <= 0:
        return (math.copysign(math.inf, beta[2]) if beta[2] else 0.0), df
    return float(beta[2]) / math.sqrt(variance), df


def _cliffs_delta(baseline: FloatArray, candidate: FloatArray) -> float:
    """P(candidate > baseline) − P(candidate < baseline), in O(n log n) by sorting."""
    ordered = np.sort(baseline)
    below = np.searchsorted(ordered, candidate, side="left")  # baseline values < each
    above = ordered.size - np.searchsorted(ordered, candidate, side="right")
    return float((below.sum() - above.sum()) / (ordered.size * candidate.size))


# --- near the switch (non-overlapping periods) -----------------------------------


def _segmented(
    base: Side, cand: Side, metric: str, y_base: FloatArray, y_cand: FloatArray
) -> MetricComparison | None:
    """OLS of y on [1, day, candidate]: the step at the switch, t-tested.

    Time enters as whole days, the unit the environment drifts in. When each
    side ran within one day, a trend cannot be told from the step and the
    model is the plain two-group one ([1, candidate]).
    """
    t = np.floor(np.concatenate([base.times, cand.times]) / DAY)
    y = np.concatenate([y_base, y_cand])
    step = np.r_[np.zeros(base.n), np.ones(cand.n)]
    keep = np.isfinite(y)
    n_b, n_c = int(np.sum(keep & (step == 0))), int(np.sum(keep & (step == 1)))
    if n_b < 2 or n_c < 2:
        return None
    t, y, step = t[keep], y[keep], step[keep]
    columns = [np.ones_like(t), step]
    if np.ptp(t[step == 0]) > 0 or np.ptp(t[step == 1]) > 0:
        columns.insert(1, t - t.mean())
    design = np.column_stack(columns)
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ beta
    df = y.size - design.shape[1]
    if df < 1:
        return None
    sigma2 = float(residual @ residual) / df
    cov = sigma2 * np.linalg.pinv(design.T @ design)
    se = math.sqrt(max(float(cov[-1, -1]), 0.0))
    stat = float(beta[-1]) / se if se > 0 else 0.0
    p = t_two_sided_p(stat, df) if se > 0 else 1.0
    mean_b, mean_c = float(y[step == 0].mean()), float(y[step == 1].mean())
    effect = _cliffs_delta(y[step == 0], y[step == 1]) if metric == "quality" else None
    return MetricComparison(
        metric,
        "segmented regression (step at switch)",
        n_b,
        n_c,
        mean_b,
        mean_c,
        float(beta[-1]),
        effect,
        stat,
        p,
    )


def _drifted(base: Side, alpha: float) -> bool:
    """Whether success or quality moved within the baseline, day by day (OLS slope at *alpha*)."""
    days = np.floor(base.times / DAY)
    for y in (base.success, base.quality):
        keep = np.isfinite(y)
        usable = keep.sum() >= 3 and np.ptp(days[keep]) > 0 and np.ptp(y[keep]) > 0
        if usable and _slope_p(days[keep], y[keep]) < alpha:
            return True
    return False


# The distributions come from analysis.distributions, not scipy: a fifth of the
# import on the path every optimize and compare takes.


def _hypergeom_pmf(k: NDArray[np.int64], total: int, good: int, drawn: int) -> FloatArray:
    """P(K = k) drawing *drawn* of *total* items of which *good* are good."""
    log = (
        _log_choose(good, k)
        + _log_choose(total - good, drawn - k)
        - _log_choose(total, np.asarray(drawn))
    )
    return np.exp(log)


def _log_choose(n: Any, k: Any) -> FloatArray:
    n, k = np.asarray(n, dtype=np.float64), np.asarray(k, dtype=np.float64)
    log: FloatArray = _lgamma(n + 1) - _lgamma(k + 1) - _lgamma(n - k + 1)
    return log


def _lgamma(x: FloatArray) -> FloatArray:
    # the tables are small (EXACT_LIMIT runs): math.lgamma a value at a time will do
    return np.fromiter(map(math.lgamma, x.ravel().tolist()), dtype=np.float64).reshape(x.shape)


def _slope_p(x: FloatArray, y: FloatArray) -> float:
    """Two-sided p of an OLS slope's t-test (as scipy.stats.linregress reports it)."""
    n = x.size
    xc, yc = x - x.mean(), y - y.mean()
    sxx, sxy, syy = float(xc @ xc), float(xc @ yc), float(yc @ yc)
    if n < 3 or sxx == 0:
        return 1.0
    slope = sxy / sxx
    residual = max(syy - slope * sxy, 0.0)
    if residual == 0:
        return 0.0 if slope != 0 else 1.0
    t = slope / math.sqrt(residual / (n - 2) / sxx)
    return t_two_sided_p(t, n - 2)


def _take(side: Side, index: NDArray[np.intp]) -> Side:
    return Side(side.times[index], side.success[index], side.quality[index])


def _flip(metric: MetricComparison | None) -> MetricComparison | None:
    if metric is None:
        return None
    effect = metric.effect_size
    if effect is not None:
        effect = -effect if metric.metric == "quality" else 1.0 / effect
    return MetricComparison(
        metric.metric,
        metric.test,
        metric.n_candidate,
        metric.n_baseline,
        metric.candidate_value,
        metric.baseline_value,
        -metric.difference,
        effect,
        -metric.statistic,
        metric.p_value,
    )


def _holm(p_values: list[float]) -> list[float]:
    """Holm-adjusted p-values with equal weights, in the order given."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted, running = [1.0] * m, 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def _mark(metric: MetricComparison, adjusted: float, significant: bool) -> MetricComparison:
    from dataclasses import replace

    return replace(metric, adjusted_p_value=adjusted, significant=significant)
