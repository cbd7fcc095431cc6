"""Schedule: the `.kaizen/schedule.yml` manifest, its validation and next runs (SPEC §6)."""

from __future__ import annotations

from kaizen_agentic.schedule.cron import (
    CRON_FIELDS_HINT,
    Cron,
    cron_problem,
    fire_times,
    next_run,
    resolve_timezone,
    timezone_problem,
)
from kaizen_agentic.schedule.errors import ScheduleError, ScheduleNotFoundError
from kaizen_agentic.schedule.manifest import (
    CADENCES,
    DEFAULT_CRON,
    DEFAULT_TIMEZONE,
    SCHEDULE_VERSION,
    Schedule,
    ScheduleEntry,
    ScheduleReport,
    check_schedule,
    check_schedule_text,
    default_schedule_yaml,
    load_schedule,
    parse_schedule,
    parse_schedule_text,
    schedule_path,
    validate_schedule,
)
from kaizen_agentic.schedule.repo import (
    ScheduledAgent,
    ScheduleListing,
    check_repo_schedule,
    known_agents,
    list_schedule,
)

__all__ = [
    "CADENCES",
    "CRON_FIELDS_HINT",
    "DEFAULT_CRON",
    "DEFAULT_TIMEZONE",
    "SCHEDULE_VERSION",
    "Cron",
    "Schedule",
    "ScheduleEntry",
    "ScheduleError",
    "ScheduleListing",
    "ScheduleNotFoundError",
    "ScheduleReport",
    "ScheduledAgent",
    "check_repo_schedule",
    "check_schedule",
    "check_schedule_text",
    "cron_problem",
    "default_schedule_yaml",
    "fire_times",
    "known_agents",
    "list_schedule",
    "load_schedule",
    "next_run",
    "parse_schedule",
    "parse_schedule_text",
    "resolve_timezone",
    "schedule_path",
    "timezone_problem",
    "validate_schedule",
]
