"""The worker of one host: workflow ``KaizenScheduledRun`` and activity ``kaizen_run_slot``.

A schedule made by ``fleet temporal sync`` starts ``KaizenScheduledRun`` on
the task queue ``kaizen-<host>`` with the run as argument. The workflow
takes the slot from the schedule (the ``TemporalScheduledStartTime`` search
attribute, or the workflow's start time when there is none) and executes one
activity, ``kaizen_run_slot``, which calls :func:`~kaizen_agentic.fleet.runner.run_claimed`
— the same claim / execute / record the embedded runner performs. A retried
activity finds the slot done, or rewrites the same bundle and task files, so
it never writes a second task.

Importing this module imports temporalio; only the worker command does.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from temporalio import activity, workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from kaizen_agentic.errors import KaizenError
from kaizen_agentic.fleet.resolver import ScheduledRun
from kaizen_agentic.fleet.runner import DueRun, RunOutcome, run_claimed
from kaizen_agentic.fleet.temporal._client import (
    CONNECT_TIMEOUT,
    TemporalError,
    TemporalTarget,
    connect,
    run_session,
)
from kaizen_agentic.fleet.temporal._plan import (
    ACTIVITY_NAME,
    WORKFLOW_NAME,
    embedded_slot,
    task_queue,
)
from kaizen_agentic.names import validate_name

if TYPE_CHECKING:
    from temporalio.client import Client
    from temporalio.runtime import Runtime

SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
START_TO_CLOSE_TIMEOUT = timedelta(minutes=10)
# The activity heartbeats every HEARTBEAT_EVERY seconds while it runs, so a
# worker that dies mid-run is noticed after HEARTBEAT_TIMEOUT, not after the
# 10-minute start-to-close timeout, and the run is retried on a live worker.
HEARTBEAT_TIMEOUT = timedelta(seconds=5)
HEARTBEAT_EVERY = 1.0
RETRY_POLICY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=5,
    non_retryable_error_types=["InvalidRun"],
)
MAX_CONCURRENT_RUNS = 4
SHUTDOWN_GRACE = timedelta(seconds=30)
# How often the worker checks that the server answers, to say when the
# connection is lost and when it is back.
HEALTH_EVERY = 2.0
# The SDK's own log records (its Rust core's included) go to this logger,
# never to stdout; the worker command prints them on stderr.
SDK_LOGGER = "temporalio"

# (connected?, why it is not) each time the connection is lost or restored.
ConnectionCallback = Callable[[bool, str | None], None]


@workflow.defn(name=WORKFLOW_NAME)
class KaizenScheduledRun:
    """One scheduled ``(repo, agent)`` slot: run it once, fail visibly if a step failed."""

    @workflow.run
    async def run(self, run: dict[str, Any]) -> dict[str, Any]:
        slot = workflow.info().typed_search_attributes.get(SCHEDULED_START) or workflow.now()
        outcome: dict[str, Any] = await workflow.execute_activity(
            ACTIVITY_NAME,
            args=[run, slot.isoformat()],
            start_to_close_timeout=START_TO_CLOSE_TIMEOUT,
            heartbeat_timeout=HEARTBEAT_TIMEOUT,
            retry_policy=RETRY_POLICY,
        )
        if outcome.get("status") == "failed":
            failed = [s for s in outcome.get("steps", []) if not s.get("ok")]
            detail = f"{failed[0]['step']}: {failed[0]['error']}" if failed else "a step failed"
            raise ApplicationError(
                f"{run.get('repo')}/{run.get('agent')} slot {outcome.get('slot')}: {detail}",
                outcome,
                type="RunFailed",
                non_retryable=True,
            )
        return outcome


def due_run(run: Mapping[str, Any], slot: str) -> DueRun:
    """The :class:`DueRun` a workflow argument and slot stand for.

    Raises a non-retryable ``InvalidRun`` :class:`ApplicationError` for an
    argument that is not a kaizen run, since no retry can fix it.
    """
    known = {f.name for f in fields(ScheduledRun)}
    try:
        moment = datetime.fromisoformat(slot.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        values = {k: v for k, v in run.items() if k in known}
        values["next_run_at"] = moment.isoformat()
        scheduled = ScheduledRun(**values)
        # Both become path parts under the state directory.
        validate_name(scheduled.repo, kind="repo slug")
        validate_name(scheduled.agent)
    except (TypeError, ValueError, AttributeError, KaizenError) as error:
        message = error.message if isinstance(error, KaizenError) else str(error)
        raise ApplicationError(
            f"not a kaizen scheduled run: {message}", type="InvalidRun", non_retryable=True
        ) from None
    return DueRun(scheduled, moment)


class SlotActivities:
    """The activity, bound to the operator's state directory.

    *hold* runs between writing a slot's bundle and its task (see
    :func:`~kaizen_agentic.fleet.runner.execute_run`): tests pass one to stop a
    run half-way and kill its worker.
    """

    def __init__(
        self,
        state_dir: Path,
        *,
        hold: Callable[[DueRun], None] | None = None,
        on_outcome: Callable[[RunOutcome], None] | None = None,
    ) -> None:
        self.state_dir = state_dir.resolve()
        self.hold = hold
        self.on_outcome = on_outcome

    @activity.defn(name=ACTIVITY_NAME)
    def run_slot(self, run: dict[str, Any], slot: str) -> dict[str, Any]:
        """Claim, execute and record one slot; the outcome as a dict.

        Around a DST change the fire is mapped to the slot the embedded
        scheduler has for it (see :func:`embedded_slot`); a fire that stands
        for no slot is ``skipped``: nothing runs and nothing is recorded.
        """
        fired = due_run(run, slot)
        due = _embedded(fired)
        if due is None:
            outcome = RunOutcome(fired.run.repo, fired.run.agent, fired.slot_key, "skipped")
        else:
            with _heartbeating(HEARTBEAT_EVERY):
                # A state-directory write a retry may fix raises: Temporal retries it.
                outcome = run_claimed(due, self.state_dir, hold=self.hold, raise_transient=True)
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return outcome.to_dict()


def _embedded(fired: DueRun) -> DueRun | None:
    try:
        slot = embedded_slot(fired.run.cron, fired.run.timezone, fired.slot)
    except (KaizenError, ValueError) as error:  # a cron or zone no retry can fix
        message = error.message if isinstance(error, KaizenError) else str(error)
        raise ApplicationError(
            f"not a kaizen scheduled run: {message}", type="InvalidRun", non_retryable=True
        ) from None
    if slot is None:
        return None
    return fired if slot == fired.slot else DueRun(fired.run, slot)


@contextmanager
def _heartbeating(every: float) -> Iterator[None]:
    """Heartbeat from a side thread while the body runs (the activity's context is copied)."""
    stop = threading.Event()
    context = contextvars.copy_context()

    def beat() -> None:
        while not stop.wait(every):
            try:
                context.run(activity.heartbeat)
            except Exception:  # the worker is shutting down; the run itself decides
                return

    thread = threading.Thread(target=beat, name="kaizen-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def run_worker(
    target: TemporalTarget,
    host: str,
    state_dir: Path,
    *,
    stop: threading.Event,
    on_ready: Callable[[], None] | None = None,
    on_outcome: Callable[[RunOutcome], None] | None = None,
    hold: Callable[[DueRun], None] | None = None,
    connect_timeout: float = CONNECT_TIMEOUT,
    on_connection: ConnectionCallback | None = None,
) -> None:
    """Serve task queue ``kaizen-<host>`` until *stop* is set; runs finish before it returns.

    *on_ready* is called once the worker polls; *on_outcome* after each run;
    *on_connection* when the server stops answering and when it answers
    again (the SDK keeps retrying meanwhile); *hold* is passed to
    :class:`SlotActivities`. The SDK's log lines go to the ``temporalio``
    logger, not to stdout. Raises :class:`TemporalError` when the server
    cannot be reached at start or the worker fails.
    """
    run_session(
        _serve(
            target,
            host,
            state_dir,
            stop=stop,
            on_ready=on_ready,
            on_outcome=on_outcome,
            hold=hold,
            connect_timeout=connect_timeout,
            on_connection=on_connection,
        )
    )


def _runtime() -> Runtime:
    """An SDK runtime whose core logs (warnings and worse) go to the Python logger."""
    from temporalio.runtime import (
        LogForwardingConfig,
        LoggingConfig,
        Runtime,
        TelemetryConfig,
        TelemetryFilter,
    )

    forwarding = LogForwardingConfig(
        logger=logging.getLogger(f"{SDK_LOGGER}.core"),
        append_target_to_name=False,
        prepend_target_on_message=False,
    )
    logging_config = LoggingConfig(
        filter=TelemetryFilter(core_level="WARN", other_level="ERROR"), forwarding=forwarding
    )
    return Runtime(telemetry=TelemetryConfig(logging=logging_config))


async def _watch_connection(client: Client, on_connection: ConnectionCallback) -> None:
    """Report each change between answering and not answering, until cancelled."""
    from temporalio.service import RPCError

    connected = True
    while True:
        await asyncio.sleep(HEALTH_EVERY)
        try:
            await client.service_client.check_health(timeout=timedelta(seconds=HEALTH_EVERY))
            reason = None
        except RPCError as error:
            reason = error.message or error.status.name
        except Exception as error:  # the bridge reports a dead channel in several types
            reason = str(error) or type(error).__name__
        if (reason is None) != connected:
            connected = reason is None
            on_connection(connected, reason)


async def _serve(
    target: TemporalTarget,
    host: str,
    state_dir: Path,
    *,
    stop: threading.Event,
    on_ready: Callable[[], None] | None,
    on_outcome: Callable[[RunOutcome], None] | None,
    hold: Callable[[DueRun], None] | None,
    connect_timeout: float,
    on_connection: ConnectionCallback | None,
) -> None:
    client = await connect(target, timeout=connect_timeout, runtime=_runtime())
    activities = SlotActivities(state_dir, hold=hold, on_outcome=on_outcome)
    restored = asyncio.Event()

    def connection(connected: bool, reason: str | None) -> None:
        if connected:
            restored.set()
        if on_connection is not None:
            on_connection(connected, reason)

    watch = asyncio.create_task(_watch_connection(client, connection))
    with ThreadPoolExecutor(MAX_CONCURRENT_RUNS, thread_name_prefix="kaizen-run") as executor:
        try:
            ready = False
            while not stop.is_set():
                worker = _worker(client, host, activities, executor)
                running = asyncio.create_task(worker.run())
                while not stop.is_set() and not running.done() and not restored.is_set():
                    if not ready and worker.is_running:
                        ready = True
                        if on_ready is not None:
                            on_ready()
                    await asyncio.wait({running}, timeout=0.1)
                # After an outage the SDK's pollers come back only after their
                # back-off (up to 10 s, and a run fired meanwhile waits for
                # them): a fresh worker polls at once. Runs in progress finish.
                restored.clear()
                await _stop_worker(worker, running, host)
        finally:
            watch.cancel()


def _worker(
    client: Client, host: str, activities: SlotActivities, executor: ThreadPoolExecutor
) -> Worker:
    return Worker(
        client,
        task_queue=task_queue(host),
        workflows=[KaizenScheduledRun],
        activities=[activities.run_slot],
        activity_executor=executor,
        max_concurrent_activities=MAX_CONCURRENT_RUNS,
        # The workflow only calls the activity: our own modules need no sandboxing.
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules("kaizen_agentic")
        ),
        # No sticky cache: a killed worker's runs continue on another worker at
        # once instead of waiting for its sticky queue to time out; replaying a
        # one-activity workflow costs nothing.
        max_cached_workflows=0,
        graceful_shutdown_timeout=SHUTDOWN_GRACE,
    )


async def _stop_worker(worker: Worker, running: asyncio.Task[None], host: str) -> None:
    if not running.done():
        await worker.shutdown()
    try:
        await running
    except Exception as error:
        raise TemporalError(
            f"the worker for task queue {task_queue(host)} stopped: {error}"
        ) from None


__all__ = [
    "HEARTBEAT_TIMEOUT",
    "RETRY_POLICY",
    "START_TO_CLOSE_TIMEOUT",
    "KaizenScheduledRun",
    "SlotActivities",
    "due_run",
    "run_worker",
]
