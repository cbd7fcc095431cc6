from __future__ import annotations

import json
import re
import shlex
import subprocess
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


def test_the_demo_closes_the_loop(tmp_path: Path) -> None:
    report = run_demo(tmp_path / "demo")
    # Plan, Do, Check: raised on the old prompt, addressed by the edit, verified by compare
    (edited,) = report.ledger["payments-api/tdd-workflow"]
    assert [h["state"] for h in edited["history"]] == ["open", "addressed", "verified"]
    assert edited["raised_on"] != edited["candidate"]
    assert report.comparison["candidate"]["version"] == edited["candidate"]
    assert report.recommendations["payments-api/tdd-workflow"] == []  # consistent with "improved"
    assert {e["state"] for e in report.ledger["web-frontend/code-reviewer"]} == {"open"}
    # the coach targets the declining agent, and its task says so
    assert report.coach["title"].endswith("web-frontend — code-reviewer")
    assert "code-reviewer" in report.coach["labels"]


def test_the_web_frontend_coach_bundle_names_its_target_and_evidence(tmp_path: Path) -> None:
    report = run_demo(tmp_path / "demo")
    markdown = Path(report.coach["bundle_path"]).read_text()
    assert "Target: code-reviewer" in markdown.splitlines()
    target_part = markdown.split("## Target: code-reviewer", 1)[1]
    assert "[high] declining_trend" in target_part
    assert "- Trend: success stable, quality down" in target_part
    # the window's run count depends on the hour the demo runs at: the row, not its n
    assert re.search(r"^\| 30d \| \d+ \|", target_part, re.M) and "| declining |" in target_part
    root = report.directory / "repos" / "web-frontend"
    result = CliRunner().invoke(cli, ["schedule", "prepare", "coach", "--json", "-t", str(root)])
    document = json.loads(result.stdout)
    target = document["target"]
    assert target["agent"] == "code-reviewer"
    open_rules = {r["rule"] for r in report.recommendations["web-frontend/code-reviewer"]}
    assert {r["rule"] for r in target["recommendations"]} == open_rules
    assert {e["rule"] for e in target["ledger"] if e["state"] == "open"} == open_rules
    assert target["metrics_summary"]["trend"]["quality_score"] == "down"
    assert document["digest"] == []  # the only agent with memory or metrics in that repo


def test_demo_cli_output_and_refusal_of_a_foreign_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path / "demo")])
    assert result.exit_code == 0
    out = result.stdout
    assert "web-frontend/code-reviewer: quality trend down" in out
    assert "[high] declining_trend" in out
    assert "— improved" in out
    assert "kaizen-agentic metrics show code-reviewer" in out
    assert f"the HTML report:     {(tmp_path / 'demo' / 'report.html').resolve()}" in out
    # one story: the improved agent has nothing open, its recommendation is verified
    assert "payments-api/tdd-workflow: quality trend stable, 0 open recommendations" in out
    assert "payments-api/tdd-workflow: verified  [medium] low_success_rate" in out
    assert "6. The coach's next task: Weekly coach orientation: web-frontend — code-reviewer" in out
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


def test_the_look_at_next_commands_work_when_pasted(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path / "demo")])
    commands = [
        line.split(":", 1)[1].strip()
        for line in result.stdout.split("Look at next", 1)[1].splitlines()
        if line.startswith("  - ") and "HTML report" not in line
    ]
    assert len(commands) == 6
    for command in commands:
        done = subprocess.run(shlex.split(command), capture_output=True, text=True, check=False)
        assert done.returncode == 0, (command, done.stderr)
