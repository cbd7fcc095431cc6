from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kaizen_agentic.cli import cli
from kaizen_agentic.demo import run_demo
from kaizen_agentic.errors import KaizenError


def test_demo_tells_the_three_stories(tmp_path: Path) -> None:
    report = run_demo(tmp_path / "demo")
    assert report.scheduled_runs == 6
    assert {o["status"] for o in report.outcomes} == {"done"}
    assert report.trends == {
        "payments-api/tdd-workflow": "stable",
        "web-frontend/code-reviewer": "down",
        "data-pipeline/release-manager": "stable",
    }
    declining = {r["rule"] for r in report.recommendations["web-frontend/code-reviewer"]}
    assert "declining_trend" in declining
    assert report.recommendations["data-pipeline/release-manager"] == []
    assert report.comparison["verdict"] == "improved"
    assert report.health["bootstrap_exit_criterion"]["met"] is True


def test_demo_cli_output_and_refusal_of_a_foreign_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path / "demo")])
    assert result.exit_code == 0
    out = result.stdout
    assert "web-frontend/code-reviewer: quality trend down" in out
    assert "[high] declining_trend" in out
    assert "— improved" in out
    assert "kaizen-agentic metrics show code-reviewer" in out
    assert f"the HTML report:     {(tmp_path / 'demo' / 'report.html').resolve()}" in out
    again = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path / "demo")])
    assert again.exit_code == 0  # an earlier demo is replaced
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(KaizenError, match="not an earlier demo"):
        run_demo(foreign)
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_demo_runs_are_captured_from_transcripts(tmp_path: Path) -> None:
    from kaizen_agentic.metrics import MetricsStore

    report = run_demo(tmp_path / "demo")
    root = report.directory / "repos" / "web-frontend"
    runs = MetricsStore(root, "code-reviewer").read_executions()
    assert len(runs) == 180
    assert {r["source"] for r in runs} == {"claude-transcript"}
    assert all(r["cost"]["usd"] > 0 and r["cost"]["output_tokens"] > 0 for r in runs)
    assert all("quality_score" in r for r in runs)  # attached to each captured run
    transcripts = list((report.directory / "claude" / "projects").rglob("agent-*.jsonl"))
    assert len(transcripts) == 3 * 180
