"""The embedded scheduler behind ``fleet serve`` (SPEC §7).

Each tick it re-reads the roster and every schedule (so a new schedule.yml
is picked up without a restart), finds the slots that fell due since the
previous tick, runs those within the grace period and skips older ones
(misfire policy ``skip``; ``run_latest`` runs the newest missed slot once).
The previous tick is kept in the state database, so a restart neither
repeats a slot (slots are claimed there too) nor silently forgets one.
The clock is injectable: tests drive hours of schedule in milliseconds.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol

from kaizen_agentic._time import format_timestamp, parse_timestamp
from kaizen_agentic.errors import InvalidInputError, KaizenError
from kaizen_agentic.fleet.resolver import ScheduledRun
from kaizen_agentic.fleet.runner import CycleReport, DueRun, run_slots
from kaizen_agentic.fleet.state import FleetState
from kaizen_agentic.schedule import fire_times, next_run, resolve_timezone

MISFIRE_POLICIES = ("skip", "run_latest")
LAST_TICK = "scheduler.last_tick"
logger = logging.getLogger("kaizen_agentic.fleet")


class Clock(Protocol):
    """Where the scheduler gets time from, and how it waits."""

    def now(self) -> datetime: ...

    def sleep(self, seconds: float, stop: threading.Event) -> None:
        """Wait *seconds*, returning early once *stop* is set."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def sleep(self, seconds: float, stop: threading.Event) -> None:
        stop.wait(max(seconds, 0.0))


Discover = Callable[[datetime], Sequence[ScheduledRun]]


class EmbeddedScheduler:
    """Fires each ``(repo, agent)`` on its cron, in its time zone, at most once per slot."""

    def __init__(
        self,
        discover: Discover,
        state_dir: Path,
        *,
        clock: Clock | None = None,
        grace: timedelta = timedelta(minutes=5),
        misfire: str = "skip",
        max_sleep: timedelta = timedelta(seconds=60),
        on_cycle: Callable[[CycleReport], None] | None = None,
    ) -> None:
        if misfire not in MISFIRE_POLICIES:
            raise InvalidInputError(
                f"misfire policy {misfire!r} is unknown; use {' or '.join(MISFIRE_POLICIES)}"
            )
        if grace < timedelta(0):
            raise InvalidInputError("grace must not be negative")
        self.discover, self.state_dir = discover, state_dir
        self.clock: Clock = clock or SystemClock()
        self.grace, self.misfire, self.max_sleep = grace, misfire, max_sleep
        self.on_cycle = on_cycle
        self._runs: Sequence[ScheduledRun] = ()

    def tick(self) -> CycleReport | None:
        """Run what fell due since the last tick; None when nothing did."""
        now = self.clock.now()
        state = FleetState(self.state_dir)
        try:
            stored = state.get_setting(LAST_TICK)
            since = parse_timestamp(stored) if stored else now - self.grace
            runs = self._runs = self.discover(now)
            due = self._due(runs, since, now)
            state.set_setting(LAST_TICK, format_timestamp(now))
        finally:
            state.close()
        if not due:
            return None
        report = run_slots(due, self.state_dir, at=now)
        if self.on_cycle is not None:
            self.on_cycle(report)
        return report

    def serve(self, stop: threading.Event) -> None:
        """Tick until *stop* is set, sleeping until the next fire time (at most max_sleep)."""
        while not stop.is_set():
            try:
                self.tick()
            except KaizenError as error:  # e.g. a roster mid-edit: report, retry next tick
                _log("tick_failed", error=error.message)
            if stop.is_set():
                break
            self.clock.sleep(self._seconds_to_next(), stop)

    def _due(self, runs: Sequence[ScheduledRun], since: datetime, now: datetime) -> list[DueRun]:
        due = []
        for run in runs:
            slots = fire_times(run.cron, resolve_timezone(run.timezone), since, now)
            fresh = [s for s in slots if now - s <= self.grace]
            missed = [s for s in slots if now - s > self.grace]
            for slot in missed:
                _log(
                    "slot_missed",
                    repo=run.repo,
                    agent=run.agent,
                    slot=format_timestamp(slot),
                    policy=self.misfire,
                )
            if fresh:
                due.append(DueRun(run, fresh[-1]))
            elif missed and self.misfire == "run_latest":
                due.append(DueRun(run, missed[-1]))
        return due

    def _seconds_to_next(self) -> float:
        now = self.clock.now()
        horizon = now + self.max_sleep
        upcoming = [next_run(r.cron, now, resolve_timezone(r.timezone)) for r in self._runs]
        target = min([horizon, *upcoming])
        return max((target - now).total_seconds(), 0.0)


def _log(event: str, **fields: str) -> None:
    logger.warning(json.dumps({"event": event, **fields}, sort_keys=True))
