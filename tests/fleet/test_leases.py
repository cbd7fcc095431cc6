"""A slot being run is held by a lease: concurrent runners never execute it twice."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from kaizen_agentic.fleet.health import fleet_health
from kaizen_agentic.fleet.state import FleetState
from tests.fleet.helpers import HOST, make_repo, roster_entry, schedule_yaml, write_roster

AT = "2026-03-30T09:05:00Z"
SLOT = "2026-03-30T09:00:00Z"


def fleet(tmp_path: Path, count: int) -> Path:
    entries = []
    for i in range(count):
        schedule = schedule_yaml(
            {
                "coach": 'cadence: weekly, cron: "0 9 * * 1"',
                "optimization": 'cadence: weekly, cron: "0 9 * * 1"',
            }
        )
        entries.append(roster_entry(f"repo-{i}", make_repo(tmp_path, f"repo-{i}", schedule)))
    return write_roster(tmp_path / "roster.yaml", entries)


def test_two_fleet_runs_at_once_execute_every_slot_exactly_once(tmp_path: Path) -> None:
    roster = fleet(tmp_path, 8)
    state = tmp_path / "state"
    FleetState(state).close()  # both runners find the database made
    command = [
        sys.executable,
        "-c",
        "from kaizen_agentic.cli import main; main()",
        "fleet",
        "run",
        "--once",
        "--roster",
        str(roster),
        "--host",
        HOST,
        "--at",
        AT,
        "--state",
        str(state),
    ]
    runners = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    results = [runner.communicate(timeout=300) for runner in runners]
    assert [runner.returncode for runner in runners] == [0, 0, 0], results
    with sqlite3.connect(state / "state.sqlite") as db:
        executed = db.execute(
            "SELECT repo, agent, slot, count(*) FROM steps WHERE step = 'task' "
            "GROUP BY repo, agent, slot"
        ).fetchall()
        statuses = {row[0] for row in db.execute("SELECT status FROM slots")}
    assert len(executed) == 16
    assert {count for *_, count in executed} == {1}
    assert statuses == {"done"}
    done_lines = sum(out.count(f"slot {SLOT} ->") for out, _ in results)
    assert done_lines == 16
    health = fleet_health(state, {f"repo-{i}" for i in range(8)})
    for repo in health.repos:
        assert sum(len(c["steps"]) for c in repo.recent) == 5  # coach 2 + optimization 3


def test_a_live_lease_is_respected_and_an_expired_one_taken_over(tmp_path: Path) -> None:
    first, second = FleetState(tmp_path), FleetState(tmp_path)
    first.owner = "elsewhere:1:a"  # a runner on another host: only its expiry frees the slot
    try:
        assert first.claim_slot("r", "coach", SLOT, "c1", "2026-03-30T09:00:00Z") == "claimed"
        assert second.claim_slot("r", "coach", SLOT, "c2", "2026-03-30T09:29:00Z") == "held"
        assert second.claim_slot("r", "coach", SLOT, "c2", "2026-03-30T09:31:00Z") == "claimed"
        # the first runner lost its lease: its late result does not overwrite the new owner's
        assert not first.finish_slot("r", "coach", SLOT, ok=True, task_path=None, now=AT)
        assert second.finish_slot("r", "coach", SLOT, ok=True, task_path="t", now=AT)
        assert first.claim_slot("r", "coach", SLOT, "c3", "2026-03-30T12:00:00Z") == "done"
    finally:
        first.close()
        second.close()


def test_a_lease_of_a_dead_process_on_this_host_is_taken_over_at_once(tmp_path: Path) -> None:
    import socket

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    first, second = FleetState(tmp_path), FleetState(tmp_path)
    first.owner = f"{socket.gethostname()}:{dead.stdout.strip()}:x"
    try:
        assert first.claim_slot("r", "coach", SLOT, "c1", "2026-03-30T09:00:00Z") == "claimed"
        assert second.claim_slot("r", "coach", SLOT, "c2", "2026-03-30T09:01:00Z") == "claimed"
    finally:
        first.close()
        second.close()


def test_a_state_database_from_before_leases_gains_the_columns(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "state.sqlite") as db:
        db.execute(
            "CREATE TABLE slots (repo TEXT NOT NULL, agent TEXT NOT NULL, slot TEXT NOT NULL, "
            "status TEXT NOT NULL, cycle TEXT, task_path TEXT, updated_at TEXT NOT NULL, "
            "PRIMARY KEY (repo, agent, slot))"
        )
        db.execute(
            "INSERT INTO slots VALUES ('r', 'coach', ?, 'running', 'c', NULL, ?)", (SLOT, AT)
        )
    state = FleetState(tmp_path)
    try:
        # a claim from before leases has no owner to wait for
        assert state.claim_slot("r", "coach", SLOT, "c2", AT) == "claimed"
    finally:
        state.close()
