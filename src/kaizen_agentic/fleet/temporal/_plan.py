"""What the Temporal Schedules of one host should be, and what must change (no I/O).

Everything here is pure: :func:`desired_schedules` turns discovery into one
:class:`DesiredSchedule` per ``(repo, agent)`` and :func:`plan_sync` compares
it with the schedules the server holds. Talking to the server is
:mod:`kaizen_agentic.fleet.temporal._client`'s job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from kaizen_agentic.fleet.resolver import ScheduledRun
from kaizen_agentic.schedule import cron_problem, timezone_problem

SCHEDULE_PREFIX = "kaizen:"
WORKFLOW_NAME = "KaizenScheduledRun"
ACTIVITY_NAME = "kaizen_run_slot"
TASK_QUEUE_PREFIX = "kaizen-"
# Misfire policy "skip", as in the embedded runner: a slot the server could
# not start within this window (server down) is dropped, not run late.
CATCHUP_WINDOW = timedelta(hours=1)
# A run nobody picked up (the host's worker is down) is given up after this,
# so a stale slot does not run days later.
EXECUTION_TIMEOUT = timedelta(hours=2)
# Bumped whenever the shape of what sync sends changes, so every schedule
# made by an older version is updated once. 2: calendars marked with the host.
SPEC_VERSION = 2
# Each calendar's comment names the host, so a host's sync and status find
# their schedules in the server's listing without describing everybody's.
HOST_MARK = "kaizen host="
CALENDAR_FIELDS = ("minute", "hour", "day_of_month", "month", "day_of_week")
_FULL_RANGE = {
    "minute": (0, 59),
    "hour": (0, 23),
    "day_of_month": (1, 31),
    "month": (1, 12),
    "day_of_week": (0, 6),
}
# The run's next fire time changes after every run: it is not part of the
# schedule (the worker passes the slot instead).
_VOLATILE_FIELDS = ("next_run_at",)


def schedule_id(repo: str, agent: str) -> str:
    """``kaizen:<repo>:<agent>``; slugs and agent names never contain ``:``."""
    return f"{SCHEDULE_PREFIX}{repo}:{agent}"


def task_queue(host: str) -> str:
    """``kaizen-<host>``: the queue the worker on *host* polls."""
    return f"{TASK_QUEUE_PREFIX}{host}"


def schedule_argument(run: ScheduledRun) -> dict[str, Any]:
    """The workflow argument: the run as a JSON-ready dict, without ``next_run_at``."""
    return {k: v for k, v in run.to_dict().items() if k not in _VOLATILE_FIELDS}


def temporal_cron_problem(cron: str) -> str | None:
    """Why *cron* cannot become a Temporal schedule firing at the same times, or None."""
    try:
        temporal_crons(cron)
    except ValueError as error:
        return str(error)
    return None


def temporal_crons(cron: str) -> tuple[str, ...]:
    """Cron strings that make a Temporal schedule fire exactly when :func:`next_run` does.

    The fields are written out as plain numbers from croniter's own reading of
    *cron*, so names, steps and ``7`` for Sunday mean the same on both sides.
    Temporal requires day-of-month *and* day-of-week to match, while cron
    (and croniter) fire when *either* does: a cron restricting both becomes two
    expressions, one per field. Raises :class:`ValueError` for a cron that
    is not valid or uses ``L`` / ``#`` (last day, n-th weekday), which
    Temporal schedules cannot express.
    """
    problem = cron_problem(cron)
    if problem is not None:
        raise ValueError(problem)
    from croniter import croniter

    reading = croniter(cron, datetime(2000, 1, 1))
    expanded: list[list[Any]] = [list(values) for values in reading.expanded]
    if reading.nth_weekday_of_month or any("l" in values for values in expanded):
        raise ValueError(
            f"{cron!r} uses L or # (last day, n-th weekday), which Temporal schedules "
            "cannot express; write explicit days instead"
        )
    minute, hour, day, month, weekday = (_field(values) for values in expanded)
    if day != "*" and weekday != "*":
        return (f"{minute} {hour} {day} {month} *", f"{minute} {hour} * {month} {weekday}")
    return (f"{minute} {hour} {day} {month} {weekday}",)


# Around a DST change Temporal places some fires differently from cron: on a
# fall-back day it fires `30 1 * * *` in Europe/Berlin a second time, at the
# first pass of 02:30 (00:30Z), and `0,30 0-3 * * *` at the first pass of
# 02:00 but not at the second, where the embedded scheduler fires (repeated
# hour: once, at the second occurrence; skipped hour: none). Every such fire
# lies within this window of the change of UTC offset.
_DST_WINDOW = timedelta(hours=3)


def embedded_slot(cron: str, zone_name: str, fired: datetime) -> datetime | None:
    """The slot a Temporal fire at *fired* (UTC) stands for, as the embedded scheduler sees it.

    - a fire time of *cron* (as :func:`~kaizen_agentic.schedule.fire_times`
      computes them) is its own slot;
    - near a change of the zone's offset, a fire at the first pass of a
      repeated wall time whose second pass is a fire time stands for that
      slot (it runs up to the shift early, and the server's fire at the
      second pass then finds it done); any other fire there is None — no
      slot, the worker skips it;
    - anything else (a manual trigger, off the minute or far from a
      change) is its own slot, as before.
    """
    from kaizen_agentic.schedule import fire_times, resolve_timezone

    zone = resolve_timezone(zone_name)
    before, after = fired - _DST_WINDOW, fired + _DST_WINDOW
    near_change = before.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset()
    if fired.second or fired.microsecond or not near_change:
        return fired

    def is_fire_time(moment: datetime) -> bool:
        slots = fire_times(cron, zone, moment - timedelta(seconds=1), moment)
        # In UTC: an aware time in a fold never equals one of another zone (PEP 495).
        return any(slot.astimezone(timezone.utc) == moment for slot in slots)

    if is_fire_time(fired):
        return fired
    second_pass = fired.astimezone(zone).replace(fold=1).astimezone(timezone.utc)
    if second_pass != fired and is_fire_time(second_pass):
        return second_pass
    return None


Range = tuple[int, int, int]
Calendar = dict[str, Any]


def temporal_calendars(crons: Sequence[str], host: str) -> list[Calendar]:
    """Temporal calendar specs (plain data) for crons spelled by :func:`temporal_crons`.

    Every field is explicit — ``second`` 0, ``year`` any — so what the server
    describes back compares equal field by field; the comment marks the host.
    """
    calendars = []
    for cron in crons:
        calendar: Calendar = {"second": [(0, 0, 1)]}
        for name, text in zip(CALENDAR_FIELDS, cron.split(), strict=True):
            calendar[name] = [_FULL_RANGE[name] + (1,)] if text == "*" else _ranges(text)
        calendar["year"] = []
        calendar["comment"] = f"{HOST_MARK}{host}"
        calendars.append(calendar)
    return calendars


def _ranges(text: str) -> list[Range]:
    ranges = []
    for part in text.split(","):
        start, _, end = part.partition("-")
        ranges.append((int(start), int(end or start), 1))
    return ranges


def marked_host(comment: str | None) -> str | None:
    """The host a calendar's comment names, or None (a schedule of an older version)."""
    if comment and comment.startswith(HOST_MARK):
        return comment[len(HOST_MARK) :]
    return None


def schedule_fingerprint(document: Mapping[str, Any]) -> str:
    """16 hex digits of the sha256 of a schedule as plain data (``DesiredSchedule.document``)."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _field(values: Sequence[Any]) -> str:
    if list(values) == ["*"]:
        return "*"
    numbers = sorted({int(v) for v in values})
    parts: list[str] = []
    start = previous = numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ",".join(parts)


@dataclass(frozen=True)
class DesiredSchedule:
    """The schedule one ``(repo, agent)`` should have on the server."""

    run: ScheduledRun
    host: str
    crons: tuple[str, ...]

    @property
    def id(self) -> str:
        return schedule_id(self.run.repo, self.run.agent)

    @property
    def task_queue(self) -> str:
        return task_queue(self.host)

    @property
    def argument(self) -> dict[str, Any]:
        return schedule_argument(self.run)

    @property
    def spec_hash(self) -> str:
        """sha256 of everything sync sends: spec, policy and action (16 hex digits)."""
        document = {
            "version": SPEC_VERSION,
            "crons": list(self.crons),
            "timezone": self.run.timezone,
            "overlap": "skip",
            "catchup_window_s": CATCHUP_WINDOW.total_seconds(),
            "workflow": WORKFLOW_NAME,
            "workflow_id": self.id,
            "task_queue": self.task_queue,
            "execution_timeout_s": EXECUTION_TIMEOUT.total_seconds(),
            "args": [self.argument],
        }
        text = json.dumps(document, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def calendars(self) -> list[Calendar]:
        return temporal_calendars(self.crons, self.host)

    def document(self) -> dict[str, Any]:
        """Everything the server keeps of this schedule, as plain data.

        The server's own description, read into the same shape, must equal
        this; any difference (an edit made on the server) makes sync update.
        The schedule's state (paused, note) is the operator's and left out.
        """
        return {
            "calendars": self.calendars,
            "intervals": [],
            "cron_expressions": [],
            "skip": [],
            "start_at": None,
            "end_at": None,
            "jitter_s": None,
            "timezone": self.run.timezone,
            "overlap": "SKIP",
            "catchup_window_s": CATCHUP_WINDOW.total_seconds(),
            "pause_on_failure": False,
            "workflow": WORKFLOW_NAME,
            "workflow_id": self.id,
            "task_queue": self.task_queue,
            "execution_timeout_s": EXECUTION_TIMEOUT.total_seconds(),
            "run_timeout_s": None,
            "task_timeout_s": None,
            "retry_policy": None,
            "args": [self.argument],
            "memo": self.memo,
        }

    @property
    def fingerprint(self) -> str:
        return schedule_fingerprint(self.document())

    @property
    def memo(self) -> dict[str, str]:
        """What the server cannot give back as written: the cron, the zone, the hash."""
        return {
            "cron": self.run.cron,
            "timezone": self.run.timezone,
            "hash": self.spec_hash,
            "repo": self.run.repo,
            "agent": self.run.agent,
            "host": self.host,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "cron": self.run.cron,
            "timezone": self.run.timezone,
            "task_queue": self.task_queue,
            "temporal_crons": list(self.crons),
        }


@dataclass(frozen=True)
class ExistingSchedule:
    """A ``kaizen:`` schedule as the server describes it."""

    id: str
    task_queue: str | None
    memo: Mapping[str, Any] = field(default_factory=dict)
    # schedule_fingerprint of the server's description; None when not known.
    fingerprint: str | None = None

    @property
    def spec_hash(self) -> str | None:
        value = self.memo.get("hash")
        return value if isinstance(value, str) else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "cron": self.memo.get("cron"),
            "timezone": self.memo.get("timezone"),
            "task_queue": self.task_queue,
        }


@dataclass(frozen=True)
class Refusal:
    """A schedule sync leaves alone, and why."""

    id: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "reason": self.reason}


@dataclass
class SyncPlan:
    """The changes that make one host's schedules equal its discovery."""

    host: str
    create: list[DesiredSchedule] = field(default_factory=list)
    update: list[tuple[DesiredSchedule, ExistingSchedule]] = field(default_factory=list)
    delete: list[ExistingSchedule] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Refusal] = field(default_factory=list)
    kept: list[Refusal] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return len(self.create) + len(self.update) + len(self.delete)


def desired_schedules(
    runs: Iterable[ScheduledRun], host: str
) -> tuple[list[DesiredSchedule], list[Refusal]]:
    """One schedule per run on *host*; runs Temporal cannot take are refused with the reason.

    Discovery has already dropped invalid schedules; this checks again, so an
    invalid cron or zone can never reach the server.
    """
    desired: list[DesiredSchedule] = []
    refused: list[Refusal] = []
    for run in runs:
        problem = timezone_problem(run.timezone)
        try:
            crons = temporal_crons(run.cron) if problem is None else ()
        except ValueError as error:
            problem = f"cron {error}"
        if problem is not None:
            refused.append(Refusal(schedule_id(run.repo, run.agent), problem))
        else:
            desired.append(DesiredSchedule(run, host, crons))
    return desired, refused


def plan_sync(
    desired: Sequence[DesiredSchedule],
    existing: Mapping[str, ExistingSchedule],
    *,
    host: str,
    refused: Sequence[Refusal] = (),
    skipped_repos: Mapping[str, str] | None = None,
) -> SyncPlan:
    """Compare *desired* with *existing* (the ``kaizen:`` schedules on the server).

    - a desired schedule missing on the server is created; one whose memo hash
      differs, that belongs to another host's queue, or that the server
      describes differently from what sync would send (an edit made on the
      server, which leaves the memo as it was) is updated;
    - a server schedule of *this* host's queue that is not desired is
      deleted — unless its repo was skipped by discovery (*skipped_repos*:
      slug -> reason, e.g. an unreadable checkout or an invalid schedule.yml)
      or its run was *refused*: then it is kept as it is, because a passing
      mistake must not wipe a repo's schedules and their history;
    - schedules of other hosts' queues are never deleted.
    """
    skipped_repos = skipped_repos or {}
    queue = task_queue(host)
    plan = SyncPlan(host, skipped=list(refused))
    wanted = {d.id: d for d in desired}
    for item in desired:
        found = existing.get(item.id)
        if found is None:
            plan.create.append(item)
        elif (
            found.spec_hash != item.spec_hash
            or found.task_queue != item.task_queue
            or (found.fingerprint is not None and found.fingerprint != item.fingerprint)
        ):
            plan.update.append((item, found))
        else:
            plan.unchanged.append(item.id)
    refused_ids = {r.id: r.reason for r in refused}
    for found in sorted(existing.values(), key=lambda s: s.id):
        if found.id in wanted or found.task_queue != queue:
            continue
        repo = found.id[len(SCHEDULE_PREFIX) :].split(":", 1)[0]
        if found.id in refused_ids:
            plan.kept.append(Refusal(found.id, refused_ids[found.id]))
        elif repo in skipped_repos:
            plan.kept.append(Refusal(found.id, f"repo {repo} skipped: {skipped_repos[repo]}"))
        else:
            plan.delete.append(found)
    return plan


__all__ = [
    "ACTIVITY_NAME",
    "CATCHUP_WINDOW",
    "EXECUTION_TIMEOUT",
    "SCHEDULE_PREFIX",
    "TASK_QUEUE_PREFIX",
    "WORKFLOW_NAME",
    "DesiredSchedule",
    "ExistingSchedule",
    "Refusal",
    "SyncPlan",
    "desired_schedules",
    "embedded_slot",
    "marked_host",
    "plan_sync",
    "schedule_argument",
    "schedule_fingerprint",
    "schedule_id",
    "task_queue",
    "temporal_calendars",
    "temporal_cron_problem",
    "temporal_crons",
]
