from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kaizen_agentic.fleet import ScheduledRun, discover_scheduled_runs, load_roster
from kaizen_agentic.fleet.runner import CycleReport
from kaizen_agentic.fleet.scheduler import EmbeddedScheduler
from tests.fleet.helpers import HOST, make_repo, roster_entry, schedule_yaml, write_roster


class FakeClock:
    """The one fake the suite allows: time itself."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def sleep(self, seconds: float, stop: threading.Event) -> None:
        self.current += timedelta(seconds=seconds)

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def setup(tmp_path: Path, agents: dict[str, str], zone: str = "UTC") -> Path:
    root = make_repo(tmp_path, "repo-a", schedule_yaml(agents, zone))
    return write_roster(tmp_path / "roster.yaml", [roster_entry("repo-a", root)])


def discoverer(roster: Path):  # type: ignore[no-untyped-def]
    def discover(now: datetime) -> Sequence[ScheduledRun]:
        return discover_scheduled_runs(None, None, now, roster=load_roster(roster), host=HOST).runs

    return discover


def fired(reports: list[CycleReport]) -> list[str]:
    return [f"{o.agent}@{o.slot}" for r in reports for o in r.outcomes if o.status == "done"]


def scheduler(
    tmp_path: Path, roster: Path, clock: FakeClock, reports: list[CycleReport], **options: object
) -> EmbeddedScheduler:
    return EmbeddedScheduler(
        discoverer(roster), tmp_path / "state", clock=clock, on_cycle=reports.append, **options
    )  # type: ignore[arg-type]


def test_fires_daily_0230_berlin_across_both_dst_changes(tmp_path: Path) -> None:
    roster = setup(tmp_path, {"coach": 'cadence: daily, cron: "30 2 * * *"'}, "Europe/Berlin")
    clock = FakeClock(datetime(2026, 3, 27, 12, tzinfo=timezone.utc))
    reports: list[CycleReport] = []
    sched = scheduler(tmp_path, roster, clock, reports)
    while clock.now() < datetime(2026, 3, 31, 12, tzinfo=timezone.utc):
        sched.tick()
        clock.advance(minutes=1)
    # 28th at 02:30 CET (01:30Z); the 29th has no 02:30; the 30th at 02:30 CEST (00:30Z)
    assert fired(reports) == [
        "coach@2026-03-28T01:30:00Z",
        "coach@2026-03-30T00:30:00Z",
        "coach@2026-03-31T00:30:00Z",
    ]
    reports.clear()
    clock.current = datetime(2026, 10, 24, 12, tzinfo=timezone.utc)
    while clock.now() < datetime(2026, 10, 26, 12, tzinfo=timezone.utc):
        sched.tick()
        clock.advance(minutes=1)
    # the repeated 02:30 on the 25th fires once, at the second occurrence (CET, 01:30Z)
    assert fired(reports) == ["coach@2026-10-25T01:30:00Z", "coach@2026-10-26T01:30:00Z"]


def test_serve_sleeps_until_the_next_slot(tmp_path: Path) -> None:
    roster = setup(tmp_path, {"coach": 'cadence: daily, cron: "0 6 * * *"'})
    clock = FakeClock(datetime(2026, 5, 1, 0, tzinfo=timezone.utc))
    reports: list[CycleReport] = []
    stop = threading.Event()

    def on_cycle(report: CycleReport) -> None:
        reports.append(report)
        if len(reports) == 3:
            stop.set()

    EmbeddedScheduler(
        discoverer(roster),
        tmp_path / "state",
        clock=clock,
        on_cycle=on_cycle,
        max_sleep=timedelta(hours=6),
    ).serve(stop)
    assert fired(reports) == [
        "coach@2026-05-01T06:00:00Z",
        "coach@2026-05-02T06:00:00Z",
        "coach@2026-05-03T06:00:00Z",
    ]


def test_a_missed_slot_beyond_the_grace_is_skipped_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    roster = setup(tmp_path, {"coach": 'cadence: daily, cron: "0 6 * * *"'})
    clock = FakeClock(datetime(2026, 5, 1, 5, tzinfo=timezone.utc))
    reports: list[CycleReport] = []
    sched = scheduler(tmp_path, roster, clock, reports, grace=timedelta(minutes=5))
    sched.tick()
    clock.advance(hours=2)  # the process was asleep (or down) across 06:00
    with caplog.at_level("WARNING", logger="kaizen_agentic.fleet"):
        assert sched.tick() is None
    assert reports == []
    assert (
        '"event": "slot_missed"' in caplog.text and '"slot": "2026-05-01T06:00:00Z"' in caplog.text
    )
    late = scheduler(
        tmp_path, roster, clock, reports, grace=timedelta(minutes=5), misfire="run_latest"
    )
    clock.current = datetime(2026, 5, 2, 8, tzinfo=timezone.utc)
    late.tick()
    assert fired(reports) == ["coach@2026-05-02T06:00:00Z"]


def test_no_double_fire_across_a_restart(tmp_path: Path) -> None:
    roster = setup(tmp_path, {"coach": 'cadence: daily, cron: "0 6 * * *"'})
    clock = FakeClock(datetime(2026, 5, 1, 6, 1, tzinfo=timezone.utc))
    reports: list[CycleReport] = []
    scheduler(tmp_path, roster, clock, reports).tick()
    restarted = scheduler(tmp_path, roster, clock, reports)  # same state directory
    clock.advance(minutes=1)
    restarted.tick()
    restarted.tick()
    assert fired(reports) == ["coach@2026-05-01T06:00:00Z"]


def test_a_new_schedule_is_picked_up_without_restart(tmp_path: Path) -> None:
    roster = setup(tmp_path, {"coach": 'cadence: daily, cron: "0 6 * * *"'})
    clock = FakeClock(datetime(2026, 5, 1, 5, tzinfo=timezone.utc))
    reports: list[CycleReport] = []
    sched = scheduler(tmp_path, roster, clock, reports)
    sched.tick()
    schedule = tmp_path / "repos" / "repo-a" / ".kaizen" / "schedule.yml"
    schedule.write_text(
        schedule_yaml(
            {
                "coach": 'cadence: daily, cron: "0 6 * * *"',
                "optimization": 'cadence: daily, cron: "0 6 * * *"',
            }
        )
    )
    clock.advance(hours=1, minutes=1)
    sched.tick()
    assert sorted(fired(reports)) == [
        "coach@2026-05-01T06:00:00Z",
        "optimization@2026-05-01T06:00:00Z",
    ]


def test_sigterm_stops_fleet_serve_promptly(tmp_path: Path) -> None:
    roster = setup(tmp_path, {"coach": 'cadence: daily, cron: "0 6 * * *"'})
    exe = Path(sys.executable).parent / "kaizen-agentic"
    process = subprocess.Popen(
        [
            str(exe),
            "fleet",
            "serve",
            "--roster",
            str(roster),
            "--host",
            HOST,
            "--state",
            str(tmp_path / "state"),
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert process.stderr is not None
    assert "fleet serve" in process.stderr.readline()
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)
    assert process.returncode == 0
    assert "stopped" in process.stderr.read()
