"""Which ``(repo, agent)`` runs the fleet schedules on one host (SPEC §7).

:func:`discover_kaizen_scheduled_repos` is the resolver activity-core rules
call (``query: discover_kaizen_scheduled_repos``); the embedded runner and the
Temporal sync use :func:`discover_scheduled_runs`, which returns the same
result as objects.

For each ``active`` roster repo with a checkout on *host*, the repo's
``.kaizen/schedule.yml`` is read and validated against the agents that repo
can resolve, and each enabled agent becomes one :class:`ScheduledRun`. A repo
is skipped when

- its checkout is missing: logged as ``repo_unreachable``;
- it has no schedule: silently, it has not opted in;
- its schedule has any problem: logged as ``schedule_invalid`` with every
  problem, and none of its entries is emitted.

Log records go to the ``kaizen_agentic.fleet`` logger at WARNING, the message
being one JSON object (``{"event": "repo_unreachable", "repo": ..., ...}``).
Discovery only reads: it writes no file anywhere, least of all in the repos.
Its output is sorted by repo slug, then agent name.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any

from kaizen_agentic.agents import AgentRegistry
from kaizen_agentic.errors import InvalidInputError, KaizenError
from kaizen_agentic.fleet.roster import Roster, RosterRepo
from kaizen_agentic.orient.bundle import prepare_command
from kaizen_agentic.schedule import (
    CADENCES,
    ScheduleEntry,
    ScheduleError,
    ScheduleNotFoundError,
    check_repo_schedule,
    next_run,
    schedule_path,
)

LOGGER_NAME = "kaizen_agentic.fleet"
REPO_UNREACHABLE = "repo_unreachable"
SCHEDULE_INVALID = "schedule_invalid"

logger = logging.getLogger(LOGGER_NAME)
# A library does not print: without a configured handler, records go nowhere
# (callers, like the CLI, report skipped repos from the returned data).
logger.addHandler(logging.NullHandler())


@dataclass(frozen=True)
class ScheduledRun:
    """One enabled ``(repo, agent)`` slot and its next fire time after the discovery's ``now``."""

    repo: str
    root: str
    agent: str
    cadence: str
    cron: str
    timezone: str
    enabled: bool
    prepare_command: str
    next_run_at: str  # ISO-8601 with offset, in ``timezone``

    def to_dict(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "root": self.root,
            "agent": self.agent,
            "cadence": self.cadence,
            "cron": self.cron,
            "timezone": self.timezone,
            "enabled": self.enabled,
            "prepare_command": self.prepare_command,
            "next_run_at": self.next_run_at,
        }


@dataclass(frozen=True)
class SkippedRepo:
    """A roster repo left out of discovery: ``reason`` is the logged event name."""

    repo: str
    reason: str
    errors: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"repo": self.repo, "reason": self.reason, "errors": list(self.errors)}


@dataclass(frozen=True)
class Discovery:
    """The result of one discovery: runs and skipped repos, both in slug order."""

    runs: tuple[ScheduledRun, ...]
    skipped: tuple[SkippedRepo, ...] = field(default=())

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "scheduled_runs": [run.to_dict() for run in self.runs],
            "skipped": [repo.to_dict() for repo in self.skipped],
        }


def discover_kaizen_scheduled_repos(
    domain: str | None = None,
    cadence: str | None = None,
    now: datetime | None = None,
    *,
    roster: Roster,
    host: str,
) -> dict[str, list[dict[str, Any]]]:
    """``{"scheduled_runs": [...], "skipped": [...]}`` as plain JSON-ready dicts.

    See :func:`discover_scheduled_runs` for the arguments.
    """
    return discover_scheduled_runs(domain, cadence, now, roster=roster, host=host).to_dict()


def discover_scheduled_runs(
    domain: str | None = None,
    cadence: str | None = None,
    now: datetime | None = None,
    *,
    roster: Roster,
    host: str,
) -> Discovery:
    """Every enabled ``(repo, agent)`` of *roster*'s active repos checked out on *host*.

    *domain* keeps repos of that roster domain, *cadence* (daily, weekly or
    monthly) entries of that cadence. ``next_run_at`` is the first fire time
    strictly after *now* (default: the current time; a naive *now* is UTC).
    Raises :class:`InvalidInputError` for an unknown cadence.
    """
    if cadence is not None and cadence not in CADENCES:
        raise InvalidInputError(f"unknown cadence {cadence!r}; use {', '.join(CADENCES)}")
    if now is None:
        now = datetime.now(timezone.utc)
    elif now.tzinfo is None or now.utcoffset() is None:
        now = now.replace(tzinfo=timezone.utc)
    # The packaged catalog is the same for every repo: list it once, not per repo.
    catalog = frozenset(AgentRegistry(Path()).catalog_names())
    next_run_at = _NextRuns(now)
    runs: list[ScheduledRun] = []
    skipped: list[SkippedRepo] = []
    for repo in sorted(roster.repos, key=lambda r: r.slug):
        root = repo.path_on(host)
        if not repo.active or root is None or (domain is not None and repo.domain != domain):
            continue
        found, problem = _repo_runs(repo, root, catalog, next_run_at)
        if problem is not None:
            skipped.append(problem)
        runs.extend(run for run in found if cadence is None or run.cadence == cadence)
    return Discovery(tuple(runs), tuple(skipped))


class _NextRuns:
    """``next_run`` after one fixed *now*, remembered per ``(cron, timezone)``.

    Parsing is shared (one Cron per expression), but each walk still costs
    about 0.3 ms (the DST look-back and croniter's step), which is up to a
    third of discovering 1,000 repos; a fleet repeats a handful of crons and
    zones, so most walks are answered from here.
    """

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.known: dict[tuple[str, str], str] = {}

    def __call__(self, entry: ScheduleEntry, zone_name: str, zone: tzinfo) -> str:
        key = (entry.cron, zone_name)
        found = self.known.get(key)
        if found is None:
            found = self.known[key] = next_run(entry, self.now, zone).isoformat()
        return found


def _repo_runs(
    repo: RosterRepo, root: Path, catalog: frozenset[str], next_run_at: _NextRuns
) -> tuple[list[ScheduledRun], SkippedRepo | None]:
    unreachable = _unreachable(root)
    if unreachable is not None:
        _log(REPO_UNREACHABLE, repo=repo.slug, path=str(root))
        return [], SkippedRepo(repo.slug, REPO_UNREACHABLE, (unreachable,))
    path = schedule_path(root)
    try:
        report = check_repo_schedule(root, catalog=catalog)
    except ScheduleNotFoundError:
        return [], None
    except KaizenError as exc:  # e.g. a schedule.yml linked out of the repo: skip this one
        _log(SCHEDULE_INVALID, repo=repo.slug, path=str(path), errors=[exc.message])
        return [], SkippedRepo(repo.slug, SCHEDULE_INVALID, (exc.message,))
    errors = list(report.problems)
    runs: list[ScheduledRun] = []
    if report.schedule is not None and not errors:
        schedule = report.schedule
        try:
            zone = schedule.zone
            for entry in sorted(schedule.enabled_entries(), key=lambda e: e.agent):
                runs.append(
                    ScheduledRun(
                        repo=repo.slug,
                        root=str(root),
                        agent=entry.agent,
                        cadence=entry.cadence,
                        cron=entry.cron,
                        timezone=schedule.timezone,
                        enabled=entry.enabled,
                        prepare_command=prepare_command(entry.agent, root),
                        next_run_at=next_run_at(entry, schedule.timezone, zone),
                    )
                )
        except ScheduleError as exc:
            errors = [exc.message]
    if errors:
        _log(SCHEDULE_INVALID, repo=repo.slug, path=str(path), errors=errors)
        return [], SkippedRepo(repo.slug, SCHEDULE_INVALID, tuple(errors))
    return runs, None


def _unreachable(root: Path) -> str | None:
    """Why *root* cannot be a checkout, or None; one repo's odd path never stops discovery."""
    try:
        if root.is_dir():
            return None
    except OSError as exc:  # e.g. a path component over 255 bytes
        return f"{root} cannot be reached ({(exc.strerror or type(exc).__name__).lower()})"
    return f"{root} is not a directory"


def _log(event: str, **fields: Any) -> None:
    logger.warning(json.dumps({"event": event, **fields}, ensure_ascii=False))


__all__ = [
    "LOGGER_NAME",
    "REPO_UNREACHABLE",
    "SCHEDULE_INVALID",
    "Discovery",
    "ScheduledRun",
    "SkippedRepo",
    "discover_kaizen_scheduled_repos",
    "discover_scheduled_runs",
    "prepare_command",
]
