from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kaizen_agentic.analysis.optimizer import MIN_SAMPLES_FOR_RECOMMENDATIONS
from kaizen_agentic.analysis.rules import Thresholds
from kaizen_agentic.analysis.windows import (
    COLLABORATION_STRATEGIES,
    MAX_TREND_POINTS,
    QUALITY_STRATEGIES,
    TREND_STRATEGIES,
    WINDOW_STRATEGIES,
    LayeredQuality,
    RollingWindows,
    TheilSenTrend,
)
from kaizen_agentic.config import (
    SCHEMA,
    Setting,
    check_config_data,
    default,
    defaults,
    reference_markdown,
    setting,
)
from kaizen_agentic.errors import InvalidInputError

DOCS = Path(__file__).parents[1] / "docs" / "configuration.md"


def every_setting(schema: object = SCHEMA, prefix: str = "") -> list[tuple[str, Setting]]:
    assert isinstance(schema, dict)
    found = []
    for key, spec in schema.items():
        if isinstance(spec, Setting):
            found.append((prefix + key, spec))
        else:
            found += every_setting(spec, f"{prefix}{key}.")
    return found


def test_strategy_choices_are_the_registries() -> None:
    registries = {
        "quality": QUALITY_STRATEGIES,
        "collaboration": COLLABORATION_STRATEGIES,
        "windows": WINDOW_STRATEGIES,
        "trend": TREND_STRATEGIES,
    }
    for kind, registry in registries.items():
        assert setting(f"strategies.{kind}").choices == tuple(registry), kind
    assert set(SCHEMA["strategies"]) == set(registries)


def test_every_number_is_bounded_and_every_key_documented() -> None:
    for path, spec in every_setting():
        assert spec.doc.endswith("."), path
        if spec.kind in (int, float):
            assert spec.minimum is not None and spec.maximum is not None, path


def test_the_defaults_pass_their_own_checks() -> None:
    assert check_config_data(defaults()) == (defaults(), [])


def test_trend_points_cannot_exceed_what_a_trend_uses() -> None:
    assert setting("trend.min_points").maximum == MAX_TREND_POINTS


def test_code_defaults_come_from_the_schema() -> None:
    assert MIN_SAMPLES_FOR_RECOMMENDATIONS == 10 == default("optimizer.min_samples")
    assert Thresholds().slow_execution_s == default("optimizer.slow_execution_s") == 30.0
    trend = TheilSenTrend()
    assert (trend.alpha, trend.min_change, trend.min_points) == (0.01, 0.05, 5)
    quality = LayeredQuality()
    assert (quality.w_self, quality.w_primary, quality.w_feedback) == (0.5, 0.3, 0.2)
    assert RollingWindows().labels == ["7d", "30d", "90d"]


def test_constructors_refuse_what_the_schema_refuses() -> None:
    with pytest.raises(InvalidInputError, match=r"^trend\.min_points: 2 is out of range"):
        TheilSenTrend(min_points=2)
    with pytest.raises(InvalidInputError, match=r"^optimizer\.slow_execution_s: 0 is out"):
        Thresholds(slow_execution_s=0)


def test_every_problem_is_reported_with_its_path() -> None:
    _, problems = check_config_data(
        {
            "trend": {"alpha": float("nan"), "min_change": -0.1},
            "optimizer": {"min_success_rate": 1.5, "min_samples": 0},
            "quality_weights": {"self_reported": 0, "primary_metric": 0, "feedback": 0},
            "windows": ["7d", "1d"],
        }
    )
    assert problems == [
        "trend.alpha: must be a finite number, got nan",
        "trend.min_change: -0.1 is out of range (use a number from 0 to 1)",
        "optimizer.min_success_rate: 1.5 is out of range (use a number from 0 to 1)",
        "optimizer.min_samples: 0 is out of range (use a whole number from 1 to 100000)",
        "windows: ['1d'] not among 7d, 30d, 90d",
        "quality_weights: all three are 0 (give at least one a positive weight)",
    ]


def test_loading_the_config_imports_no_statistics(tmp_path: Path) -> None:
    (tmp_path / ".kaizen").mkdir()
    (tmp_path / ".kaizen" / "config.yml").write_text("strategies:\n  trend: theil-sen\n")
    code = (
        "import sys; from pathlib import Path; from kaizen_agentic.config import load_config\n"
        f"load_config(Path({str(tmp_path)!r}))\n"
        "print([m for m in ('numpy', 'scipy') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_docs_configuration_is_current() -> None:
    assert DOCS.read_text() == reference_markdown(), (
        "docs/configuration.md is stale: run `make docs`"
    )
