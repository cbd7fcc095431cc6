"""Meta agents work on a target (SPEC §6): choice, bundle contents, --for, quoting."""

from __future__ import annotations

import json
import shlex
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from kaizen_agentic.analysis import run_optimizer
from kaizen_agentic.cli import cli
from kaizen_agentic.fleet.resolver import ScheduledRun
from kaizen_agentic.fleet.runner import DueRun, build_task
from kaizen_agentic.metrics import MetricsStore, complete_record
from kaizen_agentic.orient.bundle import build_bundle, render_bundle_markdown
from kaizen_agentic.orient.target import Attention

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def history(root: Path, agent: str, rows: list[dict[str, Any]]) -> None:
    store = MetricsStore(root, agent)
    for i, fields in enumerate(rows):
        store.append(
            complete_record(
                fields,
                agent=agent,
                agent_version="v1",
                project=root.name,
                domain=None,
                environ={},
                now=NOW - timedelta(days=20 * (len(rows) - i) / len(rows)),
            )
        )


def two_agents(root: Path) -> None:
    """A failing code-reviewer and a healthy release-manager, analysed."""
    history(root, "code-reviewer", [{"success": i % 3 == 0} for i in range(30)])
    history(root, "release-manager", [{"success": True, "quality_score": 0.99}] * 40)
    run_optimizer(root, now=NOW)


def prepare(*args: str) -> Any:
    result = CliRunner().invoke(cli, ["schedule", "prepare", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_coach_targets_the_agent_most_in_need(project: Path) -> None:
    two_agents(project)
    document = json.loads(prepare("coach", "--json", "-t", str(project)))
    target = document["target"]
    assert target["agent"] == "code-reviewer"
    assert target["reason"].startswith("1 open recommendation, the most severe [high]")
    assert [r["rule"] for r in target["recommendations"]] == ["low_success_rate"]
    assert document["recommendations"] == target["recommendations"]  # the work to do
    assert target["metrics_summary"]["execution_count"] == 30
    assert target["ledger"][0]["state"] == "open"
    assert "Code Reviewer" in target["agent_prompt"]
    assert [d["agent"] for d in document["digest"]] == ["release-manager"]
    assert document["digest"][0]["line"].startswith(
        "release-manager: 40 runs, success 100.0%, quality trend"
    )
    text = prepare("coach", "-t", str(project))
    assert "Target: code-reviewer" in text.splitlines()
    assert "## Target: code-reviewer" in text
    assert "### Performance Summary" in text and "### Recommendation Ledger" in text
    assert "- release-manager: 40 runs" in text


def test_for_names_the_target_and_is_refused_for_other_agents(project: Path) -> None:
    two_agents(project)
    document = json.loads(
        prepare("optimization", "--for", "release-manager", "--json", "-t", str(project))
    )
    assert document["target"]["agent"] == "release-manager"
    assert document["target"]["reason"] == "chosen with --for"
    refused = CliRunner().invoke(
        cli, ["schedule", "prepare", "code-reviewer", "--for", "coach", "-t", str(project)]
    )
    assert refused.exit_code == 2
    assert "--for works on a meta agent (coach, optimization)" in refused.stderr


def test_with_no_agent_in_need_the_bundle_says_why(project: Path) -> None:
    history(project, "release-manager", [{"success": True, "quality_score": 0.99}] * 40)
    run_optimizer(project, now=NOW)
    bundle = build_bundle(project, "coach", now=NOW)
    assert bundle.target is None
    assert bundle.target_reason.startswith("no agent needs attention: 1 checked")
    assert "## Target\n\nNone: no agent needs attention" in render_bundle_markdown(bundle)
    fresh = project.parent / "fresh"
    fresh.mkdir()
    empty = build_bundle(fresh, "coach", now=NOW)
    assert empty.target_reason == "no other agent in this repo has memory or metrics yet"


def test_the_order_of_need() -> None:
    def agent(name: str, **fields: Any) -> Attention:
        base: dict[str, Any] = {
            "runs": 10,
            "success_rate": 0.9,
            "trend": "stable",
            "regressed": None,
            "open_recommendations": (),
            "declining": None,
            "miss": None,
        }
        return Attention(name, **{**base, **fields})

    high = ({"severity": "high", "rule": "declining_trend"},)
    ranked = sorted(
        [
            agent("misses", miss=("review_precision", 0.4)),
            agent("declines", declining="quality in the 30d window"),
            agent("severe", open_recommendations=high),
            agent("regressed", regressed="candidate … — regressed"),
            agent("busy-severe", open_recommendations=high, runs=50),
            agent("fine"),
        ],
        key=lambda a: tuple(-x for x in a.rank()),
    )
    assert [a.agent for a in ranked] == [
        "regressed",
        "busy-severe",  # ties on severity: the most runs first
        "severe",
        "declines",
        "misses",
        "fine",
    ]
    assert not ranked[-1].needs_attention


def test_session_close_and_task_commands_are_shell_quoted(tmp_path: Path) -> None:
    root = tmp_path / "my repo's"
    root.mkdir()
    two_agents(root)
    bundle = build_bundle(root, "coach", now=NOW)
    for command in bundle.session_close:
        assert shlex.split(command)[-1] == str(root)
    run = ScheduledRun(
        repo="web",
        root=str(root),
        agent="coach",
        cadence="weekly",
        cron="0 9 * * 1",
        timezone="UTC",
        enabled=True,
        prepare_command=f"kaizen-agentic schedule prepare coach --target {shlex.quote(str(root))}",
        next_run_at="",
    )
    task = build_task(DueRun(run, NOW), bundle, tmp_path / "bundles" / "a b.md")
    assert task["title"] == "Weekly coach orientation: web — code-reviewer"
    assert task["labels"] == [
        "kaizen",
        "agent-run",
        "coach",
        "code-reviewer",
        "scheduled",
        "automated",
    ]
    assert task["target_agent"] == "code-reviewer"
    assert f"bundle: {shlex.quote(str(tmp_path / 'bundles' / 'a b.md'))}" in task["description"]
