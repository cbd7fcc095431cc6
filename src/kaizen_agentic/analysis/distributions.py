"""The distribution functions the verdicts need, one number at a time.

Trend and comparison verdicts need the two-sided p of a t statistic, a t
quantile (confidence intervals, the smallest change a test could show), a
normal quantile and the chi-square tail at one degree of freedom.
``scipy.special`` has them, but importing it costs ~0.18 s — its array-API
layer loads ``numpy.testing``, ``numpy.f2py`` and more — on every read whose
numbers changed, which is more than a whole warm read of a million records.
mpmath (pure Python, ~35 ms to import) computes the regularized incomplete
beta function the t distribution reduces to; the normal distribution is the
standard library's. ``tests/analysis/test_distributions.py`` checks each
against ``scipy.special``.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

_NORMAL = NormalDist()


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with *df* > 0 degrees of freedom (inf: normal)."""
    if math.isnan(t) or math.isnan(df) or df <= 0:
        return math.nan
    if math.isinf(df):
        return math.erfc(abs(t) / math.sqrt(2))
    if math.isinf(t):
        return 0.0
    import mpmath

    # P(|T| >= t) = I_{df / (df + t^2)}(df / 2, 1 / 2): accurate while small; a p
    # over 1/2 is taken as 1 - P(|T| < t) = 1 - I_{t^2 / (df + t^2)}(1 / 2, df / 2)
    t2 = t * t
    p = float(mpmath.betainc(df / 2, 0.5, 0, df / (df + t2), regularized=True))
    if p > 0.5:
        p = 1 - float(mpmath.betainc(0.5, df / 2, 0, t2 / (df + t2), regularized=True))
    return p


def t_quantile(q: float, df: float) -> float:
    """The *q*-quantile of Student's t with *df* > 0 degrees of freedom (inf: normal)."""
    if not 0 < q < 1 or math.isnan(df) or df <= 0:
        return math.nan
    if math.isinf(df):
        return _NORMAL.inv_cdf(q)
    if q < 0.5:
        return -t_quantile(1 - q, df)
    if q == 0.5:
        return 0.0
    return _upper_t_quantile(q, df)


@lru_cache(maxsize=256)
def _upper_t_quantile(q: float, df: float) -> float:
    if df == 1:  # Cauchy
        return math.tan(math.pi * (q - 0.5))
    if df == 2:
        return (2 * q - 1) / math.sqrt(2 * q * (1 - q))
    # Newton on the upper tail, from the Cornish-Fisher expansion (Abramowitz
    # & Stegun 26.7.5), which is already close: two or three steps suffice.
    # The tail is convex and decreasing past 0, so once a step lands left of
    # the root every later one moves right without overshooting.
    tail = 1 - q
    log_scale = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    x = _cornish_fisher(_NORMAL.inv_cdf(q), df)
    if df >= 1000:  # the expansion alone is within 1e-12 there (checked against scipy)
        return x
    for _ in range(200):
        density = math.exp(log_scale - (df + 1) / 2 * math.log1p(x * x / df))
        step = (t_two_sided_p(x, df) / 2 - tail) / density
        x += step
        if abs(step) <= 1e-14 * x:
            break
    return x


def _cornish_fisher(z: float, df: float) -> float:
    """The t quantile's expansion in 1/df around the normal quantile *z*."""
    z2 = z * z
    g1 = (z2 + 1) * z / 4
    g2 = ((5 * z2 + 16) * z2 + 3) * z / 96
    g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384
    g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160
    x = z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df
    return x if 0 < x < 1e6 else z  # far off only at tiny df and extreme q: start at z


def normal_quantile(p: float) -> float:
    """The *p*-quantile of the standard normal distribution."""
    return _NORMAL.inv_cdf(p) if 0 < p < 1 else math.nan


def chi2_one_sf(x: float) -> float:
    """P(X >= x) for chi-square with one degree of freedom."""
    if math.isnan(x):
        return math.nan
    return 1.0 if x <= 0 else math.erfc(math.sqrt(x / 2))
