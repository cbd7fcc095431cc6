"""The verdicts' distribution functions against scipy.special, the reference."""

from __future__ import annotations

import math

import pytest
from scipy import special

from kaizen_agentic.analysis.distributions import (
    chi2_one_sf,
    normal_quantile,
    t_quantile,
    t_two_sided_p,
)

# degrees of freedom the verdicts meet: days - 2, runs - 2, fractional ones
# from pooled variances, and the normal limit
DFS = [1, 2, 3, 4, 5, 7, 13, 30, 88, 178, 1000, 38884, 500000, 2.5, 7.3]


@pytest.mark.parametrize("df", DFS)
@pytest.mark.parametrize("t", [0.0, 1e-3, 0.5, 1.96, 3.0, 8.0, 40.0, 1e3, -2.5])
def test_two_sided_p_is_scipys(df: float, t: float) -> None:
    want = float(2 * special.stdtr(df, -abs(t)))
    assert t_two_sided_p(t, df) == pytest.approx(want, rel=1e-10, abs=1e-300)


@pytest.mark.parametrize("df", DFS)
@pytest.mark.parametrize("q", [0.6, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995, 0.9995, 0.999999, 0.025])
def test_t_quantile_is_scipys(df: float, q: float) -> None:
    want = float(special.stdtrit(df, q))
    got = t_quantile(q, df)
    assert got == pytest.approx(want, rel=1e-9)
    assert t_two_sided_p(got, df) == pytest.approx(2 * min(q, 1 - q), rel=1e-9)


def test_t_quantile_near_the_median_follows_the_closed_form() -> None:
    # df = 4: F(t) = 1/2 + 3t/8 near 0 (scipy itself is off by 4e-4 here)
    assert t_quantile(0.5 + 1e-7, 4) == pytest.approx(1e-7 * 8 / 3, rel=1e-6)
    assert t_quantile(0.5, 9) == 0.0


def test_the_normal_limit_and_the_edges() -> None:
    assert t_two_sided_p(1.959963984540054, math.inf) == pytest.approx(0.05, rel=1e-12)
    assert t_quantile(0.975, math.inf) == pytest.approx(1.959963984540054, rel=1e-12)
    assert t_two_sided_p(math.inf, 5) == 0.0
    assert math.isnan(t_two_sided_p(math.nan, 5))
    assert math.isnan(t_two_sided_p(1.0, 0))
    assert math.isnan(t_quantile(1.0, 5))
    assert math.isnan(normal_quantile(0.0))


@pytest.mark.parametrize("p", [0.001, 0.2, 0.5, 0.8, 0.999])
def test_normal_quantile_is_scipys(p: float) -> None:
    assert normal_quantile(p) == pytest.approx(float(special.ndtri(p)), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("x", [0.0, 0.1, 1.0, 3.841458820694124, 10.0, 50.0, 400.0])
def test_chi2_one_sf_is_scipys(x: float) -> None:
    assert chi2_one_sf(x) == pytest.approx(float(special.chdtrc(1, x)), rel=1e-12, abs=1e-300)
