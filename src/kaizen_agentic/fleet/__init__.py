"""The fleet: a roster of repos, where it comes from, and what is scheduled on a host (SPEC §7).

- :mod:`~kaizen_agentic.fleet.roster` — ``roster.yaml``: model, validation, location.
- :mod:`~kaizen_agentic.fleet.hub` — the State Hub HTTP roster source.
- :mod:`~kaizen_agentic.fleet.source` — ``open_roster``: which of the two to read.
- :mod:`~kaizen_agentic.fleet.resolver` — ``discover_kaizen_scheduled_repos``.

Nothing here imports httpx until a hub is actually asked.
"""

from __future__ import annotations

from kaizen_agentic.fleet.hub import HUB_ENV, HubError, fetch_hub_roster
from kaizen_agentic.fleet.resolver import (
    Discovery,
    ScheduledRun,
    SkippedRepo,
    discover_kaizen_scheduled_repos,
    discover_scheduled_runs,
    prepare_command,
)
from kaizen_agentic.fleet.roster import (
    ROSTER_ENV,
    STATUSES,
    Roster,
    RosterError,
    RosterNotFoundError,
    RosterRepo,
    load_roster,
    parse_roster,
    resolve_roster_path,
)
from kaizen_agentic.fleet.source import open_roster

__all__ = [
    "HUB_ENV",
    "ROSTER_ENV",
    "STATUSES",
    "Discovery",
    "HubError",
    "Roster",
    "RosterError",
    "RosterNotFoundError",
    "RosterRepo",
    "ScheduledRun",
    "SkippedRepo",
    "discover_kaizen_scheduled_repos",
    "discover_scheduled_runs",
    "fetch_hub_roster",
    "load_roster",
    "open_roster",
    "parse_roster",
    "prepare_command",
    "resolve_roster_path",
]
