"""A repo's schedule checked against the agents that repo can run, and its upcoming runs (SPEC §6).

Every reader that acts on a repo's schedule — ``schedule validate``,
``schedule list`` and fleet discovery — goes through
:func:`check_repo_schedule`, so "an agent must be known" is one rule: the
packaged catalog plus the repo's own agents.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kaizen_agentic.agents import AgentRegistry
from kaizen_agentic.schedule.cron import next_run
from kaizen_agentic.schedule.errors import ScheduleError
from kaizen_agentic.schedule.manifest import (
    ScheduleEntry,
    ScheduleReport,
    check_schedule,
    schedule_path,
)


def known_agents(root: Path, *, catalog: Iterable[str] | None = None) -> frozenset[str]:
    """The agents *root* can run: the packaged catalog and the repo's own.

    *catalog* is the catalog's names when the caller already has them (the
    catalog is the same for every repo; a fleet lists it once).
    """
    registry = AgentRegistry(root)
    names = registry.catalog_names() if catalog is None else catalog
    return frozenset(names) | frozenset(registry.project_names())


def check_repo_schedule(root: Path, *, catalog: Iterable[str] | None = None) -> ScheduleReport:
    """Load and validate *root*'s ``.kaizen/schedule.yml`` against :func:`known_agents`.

    Raises :class:`ScheduleNotFoundError` when the repo has no schedule.
    """
    return check_schedule(schedule_path(root), known_agents(root, catalog=catalog))


@dataclass(frozen=True)
class ScheduledAgent:
    """One entry of a schedule and its next run (None for a disabled entry)."""

    entry: ScheduleEntry
    next_run: datetime | None

    def to_dict(self) -> dict[str, Any]:
        shown = self.next_run.isoformat() if self.next_run is not None else None
        return {**self.entry.to_dict(), "next_run": shown}


@dataclass(frozen=True)
class ScheduleListing:
    """A valid schedule's entries in file order, with next runs in its time zone."""

    path: Path
    timezone: str
    agents: tuple[ScheduledAgent, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "timezone": self.timezone,
            "agents": [agent.to_dict() for agent in self.agents],
        }


def list_schedule(
    root: Path, *, include_disabled: bool = False, after: datetime | None = None
) -> ScheduleListing:
    """*root*'s enabled entries (all with *include_disabled*) and their next run after *after*.

    *after* defaults to now; a naive *after* is read in the schedule's time
    zone. Raises :class:`ScheduleNotFoundError` without a schedule and
    :class:`ScheduleError` naming the first problem of an invalid one.
    """
    report = check_repo_schedule(root)
    schedule = report.schedule
    if schedule is None or report.problems:
        raise ScheduleError(
            f"{report.path} has {len(report.problems)} problem(s), the first: "
            f"{report.problems[0]}; run: kaizen-agentic schedule validate"
        )
    zone = schedule.zone
    if after is None:
        after = datetime.now(timezone.utc)
    elif after.tzinfo is None:
        after = after.replace(tzinfo=zone)
    entries = schedule.agents.values() if include_disabled else schedule.enabled_entries()
    agents = tuple(
        ScheduledAgent(entry, next_run(entry, after, zone) if entry.enabled else None)
        for entry in entries
    )
    return ScheduleListing(report.path, schedule.timezone, agents)


__all__ = [
    "ScheduleListing",
    "ScheduledAgent",
    "check_repo_schedule",
    "known_agents",
    "list_schedule",
]
