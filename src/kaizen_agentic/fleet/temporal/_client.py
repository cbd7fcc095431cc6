"""Talking to the Temporal server: connect, sync the schedules, report their status.

temporalio is imported inside the functions that need it, so importing this
module (and the package) stays cheap.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from kaizen_agentic.errors import InvalidInputError, KaizenError
from kaizen_agentic.fleet.resolver import ScheduledRun
from kaizen_agentic.fleet.temporal._plan import (
    CALENDAR_FIELDS,
    CATCHUP_WINDOW,
    EXECUTION_TIMEOUT,
    SCHEDULE_PREFIX,
    WORKFLOW_NAME,
    DesiredSchedule,
    ExistingSchedule,
    Refusal,
    SyncPlan,
    desired_schedules,
    marked_host,
    plan_sync,
    schedule_fingerprint,
    task_queue,
)

if TYPE_CHECKING:
    from temporalio.client import Client, Schedule, ScheduleDescription
    from temporalio.runtime import Runtime

ADDRESS_ENV = "KAIZEN_TEMPORAL_ADDRESS"
NAMESPACE_ENV = "KAIZEN_TEMPORAL_NAMESPACE"
DEFAULT_ADDRESS = "127.0.0.1:7233"
DEFAULT_NAMESPACE = "default"
CONNECT_TIMEOUT = 5.0
RPC_TIMEOUT = timedelta(seconds=15)
CONCURRENCY = 50
SETTLE_SECONDS = 0.1

T = TypeVar("T")
R = TypeVar("R")


class TemporalError(KaizenError):
    """The Temporal server could not be reached or refused a request (exit 1)."""


@dataclass(frozen=True)
class TemporalTarget:
    """Where the schedules live: a frontend address and a namespace."""

    address: str = DEFAULT_ADDRESS
    namespace: str = DEFAULT_NAMESPACE

    def to_dict(self) -> dict[str, str]:
        return {"address": self.address, "namespace": self.namespace}


def resolve_target(
    address: str | None = None,
    namespace: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config_root: Path | None = None,
) -> TemporalTarget:
    """The option, else ``$KAIZEN_TEMPORAL_ADDRESS`` / ``$KAIZEN_TEMPORAL_NAMESPACE``,
    else ``temporal.address`` / ``temporal.namespace`` in *config_root*'s
    ``.kaizen/config.yml`` (default: the current directory), else the defaults.
    """
    environ = os.environ if environ is None else environ
    address = address or environ.get(ADDRESS_ENV) or None
    namespace = namespace or environ.get(NAMESPACE_ENV) or None
    if address is None or namespace is None:
        from kaizen_agentic.config import load_config

        config = load_config(config_root or Path.cwd())
        address = address or config.get("temporal.address") or DEFAULT_ADDRESS
        namespace = namespace or config.get("temporal.namespace") or DEFAULT_NAMESPACE
    return TemporalTarget(address, namespace)


async def connect(
    target: TemporalTarget, *, timeout: float = CONNECT_TIMEOUT, runtime: Runtime | None = None
) -> Client:
    """A client for *target*, or :class:`TemporalError` within *timeout* seconds.

    *runtime* is the SDK's (where its log lines go); the default one otherwise.
    """
    from temporalio.client import Client

    hint = f"start it (temporal server start-dev) or set --address / ${ADDRESS_ENV}"
    try:
        return await asyncio.wait_for(
            Client.connect(target.address, namespace=target.namespace, runtime=runtime), timeout
        )
    except asyncio.TimeoutError:
        raise TemporalError(
            f"Temporal server at {target.address} did not answer within {timeout:g} s; {hint}"
        ) from None
    except Exception:  # the SDK reports a refused or malformed address in several types
        raise TemporalError(f"Temporal server at {target.address} is unreachable; {hint}") from None


def request_failed(error: Exception, target: TemporalTarget) -> TemporalError:
    """A one-sentence :class:`TemporalError` for an RPC the server refused."""
    from temporalio.service import RPCError, RPCStatusCode

    if isinstance(error, RPCError):
        if error.status == RPCStatusCode.NOT_FOUND and "namespace" in error.message.lower():
            return TemporalError(
                f"Temporal namespace {target.namespace!r} does not exist at {target.address}; "
                f"create it (temporal operator namespace create {target.namespace}) "
                "or pass --namespace"
            )
        return TemporalError(f"Temporal server at {target.address} refused: {error.message}")
    return TemporalError(f"Temporal request to {target.address} failed: {error}")


def run_session(session: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(session)``, then a short pause before returning, even on error.

    The SDK's native threads may still be releasing Python objects just after
    the last call returns; a process that exits in that instant aborts with
    "PyGILState_Release: ... finalizing" (temporalio/sdk-python#300): here
    about one CLI run in ten did without the pause, none with it.
    """
    try:
        return asyncio.run(session)
    finally:
        time.sleep(SETTLE_SECONDS)


async def bounded(
    items: Iterable[T], work: Callable[[T], Awaitable[R]], limit: int = CONCURRENCY
) -> list[R]:
    """``work(item)`` for every item, at most *limit* at a time, results in order."""
    gate = asyncio.Semaphore(limit)

    async def one(item: T) -> R:
        async with gate:
            return await work(item)

    return list(await asyncio.gather(*(one(item) for item in items)))


# --- sync --------------------------------------------------------------------


@dataclass
class SyncReport:
    """What a sync did (or, with ``dry_run``, would do)."""

    target: TemporalTarget
    plan: SyncPlan
    dry_run: bool
    created: list[DesiredSchedule] = field(default_factory=list)
    updated: list[tuple[DesiredSchedule, ExistingSchedule]] = field(default_factory=list)
    deleted: list[ExistingSchedule] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[Refusal] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return len(self.created) + len(self.updated) + len(self.deleted)

    def summary(self) -> str:
        """``N created, M updated, K deleted, U unchanged`` (``to be created`` … on a dry run)."""
        will = "to be " if self.dry_run else ""
        line = (
            f"{len(self.created)} {will}created, {len(self.updated)} {will}updated, "
            f"{len(self.deleted)} {will}deleted, {len(self.unchanged)} unchanged"
        )
        if self.dry_run:
            return line + " (dry run: nothing changed)"
        return line + (f", {len(self.failed)} failed" if self.failed else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.target.to_dict(),
            "host": self.plan.host,
            "task_queue": task_queue(self.plan.host),
            "dry_run": self.dry_run,
            "create": [d.to_dict() for d in self.created],
            "update": [{**d.to_dict(), "was": e.to_dict()} for d, e in self.updated],
            "delete": [e.to_dict() for e in self.deleted],
            "unchanged": self.unchanged,
            "skipped": [r.to_dict() for r in self.plan.skipped],
            "kept": [r.to_dict() for r in self.plan.kept],
            "failed": [r.to_dict() for r in self.failed],
            "summary": {
                "created": len(self.created),
                "updated": len(self.updated),
                "deleted": len(self.deleted),
                "unchanged": len(self.unchanged),
                "skipped": len(self.plan.skipped),
                "kept": len(self.plan.kept),
                "failed": len(self.failed),
            },
        }


def sync_schedules(
    runs: Sequence[ScheduledRun],
    *,
    host: str,
    target: TemporalTarget,
    dry_run: bool = False,
    skipped_repos: Mapping[str, str] | None = None,
    concurrency: int = CONCURRENCY,
    connect_timeout: float = CONNECT_TIMEOUT,
    allow_empty: bool = False,
) -> SyncReport:
    """Make the ``kaizen:`` schedules of *host* on *target* equal *runs* (see :func:`plan_sync`).

    Idempotent: a second call with the same runs changes nothing. Raises
    :class:`TemporalError` when the server cannot be reached; a schedule
    the server refuses is reported in ``failed`` and the others go on.
    When discovery found nothing at all (no run, no skipped repo) but the
    host has schedules, it raises :class:`InvalidInputError` instead of
    deleting them all, unless *allow_empty*.
    """
    return run_session(
        sync_schedules_async(
            runs,
            host=host,
            target=target,
            dry_run=dry_run,
            skipped_repos=skipped_repos,
            concurrency=concurrency,
            connect_timeout=connect_timeout,
            allow_empty=allow_empty,
        )
    )


async def sync_schedules_async(
    runs: Sequence[ScheduledRun],
    *,
    host: str,
    target: TemporalTarget,
    dry_run: bool = False,
    skipped_repos: Mapping[str, str] | None = None,
    concurrency: int = CONCURRENCY,
    connect_timeout: float = CONNECT_TIMEOUT,
    allow_empty: bool = False,
) -> SyncReport:
    """:func:`sync_schedules` for callers that already run an event loop."""
    desired, refused = desired_schedules(runs, host)
    client = await connect(target, timeout=connect_timeout)
    try:
        existing = await existing_schedules(
            client, host=host, also=[d.id for d in desired], concurrency=concurrency
        )
    except Exception as error:
        raise request_failed(error, target) from None
    plan = plan_sync(desired, existing, host=host, refused=refused, skipped_repos=skipped_repos)
    if plan.delete and not (desired or refused or skipped_repos or allow_empty):
        raise InvalidInputError(
            f"discovery found no runs at all for host {host}, so sync would delete all "
            f"{len(plan.delete)} of its schedules; check the roster (a roster with no repos "
            "for this host), or pass --allow-empty to delete them"
        )
    report = SyncReport(target, plan, dry_run)
    if dry_run:
        report.created = list(plan.create)
        report.updated = list(plan.update)
        report.deleted = list(plan.delete)
        report.unchanged = list(plan.unchanged)
        return report
    report.unchanged = list(plan.unchanged)

    async def create(item: DesiredSchedule) -> None:
        from temporalio.client import ScheduleAlreadyRunningError

        try:
            await client.create_schedule(
                item.id, _schedule(item), memo=item.memo, rpc_timeout=RPC_TIMEOUT
            )
        except ScheduleAlreadyRunningError:
            # Created since the listing was read: compare with what is there now.
            found = await _describe(client, item.id)
            if (
                found is not None
                and found.spec_hash == item.spec_hash
                and found.task_queue == item.task_queue
                and found.fingerprint == item.fingerprint
            ):
                report.unchanged.append(item.id)
                return
            await _update(client, item)
            report.updated.append((item, found or ExistingSchedule(item.id, None)))
            return
        report.created.append(item)

    async def update(pair: tuple[DesiredSchedule, ExistingSchedule]) -> None:
        await _update(client, pair[0])
        report.updated.append(pair)

    async def delete(found: ExistingSchedule) -> None:
        from temporalio.service import RPCError, RPCStatusCode

        try:
            await client.get_schedule_handle(found.id).delete(rpc_timeout=RPC_TIMEOUT)
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
        report.deleted.append(found)

    def guarded(
        work: Callable[[T], Awaitable[None]], name: Callable[[T], str]
    ) -> Callable[[T], Awaitable[None]]:
        """*work* that reports a refused change in ``failed`` instead of raising."""

        async def run(item: T) -> None:
            try:
                await work(item)
            except Exception as error:
                report.failed.append(Refusal(name(item), request_failed(error, target).message))

        return run

    await bounded(plan.create, guarded(create, lambda d: d.id), concurrency)
    await bounded(plan.update, guarded(update, lambda p: p[0].id), concurrency)
    await bounded(plan.delete, guarded(delete, lambda e: e.id), concurrency)
    for items in (report.created, report.deleted):
        items.sort(key=lambda s: s.id)
    report.updated.sort(key=lambda pair: pair[0].id)
    report.unchanged.sort()
    report.failed.sort(key=lambda r: r.id)
    return report


def _schedule(item: DesiredSchedule) -> Schedule:
    from temporalio.client import (
        Schedule,
        ScheduleActionStartWorkflow,
        ScheduleCalendarSpec,
        ScheduleOverlapPolicy,
        SchedulePolicy,
        ScheduleRange,
        ScheduleSpec,
    )

    def ranges(values: Sequence[tuple[int, int, int]]) -> list[ScheduleRange]:
        return [ScheduleRange(start, end, step) for start, end, step in values]

    # Structured calendars rather than cron strings: the server describes them
    # back as sent, so sync can tell when someone edited a schedule there.
    calendars = [
        ScheduleCalendarSpec(
            second=ranges(c["second"]),
            minute=ranges(c["minute"]),
            hour=ranges(c["hour"]),
            day_of_month=ranges(c["day_of_month"]),
            month=ranges(c["month"]),
            year=ranges(c["year"]),
            day_of_week=ranges(c["day_of_week"]),
            comment=c["comment"],
        )
        for c in item.calendars
    ]

    return Schedule(
        action=ScheduleActionStartWorkflow(
            WORKFLOW_NAME,
            item.argument,
            id=item.id,
            task_queue=item.task_queue,
            execution_timeout=EXECUTION_TIMEOUT,
            memo=item.memo,
        ),
        spec=ScheduleSpec(calendars=calendars, time_zone_name=item.run.timezone),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCHUP_WINDOW),
    )


async def _update(client: Client, item: DesiredSchedule) -> None:
    from temporalio.client import ScheduleUpdate, ScheduleUpdateInput

    wanted = _schedule(item)

    def updater(current: ScheduleUpdateInput) -> ScheduleUpdate:
        # Keep the state (paused, note) an operator may have set by hand.
        state = current.description.schedule.state
        return ScheduleUpdate(schedule=dataclasses.replace(wanted, state=state))

    await client.get_schedule_handle(item.id).update(updater, rpc_timeout=RPC_TIMEOUT)


async def existing_schedules(
    client: Client,
    *,
    host: str | None = None,
    also: Iterable[str] = (),
    concurrency: int = CONCURRENCY,
) -> dict[str, ExistingSchedule]:
    """The ``kaizen:`` schedules of *host* (every one when None), described.

    The listing tells each schedule's host by its calendars' comment, so only
    this host's schedules (and those of older versions, which carry no mark)
    are described: the cost follows the host's size, not the fleet's. The
    ids in *also* are described whether listed or not (list results lag).
    """
    listed = await _kaizen_listing(client)
    ids = {i for i, marked in listed.items() if host is None or marked in (None, host)}
    ids.update(also)
    described = await bounded(sorted(ids), lambda i: _describe(client, i), concurrency)
    return {found.id: found for found in described if found is not None}


async def _kaizen_listing(client: Client) -> dict[str, str | None]:
    """Every listed ``kaizen:`` schedule id and the host its calendars name (None: no mark)."""
    from temporalio.service import RPCError, RPCStatusCode

    try:
        # The server filters by id prefix; an older server may not take the query.
        listing = await client.list_schedules(
            query=f'ScheduleId STARTS_WITH "{SCHEDULE_PREFIX}"', rpc_timeout=RPC_TIMEOUT
        )
        entries = [entry async for entry in listing]
    except RPCError as error:
        if error.status != RPCStatusCode.INVALID_ARGUMENT:
            raise
        entries = [entry async for entry in await client.list_schedules(rpc_timeout=RPC_TIMEOUT)]
    return {
        entry.id: _listed_host(entry.raw_entry)
        for entry in entries
        if entry.id.startswith(SCHEDULE_PREFIX)
    }


def _listed_host(entry: Any) -> str | None:
    for calendar in entry.info.spec.structured_calendar:
        found = marked_host(calendar.comment)
        if found is not None:
            return found
    return None


async def _describe(client: Client, schedule: str) -> ExistingSchedule | None:
    found = await _description(client, schedule)
    return None if found is None else _existing(client, found)


async def _description(client: Client, schedule: str) -> ScheduleDescription | None:
    from temporalio.service import RPCError, RPCStatusCode

    try:
        return await client.get_schedule_handle(schedule).describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None  # deleted since it was listed
        raise


def _existing(client: Client, description: ScheduleDescription) -> ExistingSchedule:
    from temporalio.client import ScheduleActionStartWorkflow

    action = description.schedule.action
    if not isinstance(action, ScheduleActionStartWorkflow):
        return ExistingSchedule(description.id, None)
    memo = _decode(client, action.memo)
    document = _described_document(client, description.schedule, memo)
    return ExistingSchedule(
        description.id, action.task_queue, memo, fingerprint=schedule_fingerprint(document)
    )


def _described_document(client: Client, schedule: Schedule, memo: dict[str, Any]) -> dict[str, Any]:
    """The server's schedule in the shape of :meth:`DesiredSchedule.document`."""
    from temporalio.api.common.v1 import Payload
    from temporalio.client import ScheduleActionStartWorkflow

    action = schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    spec, policy = schedule.spec, schedule.policy
    converter = client.data_converter.payload_converter

    def ranges(values: Sequence[Any]) -> list[tuple[int, int, int]]:
        # The server reads end 0 as "= start" and step 0 as 1.
        return [(r.start, max(r.end, r.start), r.step or 1) for r in values]

    def seconds(value: timedelta | None) -> float | None:
        return None if value is None else value.total_seconds()

    def arg(value: Any) -> Any:
        try:
            return converter.from_payload(value) if isinstance(value, Payload) else value
        except Exception:  # an argument someone else wrote: it differs from ours
            return repr(value)

    return {
        "calendars": [
            {
                "second": ranges(c.second),
                **{name: ranges(getattr(c, name)) for name in CALENDAR_FIELDS},
                "year": ranges(c.year),
                "comment": c.comment,
            }
            for c in spec.calendars
        ],
        "intervals": [[seconds(i.every), seconds(i.offset)] for i in spec.intervals],
        "cron_expressions": list(spec.cron_expressions),
        "skip": [repr(s) for s in spec.skip],
        "start_at": None if spec.start_at is None else spec.start_at.isoformat(),
        "end_at": None if spec.end_at is None else spec.end_at.isoformat(),
        "jitter_s": seconds(spec.jitter),
        "timezone": spec.time_zone_name,
        "overlap": policy.overlap.name,
        "catchup_window_s": seconds(policy.catchup_window),
        "pause_on_failure": policy.pause_on_failure,
        "workflow": action.workflow,
        "workflow_id": action.id,
        "task_queue": action.task_queue,
        "execution_timeout_s": seconds(action.execution_timeout),
        "run_timeout_s": seconds(action.run_timeout),
        "task_timeout_s": seconds(action.task_timeout),
        "retry_policy": None if action.retry_policy is None else repr(action.retry_policy),
        "args": [arg(a) for a in action.args],
        "memo": memo,
    }


def _decode(client: Client, memo: Mapping[str, Any] | None) -> dict[str, Any]:
    """The action memo as values (the SDK leaves a described action's memo encoded)."""
    from temporalio.api.common.v1 import Payload

    converter = client.data_converter.payload_converter
    decoded: dict[str, Any] = {}
    for key, value in (memo or {}).items():
        try:
            decoded[key] = converter.from_payload(value) if isinstance(value, Payload) else value
        except Exception:  # a memo someone else wrote in another encoding
            decoded[key] = None
    return decoded


# --- status ------------------------------------------------------------------


@dataclass(frozen=True)
class RecentAction:
    scheduled_at: datetime
    started_at: datetime
    workflow_id: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "scheduled_at": self.scheduled_at.isoformat(),
            "started_at": self.started_at.isoformat(),
            "workflow_id": self.workflow_id,
        }


@dataclass(frozen=True)
class ScheduleStatus:
    """One ``kaizen:`` schedule as the server reports it, with the cron sync wrote."""

    id: str
    cron: str | None
    timezone: str | None
    task_queue: str | None
    paused: bool
    next_action_times: tuple[datetime, ...]
    recent_actions: tuple[RecentAction, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "cron": self.cron,
            "timezone": self.timezone,
            "task_queue": self.task_queue,
            "paused": self.paused,
            "next_action_times": [t.isoformat() for t in self.next_action_times],
            "recent_actions": [a.to_dict() for a in self.recent_actions],
        }


def schedule_statuses(
    target: TemporalTarget,
    *,
    host: str | None = None,
    concurrency: int = CONCURRENCY,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> list[ScheduleStatus]:
    """Every ``kaizen:`` schedule (only *host*'s queue when given), in id order.

    For one host only its schedules are described (see :func:`existing_schedules`).
    """
    return run_session(
        _statuses(target, host=host, concurrency=concurrency, connect_timeout=connect_timeout)
    )


async def _statuses(
    target: TemporalTarget, *, host: str | None, concurrency: int, connect_timeout: float
) -> list[ScheduleStatus]:
    client = await connect(target, timeout=connect_timeout)
    try:
        listed = await _kaizen_listing(client)
        ids = sorted(i for i, marked in listed.items() if host is None or marked in (None, host))
        described = await bounded(ids, lambda i: _description(client, i), concurrency)
    except Exception as error:
        raise request_failed(error, target) from None
    statuses = [_status(client, d) for d in described if d is not None]
    if host is not None:
        statuses = [s for s in statuses if s.task_queue == task_queue(host)]
    return statuses


def _status(client: Client, description: ScheduleDescription) -> ScheduleStatus:
    from temporalio.client import ScheduleActionExecutionStartWorkflow

    found = _existing(client, description)
    info = description.info
    recent = tuple(
        RecentAction(
            a.scheduled_at,
            a.started_at,
            a.action.workflow_id
            if isinstance(a.action, ScheduleActionExecutionStartWorkflow)
            else None,
        )
        for a in info.recent_actions
    )
    cron, zone = found.memo.get("cron"), found.memo.get("timezone")
    return ScheduleStatus(
        id=description.id,
        cron=cron if isinstance(cron, str) else None,
        timezone=zone if isinstance(zone, str) else description.schedule.spec.time_zone_name,
        task_queue=found.task_queue,
        paused=description.schedule.state.paused,
        next_action_times=tuple(info.next_action_times),
        recent_actions=recent,
    )


__all__ = [
    "ADDRESS_ENV",
    "CONNECT_TIMEOUT",
    "DEFAULT_ADDRESS",
    "DEFAULT_NAMESPACE",
    "NAMESPACE_ENV",
    "RecentAction",
    "ScheduleStatus",
    "SyncReport",
    "TemporalError",
    "TemporalTarget",
    "connect",
    "existing_schedules",
    "resolve_target",
    "run_session",
    "schedule_statuses",
    "sync_schedules",
    "sync_schedules_async",
]
