"""What people see of ``metrics show`` and ``list``: labelled, coloured verdicts, wrapped text."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaizen_agentic.cli import _output, cli


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def declining_history(root: Path, agent: str = "coach") -> None:
    """Two runs a day for 60 days ending now, quality falling from 0.9 to 0.3."""
    path = root / ".kaizen" / "metrics" / agent / "executions.jsonl"
    path.parent.mkdir(parents=True)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    lines = []
    for i in range(120):
        moment = now - timedelta(hours=12 * (120 - i))
        lines.append(
            {
                "agent": agent,
                "agent_version": "v1" if i < 60 else "v2",
                "record_id": f"{i:032x}",
                "success": i % 4 != 0,
                "quality_score": round(0.9 - 0.005 * i, 3),
                "cost": {"usd": 0.5, "input_tokens": 10_000, "output_tokens": 2_000},
                "source": "claude-hook" if i % 2 else "manual",
                "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))


def test_show_labels_the_quality_trend_and_shows_spend_per_agent_and_version(
    project: Path,
) -> None:
    declining_history(project)
    result = CliRunner().invoke(cli, ["metrics", "show", "coach", "-t", str(project)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    head = next(line for line in lines if line.startswith("WINDOW"))
    assert head.split() == [
        "WINDOW", "N", "SUCCESS", "Q-SCORE", "SELF-Q", "COST$/RUN", "TOKENS/RUN",
        "TIME_S", "COLLAB", "Q-TREND", "Q-P", "S-TREND", "S-P",
    ]  # fmt: skip
    row = next(line for line in lines if line.startswith("30d")).split()
    assert row[9:11] == ["declining", "<0.001"]  # never a p-value of 0
    assert "Q-TREND/Q-P: the quality trend and its p-value" in result.stdout
    assert "Cost: $60.00 over 120 runs with a cost   Tokens: 1.20M in, 240.0k out" in (
        result.stdout
    )
    assert "Runs: 60 captured, 60 manual" in result.stdout
    versions = [line.split()[:5] for line in lines if line.startswith(("VERSION", "v1", "v2"))]
    assert versions == [
        ["VERSION", "RUNS", "COST$", "COST$/RUN", "TOKENS"],
        ["v1", "60", "$30.00", "$0.50", "720.0k"],
        ["v2", "60", "$30.00", "$0.50", "720.0k"],
    ]
    assert "(▁=0 █=1; last 30 runs, oldest first; min 0.305, max 0.45)" in result.stdout
    assert "\x1b[" not in result.stdout  # not a terminal: no colour


def test_show_json_keeps_its_keys(project: Path) -> None:
    declining_history(project)
    result = CliRunner().invoke(cli, ["metrics", "show", "coach", "--json", "-t", str(project)])
    assert sorted(json.loads(result.stdout)) == [
        "last_executions",
        "measured_against",
        "recent_quality",
        "summary",
        "windows",
    ]


def test_verdicts_are_red_or_green_on_a_terminal_and_columns_stay_aligned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdout", Terminal())
    rows = [["30d", _output.verdict("declining")], ["90d", _output.verdict("improving")]]
    rows.append(["7d", _output.verdict("stable")])
    text = _output.table(["W", "Q-TREND", "P"], [[*r, "0.1"] for r in rows])
    lines = text.splitlines()
    assert lines[1] == "30d  \x1b[31mdeclining\x1b[0m  0.1"
    assert lines[2] == "90d  \x1b[32mimproving\x1b[0m  0.1"
    assert lines[3] == "7d   stable     0.1"
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in _output.table(["W", "Q-TREND"], rows)


def test_list_wraps_descriptions_at_word_boundaries_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, project: Path
) -> None:
    monkeypatch.setattr("kaizen_agentic.cli.agents.terminal_width", lambda: 90)
    wrapped = CliRunner().invoke(cli, ["list", "-t", str(project)]).stdout.splitlines()
    assert max(len(line) for line in wrapped) <= 90
    monkeypatch.setattr("kaizen_agentic.cli.agents.terminal_width", lambda: None)
    plain = CliRunner().invoke(cli, ["list", "-t", str(project)]).stdout.splitlines()
    assert len(wrapped) > len(plain)
    start = plain[0].index("DESCRIPTION")
    # the wrapped lines of each agent read back as its one-line description, word for word
    joined: list[str] = []
    for line in wrapped[1:]:
        if line[:start].strip():
            joined.append(line[start:])
        elif line.strip() and joined:
            joined[-1] += " " + line[start:]
    assert joined == [line[start:] for line in plain[1:] if line[:start].strip()]
