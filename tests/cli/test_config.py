from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kaizen_agentic.cli import cli

HUGE = "9" * 5000

# (config.yml text, the one problem line config validate prints for it)
BROKEN = {
    "unknown_strategy": (
        "strategies:\n  trend: nope\n",
        "strategies.trend: unknown choice 'nope' (use one of: daily, theil-sen)",
    ),
    "too_few_trend_points": (
        "trend:\n  min_points: 2\n",
        "trend.min_points: 2 is out of range (use a whole number from 3 to 1000)",
    ),
    "zero_threshold": (
        "optimizer:\n  slow_execution_s: 0\n",
        "optimizer.slow_execution_s: 0 is out of range (use a number above 0 and below 86400)",
    ),
    "negative_threshold": (
        "optimizer:\n  cost_increase_pct: -25\n",
        "optimizer.cost_increase_pct: -25 is out of range (use a number above 0 and below 10000)",
    ),
    "negative_retention": (
        "retention_days: -1\n",
        "retention_days: -1 is out of range (use a whole number from 1 to 36500)",
    ),
    "absurd_integer": (
        "retention_days: 1000000000000\n",
        "retention_days: 1000000000000 is out of range (use a whole number from 1 to 36500)",
    ),
    "five_thousand_digits": (
        f"optimizer:\n  min_samples: {HUGE}\n",
        "a number of 5000 characters (line 2) is too long to read; shorten it",
    ),
}

# every command that reads the config refuses a broken one the same way
READERS = {
    "metrics_show": ["metrics", "show", "coach"],
    "metrics_record": ["metrics", "record", "coach", "--success"],
    "metrics_optimize": ["metrics", "optimize"],
    "memory_brief": ["memory", "brief", "coach"],
    "schedule_prepare": ["schedule", "prepare", "coach"],
    "config_show": ["config", "show"],
}


def invoke(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin)


def broken_project(project: Path, text: str) -> Path:
    # a run on record first: the old fallback to defaults only showed with metrics
    assert invoke("metrics", "record", "coach", "--success", "-t", str(project)).exit_code == 0
    path = project / ".kaizen" / "config.yml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("case", list(BROKEN))
def test_config_validate_reports_the_problem_on_one_line(project: Path, case: str) -> None:
    text, problem = BROKEN[case]
    path = broken_project(project, text)
    result = invoke("config", "validate", "-t", str(project))
    assert (result.exit_code, result.stdout) == (2, f"{path}: {problem}\n")
    result = invoke("config", "validate", "-t", str(project), "--json")
    assert json.loads(result.stdout)["problems"] == [problem]


@pytest.mark.parametrize("case", list(BROKEN))
@pytest.mark.parametrize("reader", list(READERS))
def test_every_reader_refuses_a_broken_config(project: Path, case: str, reader: str) -> None:
    text, problem = BROKEN[case]
    path = broken_project(project, text)
    result = invoke(*READERS[reader], "-t", str(project))
    assert isinstance(result.exception, SystemExit)  # no traceback
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        f"Error: {path}: {problem}\n",
    )


def test_publish_refuses_a_broken_config_and_writes_nothing(project: Path, tmp_path: Path) -> None:
    text, problem = BROKEN["unknown_strategy"]
    path = broken_project(project, text)
    out = tmp_path / "packages"
    result = invoke("metrics", "publish", "--out", str(out), "-t", str(project))
    assert (result.exit_code, result.stderr) == (2, f"Error: {path}: {problem}\n")
    assert not out.exists()


def test_validate_lists_every_problem(project: Path) -> None:
    path = broken_project(
        project, "strategies:\n  trend: nope\ntrend:\n  min_points: 2\nretention_days: 0\n"
    )
    result = invoke("config", "validate", "-t", str(project))
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"{path}: strategies.trend: unknown choice 'nope' (use one of: daily, theil-sen)",
        f"{path}: trend.min_points: 2 is out of range (use a whole number from 3 to 1000)",
        f"{path}: retention_days: 0 is out of range (use a whole number from 1 to 36500)",
    ]
    result = invoke("metrics", "show", "coach", "-t", str(project))
    assert result.stderr == (
        f"Error: {path}: strategies.trend: unknown choice 'nope' (use one of: daily, theil-sen)"
        " (and 2 more; run: kaizen-agentic config validate)\n"
    )


def record_slow_runs(project: Path, count: int) -> None:
    for _ in range(count):
        result = invoke(
            "metrics", "record", "coach", "--json", "-t", str(project),
            stdin='{"success": true, "execution_time_s": 990}',
        )  # fmt: skip
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize("runs", [3, 9])
def test_optimizer_honours_configured_min_samples(project: Path, runs: int) -> None:
    (project / ".kaizen").mkdir()
    # a window needs trend.min_points runs before a rule can read it
    (project / ".kaizen" / "config.yml").write_text(
        "optimizer:\n  min_samples: 3\ntrend:\n  min_points: 3\n"
    )
    record_slow_runs(project, 2)
    result = invoke("metrics", "optimize", "-t", str(project))
    assert result.stdout.splitlines()[0] == "coach: 2 executions; recommendations need at least 3"
    record_slow_runs(project, runs - 2)
    result = invoke("metrics", "optimize", "-t", str(project), "--json")
    coach = json.loads(result.stdout)["agents"]["coach"]
    assert (coach["status"], coach["execution_count"]) == ("ok", runs)
    assert [r["rule"] for r in coach["recommendations"]] == ["slow_execution"]
