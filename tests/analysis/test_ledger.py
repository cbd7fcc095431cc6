"""The recommendation ledger walked through every state on generated data (SPEC §4)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaizen_agentic.agents import AgentRegistry
from kaizen_agentic.analysis import run_optimizer
from kaizen_agentic.analysis.ledger import (
    dismiss,
    open_recommendations,
    read_ledger,
    recommendation_ledger,
)
from kaizen_agentic.cli import cli
from kaizen_agentic.errors import InvalidInputError
from kaizen_agentic.metrics import MetricsStore, complete_record

NOW = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
RAISED = NOW - timedelta(days=10)


def write_prompt(root: Path, body: str) -> str:
    """agents/agent-reviewer.md with *body*; returns its agent_version."""
    path = root / "agents" / "agent-reviewer.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "---\nname: reviewer\ndescription: Reviews.\ncategory: quality\nversion: 1.0.0\n"
        "metrics:\n  primary: {name: review_quality, target: 0.5, direction: higher}\n"
        f"idempotency: Safe.\noptimization: Quality.\n---\n# Reviewer\n{body}\n"
    )
    version = AgentRegistry(root).agent_version("reviewer")
    assert version is not None
    return version


def runs(root: Path, version: str, successes: list[bool], start: datetime, days: float) -> None:
    store = MetricsStore(root, "reviewer")
    for i, success in enumerate(successes):
        store.append(
            complete_record(
                {"success": success, "quality_score": 0.8, "execution_time_s": 5.0},
                agent="reviewer",
                agent_version=version,
                project="p",
                domain=None,
                environ={},
                now=start + timedelta(days=days * i / len(successes)),
            )
        )


def raise_low_success(root: Path, rate_of_ten: int) -> str:
    """30 runs of the first prompt with that many successes in ten, then optimize."""
    v1 = write_prompt(root, "Review the diff.")
    pattern = [i < rate_of_ten for i in range(10)] * 3
    runs(root, v1, pattern, RAISED - timedelta(days=10), 9.5)
    run_optimizer(root, now=RAISED)
    (entry,) = [e for e in read_ledger(root, "reviewer") if e.rule == "low_success_rate"]
    assert (entry.state, entry.raised_on, entry.raised_at) == ("open", v1, "2026-05-22T12:00:00Z")
    return v1


def states(root: Path) -> dict[tuple[str, str | None], list[str]]:
    return {
        (e.rule, e.raised_on): [h["state"] for h in e.to_dict()["history"]]
        for e in recommendation_ledger(root, "reviewer", now=NOW)
    }


def test_open_addressed_verified(project: Path) -> None:
    v1 = raise_low_success(project, 5)
    assert [r["rule"] for r in open_recommendations(project, "reviewer")] == ["low_success_rate"]
    v2 = write_prompt(project, "Review the diff. Run the linter before you start.")
    runs(project, v2, [True] * 4, RAISED + timedelta(days=1), 1)
    assert states(project) == {("low_success_rate", v1): ["open", "addressed"]}  # 4 runs: too few
    runs(project, v2, [True] * 26, RAISED + timedelta(days=2), 7)
    run_optimizer(project, now=NOW)
    (entry,) = recommendation_ledger(project, "reviewer", now=NOW)
    assert entry.to_dict()["history"][1:] == [
        {
            "state": "addressed",
            "at": "2026-05-23T12:00:00Z",  # the first run of the new version
            "note": "a new prompt version has runs",
            "candidate": v2,
        },
        {
            "state": "verified",
            "at": "2026-06-01T12:00:00Z",
            "note": entry.history[-1].note,
            "candidate": v2,
        },
    ]
    assert entry.raised_on == v1 and "improved" in entry.history[-1].note
    # a closed entry leaves the open list, and re-deriving records nothing twice
    assert open_recommendations(project, "reviewer") == []
    lines = (project / ".kaizen/metrics/optimizer/recommendations.jsonl").read_text()
    recommendation_ledger(project, now=NOW + timedelta(days=1))
    assert (project / ".kaizen/metrics/optimizer/recommendations.jsonl").read_text() == lines


def test_open_addressed_regressed_raises_a_revert(project: Path) -> None:
    v1 = raise_low_success(project, 7)
    v2 = write_prompt(project, "Review only the first file.")
    runs(project, v2, [False] * 27 + [True] * 3, RAISED + timedelta(days=1), 8)
    result = run_optimizer(project, now=NOW)
    assert states(project) == {
        ("low_success_rate", v1): ["open", "addressed", "regressed"],
        ("low_success_rate", v2): ["open"],  # the new prompt is judged on its own runs
        ("revert", v2): ["open"],
    }
    (revert,) = [r for r in result.analyses[0].recommendations if r.rule == "revert"]
    assert (revert.severity, revert.evidence["to_version"], revert.evidence["from_version"]) == (
        "high",
        v1,
        v2,
    )
    assert f"Revert agents/agent-reviewer.md to version {v1[:12]}" in revert.action
    assert "revert" in [r["rule"] for r in open_recommendations(project, "reviewer")]
    saved = json.loads((project / ".kaizen/metrics/optimizer/analysis.json").read_text())
    assert "revert" in [r["rule"] for r in saved["agents"]["reviewer"]["recommendations"]]


def test_dismissed_with_a_reason_and_refused_twice(project: Path) -> None:
    raise_low_success(project, 5)
    (entry,) = read_ledger(project, "reviewer")
    result = CliRunner().invoke(
        cli,
        [
            "metrics",
            "recommendations",
            "dismiss",
            entry.id,
            "--why",
            "the failures were a CI outage",
            "-t",
            str(project),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["state"] == "dismissed"
    assert shown["history"][-1]["note"] == "the failures were a CI outage"
    assert open_recommendations(project, "reviewer") == []
    with pytest.raises(InvalidInputError, match="already dismissed"):
        dismiss(project, entry.id, "again")
    again = CliRunner().invoke(
        cli, ["metrics", "recommendations", "dismiss", "nope", "--why", "x", "-t", str(project)]
    )
    assert again.exit_code == 2
    assert "recommendation nope is not in the ledger" in again.stderr


def test_recommendations_cli_lists_and_filters_by_state(project: Path) -> None:
    raise_low_success(project, 5)
    listed = CliRunner().invoke(
        cli, ["metrics", "recommendations", "reviewer", "--state", "open", "-t", str(project)]
    )
    assert listed.exit_code == 0, listed.output
    header, row = listed.stdout.splitlines()
    assert header.split() == [
        "ID",
        "AGENT",
        "RULE",
        "SEVERITY",
        "STATE",
        "RAISED",
        "ON",
        "SINCE",
        "BY",
    ]
    assert row.split()[1:5] == ["reviewer", "low_success_rate", "medium", "open"]
    none = CliRunner().invoke(
        cli, ["metrics", "recommendations", "--state", "verified", "-t", str(project), "--json"]
    )
    assert json.loads(none.stdout) == {"recommendations": []}
    bad = CliRunner().invoke(cli, ["metrics", "recommendations", "a", "b", "-t", str(project)])
    assert bad.exit_code == 2
