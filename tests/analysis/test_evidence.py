"""One evidence path: every reader of an agent's numbers agrees for the same config."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from click.testing import CliRunner

from kaizen_agentic.analysis.evidence import load_evidence, runs_by_version
from kaizen_agentic.analysis.optimizer import OptimizerStore
from kaizen_agentic.analysis.rules import Recommendation
from kaizen_agentic.cli import cli
from kaizen_agentic.errors import InvalidInputError
from kaizen_agentic.metrics import MetricsStore, complete_record
from kaizen_agentic.metrics.columns import Columns
from kaizen_agentic.metrics.service import show_metrics

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def seed(root: Path, agent: str = "coach", n: int = 12) -> None:
    store = MetricsStore(root, agent)
    for i in range(n):
        record = {
            "success": i % 3 != 0,
            "quality_score": round(0.3 + 0.025 * i, 3),
            "execution_time_s": 10.0 + i,
            "agent_version": "v1" if i < n // 2 else "v2",
            "cost": {"usd": 0.01 * (i + 1), "input_tokens": 100 + i},
        }
        moment = NOW - timedelta(days=2 * (n - i))
        store.append(
            complete_record(
                record,
                agent=agent,
                agent_version=None,
                project="p",
                domain=None,
                environ={},
                now=moment,
            )
        )


def numbers(summary: object) -> object:
    """A summary without the window bounds, which move with the clock between commands."""
    assert isinstance(summary, dict)
    return {
        label: {k: v for k, v in window.items() if k not in ("start", "end")}
        for label, window in summary["windows"].items()
    }


def invoke(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, (dict, list))
    return data  # type: ignore[return-value]


def test_show_publish_brief_prepare_and_summary_agree_on_a_non_default_config(
    project: Path, tmp_path: Path
) -> None:
    (project / ".kaizen").mkdir()
    (project / ".kaizen" / "config.yml").write_text(
        "windows: ['7d']\ntrend: {min_points: 3}\n", encoding="utf-8"
    )
    seed(project)
    target = str(project)

    shown = invoke("metrics", "show", "coach", "--json", "--target", target)["summary"]
    assert isinstance(shown, dict)
    assert list(shown["windows"]) == ["7d"]
    assert shown["windows"]["7d"]["n"] == 3  # three runs in the last week
    assert shown["windows"]["7d"]["status"] == "ok"  # min_points 3, not the default 5

    on_disk = json.loads(MetricsStore(project, "coach").summary_path.read_text())
    assert on_disk == shown

    result = CliRunner().invoke(
        cli, ["metrics", "publish", "coach", "--out", str(tmp_path / "out"), "-t", target]
    )
    assert result.exit_code == 0, result.output
    (published,) = (tmp_path / "out").glob("*/metrics/coach/summary.json")
    assert numbers(json.loads(published.read_text())) == numbers(shown)
    # publish rewrote the repo's summary.json with the same windows, not the defaults
    assert list(json.loads(MetricsStore(project, "coach").summary_path.read_text())["windows"]) == [
        "7d"
    ]

    bundle = invoke("schedule", "prepare", "coach", "--format", "json", "--target", target)
    summary = bundle["metrics_summary"]
    assert isinstance(summary, dict)
    assert numbers(summary) == numbers(shown)
    assert summary["execution_count"] == shown["execution_count"] == 12

    brief = CliRunner().invoke(cli, ["memory", "brief", "coach", "--target", target])
    assert brief.exit_code == 0, brief.output
    assert "| 7d | 3 |" in brief.output, brief.output
    assert "| 30d |" not in brief.output


def test_runs_by_version_match_the_records(project: Path) -> None:
    seed(project)
    evidence = load_evidence(project, "coach", now=NOW)
    records = MetricsStore(project, "coach").read_executions()
    assert list(evidence.versions) == ["v1", "v2"]
    for version, runs in evidence.versions.items():
        mine = [r for r in records if r["agent_version"] == version]
        assert runs.runs == len(mine)
        assert runs.successes == sum(r["success"] for r in mine)
        assert list(runs.quality) == [float(r["quality_score"]) for r in mine]
    assert evidence.totals.count == 12
    # runs were 24, 22, ..., 2 days ago: all 12 in the last 30 days, none in the 30 before
    assert evidence.cost.current_n == 12
    assert abs(evidence.cost.current - sum(0.01 * (i + 1) for i in range(12)) / 12) < 1e-6
    assert evidence.cost.previous is None


def test_failure_reasons_and_labels_survive_the_cache(project: Path) -> None:
    store = MetricsStore(project, "coach")
    for reason in ("timeout", "timeout", "flaky test"):
        store.append(
            complete_record(
                {"success": False, "metadata": {"failure_reason": reason}},
                agent="coach",
                agent_version="v1",
                project="p",
                domain=None,
                environ={},
            )
        )
    store.append(
        complete_record(
            {"success": True, "metadata": {"failure_reason": "ignored on success"}},
            agent="coach",
            agent_version="v1",
            project="p",
            domain=None,
            environ={},
        )
    )
    cold = load_evidence(project, "coach").failure_reasons
    warm = load_evidence(project, "coach").failure_reasons  # read from .cache this time
    assert cold == warm == {"timeout": 2, "flaky test": 1}


def test_concatenated_columns_keep_their_labels() -> None:
    first = Columns.from_records(
        [{"success": True, "timestamp": "2026-01-01T00:00:00Z", "agent_version": "a"}]
    )
    second = Columns.from_records(
        [
            {"success": True, "timestamp": "2026-01-02T00:00:00Z", "agent_version": "b"},
            {"success": False, "timestamp": "2026-01-03T00:00:00Z"},
            {"success": False, "timestamp": "2026-01-04T00:00:00Z", "agent_version": "a"},
        ]
    )
    both = first.concat(second)
    assert both.label("version") == ["a", "b", None, "a"]
    assert [r.runs for r in runs_by_version(both).values()] == [2, 1]


def test_append_recommendations_refuses_another_agents_advice(project: Path) -> None:
    advice = Recommendation("id1", "tdd-workflow", "slow_execution", "low", {}, "Do less.")
    try:
        OptimizerStore(project).append_recommendations("coach", [advice], metrics_count=10)
    except InvalidInputError as exc:
        assert "tdd-workflow" in str(exc)
    else:
        raise AssertionError("a stranger's recommendation was appended")
    assert not OptimizerStore(project).recommendations_path.exists()


def test_verdicts_api_gives_the_documents_of_show_and_compare(project: Path) -> None:
    from kaizen_agentic import analyse_records, compare_records

    seed(project, n=24)
    records = MetricsStore(project, "coach").read_executions()
    shown = show_metrics(project, "coach", now=NOW).to_dict()  # what show --json prints
    compared = invoke("metrics", "compare", "coach", "--json", "--target", str(project))
    assert analyse_records(records, now=NOW)["windows"] == shown["windows"]
    assert compare_records(records) == compared


def test_verdicts_api_takes_a_config_mapping_and_refuses_a_bad_one() -> None:
    from kaizen_agentic import analyse_records
    from kaizen_agentic.config import ConfigError

    records = [
        {"success": True, "timestamp": f"2026-11-{day:02d}T12:00:00Z", "quality_score": 0.8}
        for day in range(1, 29)
    ]
    now = datetime(2026, 11, 30, tzinfo=timezone.utc)
    only_week = analyse_records(records, now=now, config={"windows": ["7d"]})
    assert [w["window"] for w in only_week["windows"]] == ["7d"]
    try:
        analyse_records(records, now=now, config={"trend": {"min_points": 2}})
    except ConfigError as exc:
        assert "trend.min_points" in str(exc)
    else:
        raise AssertionError("a min_points below 3 was accepted")


def test_the_judged_version_is_the_latest_run_that_carries_one() -> None:
    from kaizen_agentic.analysis.evidence import _judged_version
    from kaizen_agentic.metrics.columns import Columns

    def judged(versions: list[str | None], times: list[int]) -> str | None:
        records = [
            {"timestamp": f"2026-05-01T10:00:{t:02d}Z", "success": True}
            | ({"agent_version": v} if v else {})
            for v, t in zip(versions, times, strict=True)
        ]
        return _judged_version(Columns.from_records(records), None)

    # the last run has no version: the latest that has one is judged
    assert judged(["v1", "v2", None], [1, 3, 5]) == "v2"
    # out of time order, the latest by time wins; of two at the same second, the first
    assert judged(["v2", "v1", "v3"], [9, 3, 9]) == "v2"
    assert judged(["v1", "v2"], [1, 2]) == "v2"
    assert judged([None, None], [1, 2]) is None


def test_the_evidence_digest_names_every_number_read() -> None:
    from kaizen_agentic.analysis.evidence import _digest, evidence_from_columns
    from kaizen_agentic.analysis.windows import Feedback
    from kaizen_agentic.config import Config, defaults

    def records(quality: float) -> Columns:
        return Columns.from_records(
            {"timestamp": f"2026-05-{d:02d}T10:00:00Z", "success": True, "quality_score": q}
            for d, q in ((1, 0.5), (2, quality), (3, 0.7))
        )

    def digest(columns: Columns) -> str:
        config = Config(defaults())
        return evidence_from_columns("coach", columns, config=config, with_runs=False).digest

    first, again, changed = records(0.6), records(0.6), records(0.61)
    # computed beside the analysis, it is the digest of the columns themselves
    assert digest(first) == _digest(first, Feedback()) == digest(again)
    assert digest(changed) != digest(first)
    assert len(digest(first)) == 64
