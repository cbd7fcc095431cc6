"""The loop runner: for each due ``(repo, agent)`` slot, refresh evidence and prepare (SPEC §7).

:func:`execute_run` is the unit of work — the embedded runner, the embedded
scheduler and the Temporal activity all call it. It is idempotent per slot:
the bundle and task paths derive from ``(repo, agent, slot)`` and are
written atomically, so a retry rewrites the same files instead of adding a
second task.
"""

from __future__ import annotations

import errno
import json
import os
import shlex
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaizen_agentic._fs import atomic_write_text
from kaizen_agentic._time import format_timestamp
from kaizen_agentic.errors import FileSystemError, KaizenError
from kaizen_agentic.fleet.resolver import ScheduledRun
from kaizen_agentic.fleet.state import FleetState, new_cycle_id
from kaizen_agentic.schedule import fire_times, resolve_timezone

if TYPE_CHECKING:
    from kaizen_agentic.orient.bundle import PrepareBundle

DEFAULT_GRACE = timedelta(hours=1)
# A state-directory write failing with one of these may succeed when tried
# again (permissions or a mount fixed, space freed); anything else there
# (a file where a folder belongs) needs a person.
_TRANSIENT_ERRNOS = frozenset(
    getattr(errno, name)
    for name in (
        "EACCES",
        "EPERM",
        "EROFS",
        "ENOSPC",
        "EDQUOT",
        "EIO",
        "EAGAIN",
        "EBUSY",
        "EMFILE",
        "ENFILE",
        "ENOMEM",
        "ETIMEDOUT",
    )
    if hasattr(errno, name)
)
LABELS = ("kaizen", "agent-run", "scheduled", "automated")
_TITLE_KIND = {"coach": "coach orientation", "optimization": "optimization review"}


@dataclass(frozen=True)
class DueRun:
    """A scheduled run and the slot (its scheduled fire time) that is due."""

    run: ScheduledRun
    slot: datetime

    @property
    def slot_key(self) -> str:
        return format_timestamp(self.slot)


class StateWriteError(KaizenError):
    """Writing to the operator's state directory failed in a way a retry may fix."""


def _write_state(path: Path, text: str) -> None:
    try:
        atomic_write_text(path, text)
    except (OSError, FileSystemError) as error:
        code = error.errno if isinstance(error, OSError) else error.os_errno
        if code in _TRANSIENT_ERRNOS:
            reason = os.strerror(code) if code is not None else "failed"
            raise StateWriteError(
                f"cannot write {path} in the state directory: {reason}"
            ) from error
        raise


@dataclass(frozen=True)
class StepOutcome:
    step: str
    ok: bool
    duration_s: float
    error: str | None = None


@dataclass
class RunOutcome:
    """What happened to one due run: ``done``, ``failed``, ``already_run`` or
    ``running_elsewhere`` (another runner holds the slot's lease right now)."""

    repo: str
    agent: str
    slot: str
    status: str
    steps: list[StepOutcome] = field(default_factory=list)
    task_path: str | None = None
    bundle_path: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("done", "already_run", "running_elsewhere")

    def to_dict(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "agent": self.agent,
            "slot": self.slot,
            "status": self.status,
            "task_path": self.task_path,
            "bundle_path": self.bundle_path,
            "steps": [vars(s) for s in self.steps],
        }


@dataclass
class CycleReport:
    cycle: str
    at: str
    dry_run: bool
    due: list[DueRun]
    outcomes: list[RunOutcome] = field(default_factory=list)
    already_run: frozenset[str] = frozenset()  # of a dry run: the due slots that completed

    def due_status(self, due: DueRun) -> str:
        """A dry run's word for a due slot: ``due``, or ``already_run`` as a real run says."""
        return "already_run" if _key(due) in self.already_run else "due"

    def to_dict(self) -> dict[str, Any]:
        return {
            "cycle": self.cycle,
            "at": self.at,
            "dry_run": self.dry_run,
            "due": [
                {
                    "repo": d.run.repo,
                    "agent": d.run.agent,
                    "slot": d.slot_key,
                    **({"status": self.due_status(d)} if self.dry_run else {}),
                }
                for d in self.due
            ],
            "outcomes": [o.to_dict() for o in self.outcomes],
        }


def due_runs(
    runs: Iterable[ScheduledRun], *, at: datetime, grace: timedelta = DEFAULT_GRACE
) -> list[DueRun]:
    """Runs whose latest fire time is within *grace* before *at* (misfire policy: skip)."""
    due = []
    for run in runs:
        zone = resolve_timezone(run.timezone)
        slots = fire_times(run.cron, zone, at - grace, at)
        if slots:
            due.append(DueRun(run, slots[-1]))
    # within a repo, slots run in their scheduled order: optimize at 9:00 refreshes
    # the evidence the coach bundle of 9:15 is built from
    return sorted(due, key=lambda d: (d.run.repo, d.slot))


def slot_stamp(slot: datetime) -> str:
    """A file-name-safe UTC stamp of a slot: 20260105T080000Z."""
    return slot.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def bundle_path(state_dir: Path, due: DueRun) -> Path:
    return state_dir / "bundles" / due.run.repo / due.run.agent / f"{slot_stamp(due.slot)}.md"


def task_path(state_dir: Path, due: DueRun) -> Path:
    return state_dir / "tasks" / due.run.repo / f"{due.run.agent}-{slot_stamp(due.slot)}.json"


def build_task(due: DueRun, bundle: PrepareBundle, bundle_file: Path) -> dict[str, Any]:
    """The task an activity-core rule would create for this run.

    A meta agent's task names its target: in the title, the labels and the
    ``target_agent`` key.
    """
    run = due.run
    kind = _TITLE_KIND.get(run.agent, f"{run.agent} run")
    severities = {r.get("severity") for r in bundle.recommendations}
    close = "\n".join(f"   - {command}" for command in bundle.session_close)
    target = bundle.target.agent if bundle.target else None
    work = (
        f"2. Work on the target agent {target} ({bundle.target_reason}): follow the agent "
        "prompt, the target's evidence and its open recommendations in the bundle.\n"
        if target
        else "2. Follow the agent prompt and the open recommendations in the bundle.\n"
    )
    description = (
        f"Scheduled kaizen run of {run.agent} for {run.repo} (slot {due.slot_key}).\n\n"
        f"1. Load the orientation bundle: {shlex.quote(str(bundle_file))}\n"
        f"   (or regenerate it: {run.prepare_command})\n"
        f"{work}"
        f"3. Close the session:\n{close}\n"
    )
    return {
        "title": f"{run.cadence.capitalize()} {kind}: {run.repo}"
        + (f" — {target}" if target else ""),
        "description": description,
        "target_repo": run.repo,
        "priority": "high" if "high" in severities else "medium",
        "labels": [*LABELS[:2], run.agent, *([target] if target else []), *LABELS[2:]],
        "agent": run.agent,
        "target_agent": target,
        "target_reason": bundle.target_reason or None,
        "slot": due.slot_key,
        "root": run.root,
        "bundle_path": str(bundle_file),
        "prepare_command": run.prepare_command,
        "session_close": bundle.session_close,
    }


def execute_run(
    due: DueRun,
    state_dir: Path,
    *,
    now: datetime | None = None,
    hold: Callable[[DueRun], None] | None = None,
    raise_transient: bool = False,
) -> RunOutcome:
    """Optimize (for the ``optimization`` agent), prepare the bundle, write the task.

    Never raises for a problem in the repo: each step's failure is captured
    in the outcome. With *raise_transient*, a state-directory write that a
    retry may fix raises :class:`StateWriteError` instead (the Temporal
    activity lets the server retry it). *hold* is a test hook called between
    the bundle and the task (to kill a worker mid-activity).
    """
    from kaizen_agentic.orient.bundle import build_bundle, emit_prepared, render_bundle_markdown

    now = now or datetime.now(timezone.utc)
    run = due.run
    root = Path(run.root)
    outcome = RunOutcome(run.repo, run.agent, due.slot_key, "done")
    prepared: list[PrepareBundle] = []

    def optimize() -> None:
        from kaizen_agentic.analysis.optimizer import run_optimizer_with_event

        run_optimizer_with_event(root, now=now)

    def prepare() -> None:
        bundle = build_bundle(root, run.agent, now=now)
        prepared.append(bundle)
        text = render_bundle_markdown(bundle)
        target = bundle_path(state_dir, due)
        _write_state(target, text)
        outcome.bundle_path = str(target)
        emit_prepared(
            root,
            bundle,
            fmt="markdown",
            size=len(text.encode()),
            cadence=run.cadence,
            slot=due.slot_key,
        )
        if hold is not None:
            hold(due)

    def write_task() -> None:
        target = task_path(state_dir, due)
        task = build_task(due, prepared[-1], bundle_path(state_dir, due))
        _write_state(target, json.dumps(task, indent=2) + "\n")
        outcome.task_path = str(target)

    steps: list[tuple[str, Callable[[], None]]] = [("prepare", prepare), ("task", write_task)]
    if run.agent == "optimization":
        steps.insert(0, ("optimize", optimize))
    for name, step in steps:
        started = time.perf_counter()
        try:
            step()
        except Exception as error:  # one repo's failure must not stop the fleet
            if raise_transient and isinstance(error, StateWriteError):
                raise
            outcome.steps.append(
                StepOutcome(name, False, time.perf_counter() - started, _describe(error))
            )
            outcome.status = "failed"
            break
        outcome.steps.append(StepOutcome(name, True, time.perf_counter() - started))
    return outcome


Progress = Callable[[int, int], None]
"""Called with (slots finished, slots due) before the first slot and after each one."""


def run_cycle(
    runs: Sequence[ScheduledRun],
    state_dir: Path,
    *,
    at: datetime,
    grace: timedelta = DEFAULT_GRACE,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> CycleReport:
    """Run every slot of *runs* due at *at* (see :func:`due_runs`) once.

    With *dry_run* the report lists what is due and nothing runs or is recorded.
    """
    return run_slots(
        due_runs(runs, at=at, grace=grace), state_dir, at=at, dry_run=dry_run, progress=progress
    )


def run_slots(
    due: Sequence[DueRun],
    state_dir: Path,
    *,
    at: datetime,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> CycleReport:
    """Run the given slots as one cycle; record steps, slots and per-repo cycle health.

    For a caller with its own idea of what is due (the embedded scheduler's
    misfire policy); :func:`run_cycle` is the usual entry.
    """
    state_dir = state_dir.resolve()  # tasks name their bundle by a path valid anywhere
    report = CycleReport(new_cycle_id(), format_timestamp(at), dry_run, list(due))
    if dry_run:
        report.already_run = _already_run(state_dir, report.due)
        return report
    state = FleetState(state_dir)
    try:
        for done, item in enumerate(report.due):
            if progress is not None and done == 0:
                progress(0, len(report.due))
            report.outcomes.append(_run_claimed(state, report.cycle, item, state_dir, at=at))
            if progress is not None:
                progress(done + 1, len(report.due))
        _record_cycles(state, report)
    finally:
        state.close()
    return report


def run_claimed(
    due: DueRun,
    state_dir: Path,
    *,
    cycle: str | None = None,
    hold: Callable[[DueRun], None] | None = None,
    raise_transient: bool = False,
) -> RunOutcome:
    """Run one slot on its own, recorded like a slot of :func:`run_cycle`.

    For executors that fire slots one at a time (the Temporal worker): the
    slot is claimed (``already_run`` when it completed before, so a retry
    never writes a second task), executed, its steps and result recorded, and
    — unless it had already run — one cycle of this single run is recorded
    for ``fleet health``. *hold* and *raise_transient* are passed to
    :func:`execute_run`; a :class:`StateWriteError` leaves the slot failed,
    so the retry that follows claims it again.
    """
    state_dir = state_dir.resolve()
    cycle = cycle or new_cycle_id()
    state = FleetState(state_dir)
    try:
        outcome = _run_claimed(
            state, cycle, due, state_dir, hold=hold, raise_transient=raise_transient
        )
        if outcome.status not in _NOT_RUN_HERE:
            state.record_cycle(cycle, due.run.repo, due.slot_key, outcome.ok)
        return outcome
    finally:
        state.close()


def _run_claimed(
    state: FleetState,
    cycle: str,
    due: DueRun,
    state_dir: Path,
    *,
    at: datetime | None = None,
    hold: Callable[[DueRun], None] | None = None,
    raise_transient: bool = False,
) -> RunOutcome:
    """Claim the slot, execute it, record its steps and result."""
    now = format_timestamp(datetime.now(timezone.utc))
    claim = state.claim_slot(due.run.repo, due.run.agent, due.slot_key, cycle, now)
    if claim != "claimed":
        status = "already_run" if claim == "done" else "running_elsewhere"
        return RunOutcome(due.run.repo, due.run.agent, due.slot_key, status)
    try:
        outcome = execute_run(due, state_dir, now=at, hold=hold, raise_transient=raise_transient)
    except StateWriteError:
        # failed, so the retry Temporal makes can claim the slot again
        failed_at = format_timestamp(datetime.now(timezone.utc))
        key = (due.run.repo, due.run.agent, due.slot_key)
        state.finish_slot(*key, ok=False, task_path=None, now=failed_at)
        raise
    finished = format_timestamp(datetime.now(timezone.utc))
    for step in outcome.steps:
        state.record_step(
            cycle,
            due.run.repo,
            due.run.agent,
            due.slot_key,
            step.step,
            ok=step.ok,
            duration_s=step.duration_s,
            error=step.error,
            now=finished,
        )
    state.finish_slot(
        due.run.repo,
        due.run.agent,
        due.slot_key,
        ok=outcome.status == "done",
        task_path=outcome.task_path,
        now=finished,
    )
    return outcome


def _already_run(state_dir: Path, due: Sequence[DueRun]) -> frozenset[str]:
    """The slot keys (``repo/agent@slot``) of *due* that completed before, as a run would say.

    Reads the state database when there is one and never creates it.
    """
    if not (state_dir / "state.sqlite").is_file():
        return frozenset()
    state = FleetState(state_dir)
    try:
        return frozenset(
            _key(d) for d in due if state.slot_status(d.run.repo, d.run.agent, d.slot_key) == "done"
        )
    finally:
        state.close()


def _key(due: DueRun) -> str:
    return f"{due.run.repo}/{due.run.agent}@{due.slot_key}"


# outcomes of slots this runner did not execute: no cycle of ours counts them
_NOT_RUN_HERE = ("already_run", "running_elsewhere")


def _record_cycles(state: FleetState, report: CycleReport) -> None:
    by_repo: dict[str, list[RunOutcome]] = {}
    for outcome in report.outcomes:
        if outcome.status not in _NOT_RUN_HERE:
            by_repo.setdefault(outcome.repo, []).append(outcome)
    for repo, outcomes in by_repo.items():
        state.record_cycle(report.cycle, repo, report.at, all(o.ok for o in outcomes))


def _describe(error: Exception) -> str:
    from kaizen_agentic.errors import KaizenError

    if isinstance(error, KaizenError):
        return error.message
    frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    where = f" at {Path(frame.filename).name}:{frame.lineno}" if frame else ""
    return f"{type(error).__name__}: {error}{where}"
