from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from kaizen_agentic.analysis.windows import (
    Feedback,
    LayeredQuality,
    Strategies,
    TheilSenTrend,
    analyse_windows,
    mann_kendall_p,
)
from kaizen_agentic.config import Config, check_config_data
from kaizen_agentic.errors import InvalidInputError
from kaizen_agentic.metrics.columns import Columns

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
STRATEGIES = Strategies.from_config()


def series(
    quality: list[float],
    success: list[bool] | None = None,
    *,
    spacing_h: float = 12.0,
    **extra: list[float],
) -> Columns:
    n = len(quality)
    records = []
    for i, q in enumerate(quality):
        moment = NOW - timedelta(hours=spacing_h * (n - i))
        record = {
            "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "success": True if success is None else success[i],
            "quality_score": q,
        }
        for key, values in extra.items():
            section, field = key.split("__")
            record.setdefault(section, {})[field] = values[i]
        records.append(record)
    return Columns.from_records(records)


def verdict(columns: Columns, window: str = "30d") -> str:
    [result] = [
        w for w in analyse_windows(columns, now=NOW, strategies=STRATEGIES) if w.window == window
    ]
    assert result.trend is not None
    return result.trend.verdict


def test_fixed_series_give_the_documented_verdicts() -> None:
    rising = [0.5 + 0.01 * i for i in range(30)]
    assert verdict(series(rising)) == "improving"
    assert verdict(series(rising[::-1])) == "declining"
    assert verdict(series([0.7] * 30)) == "stable"
    flat_noise = [0.7 + (0.01 if i % 2 else -0.01) for i in range(30)]
    assert verdict(series(flat_noise)) == "stable"


def test_a_tiny_significant_drift_is_still_stable() -> None:
    creep = [0.7 + 0.0001 * i for i in range(30)]  # p tiny, change 0.003 < min_change
    assert verdict(series(creep)) == "stable"


def test_under_five_points_is_insufficient_data() -> None:
    results = analyse_windows(series([0.1, 0.9, 0.5, 0.4]), now=NOW, strategies=STRATEGIES)
    assert {w.status for w in results} == {"insufficient_data"}
    assert all(w.success_rate is None and w.trend is None for w in results)
    assert results[0].n == 4 and results[0].tasks_completed == 4


def _trial_verdicts(seed: int, drift: bool) -> Counter[str]:
    rng = np.random.default_rng(seed)
    verdicts: Counter[str] = Counter()
    for _ in range(200):
        mean = np.linspace(0.80, 0.50, 30) if drift else np.full(30, 0.75)
        quality = np.clip(rng.normal(mean, 0.1), 0, 1).tolist()
        success = (rng.random(30) < 0.8).tolist()
        verdicts[verdict(series(quality, success))] += 1
    return verdicts


def test_stationary_data_is_rarely_called_a_trend() -> None:
    verdicts = _trial_verdicts(seed=7, drift=False)
    assert verdicts["improving"] + verdicts["declining"] <= 0.05 * 200


def test_a_planted_drift_is_called_declining() -> None:
    verdicts = _trial_verdicts(seed=11, drift=True)
    assert verdicts["declining"] >= 0.90 * 200


def test_windows_report_all_aggregates() -> None:
    n = 10
    columns = series(
        [0.8] * n,
        [True] * 8 + [False] * 2,
        cost__usd=[0.5] * n,
        cost__input_tokens=[100.0] * n,
        collaboration__helpfulness=[0.6] * n,
    )
    results = analyse_windows(
        columns, now=NOW, strategies=STRATEGIES, feedback=Feedback([NOW.timestamp() - 3600], [5.0])
    )
    week = results[0]
    assert (week.window, week.n, week.tasks_completed, week.tasks_failed) == ("7d", 10, 8, 2)
    assert week.success_rate == 0.8 and week.avg_cost_usd == 0.5
    assert week.avg_input_tokens == 100.0
    assert week.avg_quality_score == 0.8
    # layered quality: records weigh 0.8 (0.5 + 0.3), feedback 0.2; a 5/5 rating scores 1.0
    assert week.quality_score == pytest.approx((0.8 * 0.8 + 1.0 * 0.2) / 1.0)
    # collaboration: telemetry 0.6 and rating 1.0, equally weighted
    assert week.collaboration_score == pytest.approx(0.8)


def test_layered_quality_uses_primary_metric_attainment() -> None:
    records = [
        {
            "timestamp": "2026-05-31T00:00:00Z",
            "success": True,
            "primary_metric": {"name": "t", "value": 50.0, "target": 100.0},
        },
        {
            "timestamp": "2026-05-31T01:00:00Z",
            "success": True,
            "quality_score": 0.9,
            "primary_metric": {"name": "t", "value": 200.0, "target": 100.0},
        },
    ]
    columns = Columns.from_records(records)
    higher = LayeredQuality().record_scores(columns, "higher")
    assert higher.tolist() == pytest.approx([0.5, (0.9 * 0.5 + 1.0 * 0.3) / 0.8])
    lower = LayeredQuality().record_scores(columns, "lower")
    assert lower.tolist() == pytest.approx([1.0, (0.9 * 0.5 + 0.5 * 0.3) / 0.8])


def test_mann_kendall_matches_known_values() -> None:
    assert mann_kendall_p(np.arange(10, dtype=float)) < 0.001
    assert mann_kendall_p(np.ones(10)) == 1.0


def test_strategies_are_chosen_by_name_and_validated() -> None:
    values, problems = check_config_data({"strategies": {"trend": "nope"}})
    assert problems == ["strategies.trend: unknown choice 'nope' (use one of: daily, theil-sen)"]
    values["strategies"]["trend"] = "nope"  # a Config built in code skips the file's checks
    with pytest.raises(InvalidInputError, match=r"strategies\.trend: unknown strategy 'nope'"):
        Strategies.from_config(Config(values))
    with pytest.raises(InvalidInputError, match=r"trend\.alpha"):
        TheilSenTrend(alpha=2.0)
