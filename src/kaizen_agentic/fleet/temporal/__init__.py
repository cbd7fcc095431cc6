"""The fleet beyond one machine: Temporal Schedules and a worker per host (SPEC §7).

- :func:`sync_schedules` makes the server's ``kaizen:<repo>:<agent>``
  schedules of one host equal its discovery (create, update, delete;
  idempotent), comparing on a hash kept in each schedule's memo.
- :mod:`kaizen_agentic.fleet.temporal.worker` runs workflow
  ``KaizenScheduledRun`` and activity ``kaizen_run_slot`` on task queue
  ``kaizen-<host>``; the activity is the embedded runner's own
  :func:`~kaizen_agentic.fleet.runner.run_claimed`.
- :func:`schedule_statuses` reports next and recent actions as the server
  sees them.
- :mod:`kaizen_agentic.fleet.temporal.testing` starts a throw-away dev server.

Importing this package does not import temporalio; the functions that talk
to the server do, and the ``worker`` module does.
"""

from __future__ import annotations

from kaizen_agentic.fleet.temporal._client import (
    ADDRESS_ENV,
    DEFAULT_ADDRESS,
    DEFAULT_NAMESPACE,
    NAMESPACE_ENV,
    RecentAction,
    ScheduleStatus,
    SyncReport,
    TemporalError,
    TemporalTarget,
    resolve_target,
    schedule_statuses,
    sync_schedules,
    sync_schedules_async,
)
from kaizen_agentic.fleet.temporal._plan import (
    ACTIVITY_NAME,
    SCHEDULE_PREFIX,
    WORKFLOW_NAME,
    DesiredSchedule,
    ExistingSchedule,
    Refusal,
    SyncPlan,
    desired_schedules,
    plan_sync,
    schedule_id,
    task_queue,
    temporal_cron_problem,
    temporal_crons,
)

__all__ = [
    "ACTIVITY_NAME",
    "ADDRESS_ENV",
    "DEFAULT_ADDRESS",
    "DEFAULT_NAMESPACE",
    "NAMESPACE_ENV",
    "SCHEDULE_PREFIX",
    "WORKFLOW_NAME",
    "DesiredSchedule",
    "ExistingSchedule",
    "RecentAction",
    "Refusal",
    "ScheduleStatus",
    "SyncPlan",
    "SyncReport",
    "TemporalError",
    "TemporalTarget",
    "desired_schedules",
    "plan_sync",
    "resolve_target",
    "schedule_id",
    "schedule_statuses",
    "sync_schedules",
    "sync_schedules_async",
    "task_queue",
    "temporal_cron_problem",
    "temporal_crons",
]
