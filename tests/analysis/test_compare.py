from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from kaizen_agentic.analysis.compare import (
    CLASSIC,
    SuccessRateResult,
    VersionComparison,
    cliffs_delta_magnitude,
    holm_adjust,
    newcombe_difference_interval,
    wilson_interval,
)
from kaizen_agentic.analysis.compare import compare_versions as compare_any
from kaizen_agentic.errors import InvalidInputError

# These tests pin the classic pooled method (Fisher exact, Mann-Whitney U,
# weighted Holm), still available by name; the time-aware default is pinned
# in test_comparison.py and measured by benchmarks/verdicts_bench.py.
compare_versions = functools.partial(compare_any, method=CLASSIC)

Z95 = 1.959963984540054
BASE = "9c1b00000000"
CAND = "3f2a00000000"


def runs(
    version: str | None,
    outcomes: Sequence[bool],
    qualities: Sequence[float | None] | None = None,
    *,
    day: int = 1,
) -> list[dict[str, Any]]:
    """Execution records as stored in executions.jsonl, one second apart on *day*."""
    records = []
    for i, success in enumerate(outcomes):
        record: dict[str, Any] = {
            "agent": "tdd-workflow",
            "agent_version": version,
            "success": success,
            "timestamp": f"2025-03-{day:02d}T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
        }
        if qualities is not None and qualities[i] is not None:
            record["quality_score"] = qualities[i]
        records.append(record)
    return records


def successes(k: int, n: int) -> list[bool]:
    return [True] * k + [False] * (n - k)


# --- intervals and helpers ---------------------------------------------------


def test_wilson_interval_matches_newcombe_1998_single_proportion_table() -> None:
    # Newcombe (1998a), Table II, method 3 (Wilson score, no continuity correction).
    cases = {
        (81, 263): (0.2553, 0.3662),
        (15, 148): (0.0624, 0.1605),
        (0, 20): (0.0000, 0.1611),
        (1, 29): (0.0061, 0.1718),
    }
    for (x, n), expected in cases.items():
        low, high = wilson_interval(x, n, Z95)
        assert (round(low, 4), round(high, 4)) == expected


def test_newcombe_method_10_matches_the_1998_example() -> None:
    # Newcombe (1998b): 56/70 vs 48/80, hybrid score interval (method 10).
    difference, low, high = newcombe_difference_interval(56, 70, 48, 80)
    assert (round(difference, 4), round(low, 4), round(high, 4)) == (0.2, 0.0524, 0.3339)


def test_success_interval_is_candidate_minus_baseline_from_records() -> None:
    records = runs(BASE, successes(48, 80), day=1) + runs(CAND, successes(56, 70), day=2)

    result = compare_versions(records)

    assert result.success is not None
    assert (result.success.baseline_rate, result.success.candidate_rate) == (0.6, 0.8)
    assert round(result.success.difference, 4) == 0.2
    assert (round(result.success.ci_low, 4), round(result.success.ci_high, 4)) == (0.0524, 0.3339)
    assert result.success.confidence == 0.95
    assert result.success.direction == "higher"


def test_fisher_p_value_is_the_exact_two_sided_value() -> None:
    # 3/3 vs 0/3: the observed table and its mirror each have probability 1/20.
    records = runs(BASE, successes(0, 3), day=1) + runs(CAND, successes(3, 3), day=2)

    result = compare_versions(records, min_samples=1)

    assert result.success is not None
    assert result.success.p_value == pytest.approx(0.1)


def test_holm_adjust_is_step_down_and_monotone() -> None:
    assert holm_adjust([0.01, 0.04]) == pytest.approx([0.02, 0.04])
    assert holm_adjust([0.04, 0.01]) == pytest.approx([0.04, 0.02])
    assert holm_adjust([0.03, 0.02]) == pytest.approx([0.04, 0.04])
    assert holm_adjust([0.7, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm_adjust([0.2]) == [0.2]


def test_weighted_holm_gives_the_first_hypothesis_most_of_alpha() -> None:
    # success at 0.8 * alpha, quality at 0.2 * alpha, weight passed on after a rejection
    assert holm_adjust([0.03, 0.5], [0.8, 0.2]) == pytest.approx([0.0375, 0.5])
    assert holm_adjust([0.5, 0.008], [0.8, 0.2]) == pytest.approx([0.5, 0.04])
    assert holm_adjust([0.02, 0.04], [0.8, 0.2]) == pytest.approx([0.025, 0.04])


def test_cliffs_delta_magnitude_uses_romano_thresholds() -> None:
    assert [cliffs_delta_magnitude(d) for d in (0.1, -0.2, 0.4, -0.9)] == [
        "negligible",
        "small",
        "medium",
        "large",
    ]


# --- quality -----------------------------------------------------------------


def test_cliffs_delta_is_positive_when_the_candidate_scores_higher() -> None:
    outcomes = [True] * 3
    records = runs(BASE, outcomes, [0.1, 0.2, 0.3], day=1) + runs(
        CAND, outcomes, [0.4, 0.5, 0.6], day=2
    )

    higher = compare_versions(records, min_samples=1).quality
    lower = compare_versions(records, baseline=CAND, candidate=BASE, min_samples=1).quality

    assert higher is not None and lower is not None
    assert (higher.cliffs_delta, higher.direction, higher.effect_size) == (1.0, "higher", "large")
    assert (lower.cliffs_delta, lower.direction) == (-1.0, "lower")
    assert higher.u_statistic == 9.0


def test_cliffs_delta_counts_ties_as_half() -> None:
    # pairs (cand, base): (.5,.5) tie, (.5,.4) +, (.5,.5) tie, (.5,.4) + → (2 − 0)/4
    outcomes = [True, True]
    records = runs(BASE, outcomes, [0.5, 0.4], day=1) + runs(CAND, outcomes, [0.5, 0.5], day=2)

    quality = compare_versions(records, min_samples=1).quality

    assert quality is not None
    assert quality.cliffs_delta == 0.5
    assert (quality.baseline_median, quality.candidate_median) == (0.45, 0.5)


def test_all_equal_quality_scores_mean_no_difference() -> None:
    records = runs(BASE, [True] * 12, [0.7] * 12, day=1) + runs(
        CAND, [True] * 15, [0.7] * 15, day=2
    )

    result = compare_versions(records)

    assert result.quality is not None
    assert result.quality.p_value == 1.0
    assert result.quality.cliffs_delta == 0.0
    assert result.quality.direction == "same"
    assert result.quality.significant is False
    assert result.verdict == "no_significant_difference"


def test_quality_is_skipped_when_one_side_has_no_scores() -> None:
    records = runs(BASE, successes(2, 20), day=1) + runs(CAND, successes(19, 20), [0.8] * 20, day=2)

    result = compare_versions(records)

    assert result.quality is not None
    assert result.quality.p_value is None
    assert result.quality.adjusted_p_value is None
    assert result.quality.cliffs_delta is None
    assert (result.quality.baseline_n, result.quality.candidate_n) == (0, 20)
    assert result.quality.skipped_reason == "no quality scores for the baseline"
    assert result.quality.candidate_mean == 0.8
    assert result.success is not None
    # one test only: Holm leaves its p-value as it is
    assert result.success.adjusted_p_value == result.success.p_value
    assert result.verdict == "improved"
    assert "quality not compared (no quality scores for the baseline)" in result.summary


def test_missing_and_null_quality_scores_are_not_counted() -> None:
    records = runs(BASE, [True] * 10, [0.5, None] * 5, day=1) + runs(
        CAND, [True] * 10, [0.6] * 10, day=2
    )
    records[0]["quality_score"] = True  # a bool is not a score

    result = compare_versions(records)

    assert result.baseline is not None and result.quality is not None
    assert result.baseline.quality_n == 4
    assert result.quality.baseline_n == 4


# --- success extremes --------------------------------------------------------


@pytest.mark.parametrize("success", [True, False])
def test_identical_all_or_nothing_success_is_no_difference(success: bool) -> None:
    records = runs(BASE, [success] * 20, day=1) + runs(CAND, [success] * 25, day=2)

    result = compare_versions(records)

    assert result.success is not None
    assert result.success.p_value == 1.0
    assert result.success.difference == 0.0
    assert -1.0 <= result.success.ci_low < 0.0 < result.success.ci_high <= 1.0
    assert result.success.direction == "same"
    assert result.verdict == "no_significant_difference"
    assert json.dumps(result.to_dict(), allow_nan=False)


def test_none_to_all_success_is_improved() -> None:
    records = runs(BASE, [False] * 20, day=1) + runs(CAND, [True] * 20, day=2)

    result = compare_versions(records)

    assert result.success is not None
    assert result.success.difference == 1.0
    assert result.success.ci_high == pytest.approx(1.0)
    assert result.success.p_value < 1e-9
    assert result.verdict == "improved"


# --- verdicts ----------------------------------------------------------------


def test_significant_success_drop_is_regressed() -> None:
    records = runs(BASE, successes(38, 40), day=1) + runs(CAND, successes(20, 40), day=2)

    result = compare_versions(records)

    assert result.verdict == "regressed"
    assert result.success is not None and result.success.significant
    assert result.success.direction == "lower"


def test_opposite_significant_moves_are_no_significant_difference() -> None:
    base_quality = [0.8 + i / 1000 for i in range(40)]
    cand_quality = [0.4 + i / 1000 for i in range(40)]
    records = runs(BASE, successes(10, 40), base_quality, day=1) + runs(
        CAND, successes(38, 40), cand_quality, day=2
    )

    result = compare_versions(records)

    assert result.success is not None and result.quality is not None
    assert result.success.significant and result.success.direction == "higher"
    assert result.quality.significant and result.quality.direction == "lower"
    assert result.verdict == "no_significant_difference"
    assert result.reason == (
        "success rate went up but quality went down significantly (opposite directions)"
    )
    assert result.summary.endswith(f"— no_significant_difference ({result.reason})")


def test_a_raw_p_value_lost_to_holm_is_explained() -> None:
    base_quality = [i / 100 for i in range(40, 50)]
    cand_quality = [q + 0.031 for q in base_quality]  # Mann-Whitney p ≈ 0.031
    records = runs(BASE, [True] * 10, base_quality, day=1) + runs(
        CAND, [True] * 10, cand_quality, day=2
    )

    result = compare_versions(records)

    assert result.quality is not None
    assert result.quality.p_value is not None
    assert result.quality.p_value == pytest.approx(0.0312, abs=1e-4)
    assert result.quality.adjusted_p_value == pytest.approx(5 * result.quality.p_value)
    assert result.quality.significant is False
    assert result.verdict == "no_significant_difference"
    assert result.reason == "quality p=0.03 not significant after Holm correction over 2 tests"


def test_fewer_than_min_samples_on_either_side_is_insufficient_data() -> None:
    records = runs(BASE, successes(9, 9), day=1) + runs(CAND, successes(0, 40), day=2)

    result = compare_versions(records)

    assert result.verdict == "insufficient_data"
    assert result.reason == f"baseline {BASE} has 9 runs; need at least 10 each"
    # the numbers are still there to look at
    assert result.success is not None
    assert result.success.difference == -1.0
    assert result.summary.endswith(f"— insufficient_data ({result.reason})")


def test_exactly_min_samples_is_enough() -> None:
    records = runs(BASE, [False] * 10, day=1) + runs(CAND, [True] * 10, day=2)

    assert compare_versions(records).verdict == "improved"
    assert compare_versions(records, min_samples=11).verdict == "insufficient_data"


def test_a_single_version_is_insufficient_data_not_an_error() -> None:
    result = compare_versions(runs(BASE, [True] * 30))

    assert result.verdict == "insufficient_data"
    assert result.reason == (
        f"only version {BASE} has execution records; record runs of another version"
    )
    assert result.summary == f"insufficient data: {result.reason}"
    assert result.candidate is not None and result.candidate.runs == 30
    assert result.baseline is None and result.success is None and result.quality is None


def test_no_versioned_records_is_insufficient_data() -> None:
    result = compare_versions(runs(None, [True] * 30))

    assert result.verdict == "insufficient_data"
    assert result.reason == "no execution records carry an agent_version"
    assert result.versions == ()


# --- picking versions --------------------------------------------------------


def three_versions() -> list[dict[str, Any]]:
    # File order differs from first appearance: v-new's records come first in
    # the file, but v-mid appeared on day 2 and v-new on day 3.
    return (
        runs("v-new", [True] * 12, day=3)
        + runs("v-old", [False] * 12, day=1)
        + runs("v-mid", [True] * 6, day=2)
        + runs("v-old", [True] * 2, day=9)
        + runs("v-mid", [False] * 6, day=4)
    )


def test_default_picks_the_two_newest_versions_by_first_appearance() -> None:
    result = compare_versions(three_versions())

    assert result.versions == ("v-old", "v-mid", "v-new")
    assert result.baseline is not None and result.candidate is not None
    assert (result.baseline.version, result.candidate.version) == ("v-mid", "v-new")
    assert (result.baseline.runs, result.baseline.successes) == (12, 6)
    assert result.baseline.first_seen == "2025-03-02T00:00:00Z"
    assert (result.candidate.runs, result.candidate.successes) == (12, 12)


def test_explicit_baseline_and_candidate() -> None:
    result = compare_versions(three_versions(), baseline="v-new", candidate="v-old")

    assert result.baseline is not None and result.candidate is not None
    assert (result.baseline.version, result.candidate.version) == ("v-new", "v-old")
    assert (result.candidate.runs, result.candidate.successes) == (14, 2)
    assert result.verdict == "regressed"


def test_one_named_version_defaults_the_other() -> None:
    only_candidate = compare_versions(three_versions(), candidate="v-mid")
    oldest_candidate = compare_versions(three_versions(), candidate="v-old")
    only_baseline = compare_versions(three_versions(), baseline="v-old")
    newest_baseline = compare_versions(three_versions(), baseline="v-new")

    def pair(result: VersionComparison) -> tuple[str, str]:
        assert result.baseline is not None and result.candidate is not None
        return result.baseline.version, result.candidate.version

    assert pair(only_candidate) == ("v-old", "v-mid")
    assert pair(oldest_candidate) == ("v-mid", "v-old")
    assert pair(only_baseline) == ("v-old", "v-new")
    assert pair(newest_baseline) == ("v-new", "v-mid")


def test_unknown_version_is_refused_with_the_known_ones() -> None:
    with pytest.raises(InvalidInputError) as caught:
        compare_versions(three_versions(), candidate="v-nope")

    assert str(caught.value) == (
        "no records for candidate version 'v-nope'; versions with records: v-old, v-mid, v-new."
    )
    assert caught.value.exit_code == 2


def test_unknown_version_without_any_records() -> None:
    with pytest.raises(InvalidInputError, match="versions with records: none"):
        compare_versions([], baseline="abc")


def test_same_baseline_and_candidate_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="both 'v-mid'; pick two different versions"):
        compare_versions(three_versions(), baseline="v-mid", candidate="v-mid")


@pytest.mark.parametrize(("alpha", "min_samples"), [(0.0, 10), (1.0, 10), (0.05, 0)])
def test_out_of_range_settings_are_refused(alpha: float, min_samples: int) -> None:
    with pytest.raises(InvalidInputError):
        compare_versions(three_versions(), alpha=alpha, min_samples=min_samples)


def test_unusable_records_are_ignored() -> None:
    records = runs(BASE, [True] * 10, day=1) + runs(CAND, [True] * 10, day=2)
    records.append({"agent_version": CAND, "success": "yes", "timestamp": "2025-03-05T00:00:00Z"})
    records.append({"agent_version": "", "success": True})
    records.append({"success": False})

    result = compare_versions(records)

    assert result.versions == (BASE, CAND)
    assert result.candidate is not None and result.candidate.runs == 10


# --- output ------------------------------------------------------------------


def test_summary_is_one_line_saying_what_changed_and_how_sure() -> None:
    base_quality = [0.60 + (i % 10) / 50 for i in range(40)]
    cand_quality = [0.61 + (i % 10) / 50 for i in range(40)]
    records = runs(BASE, successes(24, 40), base_quality, day=1) + runs(
        CAND, successes(36, 40), cand_quality, day=2
    )

    result = compare_versions(records)

    assert result.summary == (
        f"candidate {CAND} (40 runs) vs baseline {BASE} (40 runs): "
        "success 60% → 90% (+30 pts, 95% CI +11 to +47, p=0.004), "
        "mean quality 0.69 → 0.70 (Cliff's δ=+0.10, p=0.44) — improved"
    )


def test_to_dict_is_plain_json() -> None:
    records = runs(BASE, successes(24, 40), [0.7] * 40, day=1) + runs(
        CAND, successes(36, 40), [0.8] * 40, day=2
    )

    data = compare_versions(records).to_dict()

    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert data["verdict"] == "improved"
    assert data["versions"] == [BASE, CAND]
    assert data["baseline"] == {
        "version": BASE,
        "runs": 40,
        "successes": 24,
        "success_rate": 0.6,
        "quality_n": 40,
        "first_seen": "2025-03-01T00:00:00Z",
        "n": 40,
        "period": {"first": "2025-03-01T00:00:00Z", "last": "2025-03-01T00:00:39Z"},
    }
    assert data["success"]["test"] == "fisher_exact"
    assert data["quality"]["test"] == "mann_whitney_u"
    assert data["quality"]["cliffs_delta"] == 1.0
    assert set(data) == {
        "verdict",
        "summary",
        "reason",
        "baseline",
        "candidate",
        "success",
        "quality",
        "alpha",
        "min_samples",
        "versions",
        "method",
        "design",
        "looks",
        "warnings",
    }
    assert (data["method"], data["looks"], data["warnings"]) == (CLASSIC, 1, [])


def test_to_dict_turns_nan_into_none() -> None:
    nan = float("nan")
    result = VersionComparison(
        verdict="no_significant_difference",
        summary="",
        reason=None,
        baseline=None,
        candidate=None,
        success=SuccessRateResult(0.5, 0.5, 0.0, nan, nan, 0.95, nan, nan, False, "same"),
        quality=None,
        alpha=0.05,
        min_samples=10,
        versions=(),
    )

    success = result.to_dict()["success"]

    assert (success["ci_low"], success["p_value"], success["difference"]) == (None, None, 0.0)


# --- seeded simulations: what the verdict means ------------------------------

TRIALS = 200
PER_SIDE = 40


def simulate(
    seed: int,
    *,
    base_success: float,
    cand_success: float,
    base_quality: float,
    cand_quality: float,
) -> Counter[str]:
    rng = np.random.default_rng(seed)

    def side(version: str, p: float, mu: float, day: int) -> list[dict[str, Any]]:
        outcomes = (rng.random(PER_SIDE) < p).tolist()
        qualities = np.clip(rng.normal(mu, 0.1, PER_SIDE), 0.0, 1.0).tolist()
        return runs(version, outcomes, qualities, day=day)

    verdicts: Counter[str] = Counter()
    for _ in range(TRIALS):
        records = side(BASE, base_success, base_quality, 1)
        records += side(CAND, cand_success, cand_quality, 2)
        verdicts[compare_versions(records).verdict] += 1
    return verdicts


def test_same_distribution_rarely_claims_a_change() -> None:
    verdicts = simulate(
        20250301, base_success=0.8, cand_success=0.8, base_quality=0.7, cand_quality=0.7
    )

    assert sum(verdicts.values()) == TRIALS
    assert verdicts["improved"] + verdicts["regressed"] <= 0.05 * TRIALS


def test_success_rate_up_from_60_to_90_percent_is_mostly_improved() -> None:
    verdicts = simulate(
        20250302, base_success=0.6, cand_success=0.9, base_quality=0.7, cand_quality=0.7
    )

    # Success rate gets 0.8 of alpha (0.04): the exact power of a two-sided
    # Fisher test at that level for 24/40 vs 36/40 is about 82 %.
    assert verdicts["improved"] >= 0.80 * TRIALS
    assert verdicts["regressed"] <= 0.02 * TRIALS


def test_quality_up_by_one_sd_is_mostly_improved() -> None:
    verdicts = simulate(
        20250303, base_success=0.8, cand_success=0.8, base_quality=0.7, cand_quality=0.8
    )

    assert verdicts["improved"] >= 0.90 * TRIALS
    assert verdicts["regressed"] == 0
