"""The events a fleet run writes: one ``kaizen.schedule.prepared`` per slot (SPEC §8)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from kaizen_agentic.events import derived_event_id, list_events
from kaizen_agentic.fleet.resolver import ScheduledRun
from kaizen_agentic.fleet.runner import DueRun, execute_run
from tests.fleet.helpers import make_repo, schedule_yaml


def test_a_retried_slot_writes_one_prepared_event_naming_the_slot(tmp_path: Path) -> None:
    root = make_repo(
        tmp_path, "ev-a", schedule_yaml({"coach": 'cadence: weekly, cron: "0 9 * * 1"'})
    )
    run = ScheduledRun("ev-a", str(root), "coach", "weekly", "0 9 * * 1", "UTC", True, "x", "y")
    monday = DueRun(run, datetime(2026, 11, 30, 9, tzinfo=timezone.utc))
    next_monday = DueRun(run, datetime(2026, 12, 7, 9, tzinfo=timezone.utc))
    state = tmp_path / "state"

    # A retry (a worker died after the bundle) runs the same slot again.
    outcomes = [execute_run(due, state) for due in (monday, monday, next_monday)]

    assert [o.status for o in outcomes] == ["done", "done", "done"]
    prepared = [e for e in list_events(root) if e["event"] == "kaizen.schedule.prepared"]
    assert [(e["slot"], e["agent"], e["cadence"]) for e in prepared] == [
        ("2026-11-30T09:00:00Z", "coach", "weekly"),
        ("2026-12-07T09:00:00Z", "coach", "weekly"),
    ]
    assert prepared[0]["event_id"] == derived_event_id(
        "kaizen.schedule.prepared", "ev-a\0coach\x002026-11-30T09:00:00Z"
    )
