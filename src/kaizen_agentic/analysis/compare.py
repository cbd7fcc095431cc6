"""Did my prompt edit help? Compare two agent versions' executions (SPEC §4).

:func:`compare_versions` takes plain execution records (the dicts stored in
``executions.jsonl``) and answers with a :class:`VersionComparison`: success
rate by Fisher's exact test with a Newcombe interval for the difference,
quality by Mann-Whitney U with Cliff's delta, n per side, a verdict and one
human line. It imports no CLI framework and does no I/O; scipy is imported
only when a comparison actually runs.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal, Union

if TYPE_CHECKING:
    import numpy.typing as npt

from kaizen_agentic._time import format_timestamp, parse_timestamp
from kaizen_agentic.errors import InvalidInputError

__all__ = [
    "QualityResult",
    "SuccessRateResult",
    "VersionComparison",
    "VersionRuns",
    "VersionSample",
    "cliffs_delta_magnitude",
    "compare_runs",
    "compare_versions",
    "holm_adjust",
    "newcombe_difference_interval",
    "wilson_interval",
]

PerRun = Union[list[float], "npt.NDArray[Any]"]
Verdict = Literal["improved", "regressed", "no_significant_difference", "insufficient_data"]
Direction = Literal["higher", "lower", "same"]
EffectSize = Literal["negligible", "small", "medium", "large"]

# Romano et al. (2006) thresholds for |Cliff's delta|.
_CLIFF_THRESHOLDS: tuple[tuple[float, EffectSize], ...] = (
    (0.147, "negligible"),
    (0.33, "small"),
    (0.474, "medium"),
)
_OLDEST = datetime.min.replace(tzinfo=timezone.utc)
# the default guards against time (SPEC §4); the classic pooled tests stay available
STRATIFIED, CLASSIC = "stratified", "fisher-mann-whitney"
METHODS = (STRATIFIED, CLASSIC)


@dataclass(frozen=True)
class VersionSample:
    """What one agent version's records contain."""

    version: str
    runs: int
    successes: int
    success_rate: float
    quality_n: int  # runs that carry a quality_score
    first_seen: str | None  # earliest timestamp, ISO 'YYYY-MM-DDTHH:MM:SSZ'
    n: int = 0  # = runs, under the name the verdicts API documents
    period: Mapping[str, str | None] | None = None  # {first, last} run times


@dataclass(frozen=True)
class SuccessRateResult:
    """Success rate, candidate against baseline, by Fisher's exact test (two-sided).

    ``difference`` is candidate − baseline; ``ci_low``/``ci_high`` bound it at
    ``confidence`` (1 − alpha) by Newcombe's hybrid score method (method 10).
    ``significant`` uses ``adjusted_p_value`` (Holm over the tests that ran).
    """

    baseline_rate: float
    candidate_rate: float
    difference: float
    ci_low: float
    ci_high: float
    confidence: float
    p_value: float
    adjusted_p_value: float
    significant: bool
    direction: Direction
    test: str = "fisher_exact"


@dataclass(frozen=True)
class QualityResult:
    """Quality scores, candidate against baseline, by Mann-Whitney U (two-sided).

    ``u_statistic`` is U for the candidate; ``cliffs_delta`` = 2U/(n₁n₂) − 1 is
    positive when the candidate tends to score higher. When either side has no
    quality scores the test is skipped: the statistics and p-values are None and
    ``skipped_reason`` says why.
    """

    baseline_n: int
    candidate_n: int
    baseline_mean: float | None
    candidate_mean: float | None
    baseline_median: float | None
    candidate_median: float | None
    u_statistic: float | None
    cliffs_delta: float | None
    effect_size: EffectSize | None
    direction: Direction | None
    p_value: float | None
    adjusted_p_value: float | None
    significant: bool
    skipped_reason: str | None = None
    test: str = "mann_whitney_u"


@dataclass(frozen=True)
class VersionComparison:
    """The answer of :func:`compare_versions`.

    ``versions`` lists every version with records, oldest first appearance
    first. ``baseline``/``candidate`` are None only when there was nothing to
    pick; ``success``/``quality`` are None only when no comparison ran.
    ``reason`` explains an ``insufficient_data`` verdict, conflicting results,
    or a raw p-value that the Holm correction made non-significant.
    """

    verdict: Verdict
    summary: str
    reason: str | None
    baseline: VersionSample | None
    candidate: VersionSample | None
    success: SuccessRateResult | None
    quality: QualityResult | None
    alpha: float
    min_samples: int
    versions: tuple[str, ...]
    method: str = CLASSIC
    design: str = "pooled"  # pooled | stratified-by-day | stratified-by-week | near-switch
    looks: int = 1
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data: nested dicts, lists, and NaN/inf as None."""
        cleaned = _json_safe(dataclasses.asdict(self))
        assert isinstance(cleaned, dict)
        return cleaned


def compare_versions(
    records: Iterable[Mapping[str, Any]],
    baseline: str | None = None,
    candidate: str | None = None,
    *,
    alpha: float = 0.05,
    min_samples: int = 10,
    method: str | None = None,
    looks: int = 1,
) -> VersionComparison:
    """Compare the *candidate* agent version's executions with the *baseline*'s.

    Records without a string ``agent_version`` or without a bool ``success``
    are ignored; ``quality_score`` counts when it is a finite number. Versions
    are ordered by their first appearance (earliest ``timestamp``; a version
    with no readable timestamp counts as oldest, ties keep record order).

    Defaults: the candidate is the newest version (or, with only *baseline*
    named, the newest other version); the baseline is the version that first
    appeared just before the candidate (or the next one after it when the
    candidate is the oldest).

    Verdict. Both tests are two-sided and their p-values are adjusted
    together by a weighted Holm procedure (family-wise error ≤ *alpha*) that
    gives success rate, the primary outcome, 0.8 of alpha and quality 0.2;
    a quality test that could not run is left out of the family. ``improved`` means at least one
    significant improvement and no significant regression; ``regressed`` the
    reverse. When success rate and quality move significantly in *opposite*
    directions the verdict is ``no_significant_difference``: there is no
    honest single answer, and ``reason`` says the two moved apart.
    ``insufficient_data`` when fewer than two versions have records or either
    side has fewer than *min_samples* runs; the statistics are still reported
    when both sides exist.

    Raises :class:`InvalidInputError` when a named version has no records
    (the message lists the versions that do), when both names are the same,
    or when *alpha* / *min_samples* are out of range.
    """
    return compare_runs(
        _group_by_version(records),
        baseline,
        candidate,
        alpha=alpha,
        min_samples=min_samples,
        method=method,
        looks=looks,
    )


def compare_runs(
    groups: Mapping[str, VersionRuns],
    baseline: str | None = None,
    candidate: str | None = None,
    *,
    alpha: float = 0.05,
    min_samples: int = 10,
    method: str | None = None,
    looks: int = 1,
) -> VersionComparison:
    """:func:`compare_versions` over runs already grouped by version (oldest first)."""
    method = method or STRATIFIED
    if method not in METHODS:
        raise InvalidInputError(f"unknown comparison method {method!r}; use one of {METHODS}.")
    if looks < 1:
        raise InvalidInputError(f"looks must be at least 1, got {looks}.")
    if not 0.0 < alpha < 1.0:
        raise InvalidInputError(f"alpha must be between 0 and 1 (exclusive), got {alpha}.")
    if min_samples < 1:
        raise InvalidInputError(f"min_samples must be at least 1, got {min_samples}.")

    ordered = tuple(groups)
    for role, name in (("baseline", baseline), ("candidate", candidate)):
        if name is not None and name not in groups:
            known = ", ".join(ordered) if ordered else "none"
            raise InvalidInputError(
                f"no records for {role} version {name!r}; versions with records: {known}."
            )
    if baseline is not None and baseline == candidate:
        raise InvalidInputError(
            f"baseline and candidate are both {baseline!r}; pick two different versions."
        )

    candidate, baseline = _pick_versions(ordered, baseline, candidate)
    if candidate is None or baseline is None:
        only = baseline or candidate or (ordered[0] if ordered else None)
        reason = (
            f"only version {only} has execution records; record runs of another version"
            if only
            else "no execution records carry an agent_version"
        )
        sample = groups[only].sample() if only else None
        return VersionComparison(
            verdict="insufficient_data",
            summary=f"insufficient data: {reason}",
            reason=reason,
            baseline=sample if only == baseline else None,
            candidate=sample if only == candidate else None,
            success=None,
            quality=None,
            alpha=alpha,
            min_samples=min_samples,
            versions=ordered,
        )
    if method == CLASSIC:
        return _compare(groups[baseline], groups[candidate], alpha, min_samples, ordered)
    return _compare_over_time(
        groups[baseline], groups[candidate], alpha, min_samples, ordered, looks
    )


def wilson_interval(successes: int, n: int, z: float) -> tuple[float, float]:
    """Wilson score interval for a proportion *successes*/*n* (no continuity correction)."""
    if n <= 0:
        raise ValueError("a Wilson interval needs at least one trial")
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = (z / denominator) * math.sqrt(p * (1.0 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_difference_interval(
    x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95
) -> tuple[float, float, float]:
    """Difference x1/n1 − x2/n2 with Newcombe's hybrid score interval (method 10).

    Returns ``(difference, low, high)``. Built from the two Wilson intervals
    (Newcombe 1998, Statistics in Medicine 17:873–890).
    """
    z = statistics.NormalDist().inv_cdf(0.5 + confidence / 2.0)
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, z)
    l2, u2 = wilson_interval(x2, n2, z)
    difference = p1 - p2
    low = difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return difference, low, high


# Success rate is an agent's primary outcome, quality a self-reported
# secondary one, so the family's alpha is split 4:1 between them. Fisher's
# test is discrete and conservative: at an even split (alpha/2) it detects a
# 60 % -> 90 % change at 40 runs a side only ~76 % of the time.
SUCCESS_WEIGHT, QUALITY_WEIGHT = 0.8, 0.2


def holm_adjust(p_values: Sequence[float], weights: Sequence[float] | None = None) -> list[float]:
    """Weighted Holm adjusted p-values, in the order given (plain Holm without *weights*).

    A hypothesis is rejected at level alpha when its adjusted p-value is at
    most alpha; the family-wise error stays at most alpha for any weights
    summing to 1. Step by step: the hypothesis with the smallest ``p / w`` is
    tested at ``w * alpha``; once rejected, its weight passes to the rest.
    """
    m = len(p_values)
    if weights is None:
        weights = [1.0 / m] * m
    remaining = list(range(m))
    adjusted = [0.0] * m
    running = 0.0
    while remaining:
        total = sum(weights[i] for i in remaining)
        index = min(remaining, key=lambda i: p_values[i] / weights[i])
        running = max(running, min(1.0, p_values[index] * total / weights[index]))
        adjusted[index] = running
        remaining.remove(index)
    return adjusted


def cliffs_delta_magnitude(delta: float) -> EffectSize:
    """Romano et al. (2006) label for |delta|: negligible, small, medium or large."""
    for threshold, label in _CLIFF_THRESHOLDS:
        if abs(delta) < threshold:
            return label
    return "large"


# --- internals ---------------------------------------------------------------


@dataclass
class VersionRuns:
    """One version's runs, as a comparison needs them."""

    version: str
    first_seen: datetime | None
    first_index: int
    runs: int = 0
    successes: int = 0
    quality: PerRun = dataclasses.field(default_factory=list)  # the scores present
    # per run, for the designs that look at time: epoch seconds (NaN = unknown),
    # 0/1 outcome, score (NaN = none); lists or arrays
    times: PerRun = dataclasses.field(default_factory=list)
    outcomes: PerRun = dataclasses.field(default_factory=list)
    scores: PerRun = dataclasses.field(default_factory=list)

    def sample(self) -> VersionSample:
        import numpy as np

        times = np.asarray(self.times, dtype=np.float64)
        known = times[np.isfinite(times)]
        return VersionSample(
            version=self.version,
            runs=self.runs,
            successes=self.successes,
            success_rate=self.successes / self.runs,
            quality_n=len(self.quality),
            first_seen=_iso(self.first_seen),
            n=self.runs,
            period={"first": _epoch_iso(known.min()), "last": _epoch_iso(known.max())}
            if known.size
            else None,
        )


def _group_by_version(records: Iterable[Mapping[str, Any]]) -> dict[str, VersionRuns]:
    """Versions with usable records, in order of first appearance."""
    groups: dict[str, VersionRuns] = {}
    per_run: dict[str, tuple[list[float], list[float], list[float], list[float]]] = {}
    for index, record in enumerate(records):
        version = record.get("agent_version")
        success = record.get("success")
        if not isinstance(version, str) or not version or not isinstance(success, bool):
            continue
        when = _parse_timestamp(record.get("timestamp"))
        group = groups.get(version)
        if group is None:
            group = groups[version] = VersionRuns(version, when, index)
            per_run[version] = ([], [], [], [])
        elif when is not None and (group.first_seen is None or when < group.first_seen):
            group.first_seen = when
        group.runs += 1
        group.successes += success
        times, outcomes, scores, present = per_run[version]
        times.append(when.timestamp() if when is not None else math.nan)
        outcomes.append(float(success))
        quality = record.get("quality_score")
        if (
            isinstance(quality, (int, float))
            and not isinstance(quality, bool)
            and math.isfinite(quality)
        ):
            present.append(float(quality))
            scores.append(float(quality))
        else:
            scores.append(math.nan)
    for version, (times, outcomes, scores, present) in per_run.items():
        group = groups[version]
        group.times, group.outcomes, group.scores, group.quality = times, outcomes, scores, present
    ordered = sorted(groups.values(), key=lambda g: (g.first_seen or _OLDEST, g.first_index))
    return {g.version: g for g in ordered}


def pick_versions(
    groups: Mapping[str, VersionRuns], baseline: str | None, candidate: str | None
) -> tuple[str | None, str | None]:
    """(baseline, candidate) that :func:`compare_runs` would compare; None where none fits."""
    if (baseline is not None and baseline not in groups) or (
        candidate is not None and candidate not in groups
    ):
        return baseline, candidate
    picked_candidate, picked_baseline = _pick_versions(tuple(groups), baseline, candidate)
    return picked_baseline, picked_candidate


def _pick_versions(
    ordered: Sequence[str], baseline: str | None, candidate: str | None
) -> tuple[str | None, str | None]:
    """(candidate, baseline) after applying the defaults; None where nothing fits."""
    if candidate is None:
        others = [v for v in ordered if v != baseline]
        candidate = others[-1] if others else None
    if baseline is None and candidate is not None:
        position = ordered.index(candidate)
        before, after = ordered[:position], ordered[position + 1 :]
        baseline = before[-1] if before else (after[0] if after else None)
    return candidate, baseline


def _compare(
    base: VersionRuns, cand: VersionRuns, alpha: float, min_samples: int, ordered: tuple[str, ...]
) -> VersionComparison:
    from scipy import stats

    table = [
        [cand.successes, cand.runs - cand.successes],
        [base.successes, base.runs - base.successes],
    ]
    success_p = _finite_p(stats.fisher_exact(table, alternative="two-sided").pvalue)
    rates = _success_rates(base, cand, 1.0 - alpha)

    quality_raw = _quality_test(base.quality, cand.quality)
    raw_p = [success_p] + ([quality_raw.p_value] if quality_raw.p_value is not None else [])
    adjusted = holm_adjust(raw_p, [SUCCESS_WEIGHT, QUALITY_WEIGHT][: len(raw_p)])

    success_direction = _direction(rates["difference"])
    success = SuccessRateResult(
        **rates,
        p_value=success_p,
        adjusted_p_value=adjusted[0],
        significant=adjusted[0] <= alpha and success_direction != "same",
        direction=success_direction,
    )
    quality = quality_raw
    if quality_raw.p_value is not None:
        quality = dataclasses.replace(
            quality_raw,
            adjusted_p_value=adjusted[1],
            significant=adjusted[1] <= alpha and quality_raw.direction != "same",
        )

    verdict, reason = _verdict(base, cand, success, quality, alpha, min_samples, len(raw_p))
    return _result(base, cand, success, quality, verdict, reason, alpha, min_samples, ordered)


def _success_rates(base: VersionRuns, cand: VersionRuns, confidence: float) -> dict[str, Any]:
    """The descriptive half of a :class:`SuccessRateResult`: both rates and the
    Newcombe interval of their difference, whatever test gives the p-value."""
    difference, ci_low, ci_high = newcombe_difference_interval(
        cand.successes, cand.runs, base.successes, base.runs, confidence
    )
    return {
        "baseline_rate": base.successes / base.runs,
        "candidate_rate": cand.successes / cand.runs,
        "difference": difference,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "confidence": confidence,
    }


def _result(
    base: VersionRuns,
    cand: VersionRuns,
    success: SuccessRateResult,
    quality: QualityResult,
    verdict: Verdict,
    reason: str | None,
    alpha: float,
    min_samples: int,
    ordered: tuple[str, ...],
    **design: Any,
) -> VersionComparison:
    """The comparison of two sides that both have runs; *design* names how it was tested."""
    baseline_sample, candidate_sample = base.sample(), cand.sample()
    return VersionComparison(
        verdict=verdict,
        summary=_summary(baseline_sample, candidate_sample, success, quality, verdict, reason),
        reason=reason,
        baseline=baseline_sample,
        candidate=candidate_sample,
        success=success,
        quality=quality,
        alpha=alpha,
        min_samples=min_samples,
        versions=ordered,
        **design,
    )


def _compare_over_time(
    base: VersionRuns,
    cand: VersionRuns,
    alpha: float,
    min_samples: int,
    ordered: tuple[str, ...],
    looks: int,
) -> VersionComparison:
    """The default: stratified by day or week when the versions ran side by side,
    the runs nearest the switch when they ran one after the other, alpha spent
    over the looks taken (:mod:`kaizen_agentic.analysis.comparison`).

    The descriptive figures (rates, Newcombe interval, means, Cliff's delta)
    are those of the raw runs; the p-values and verdict are the design's.
    """
    import numpy as np

    from kaizen_agentic.analysis.comparison import Side, compare_sides

    def side(runs: VersionRuns) -> Side:
        times = np.nan_to_num(np.asarray(runs.times, dtype=np.float64), nan=0.0)
        return Side.of(times, np.asarray(runs.outcomes), np.asarray(runs.scores))

    tested = compare_sides(
        side(base), side(cand), alpha=alpha, looks=looks, min_samples=min_samples
    )
    rates = _success_rates(base, cand, 1.0 - alpha)
    found = tested.success
    success = SuccessRateResult(
        **rates,
        p_value=found.p_value if found else 1.0,
        adjusted_p_value=found.adjusted_p_value if found else 1.0,
        significant=bool(found and found.significant),
        direction=_direction(found.difference if found else rates["difference"]),
        test=found.test if found else "none",
    )
    quality = _quality_described(base.quality, cand.quality, tested.quality)
    verdict, reason = _verdict(base, cand, success, quality, alpha, min_samples, 2)
    if verdict != "insufficient_data":
        verdict = tested.verdict  # type: ignore[assignment]
        if "metrics_disagree" in tested.warnings:
            reason = "success rate and quality moved significantly in opposite directions"
    if "confounded_by_time" in tested.warnings:
        note = "the baseline was already drifting before the switch: confounded_by_time"
        reason = f"{reason}; {note}" if reason else note
    return _result(
        base,
        cand,
        success,
        quality,
        verdict,
        reason,
        alpha,
        min_samples,
        ordered,
        method=tested.method,
        design=tested.design,
        looks=looks,
        warnings=tested.warnings,
    )


def _quality_described(baseline: PerRun, candidate: PerRun, tested: Any) -> QualityResult:
    """The raw quality figures, with the design's test result (if it ran)."""
    described = _quality_test(baseline, candidate, run_test=False)
    if described.cliffs_delta is None:
        return described
    if tested is None:
        return dataclasses.replace(
            described,
            p_value=None,
            skipped_reason="too few quality scores in the runs the design compares",
        )
    return dataclasses.replace(
        described,
        p_value=_finite_p(tested.p_value),
        adjusted_p_value=_finite_p(tested.adjusted_p_value),
        significant=bool(tested.significant),
        direction=_direction(tested.difference),
        test=tested.test,
    )


def _quality_test(baseline: PerRun, candidate: PerRun, *, run_test: bool = True) -> QualityResult:
    """Mann-Whitney U on the scores present; adjusted p and significance are filled later."""
    n_base, n_cand = len(baseline), len(candidate)
    described: dict[str, Any] = {
        "baseline_n": n_base,
        "candidate_n": n_cand,
        "baseline_mean": _mean(baseline),
        "candidate_mean": _mean(candidate),
        "baseline_median": _median(baseline),
        "candidate_median": _median(candidate),
        "adjusted_p_value": None,
        "significant": False,
    }
    if not n_base or not n_cand:
        missing = " and ".join(
            side for side, n in (("baseline", n_base), ("candidate", n_cand)) if not n
        )
        return QualityResult(
            **described,
            u_statistic=None,
            cliffs_delta=None,
            effect_size=None,
            direction=None,
            p_value=None,
            skipped_reason=f"no quality scores for the {missing}",
        )
    if not run_test:  # the statistic only: Cliff's delta from U, no p-value
        u, p = _u_statistic(candidate, baseline), 1.0
    elif len(set(baseline) | set(candidate)) == 1:
        # Every score identical: the rank test is degenerate (zero variance),
        # some scipy versions return NaN. There is no evidence of a difference.
        u, p = n_base * n_cand / 2.0, 1.0
    else:
        from scipy import stats

        result = stats.mannwhitneyu(candidate, baseline, alternative="two-sided")
        u, p = float(result.statistic), _finite_p(result.pvalue)
    delta = 2.0 * u / (n_base * n_cand) - 1.0
    return QualityResult(
        **described,
        u_statistic=u,
        cliffs_delta=delta,
        effect_size=cliffs_delta_magnitude(delta),
        direction=_direction(delta),
        p_value=p,
    )


def _verdict(
    base: VersionRuns,
    cand: VersionRuns,
    success: SuccessRateResult,
    quality: QualityResult,
    alpha: float,
    min_samples: int,
    tests: int,
) -> tuple[Verdict, str | None]:
    short = [
        f"{role} {group.version} has {group.runs} run{'s' if group.runs != 1 else ''}"
        for role, group in (("baseline", base), ("candidate", cand))
        if group.runs < min_samples
    ]
    if short:
        return "insufficient_data", f"{' and '.join(short)}; need at least {min_samples} each"

    moves = [
        (name, direction)
        for name, significant, direction in (
            ("success rate", success.significant, success.direction),
            ("quality", quality.significant, quality.direction),
        )
        if significant
    ]
    up = [name for name, direction in moves if direction == "higher"]
    down = [name for name, direction in moves if direction == "lower"]
    if up and down:
        return "no_significant_difference", (
            f"{up[0]} went up but {down[0]} went down significantly (opposite directions)"
        )
    if up:
        return "improved", None
    if down:
        return "regressed", None

    # Say so when only the multiple-testing correction stands between a raw
    # p-value and significance, so the line never looks self-contradictory.
    lost = [
        f"{name} {_fmt_p(raw)}"
        for name, raw, direction in (
            ("success rate", success.p_value, success.direction),
            ("quality", quality.p_value, quality.direction),
        )
        if raw is not None and raw <= alpha and direction != "same"
    ]
    if lost:
        return "no_significant_difference", (
            f"{' and '.join(lost)} not significant after Holm correction over {tests} tests"
        )
    return "no_significant_difference", None


def _summary(
    base: VersionSample,
    cand: VersionSample,
    success: SuccessRateResult,
    quality: QualityResult,
    verdict: Verdict,
    reason: str | None,
) -> str:
    level = f"{success.confidence * 100:g}%"
    success_part = (
        f"success {success.baseline_rate:.0%} → {success.candidate_rate:.0%} "
        f"({_pts(success.difference)} pts, {level} CI {_pts(success.ci_low)} to "
        f"{_pts(success.ci_high)}, {_fmt_p(success.p_value)})"
    )
    if quality.p_value is None or quality.cliffs_delta is None:
        quality_part = f"quality not compared ({quality.skipped_reason})"
    else:
        quality_part = (
            f"mean quality {quality.baseline_mean:.2f} → {quality.candidate_mean:.2f} "
            f"(Cliff's δ={quality.cliffs_delta:+.2f}, {_fmt_p(quality.p_value)})"
        )
    line = (
        f"candidate {_short(cand.version)} ({cand.runs} runs) vs baseline "
        f"{_short(base.version)} ({base.runs} runs): {success_part}, {quality_part} — {verdict}"
    )
    return f"{line} ({reason})" if reason else line


def _u_statistic(first: PerRun, second: PerRun) -> float:
    """Mann-Whitney U of *first* (ties count a half), without a test."""
    import numpy as np

    a, b = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    b.sort()
    below = np.searchsorted(b, a, side="left")
    at_or_below = np.searchsorted(b, a, side="right")
    return float(below.sum() + 0.5 * (at_or_below - below).sum())


def _direction(value: float) -> Direction:
    if value > 0:
        return "higher"
    if value < 0:
        return "lower"
    return "same"


def _finite_p(value: Any) -> float:
    p = float(value)
    return p if math.isfinite(p) else 1.0


def _mean(values: PerRun) -> float | None:
    return statistics.fmean(values) if len(values) else None


def _median(values: PerRun) -> float | None:
    import numpy as np

    return float(np.median(np.asarray(values, dtype=np.float64))) if len(values) else None


def _pts(fraction: float) -> str:
    return f"{fraction * 100:+.0f}"


def _fmt_p(p: float) -> str:
    """``p=0.61``, ``p=0.004`` or ``p<0.001``."""
    if p < 0.001:
        return "p<0.001"
    return f"p={p:.3f}" if p < 0.01 else f"p={p:.2f}"


def _short(version: str) -> str:
    return version if len(version) <= 12 else version[:11] + "…"


def _parse_timestamp(value: Any) -> datetime | None:
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


def _iso(value: datetime | None) -> str | None:
    return None if value is None else format_timestamp(value)


def _epoch_iso(epoch: float) -> str | None:
    return format_timestamp(datetime.fromtimestamp(epoch, tz=timezone.utc))


def _json_safe(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value
