"""One run, one record: every reader folds later values into the run they name (SPEC §3)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaizen_agentic.analysis.evidence import load_evidence
from kaizen_agentic.cli import cli
from kaizen_agentic.errors import InvalidInputError
from kaizen_agentic.metrics import MetricsStore, complete_record
from kaizen_agentic.metrics.column_cache import load_columns
from kaizen_agentic.metrics.query import RecordFilter, aggregate, iter_records
from kaizen_agentic.metrics.service import attach_to_run, record_or_attach

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def captured(store: MetricsStore, index: int, **fields: object) -> dict[str, object]:
    record = complete_record(
        {
            "success": True,
            "source": "claude-hook",
            "session_id": f"s{index}",
            "idempotency_key": f"claude:s{index}:a{index}",
            "cost": {"input_tokens": 10, "output_tokens": 5, "usd": 0.01},
            **fields,
        },
        agent="coach",
        agent_version="v1",
        project="p",
        domain=None,
        environ={},
        now=NOW - timedelta(hours=10 - index),
    )
    assert store.append(record)
    return record


@pytest.fixture
def store(project: Path) -> MetricsStore:
    store = MetricsStore(project, "coach")
    for index in range(6):
        captured(store, index)
    return store


def test_an_attachment_is_appended_not_rewritten(store: MetricsStore) -> None:
    before = store.executions_path.read_bytes()
    run = store.find_run(session_id="s2")
    assert run is not None
    store.attach(str(run["record_id"]), {"quality_score": 0.7}, now=NOW)
    after = store.executions_path.read_bytes()
    assert after.startswith(before)
    line = json.loads(after[len(before) :])
    assert line["attach_to"] == run["record_id"] and "success" not in line
    assert line["set"] == {"quality_score": 0.7}


def test_record_readers_see_one_run_with_the_latest_values(store: MetricsStore) -> None:
    run = store.find_run(session_id="s2")
    assert run is not None
    store.attach(str(run["record_id"]), {"quality_score": 0.4, "metadata": {"a": 1}}, now=NOW)
    store.attach(str(run["record_id"]), {"quality_score": 0.9, "metadata": {"b": 2}}, now=NOW)
    records = store.read_executions()
    assert len(records) == 6
    [folded] = [r for r in records if r["session_id"] == "s2"]
    assert folded["quality_score"] == 0.9 and folded["metadata"] == {"a": 1, "b": 2}
    assert folded["record_id"] == run["record_id"] and folded["cost"]["input_tokens"] == 10
    assert [r["record_id"] for r in store.tail(2)] == [
        r["record_id"] for r in records[-2:]
    ]  # tail counts runs, not attachment lines
    [tailed] = [r for r in store.tail(6) if r["session_id"] == "s2"]
    assert tailed["quality_score"] == 0.9


def test_the_column_cache_applies_attachments_cold_and_warm(store: MetricsStore) -> None:
    root = store.project_root
    cold = load_columns(store.executions_path, store.cache_dir)  # cache written here
    assert len(cold) == 6 and int((~_isnan(cold.values["quality"])).sum()) == 0
    run = store.find_run(session_id="s1")
    assert run is not None
    store.attach(str(run["record_id"]), {"quality_score": 0.5}, now=NOW)
    warm = load_columns(store.executions_path, store.cache_dir)  # reads only the new line
    assert len(warm) == 6
    assert sorted(v for v in warm.values["quality"].tolist() if v == v) == [0.5]
    store.attach(str(run["record_id"]), {"quality_score": 0.75, "success": False}, now=NOW)
    evidence = load_evidence(root, "coach", now=NOW)
    assert evidence.totals.count == 6
    assert evidence.totals.avg_quality_score == pytest.approx(0.75)
    assert evidence.totals.success_rate == pytest.approx(5 / 6)
    for path in store.cache_dir.iterdir():  # a rebuild from scratch agrees
        path.unlink()
    rebuilt = load_evidence(root, "coach", now=NOW)
    assert rebuilt.totals == evidence.totals
    assert rebuilt.versions["v1"].quality == [0.75]  # compare sees it once, on its version


def test_export_and_query_count_the_run_once(store: MetricsStore) -> None:
    run = store.find_run(session_id="s3")
    assert run is not None
    store.attach(str(run["record_id"]), {"quality_score": 1.0}, now=NOW)
    [row] = aggregate(iter_records([store.project_root], RecordFilter(agent="coach")))
    assert row["n"] == 6 and row["avg_quality_score"] == 1.0
    result = CliRunner().invoke(cli, ["metrics", "export", "coach", "-t", str(store.project_root)])
    exported = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(exported) == 6
    assert [r["quality_score"] for r in exported if "quality_score" in r] == [1.0]


def test_prune_drops_an_attachment_with_its_run(store: MetricsStore) -> None:
    oldest = store.find_run(session_id="s0")
    newest = store.find_run(session_id="s5")
    assert oldest is not None and newest is not None
    store.attach(str(oldest["record_id"]), {"quality_score": 0.1}, now=NOW)
    store.attach(str(newest["record_id"]), {"quality_score": 0.2}, now=NOW)
    store.retention_days = 1
    # runs are 10 to 5 hours before NOW; the cutoff falls between the last two
    assert store.prune(now=NOW + timedelta(days=1) - timedelta(hours=5, minutes=30)) == 5
    raw = [json.loads(line) for line in store.executions_path.read_text().splitlines()]
    assert [r.get("attach_to") for r in raw] == [None, newest["record_id"]]


def test_metrics_record_with_a_captured_session_attaches(store: MetricsStore) -> None:
    root = store.project_root
    outcome = record_or_attach(root, "coach", {"session_id": "s4", "quality_score": 0.8})
    assert outcome.status == "attached"
    assert len(store.read_executions()) == 6
    assert store.find_run(session_id="s4")["quality_score"] == 0.8  # type: ignore[index]
    # a session nothing captured is a new record, as before
    assert record_or_attach(root, "coach", {"session_id": "zz", "success": True}).status == (
        "recorded"
    )


def test_attach_by_key_and_unknown_runs(store: MetricsStore) -> None:
    root = store.project_root
    outcome = record_or_attach(
        root, "coach", {"success": False}, idempotency_key="claude:s1:a1", attach=True
    )
    assert outcome.status == "attached" and outcome.record["success"] is False
    with pytest.raises(InvalidInputError, match="no run of coach has idempotency key"):
        record_or_attach(root, "coach", {"success": False}, idempotency_key="nope", attach=True)
    with pytest.raises(InvalidInputError, match="no run 'nope'"):
        attach_to_run(root, "coach", "nope", {"quality_score": 0.5})
    with pytest.raises(InvalidInputError, match="quality_score"):
        attach_to_run(root, "coach", str(outcome.record["record_id"]), {"quality_score": 2})


def test_feedback_on_a_run_attaches_its_rating(store: MetricsStore) -> None:
    root = store.project_root
    run = store.find_run(session_id="s5")
    assert run is not None
    args = ["feedback", "add", "coach", "--run", str(run["record_id"]), "--rating", "4", "ok"]
    result = CliRunner().invoke(cli, [*args, "-t", str(root)])
    assert result.exit_code == 0, result.output
    assert store.find_run(session_id="s5")["feedback_rating"] == 4  # type: ignore[index]
    assert len(store.read_executions()) == 6
    bad = CliRunner().invoke(
        cli, ["feedback", "add", "coach", "--run", "nope", "--rating", "4", "x", "-t", str(root)]
    )
    assert bad.exit_code == 2 and "no run 'nope'" in bad.stderr


def test_an_unknown_agent_is_refused_with_the_closest_names(project: Path) -> None:
    result = CliRunner().invoke(
        cli, ["metrics", "record", "coahc", "--success", "-t", str(project)]
    )
    assert result.exit_code == 2
    assert "did you mean coach" in result.stderr and "--new" in result.stderr
    assert not (project / ".kaizen" / "metrics" / "coahc").exists()
    again = CliRunner().invoke(
        cli, ["metrics", "record", "coahc", "--success", "--new", "-t", str(project)]
    )
    assert again.exit_code == 0
    # once it has metrics it is known: no --new needed
    third = CliRunner().invoke(cli, ["metrics", "record", "coahc", "--success", "-t", str(project)])
    assert third.exit_code == 0


def _isnan(values: object) -> object:
    import numpy as np

    return np.isnan(values)  # type: ignore[call-overload]
