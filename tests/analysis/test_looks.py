"""Each look at new evidence spends alpha; the same evidence is the same look."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from click.testing import CliRunner

from kaizen_agentic.analysis.comparison import alpha_at_look
from kaizen_agentic.cli import cli
from kaizen_agentic.metrics import MetricsStore, complete_record

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


def record(root: Path, version: str, day: int, success: bool = True) -> None:
    MetricsStore(root, "coach").append(
        complete_record(
            {"success": success, "quality_score": 0.7, "agent_version": version},
            agent="coach",
            agent_version=None,
            project="p",
            domain=None,
            environ={},
            now=NOW + timedelta(days=day, minutes=len(version)),
        )
    )


def compare(root: Path) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["metrics", "compare", "coach", "--json", "-t", str(root)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_looks_count_new_evidence_only(project: Path) -> None:
    for day in range(12):
        record(project, "v-old", day, success=day % 4 != 0)
    for day in range(12, 24):
        record(project, "v-new", day)
    first = compare(project)
    again = compare(project)
    assert (first["looks"], again["looks"]) == (1, 1)  # nothing new: the same look
    record(project, "v-new", 25)
    later = compare(project)
    assert later["looks"] == 2
    assert "look 2" in str(later["method"])
    assert later["design"] == "near-switch"
    # the optimizer's look at the same evidence is the same look
    result = CliRunner().invoke(cli, ["metrics", "optimize", "coach", "--json", "-t", str(project)])
    assert result.exit_code == 0, result.output
    assert compare(project)["looks"] == 2


def test_later_looks_spend_less_alpha() -> None:
    spent = [alpha_at_look(0.05, k) for k in range(1, 11)]
    assert spent == sorted(spent, reverse=True)
    assert sum(alpha_at_look(0.05, k) for k in range(1, 10_000)) < 0.05
