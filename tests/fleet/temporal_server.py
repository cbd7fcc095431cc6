"""A real Temporal dev server, real fleets and real workers for the Temporal backend tests."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from kaizen_agentic.fleet.temporal import TemporalTarget
from kaizen_agentic.fleet.temporal.worker import run_worker
from tests.fleet.helpers import make_repo, roster_entry, schedule_yaml, write_roster

T = TypeVar("T")
READY_MARK = "stop with Ctrl-C or SIGTERM"
REPO_ROOT = Path(__file__).resolve().parents[2]
WAIT = 30.0  # generous: a loaded CI machine must not fail a test, only slow it


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


async def client_for(address: str) -> Any:
    from temporalio.client import Client

    return await Client.connect(address)


def wait_until(predicate: Callable[[], T], what: str, timeout: float = WAIT) -> T:
    """Poll *predicate* until it returns something truthy; fail naming *what* after *timeout*."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass
class Fleet:
    """Repos with schedule files under *base* and a roster listing them on *host*."""

    base: Path
    host: str
    roster: Path = field(init=False)
    roots: dict[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.roster = self.base / "roster.yaml"

    def add(self, slug: str, agents: dict[str, str], timezone: str = "UTC") -> Path:
        root = make_repo(self.base, slug, schedule_yaml(agents, timezone))
        self.roots[slug] = root
        self.write_roster()
        return root

    def rewrite(self, slug: str, agents: dict[str, str], timezone: str = "UTC") -> None:
        (self.roots[slug] / ".kaizen" / "schedule.yml").write_text(schedule_yaml(agents, timezone))

    def write_roster(self) -> None:
        self.roster = write_roster(
            self.base / "roster.yaml",
            [roster_entry(slug, root, host=self.host) for slug, root in self.roots.items()],
        )

    def args(self, address: str) -> list[str]:
        return ["--address", address, "--roster", str(self.roster), "--host", self.host]


async def describe(address: str, schedule: str) -> Any:
    """The schedule's description, or None when it does not exist."""
    from temporalio.service import RPCError, RPCStatusCode

    client = await client_for(address)
    try:
        return await client.get_schedule_handle(schedule).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def listed_ids(address: str, prefix: str) -> list[str]:
    client = await client_for(address)
    return sorted([s.id async for s in await client.list_schedules() if s.id.startswith(prefix)])


def wait_listed(address: str, prefix: str, expected: list[str]) -> None:
    """Wait until the server's schedule list (eventually consistent) shows exactly *expected*."""
    wait_until(
        lambda: run(listed_ids(address, prefix)) == expected,
        f"the schedule list to show {expected}",
    )


async def trigger(address: str, schedule: str) -> str:
    """Trigger *schedule* now; the id of the workflow it started."""
    client = await client_for(address)
    handle = client.get_schedule_handle(schedule)
    before = len((await handle.describe()).info.recent_actions)
    await handle.trigger()
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        actions = (await handle.describe()).info.recent_actions
        if len(actions) > before:
            workflow_id: str = actions[-1].action.workflow_id
            return workflow_id
        await asyncio.sleep(0.05)
    raise AssertionError(f"schedule {schedule} started nothing")


async def workflow_result(address: str, workflow_id: str) -> Any:
    client = await client_for(address)
    return await asyncio.wait_for(client.get_workflow_handle(workflow_id).result(), WAIT)


async def workflow_status(address: str, workflow_id: str) -> str:
    client = await client_for(address)
    description = await client.get_workflow_handle(workflow_id).describe()
    return str(description.status.name)


async def activity_attempts(address: str, workflow_id: str) -> list[int]:
    """The attempt number of every start of the workflow's activity, from its history."""
    client = await client_for(address)
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return [
        event.activity_task_started_event_attributes.attempt
        for event in history.events
        if event.HasField("activity_task_started_event_attributes")
    ]


@contextmanager
def worker_thread(address: str, host: str, state_dir: Path) -> Iterator[list[Any]]:
    """An in-process worker for *host* in a background thread; yields the outcomes it reports."""
    stop, ready = threading.Event(), threading.Event()
    outcomes: list[Any] = []
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            run_worker(
                TemporalTarget(address),
                host,
                state_dir,
                stop=stop,
                on_ready=ready.set,
                on_outcome=outcomes.append,
            )
        except BaseException as error:
            errors.append(error)
            ready.set()

    thread = threading.Thread(target=serve, name=f"worker-{host}", daemon=True)
    thread.start()
    try:
        assert ready.wait(WAIT), "worker did not start"
        assert not errors, errors
        yield outcomes
    finally:
        stop.set()
        thread.join(WAIT)
    assert not errors, errors


class WorkerProcess:
    """``fleet temporal worker`` in a child process, its stderr collected line by line."""

    def __init__(
        self, address: str, host: str, state_dir: Path, *, hold_file: Path | None = None
    ) -> None:
        env = {**os.environ}
        if hold_file is None:
            script = (
                "from kaizen_agentic.cli.fleet_temporal import temporal_group; "
                "temporal_group(prog_name='kaizen-agentic fleet temporal')"
            )
            command = [sys.executable, "-c", script, "worker", "--address", address]
            command += ["--host", host, "--state", str(state_dir)]
        else:
            # The hold is a test hook: a test-only entry module installs it.
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
            )
            command = [sys.executable, "-m", "tests.fleet.held_worker", address, host]
            command += [str(state_dir), str(hold_file)]
        self.process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stderr: list[str] = []
        self.stdout: list[str] = []
        self._readers = [
            threading.Thread(target=self._collect, args=(self.process.stderr, self.stderr)),
            threading.Thread(target=self._collect, args=(self.process.stdout, self.stdout)),
        ]
        for reader in self._readers:
            reader.start()
        wait_until(
            lambda: (
                any(READY_MARK in line for line in self.stderr) or self.process.poll() is not None
            ),
            "the worker process to start",
        )
        assert self.process.poll() is None, "".join(self.stderr)

    def _ready_or_gone(self) -> bool:
        return any(READY_MARK in line for line in self.stderr) or self.process.poll() is not None

    @staticmethod
    def _collect(stream: Any, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)

    def signal(self, signum: int) -> int:
        self.process.send_signal(signum)
        code = self.process.wait(WAIT)
        for reader in self._readers:
            reader.join(WAIT)
        return code

    def kill(self) -> None:
        self.signal(signal.SIGKILL)

    def close(self) -> None:
        if self.process.poll() is None:
            self.kill()
