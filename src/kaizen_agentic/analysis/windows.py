"""Analytics over an agent's records: windows, scores and trends (SPEC §3).

Four small strategies, each a :class:`typing.Protocol` with one default,
chosen by name from the ``strategies`` section of the config through plain
dicts. Results are frozen dataclasses of plain numbers so the CLI, the
optimizer and a report can all render them.

Trend basis: quality is tested per record (at most ``MAX_TREND_POINTS``
most recent records of the window, so cost stays bounded); success rate is
tested on daily success rates, since a Theil-Sen slope over 0/1 values is
almost always zero.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from kaizen_agentic._time import format_timestamp
from kaizen_agentic.config import Config, check_setting, default, defaults
from kaizen_agentic.errors import InvalidInputError
from kaizen_agentic.metrics.columns import Columns, FloatArray

IMPROVING, STABLE, DECLINING, INSUFFICIENT = "improving", "stable", "declining", "insufficient_data"
MAX_TREND_POINTS = 1000
DAY = 86400.0


@dataclass(frozen=True)
class TrendResult:
    """A trend verdict with the evidence behind it."""

    verdict: str
    n: int
    slope_per_day: float | None = None
    slope_low: float | None = None
    slope_high: float | None = None
    change_over_window: float | None = None
    p_value: float | None = None
    basis: str = "records"
    days: int | None = None
    min_detectable_change: float | None = None
    method: str = ""


class TrendDetectionStrategy(Protocol):
    def detect(self, times: FloatArray, values: FloatArray, *, basis: str) -> TrendResult: ...


class QualityScoringStrategy(Protocol):
    def record_scores(self, columns: Columns, direction: str) -> FloatArray: ...

    def combine(self, record_mean: float | None, feedback_mean: float | None) -> float | None: ...


class CollaborationScoringStrategy(Protocol):
    def score(self, columns: Columns, ratings: Sequence[float]) -> float | None: ...


class MetricsWindowStrategy(Protocol):
    def windows(self, now: datetime) -> list[tuple[str, datetime]]: ...


class TheilSenTrend:
    """Theil-Sen slope with its confidence interval plus a Mann-Kendall test.

    ``declining``/``improving`` needs all three: Mann-Kendall p below ``alpha``,
    the slope's interval excluding zero, and a change over the window of at
    least ``min_change`` — a tiny but "significant" drift is called stable.
    """

    def __init__(
        self,
        alpha: float = default("trend.alpha"),
        min_change: float = default("trend.min_change"),
        min_points: int = default("trend.min_points"),
    ) -> None:
        check_setting("trend.alpha", alpha)
        check_setting("trend.min_change", min_change)
        check_setting("trend.min_points", min_points)
        self.alpha, self.min_change, self.min_points = alpha, min_change, min_points

    def detect(self, times: FloatArray, values: FloatArray, *, basis: str) -> TrendResult:
        if basis == "runs":  # a Theil-Sen slope over 0/1 values is almost always zero
            times, values = _daily_rates(times, values)
            basis = "daily"
        # pairwise slopes are O(n²): the most recent records only
        times, values = times[-MAX_TREND_POINTS:], values[-MAX_TREND_POINTS:]
        keep = ~np.isnan(values)
        x, y = times[keep] / DAY, values[keep]
        n = int(y.shape[0])
        if n < self.min_points or float(np.ptp(x)) == 0.0:
            return TrendResult(INSUFFICIENT, n, basis=basis)
        from scipy.stats import theilslopes

        # constant series make scipy's interval a sqrt of a negative: NaN, not an alarm
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            slope, _, low, high = theilslopes(y, x, alpha=1 - self.alpha)
        p_value = mann_kendall_p(y[np.argsort(x, kind="stable")])
        change = float(slope) * float(np.ptp(x))
        verdict = STABLE
        if p_value < self.alpha and abs(change) >= self.min_change:
            if high < 0:
                verdict = DECLINING
            elif low > 0:
                verdict = IMPROVING
        return TrendResult(
            verdict,
            n,
            _r(slope),
            _r(low),
            _r(high),
            _r(change),
            _r(p_value),
            basis,
            method="theil-sen-mann-kendall",
        )


class DailyTrend:
    """Trends tested on days, not runs: :mod:`kaizen_agentic.analysis.trends`.

    Quality: a weighted daily-mean regression with an AR(1) correction;
    success: per-run outcomes by Cochran-Armitage with quasi-binomial
    dispersion. ``inconclusive`` where the data could not have shown a change
    of ``min_change``. docs/analytics.md has the methods and their figures.
    """

    def __init__(
        self,
        alpha: float = default("trend.alpha"),
        min_change: float = default("trend.min_change"),
        min_points: int = default("trend.min_points"),
        min_days: int = default("trend.min_days"),
        power: float = default("trend.power"),
    ) -> None:
        for key, value in (
            ("alpha", alpha),
            ("min_change", min_change),
            ("min_points", min_points),
            ("min_days", min_days),
            ("power", power),
        ):
            check_setting(f"trend.{key}", value)
        self.alpha, self.min_change, self.min_points = alpha, min_change, min_points
        self.min_days, self.power = min_days, power

    def detect(self, times: FloatArray, values: FloatArray, *, basis: str) -> TrendResult:
        from kaizen_agentic.analysis.trends import quality_trend, success_trend

        test = success_trend if basis == "runs" else quality_trend
        found = test(
            np.asarray(times, dtype=np.float64),
            np.asarray(values, dtype=np.float64),
            alpha=self.alpha,
            min_change=self.min_change,
            min_points=self.min_points,
            min_days=self.min_days,
            power=self.power,
        )
        return TrendResult(
            found.verdict,
            found.n,
            slope_per_day=_r_or_none(found.slope_per_day),
            slope_low=_r_or_none(found.slope_low),
            slope_high=_r_or_none(found.slope_high),
            change_over_window=_r_or_none(found.change_over_window),
            p_value=_r_or_none(found.p_value),
            basis=basis,
            days=found.days,
            min_detectable_change=_r_or_none(found.min_detectable_change),
            method=found.method,
        )


class MemoTrend:
    """A trend strategy that remembers verdicts by their exact inputs.

    Re-reading unchanged data then needs no statistics at all — which keeps
    scipy, a 0.6 s import, off the path of a warm ``metrics show``.
    """

    MAX_ENTRIES = 64

    def __init__(self, inner: TrendDetectionStrategy, path: Path, root: Path | None = None) -> None:
        from kaizen_agentic._fs import read_bytes_capped
        from kaizen_agentic.errors import KaizenError

        self.inner, self.path = inner, path
        self.root = root if root is not None else path.parent
        self.salt = repr(sorted(vars(inner).items())).encode()
        try:
            loaded = json.loads(read_bytes_capped(self.root, path, 4 * 1024 * 1024))
        except (OSError, ValueError, RecursionError, KaizenError):
            loaded = {}
        self.entries: dict[str, dict[str, Any]] = loaded if isinstance(loaded, dict) else {}
        self.changed = False

    def detect(self, times: FloatArray, values: FloatArray, *, basis: str) -> TrendResult:
        digest = hashlib.sha256(self.salt + basis.encode())
        digest.update(np.ascontiguousarray(times, dtype=np.float64).tobytes())
        digest.update(np.ascontiguousarray(values, dtype=np.float64).tobytes())
        key = digest.hexdigest()
        cached = self.entries.get(key)
        if isinstance(cached, dict):
            try:
                return TrendResult(**cached)
            except TypeError:
                pass
        result = self.inner.detect(times, values, basis=basis)
        self.entries[key] = asdict(result)
        self.changed = True
        return result

    def save(self) -> None:
        if not self.changed:
            return
        from kaizen_agentic._fs import atomic_write_text
        from kaizen_agentic.errors import KaizenError

        kept = dict(list(self.entries.items())[-self.MAX_ENTRIES :])
        # a cache that cannot be written (.cache is a file, a link out) only costs time
        with contextlib.suppress(OSError, KaizenError, ValueError):
            atomic_write_text(self.path, json.dumps(kept), root=self.root)


def mann_kendall_p(series: FloatArray) -> float:
    """Two-sided Mann-Kendall p-value (normal approximation with tie correction)."""
    n = int(series.shape[0])
    diffs = np.sign(series[None, :] - series[:, None])
    s = float(np.triu(diffs, k=1).sum())
    _, counts = np.unique(series, return_counts=True)
    variance = (
        n * (n - 1) * (2 * n + 5) - float(np.sum(counts * (counts - 1) * (2 * counts + 5)))
    ) / 18.0
    if variance <= 0:
        return 1.0
    z = (s - math.copysign(1.0, s)) / math.sqrt(variance) if s != 0 else 0.0
    return math.erfc(abs(z) / math.sqrt(2.0))


class LayeredQuality:
    """Weighted mix of self-reported quality, primary-metric attainment and feedback.

    Weights are renormalised over the layers a record (or window) has, so a
    record with only ``quality_score`` scores exactly that.
    """

    def __init__(
        self,
        self_reported: float = default("quality_weights.self_reported"),
        primary_metric: float = default("quality_weights.primary_metric"),
        feedback: float = default("quality_weights.feedback"),
    ) -> None:
        weights = (self_reported, primary_metric, feedback)
        if min(weights) < 0 or sum(weights) <= 0:
            raise InvalidInputError("quality_weights: must be >= 0 and not all zero")
        self.w_self, self.w_primary, self.w_feedback = weights

    def record_scores(self, columns: Columns, direction: str) -> FloatArray:
        # float32 throughout: a million records' scores in 4 MB, not 16
        quality = columns.values["quality"].astype(np.float32)
        attainment = primary_attainment(columns, direction).astype(np.float32)
        has_quality, has_attainment = ~np.isnan(quality), ~np.isnan(attainment)
        total = np.float32(self.w_self) * has_quality + np.float32(self.w_primary) * has_attainment
        weighted = np.where(has_quality, quality, 0) * np.float32(self.w_self)
        weighted += np.where(has_attainment, attainment, 0) * np.float32(self.w_primary)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, weighted / total, np.float32(np.nan))

    def combine(self, record_mean: float | None, feedback_mean: float | None) -> float | None:
        parts = [
            (v, w)
            for v, w in (
                (record_mean, self.w_self + self.w_primary),
                (feedback_mean, self.w_feedback),
            )
            if v is not None and w > 0
        ]
        if not parts:
            return None
        return _r(sum(v * w for v, w in parts) / sum(w for _, w in parts))


def primary_attainment(columns: Columns, direction: str) -> FloatArray:
    """Per record, how far ``primary_metric.value`` got toward its target (capped at 1)."""
    value, target = columns.values["primary_value"], columns.values["primary_target"]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = value / target if direction == "higher" else target / value
    ratio = np.where((target > 0) & (value >= 0), ratio, np.nan)
    return np.clip(ratio, 0.0, 1.0)


class TelemetryCollaboration:
    """Helpfulness from telemetry (0-1) and feedback ratings (1-5 → 0-1), equally weighted."""

    def score(self, columns: Columns, ratings: Sequence[float]) -> float | None:
        parts = []
        helpfulness = columns.values["helpfulness"]
        if np.any(~np.isnan(helpfulness)):
            parts.append(float(np.nanmean(np.clip(helpfulness, 0.0, 1.0))))
        if ratings:
            parts.append((sum(ratings) / len(ratings) - 1.0) / 4.0)
        return _r(sum(parts) / len(parts)) if parts else None


class RollingWindows:
    """Simultaneous windows ending now: 7d, 30d, 90d by default."""

    def __init__(self, labels: Sequence[str] = tuple(default("windows"))) -> None:
        self.labels = list(labels)

    def windows(self, now: datetime) -> list[tuple[str, datetime]]:
        return [(label, now - timedelta(days=int(label[:-1]))) for label in self.labels]


TREND_STRATEGIES: dict[str, Callable[[Config], TrendDetectionStrategy]] = {
    "daily": lambda c: DailyTrend(**c.section("trend")),
    "theil-sen": lambda c: TheilSenTrend(
        **{
            k: v
            for k, v in c.section("trend").items()
            if k in ("alpha", "min_change", "min_points")
        }
    ),
}
QUALITY_STRATEGIES: dict[str, Callable[[Config], QualityScoringStrategy]] = {
    "layered": lambda c: LayeredQuality(**c.section("quality_weights")),
}
COLLABORATION_STRATEGIES: dict[str, Callable[[Config], CollaborationScoringStrategy]] = {
    "telemetry": lambda c: TelemetryCollaboration(),
}
WINDOW_STRATEGIES: dict[str, Callable[[Config], MetricsWindowStrategy]] = {
    "rolling": lambda c: RollingWindows(c.get("windows")),
}


@dataclass(frozen=True)
class Strategies:
    """The four strategies one analysis uses."""

    quality: QualityScoringStrategy
    collaboration: CollaborationScoringStrategy
    windows: MetricsWindowStrategy
    trend: TrendDetectionStrategy

    @staticmethod
    def from_config(config: Config | None = None) -> Strategies:
        config = config or Config(defaults())
        chosen = config.section("strategies")
        return Strategies(
            quality=_pick(QUALITY_STRATEGIES, "quality", chosen["quality"])(config),
            collaboration=_pick(COLLABORATION_STRATEGIES, "collaboration", chosen["collaboration"])(
                config
            ),
            windows=_pick(WINDOW_STRATEGIES, "windows", chosen["windows"])(config),
            trend=_pick(TREND_STRATEGIES, "trend", chosen["trend"])(config),
        )


def _pick(registry: Mapping[str, Any], kind: str, name: str) -> Any:
    if name not in registry:
        raise InvalidInputError(
            f"strategies.{kind}: unknown strategy {name!r}; choose one of {', '.join(registry)}"
        )
    return registry[name]


@dataclass(frozen=True)
class WindowResult:
    """Aggregates of one window; numbers are None under ``min_points`` records."""

    window: str
    start: str
    end: str
    n: int
    status: str  # "ok" | "insufficient_data"
    tasks_completed: int
    tasks_failed: int
    success_rate: float | None = None
    avg_quality_score: float | None = None
    quality_score: float | None = None
    avg_cost_usd: float | None = None
    avg_input_tokens: float | None = None
    avg_output_tokens: float | None = None
    avg_tool_invocations: float | None = None
    avg_completion_time_s: float | None = None
    collaboration_score: float | None = None
    trend: TrendResult | None = None
    success_trend: TrendResult | None = None

    @property
    def avg_tokens(self) -> float | None:
        """Input plus output tokens a run (None when the window has neither)."""
        if self.avg_input_tokens is None and self.avg_output_tokens is None:
            return None
        return (self.avg_input_tokens or 0) + (self.avg_output_tokens or 0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Feedback:
    """Ratings (1-5) with their epoch-second times, for windowing."""

    times: Sequence[float] = ()
    ratings: Sequence[float] = ()

    def between(self, start: float, end: float) -> list[float]:
        return [r for t, r in zip(self.times, self.ratings, strict=True) if start <= t <= end]


@dataclass(frozen=True)
class TrendInput:
    """A series a trend is computed from, copied out of the columns."""

    times: FloatArray
    values: FloatArray
    basis: str


MeasuredWindow = tuple[WindowResult, TrendInput | None, TrendInput | None]


def analyse_windows(
    columns: Columns,
    *,
    now: datetime,
    strategies: Strategies,
    direction: str = "higher",
    feedback: Feedback | None = None,
    min_points: int = default("trend.min_points"),
) -> list[WindowResult]:
    """One :class:`WindowResult` per window of the window strategy."""
    measured = measure_windows(
        columns,
        now=now,
        strategies=strategies,
        direction=direction,
        feedback=feedback,
        min_points=min_points,
    )
    return detect_trends(measured, strategies.trend)


def measure_windows(
    columns: Columns,
    *,
    now: datetime,
    strategies: Strategies,
    direction: str = "higher",
    feedback: Feedback | None = None,
    min_points: int = default("trend.min_points"),
) -> list[MeasuredWindow]:
    """Every window's aggregates, plus the (small, copied) series its trends need.

    Split from :func:`detect_trends` so a caller can drop the columns — a
    million records are ~60 MB — before the trend statistics load scipy.
    """
    feedback = feedback or Feedback()
    end = now.timestamp()
    spans = [(label, start.timestamp()) for label, start in strategies.windows.windows(now)]
    # One copy of the widest window's series; each window's trend input is a
    # view of it (windows are nested), so a million records cost ~8 MB here.
    widest = columns.between(min((s for _, s in spans), default=end), end)
    series = _Series(
        widest.ts.copy(),
        strategies.quality.record_scores(widest, direction).astype(np.float32),
        widest.success.copy(),
    )
    measured = []
    for label, start in spans:
        part = columns.between(start, end)
        ratings = feedback.between(start, end)
        measured.append(
            _window(label, start, end, part, strategies, direction, ratings, min_points, series)
        )
    return measured


@dataclass(frozen=True)
class _Series:
    """The per-run series of the widest window, copied out of the columns."""

    ts: FloatArray
    scores: FloatArray
    success: FloatArray

    def between(self, start: float, end: float) -> tuple[FloatArray, FloatArray, FloatArray]:
        if bool(np.all(self.ts[1:] >= self.ts[:-1])):
            low = int(np.searchsorted(self.ts, start, side="left"))
            high = int(np.searchsorted(self.ts, end, side="right"))
            return self.ts[low:high], self.scores[low:high], self.success[low:high]
        mask = (self.ts >= start) & (self.ts <= end)
        return self.ts[mask], self.scores[mask], self.success[mask]


def detect_trends(
    measured: list[MeasuredWindow], trend: TrendDetectionStrategy
) -> list[WindowResult]:
    """Fill in each window's quality and success-rate trends."""
    return [
        dataclasses.replace(
            result,
            trend=trend.detect(quality.times, quality.values, basis=quality.basis),
            success_trend=trend.detect(daily.times, daily.values, basis=daily.basis),
        )
        if quality is not None and daily is not None
        else result
        for result, quality, daily in measured
    ]


def _window(
    label: str,
    start: float,
    end: float,
    part: Columns,
    strategies: Strategies,
    direction: str,
    ratings: list[float],
    min_points: int,
    series: _Series,
) -> MeasuredWindow:
    n = len(part)
    completed = int(part.success.sum())
    head: dict[str, Any] = {
        "window": label,
        "start": _iso(start),
        "end": _iso(end),
        "n": n,
        "tasks_completed": completed,
        "tasks_failed": n - completed,
    }
    if n < min_points:
        return WindowResult(status=INSUFFICIENT, **head), None, None
    times, scores, success = series.between(start, end)  # scored once, for the widest window
    record_mean = _mean(scores)
    values = part.values
    result = WindowResult(
        status="ok",
        success_rate=_r(completed / n),
        avg_quality_score=_mean(values["quality"]),
        quality_score=strategies.quality.combine(
            record_mean, (sum(ratings) / len(ratings) - 1) / 4 if ratings else None
        ),
        avg_cost_usd=_mean(values["usd"]),
        avg_input_tokens=_mean(values["input_tokens"]),
        avg_output_tokens=_mean(values["output_tokens"]),
        avg_tool_invocations=_mean(values["tool_invocations"]),
        avg_completion_time_s=_mean(values["time_s"]),
        collaboration_score=strategies.collaboration.score(part, ratings),
        **head,
    )
    return result, TrendInput(times, scores, "records"), TrendInput(times, success, "runs")


def _daily_rates(times: FloatArray, success: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per-day success rates (the first, partial day of the window dropped)."""
    days = np.floor(times / DAY)
    if days.size:  # the window's first day is partial: fewer runs, a noisier rate
        keep = days > days[0]
        days, success = days[keep], success[keep]
    if not days.size:
        return days, days
    unique_days, inverse = np.unique(days, return_inverse=True)
    rates = np.bincount(inverse, weights=success) / np.bincount(inverse)
    return unique_days * DAY, rates.astype(np.float64)


@dataclass(frozen=True)
class Totals:
    """All-time figures of one agent's records."""

    count: int
    success_rate: float | None
    avg_quality_score: float | None
    avg_execution_time_s: float | None
    last_execution: str | None
    first_execution: str | None = None

    @staticmethod
    def of(columns: Columns) -> Totals:
        n = len(columns)
        return Totals(
            count=n,
            success_rate=_r(float(columns.success.mean(dtype=np.float64))) if n else None,
            avg_quality_score=_mean(columns.values["quality"]),
            avg_execution_time_s=_mean(columns.values["time_s"]),
            last_execution=_iso(float(columns.ts.max())) if n else None,
            first_execution=_iso(float(columns.ts.min())) if n else None,
        )


def summary_document(agent: str, totals: Totals, windows: list[WindowResult]) -> dict[str, Any]:
    """The summary.json document (seed-compatible keys first, then ``windows``)."""
    reference = next((w for w in windows if w.window == "30d"), windows[-1] if windows else None)
    return {
        "agent": agent,
        "execution_count": totals.count,
        "success_rate": totals.success_rate,
        "avg_quality_score": totals.avg_quality_score,
        "avg_execution_time_s": totals.avg_execution_time_s,
        "last_execution": totals.last_execution,
        "trend": {
            "success_rate": _arrow(reference.success_trend if reference else None),
            "quality_score": _arrow(reference.trend if reference else None),
        },
        "windows": {w.window: w.to_dict() for w in windows},
    }


def _arrow(trend: TrendResult | None) -> str:
    if trend is None or trend.verdict == INSUFFICIENT:
        return "unknown"
    return {IMPROVING: "up", DECLINING: "down"}.get(trend.verdict, "stable")


def _mean(values: FloatArray) -> float | None:
    present = values[~np.isnan(values)]
    return _r(float(present.mean(dtype=np.float64))) if present.size else None


def _r_or_none(value: float | None) -> float | None:
    return None if value is None else _r(value)


def _r(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) else round(number, 6)


def _iso(epoch: float) -> str:
    return format_timestamp(datetime.fromtimestamp(epoch, tz=timezone.utc))
