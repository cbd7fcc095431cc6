from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kaizen_agentic import MIN_SAMPLES_FOR_RECOMMENDATIONS, OptimizationLoop, OptimizerStore
from kaizen_agentic.analysis import run_optimizer
from kaizen_agentic.metrics import MetricsStore, complete_record
from kaizen_agentic.metrics.publish import publish_evidence, verify_package

NOW = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)


def write_agent(root: Path, name: str, target: float = 0.7) -> None:
    path = root / "agents" / f"agent-{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"---\nname: {name}\ndescription: Test agent.\ncategory: quality\nversion: 1.0.0\n"
        f"metrics:\n  primary: {{name: review_quality, target: {target}, direction: higher}}\n"
        "idempotency: Safe.\noptimization: Quality.\n---\n# Test Agent\nDo the work.\n"
    )


def history(root: Path, agent: str, rows: list[dict[str, Any]], days: float = 25) -> None:
    store = MetricsStore(root, agent)
    n = len(rows)
    for i, fields in enumerate(rows):
        moment = NOW - timedelta(days=days * (n - i) / n)
        store.append(
            complete_record(
                fields,
                agent=agent,
                agent_version="v1",
                project="p",
                domain=None,
                environ={},
                now=moment,
            )
        )


def healthy(n: int) -> list[dict[str, Any]]:
    return [{"success": True, "quality_score": 0.9, "execution_time_s": 12.0} for _ in range(n)]


def rules_fired(root: Path, agent: str) -> dict[str, dict[str, Any]]:
    loop = OptimizationLoop.from_metrics_store(MetricsStore(root, agent), now=NOW)
    return {r.rule: dict(r.evidence) for r in loop.analyse().recommendations}


def test_nine_records_are_insufficient_data(project: Path) -> None:
    write_agent(project, "reviewer")
    history(project, "reviewer", [{"success": False, "execution_time_s": 99.0}] * 9)
    analysis = OptimizationLoop.from_metrics_store(
        MetricsStore(project, "reviewer"), now=NOW
    ).analyse()
    assert MIN_SAMPLES_FOR_RECOMMENDATIONS == 10
    assert (analysis.status, analysis.execution_count, analysis.recommendations) == (
        "insufficient_data",
        9,
        [],
    )
    assert analysis.message == "9 executions; recommendations need at least 10"


def test_a_healthy_agent_fires_nothing(project: Path) -> None:
    write_agent(project, "reviewer")
    history(project, "reviewer", healthy(20))
    assert rules_fired(project, "reviewer") == {}


def test_slow_and_failing_agent_fires_exactly_those_rules(project: Path) -> None:
    write_agent(project, "reviewer")
    rows = healthy(20)
    for i, row in enumerate(rows):
        row["execution_time_s"] = 75.0
        if i % 2:
            row.update(success=False, metadata={"failure_reason": "lint failed"})
    history(project, "reviewer", rows)
    fired = rules_fired(project, "reviewer")
    assert set(fired) == {"slow_execution", "low_success_rate"}
    assert fired["slow_execution"]["avg_completion_time_s"] == 75.0
    assert fired["slow_execution"]["window"] == "30d"
    assert fired["low_success_rate"]["success_rate"] == 0.5
    assert fired["low_success_rate"]["failure_reasons"] == {"lint failed": 10}


def test_quality_below_the_agents_primary_target(project: Path) -> None:
    write_agent(project, "reviewer", target=0.95)
    history(project, "reviewer", healthy(20))
    fired = rules_fired(project, "reviewer")
    assert set(fired) == {"quality_below_target"}
    assert fired["quality_below_target"]["observed"] == 0.9
    assert fired["quality_below_target"]["target"] == 0.95


def test_declining_quality_and_rising_cost(project: Path) -> None:
    write_agent(project, "reviewer", target=0.3)
    rng = np.random.default_rng(3)
    rows = []
    for i, q in enumerate(np.linspace(0.9, 0.5, 40)):
        rows.append(
            {
                "success": True,
                "execution_time_s": 10.0,
                "quality_score": float(np.clip(q + rng.normal(0, 0.02), 0, 1)),
                "cost": {"usd": 0.10 if i < 20 else 0.20},
            }
        )
    history(project, "reviewer", rows, days=58)
    fired = rules_fired(project, "reviewer")
    assert set(fired) == {"declining_trend", "cost_increase"}
    assert fired["declining_trend"]["metric"] == "quality"
    assert fired["declining_trend"]["change_over_window"] < -0.1
    assert fired["cost_increase"]["increase_pct"] == pytest.approx(100.0, abs=0.1)


def test_recommendation_ids_are_stable(project: Path) -> None:
    write_agent(project, "reviewer", target=0.95)
    history(project, "reviewer", healthy(20))
    first = OptimizationLoop.from_metrics_store(
        MetricsStore(project, "reviewer"), now=NOW
    ).analyse()
    later = OptimizationLoop.from_metrics_store(
        MetricsStore(project, "reviewer"), now=NOW + timedelta(hours=1)
    ).analyse()
    assert [r.id for r in first.recommendations] == [r.id for r in later.recommendations]


def test_rerun_on_unchanged_data_changes_nothing(project: Path) -> None:
    write_agent(project, "reviewer", target=0.95)
    history(project, "reviewer", healthy(20))
    store = OptimizerStore(project)
    first = run_optimizer(project, now=NOW)
    assert first.fingerprint_changed and first.appended == 1
    analysis, history_text = store.analysis_path.read_text(), store.recommendations_path.read_text()
    second = run_optimizer(project, now=NOW + timedelta(minutes=5))
    assert not second.fingerprint_changed and second.appended == 0
    assert store.analysis_path.read_text() == analysis
    assert store.recommendations_path.read_text() == history_text
    assert json.loads(analysis)["fingerprint"] == second.report["fingerprint"]
    history(project, "reviewer", healthy(1))
    third = run_optimizer(project, now=NOW)
    assert third.fingerprint_changed and third.appended == 1
    assert len(store.recommendations_path.read_text().splitlines()) == 2
    assert [r["rule"] for r in store.open_recommendations("reviewer")] == ["quality_below_target"]


def test_publish_and_verify(project: Path, tmp_path: Path) -> None:
    write_agent(project, "reviewer", target=0.95)
    history(project, "reviewer", healthy(12))
    run_optimizer(project, now=NOW)
    package = publish_evidence(project, tmp_path / "out", now=NOW)
    manifest = package.manifest
    assert manifest["retention_class"] == "raw-evidence" and manifest["agents"] == ["reviewer"]
    assert sorted(f["path"] for f in manifest["files"]) == [
        "metrics/reviewer/executions.jsonl",
        "metrics/reviewer/summary.json",
        "optimizer/analysis.json",
        "optimizer/recommendations.jsonl",
    ]
    assert verify_package(package.path) == []
    executions = package.path / "metrics" / "reviewer" / "executions.jsonl"
    executions.write_text(executions.read_text().replace('"success":true', '"success":false', 1))
    assert verify_package(package.path) == [
        "metrics/reviewer/executions.jsonl: sha256 differs from the manifest (altered)"
    ]
    archive = publish_evidence(project, tmp_path / "tar", tar=True, now=NOW)
    assert archive.path.name.endswith(".tar.gz") and verify_package(archive.path) == []
