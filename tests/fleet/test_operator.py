"""What an operator meets trying the fleet CLI (SPEC §7): each gap found, each with a test."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from kaizen_agentic.cli import cli
from kaizen_agentic.fleet import discover_scheduled_runs, parse_roster
from kaizen_agentic.fleet.health import fleet_health
from kaizen_agentic.fleet.runner import run_cycle
from kaizen_agentic.metrics import MetricsStore, complete_record
from kaizen_agentic.schedule import schedule_path
from tests.fleet.helpers import HOST, make_repo, roster_entry, schedule_yaml, write_roster

MONDAY_9 = datetime(2026, 3, 30, 9, 5, tzinfo=timezone.utc)
WEEKLY = {"coach": 'cadence: weekly, cron: "0 9 * * 1"'}


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def fleet(tmp_path: Path, count: int = 2, domain: str = "custodian") -> Path:
    entries = [
        roster_entry(
            f"repo-{i}", make_repo(tmp_path, f"repo-{i}", schedule_yaml(WEEKLY)), domain=domain
        )
        for i in range(count)
    ]
    return write_roster(tmp_path / "roster.yaml", entries)


def discovery(roster: Path, at: datetime) -> Any:
    data = parse_roster(yaml.safe_load(roster.read_text()), source=str(roster))
    return discover_scheduled_runs(None, None, at, roster=data, host=HOST)


def three_weeks(roster: Path, state: Path) -> None:
    for weeks in (2, 1, 0):
        at = MONDAY_9 - timedelta(weeks=weeks)
        run_cycle(discovery(roster, at).runs, state, at=at)


def test_a_skipped_repo_is_stale_and_blocks_the_criterion(tmp_path: Path) -> None:
    roster, state = fleet(tmp_path), tmp_path / "state"
    three_weeks(roster, state)
    found = discovery(roster, MONDAY_9)
    healthy = fleet_health(state, ["repo-0", "repo-1"], runs=found.runs, now=MONDAY_9)
    assert healthy.criterion_met
    schedule_path(tmp_path / "repos" / "repo-1").write_text('version: "1"\nagents: {}\n')
    found = discovery(roster, MONDAY_9)
    health = fleet_health(
        state,
        sorted({r.repo for r in found.runs}),
        skipped=found.skipped,
        runs=found.runs,
        now=MONDAY_9,
    )
    assert not health.criterion_met
    stale = {r.repo: r.stale for r in health.repos}
    assert stale["repo-0"] is None
    assert str(stale["repo-1"]).startswith("skipped by discovery (schedule_invalid")
    assert health.reasons[0].startswith("repo-1: stale — skipped by discovery")
    assert health.to_dict()["repos"][1]["stale"] is True


def test_a_repo_without_a_cycle_since_its_last_slot_is_stale(tmp_path: Path) -> None:
    roster, state = fleet(tmp_path), tmp_path / "state"
    three_weeks(roster, state)
    week_later = MONDAY_9 + timedelta(days=7, hours=2)  # the next Monday's slot passed unrun
    runs = discovery(roster, week_later).runs
    health = fleet_health(state, ["repo-0", "repo-1"], runs=runs, now=week_later)
    assert not health.criterion_met
    assert health.repos[0].stale == (
        "no cycle since the slot of 2026-04-06T09:00:00Z (last cycle 2026-03-30T09:05:00Z)"
    )


def test_health_cli_shows_stale_and_never_creates_a_state_folder(tmp_path: Path) -> None:
    roster, state = fleet(tmp_path), tmp_path / "state"
    three_weeks(roster, state)
    (tmp_path / "repos" / "repo-1" / ".kaizen" / "schedule.yml").write_text("version: 9\n")
    result = invoke(
        "fleet", "health", "--roster", str(roster), "--host", HOST, "--state", str(state), "--json"
    )
    document = json.loads(result.stdout)
    assert document["bootstrap_exit_criterion"]["met"] is False
    assert [r["stale"] for r in document["repos"]] == [True, True]  # old cycles; invalid schedule
    elsewhere = tmp_path / "elsewhere" / ".kaizen-fleet"
    missing = invoke(
        "fleet", "health", "--roster", str(roster), "--host", HOST, "--state", str(elsewhere)
    )
    assert missing.exit_code == 1
    assert f"no fleet state in {elsewhere}" in missing.stderr
    assert not elsewhere.parent.exists()


def test_an_unknown_host_is_an_error_naming_the_known_hosts(tmp_path: Path) -> None:
    roster = fleet(tmp_path)
    state = ["--state", str(tmp_path / "state")]
    for args in (["discover"], ["run", *state], ["serve", *state], ["health", *state]):
        result = invoke("fleet", *args, "--roster", str(roster), "--host", "vmm")
        assert result.exit_code == 2, (args, result.output)
        assert "host 'vmm' has no checkout in the roster" in result.stderr
        assert f"hosts it names: {HOST}" in result.stderr
    query = invoke("metrics", "query", "--roster", str(roster), "--host", "vmm")
    assert query.exit_code == 2 and f"hosts it names: {HOST}" in query.stderr


def test_a_dry_run_agrees_with_a_real_run_about_already_run(tmp_path: Path) -> None:
    roster = fleet(tmp_path, 1)
    args = ["fleet", "run", "--roster", str(roster), "--host", HOST, "--state", str(tmp_path / "s")]
    at = ["--at", "2026-03-30T09:05:00Z"]
    assert (
        invoke(*args, *at, "--dry-run").stdout == "due  repo-0/coach  slot 2026-03-30T09:00:00Z\n"
    )
    assert invoke(*args, *at).exit_code == 0
    real = invoke(*args, *at).stdout
    dry = invoke(*args, *at, "--dry-run")
    assert (
        dry.stdout
        == real
        == ("already run  repo-0/coach  slot 2026-03-30T09:00:00Z (not run again)\n")
    )
    assert dry.stderr.splitlines() == [
        "1 slot due at 2026-03-30T09:05:00Z (1 scheduled runs) — dry run, nothing is run",
        "1 due: 0 would run, 1 already run, 0 failed",
    ]
    assert json.loads(invoke(*args, *at, "--dry-run", "--json").stdout)["due"][0]["status"] == (
        "already_run"
    )


def test_fleet_run_logs_a_plan_each_slot_and_a_summary_in_one_format(tmp_path: Path) -> None:
    roster = fleet(tmp_path, 2)
    args = ["fleet", "run", "--roster", str(roster), "--host", HOST, "--state", str(tmp_path / "s")]
    result = invoke(*args, "--at", "2026-03-30T09:05:00Z", "--log-format", "logfmt")
    lines = [
        dict(part.split("=", 1) for part in shlex.split(line))
        for line in result.stdout.splitlines()
    ]
    assert [line["event"] for line in lines] == ["run_started", "slot", "slot", "run_finished"]
    assert (lines[0]["scheduled"], lines[0]["due"]) == ("2", "2")
    assert [line["status"] for line in lines[1:3]] == ["done", "done"]
    assert (lines[3]["done"], lines[3]["already_run"], lines[3]["failed"]) == ("2", "0", "0")
    again = invoke(*args, "--at", "2026-03-30T09:05:00Z", "--log-format", "json")
    events = [json.loads(line) for line in again.stdout.splitlines()]
    assert [e["event"] for e in events] == ["run_started", "slot", "slot", "run_finished"]
    assert events[-1]["already_run"] == 2


def test_fleet_serve_says_what_it_will_run_in_one_format_and_stops(tmp_path: Path) -> None:
    roster = fleet(tmp_path, 1)
    exe = Path(sys.executable).parent / "kaizen-agentic"
    process = subprocess.Popen(
        [str(exe), "fleet", "serve", "--roster", str(roster), "--host", HOST,
         "--state", str(tmp_path / "state"), "--log-format", "json"],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert process.stderr is not None
    started, planned = json.loads(process.stderr.readline()), json.loads(process.stderr.readline())
    assert (started["event"], started["runs"], started["repos"], started["next"]) == (
        "started",
        1,
        1,
        "repo-0/coach",
    )
    assert (planned["event"], planned["repo"], planned["cron"]) == (
        "planned",
        "repo-0",
        "0 9 * * 1",
    )
    assert planned["next_run_at"] == started["next_run_at"]
    process.send_signal(signal.SIGTERM)
    rest = process.communicate(timeout=30)[1].splitlines()
    assert process.returncode == 0
    assert [json.loads(line)["event"] for line in rest][-1] == "stopped"  # every line JSON


def test_the_roster_domain_is_the_repos_domain_in_metrics_query(tmp_path: Path) -> None:
    roster = fleet(tmp_path, 2, domain="payments")
    for i in range(2):
        root = tmp_path / "repos" / f"repo-{i}"
        MetricsStore(root, "coach").append(
            complete_record(
                {"success": True},
                agent="coach",
                agent_version=None,
                project=root.name,
                domain=None,  # the repo's config names no domain
                environ=os.environ,
            )
        )
    args = ["metrics", "query", "--roster", str(roster), "--host", HOST, "--json"]
    rows = json.loads(invoke(*args, "--domain", "payments").stdout)
    assert [(r["project"], r["domain"], r["n"]) for r in rows] == [
        ("repo-0", "payments", 1),
        ("repo-1", "payments", 1),
    ]
    assert json.loads(invoke(*args, "--domain", "web").stdout) == []
    found = json.loads(invoke("fleet", "discover", "--roster", str(roster), "--host", HOST,
                              "--domain", "payments", "--json").stdout)  # fmt: skip
    assert len(found["scheduled_runs"]) == len(rows)


def test_activity_render_keeps_a_hand_edited_definition(tmp_path: Path) -> None:
    out = tmp_path / "activities"
    assert invoke("activity", "render", "--out", str(out)).exit_code == 0
    assert invoke("activity", "render", "--out", str(out)).exit_code == 0  # unedited: re-rendered
    coach = out / "kaizen-coach-orientation-weekly.md"
    edited = coach.read_text().replace("enabled: false", "enabled: true")
    coach.write_text(edited)
    refused = invoke("activity", "render", "--out", str(out), "--timezone", "Europe/Berlin")
    assert refused.exit_code == 1
    assert f"{coach} changed since rendered; nothing written" in refused.stderr
    assert coach.read_text() == edited
    assert "Europe/Berlin" not in (out / "kaizen-metrics-optimize-weekly.md").read_text()
    forced = invoke("activity", "render", "--out", str(out), "--force")
    assert forced.exit_code == 0
    assert "enabled: false" in coach.read_text()
