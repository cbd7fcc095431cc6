from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kaizen_agentic.cli import cli
from kaizen_agentic.fleet import discover_scheduled_runs, parse_roster
from kaizen_agentic.fleet.activity import render_activities
from kaizen_agentic.fleet.health import fleet_health
from kaizen_agentic.fleet.runner import due_runs, run_cycle, run_slots
from tests.fleet.helpers import HOST, make_repo, roster_entry, schedule_yaml, write_roster

MONDAY_9 = datetime(2026, 3, 30, 9, 5, tzinfo=timezone.utc)


def fleet(tmp_path: Path, count: int = 2) -> Path:
    entries = []
    for i in range(count):
        root = make_repo(
            tmp_path,
            f"repo-{i}",
            schedule_yaml(
                {
                    "coach": 'cadence: weekly, cron: "0 9 * * 1"',
                    "optimization": 'cadence: weekly, cron: "0 9 * * 1"',
                }
            ),
        )
        entries.append(roster_entry(f"repo-{i}", root))
    return write_roster(tmp_path / "roster.yaml", entries)


def runs_of(roster_file: Path, at: datetime) -> tuple[object, ...]:
    roster = parse_roster(yaml.safe_load(roster_file.read_text()), source=str(roster_file))
    return discover_scheduled_runs(None, None, at, roster=roster, host=HOST).runs


def test_a_cycle_writes_bundles_and_tasks_in_the_activity_shape(tmp_path: Path) -> None:
    roster = fleet(tmp_path)
    state = tmp_path / "state"
    report = run_cycle(runs_of(roster, MONDAY_9), state, at=MONDAY_9)  # type: ignore[arg-type]
    assert [(o.repo, o.agent, o.status) for o in report.outcomes] == [
        ("repo-0", "coach", "done"),
        ("repo-0", "optimization", "done"),
        ("repo-1", "coach", "done"),
        ("repo-1", "optimization", "done"),
    ]
    optimization = report.outcomes[1]
    assert [s.step for s in optimization.steps] == ["optimize", "prepare", "task"]
    assert [s.step for s in report.outcomes[0].steps] == ["prepare", "task"]
    task = json.loads(Path(str(report.outcomes[0].task_path)).read_text())
    assert task["title"] == "Weekly coach orientation: repo-0"
    assert task["labels"] == ["kaizen", "agent-run", "coach", "scheduled", "automated"]
    assert task["target_repo"] == "repo-0" and task["priority"] == "medium"
    assert (
        f"kaizen-agentic schedule prepare coach --target {tmp_path}/repos/repo-0"
        in task["description"]
    )
    bundle = Path(task["bundle_path"])
    assert bundle.is_absolute()
    assert bundle.read_text().startswith("# Scheduled Run Orientation: coach")
    analysis = tmp_path / "repos" / "repo-0" / ".kaizen" / "metrics" / "optimizer"
    assert json.loads((analysis / "analysis.json").read_text())["agents"] == {}  # no metrics yet


def test_a_slot_never_runs_twice_and_the_cli_says_so(tmp_path: Path) -> None:
    roster = fleet(tmp_path, 1)
    args = [
        "fleet",
        "run",
        "--roster",
        str(roster),
        "--host",
        HOST,
        "--at",
        "2026-03-30T09:05:00Z",
        "--state",
        str(tmp_path / "state"),
    ]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0 and first.stdout.count("done") == 2
    second = CliRunner().invoke(cli, args)
    assert second.exit_code == 0
    assert second.stdout.splitlines() == [
        "already run  repo-0/coach  slot 2026-03-30T09:00:00Z (not run again)",
        "already run  repo-0/optimization  slot 2026-03-30T09:00:00Z (not run again)",
    ]
    tasks = list((tmp_path / "state" / "tasks" / "repo-0").iterdir())
    assert len(tasks) == 2


def test_nothing_due_and_dry_run(tmp_path: Path) -> None:
    roster = fleet(tmp_path, 1)
    base = [
        "fleet",
        "run",
        "--roster",
        str(roster),
        "--host",
        HOST,
        "--state",
        str(tmp_path / "state"),
    ]
    result = CliRunner().invoke(cli, [*base, "--at", "2026-03-31T12:00:00Z"])
    assert result.stdout == (
        "Nothing due at 2026-03-31T12:00:00Z (2 scheduled runs; next at "
        "2026-04-06T09:00:00+00:00)\n"
    )
    result = CliRunner().invoke(cli, [*base, "--at", "2026-03-30T09:30:00Z", "--dry-run"])
    assert result.stdout.splitlines() == [
        "due  repo-0/coach  slot 2026-03-30T09:00:00Z",
        "due  repo-0/optimization  slot 2026-03-30T09:00:00Z",
    ]
    assert not (tmp_path / "state" / "tasks").exists()


def test_one_broken_repo_does_not_stop_the_others(tmp_path: Path) -> None:
    roster = fleet(tmp_path, 2)
    broken = tmp_path / "repos" / "repo-0" / ".kaizen" / "metrics" / "optimizer"
    broken.parent.mkdir(parents=True)
    broken.write_text("a file where a folder must be")
    (tmp_path / "repos" / "repo-0" / ".kaizen" / "metrics" / "coach").mkdir()
    (
        tmp_path / "repos" / "repo-0" / ".kaizen" / "metrics" / "coach" / "executions.jsonl"
    ).write_text('{"success": true, "timestamp": "2026-03-29T00:00:00Z"}\n')
    report = run_cycle(runs_of(roster, MONDAY_9), tmp_path / "state", at=MONDAY_9)  # type: ignore[arg-type]
    statuses = {(o.repo, o.agent): o.status for o in report.outcomes}
    assert statuses == {
        ("repo-0", "coach"): "done",
        ("repo-0", "optimization"): "failed",
        ("repo-1", "coach"): "done",
        ("repo-1", "optimization"): "done",
    }
    failed = report.outcomes[1].steps[0]
    assert failed.step == "optimize" and not failed.ok and failed.error
    health = fleet_health(tmp_path / "state", ["repo-0", "repo-1"])
    assert [(r.repo, r.consecutive_successes) for r in health.repos] == [
        ("repo-0", 0),
        ("repo-1", 1),
    ]
    assert health.reasons[0].startswith(
        "repo-0: 0 consecutive successful cycles, needs 3; last failure: optimization/optimize: "
    )


def test_bootstrap_exit_criterion_after_three_good_cycles(tmp_path: Path) -> None:
    roster = fleet(tmp_path, 2)
    state = tmp_path / "state"
    for week in range(3):
        at = MONDAY_9 + timedelta(weeks=week)
        run_cycle(runs_of(roster, at), state, at=at)  # type: ignore[arg-type]
        health = fleet_health(state, ["repo-0", "repo-1"])
        assert health.criterion_met is (week == 2)
    result = CliRunner().invoke(
        cli,
        [
            "fleet",
            "health",
            "--roster",
            str(roster),
            "--host",
            HOST,
            "--state",
            str(state),
            "--at",
            "2026-04-13T09:10:00Z",
            "--json",
        ],
    )
    document = json.loads(result.stdout)
    assert document["bootstrap_exit_criterion"]["met"] is True
    last = document["repos"][0]["recent_cycles"][0]
    assert [(s["agent"], s["step"], s["status"]) for s in last["steps"]] == [
        ("coach", "prepare", "completed"),
        ("coach", "task", "completed"),
        ("optimization", "optimize", "completed"),
        ("optimization", "prepare", "completed"),
        ("optimization", "task", "completed"),
    ]
    assert last["duration_s"] == pytest.approx(sum(s["duration_s"] for s in last["steps"]))
    missing = fleet_health(state, ["repo-0", "repo-1", "repo-9"])
    assert missing.reasons == ["repo-9: no cycles recorded yet"]


def test_due_runs_respect_the_grace(tmp_path: Path) -> None:
    runs = runs_of(fleet(tmp_path, 1), MONDAY_9)
    assert len(due_runs(runs, at=MONDAY_9, grace=timedelta(minutes=10))) == 2  # type: ignore[arg-type]
    assert due_runs(runs, at=MONDAY_9, grace=timedelta(minutes=4)) == []  # type: ignore[arg-type]


@pytest.mark.parametrize("cadence", ["hourly", "daily", "weekly"])
def test_activity_definitions_parse_as_yaml(tmp_path: Path, cadence: str) -> None:
    paths = render_activities(tmp_path, cadence, timezone="Europe/Berlin")
    assert [p.name for p in paths] == [
        f"kaizen-{s}-{cadence}.md"
        for s in ("metrics-optimize", "coach-orientation", "optimization-review")
    ]
    minutes = []
    for path in paths:
        text = path.read_text()
        front = yaml.safe_load(text.split("---\n")[1])
        rule = yaml.safe_load(text.split("```rule\n")[1].split("```")[0])
        assert front["enabled"] is False
        assert front["trigger"]["misfire_policy"] == "skip"
        assert front["trigger"]["timezone"] == "Europe/Berlin"
        source = front["context_sources"][0]
        assert (source["query"], source["bind_to"]) == (
            "discover_kaizen_scheduled_repos",
            "context.scheduled_runs",
        )
        assert source["params"]["cadence"] == (None if cadence == "hourly" else cadence)
        assert set(rule) == {"for_each", "bind_as", "condition", "action"}
        assert set(rule["action"]) == {
            "task_template",
            "description",
            "target_repo",
            "priority",
            "labels",
        }
        minutes.append(front["trigger"]["cron_expression"].split()[0])
    assert minutes == ["0", "15", "30"]


def test_a_cycle_decides_what_is_due_and_reports_its_progress(tmp_path: Path) -> None:
    runs = runs_of(fleet(tmp_path, count=1), MONDAY_9)
    seen: list[tuple[int, int]] = []
    dry = run_cycle(runs, tmp_path / "state", at=MONDAY_9, dry_run=True)  # type: ignore[arg-type]
    assert [(d.run.agent, d.slot_key) for d in dry.due] == [
        ("coach", "2026-03-30T09:00:00Z"),
        ("optimization", "2026-03-30T09:00:00Z"),
    ]
    assert dry.outcomes == [] and not (tmp_path / "state").exists()

    report = run_cycle(
        runs,  # type: ignore[arg-type]
        tmp_path / "state",
        at=MONDAY_9,
        grace=timedelta(minutes=10),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(0, 2), (1, 2), (2, 2)]
    assert [o.status for o in report.outcomes] == ["done", "done"]
    late = run_cycle(runs, tmp_path / "state", at=MONDAY_9, grace=timedelta(minutes=1))  # type: ignore[arg-type]
    assert late.due == [] and late.outcomes == []


def test_run_slots_runs_exactly_the_slots_it_is_given(tmp_path: Path) -> None:
    runs = runs_of(fleet(tmp_path, count=1), MONDAY_9)
    due = [d for d in due_runs(runs, at=MONDAY_9) if d.run.agent == "coach"]  # type: ignore[arg-type]
    report = run_slots(due, tmp_path / "state", at=MONDAY_9)
    assert [(o.agent, o.status) for o in report.outcomes] == [("coach", "done")]
