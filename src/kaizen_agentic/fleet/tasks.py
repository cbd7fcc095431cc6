"""Tasks go out to runners and come back measured (SPEC §7 ``fleet tasks``).

Every task the loop writes (``<state>/tasks/<repo>/<agent>-<slot>.json``) is
a row of the ``tasks`` table in ``<state>/state.sqlite``: ``open`` until a
runner claims it, then ``claimed``, then ``done`` or ``failed``. A claim is
one ``BEGIN IMMEDIATE`` transaction (find the oldest open task, mark it
claimed), so two runners — processes on one machine — never get the same
task. A result handed back with ``done`` that is the JSON of a headless
Claude Code run becomes the execution record of that run, for the task's
agent in the task's repo, linked to the task and its slot.

Task files are picked up by every command here (the runner, the embedded
scheduler and the Temporal worker write them), so nothing else needs to know
about this table.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kaizen_agentic._time import format_timestamp
from kaizen_agentic.errors import InvalidInputError, KaizenError
from kaizen_agentic.fleet.state import immediate_transaction

STATUSES = ("open", "claimed", "done", "failed")
SETTLED_NS = 2_000_000_000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY, repo TEXT NOT NULL, agent TEXT NOT NULL, slot TEXT NOT NULL,
    path TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
    claimed_by TEXT, claimed_at TEXT, finished_at TEXT, record_id TEXT, why TEXT);
CREATE INDEX IF NOT EXISTS tasks_open ON tasks (status, slot, id);
CREATE TABLE IF NOT EXISTS task_folders (path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class Task:
    """One task: its row and the task document the loop wrote."""

    id: str
    status: str
    created_at: str
    claimed_by: str | None
    claimed_at: str | None
    finished_at: str | None
    record_id: str | None
    why: str | None
    document: dict[str, Any]

    @property
    def repo(self) -> str:
        return str(self.document.get("target_repo", ""))

    @property
    def agent(self) -> str:
        return str(self.document.get("agent", ""))

    @property
    def root(self) -> str:
        return str(self.document.get("root", ""))

    def prompt(self) -> str:
        """What to give the coding agent (``claude -p``) to run this task."""
        target = self.document.get("target_agent")
        work = f" The target agent is {target}." if target else ""
        return (
            f"You are the kaizen {self.agent} agent on a scheduled run in this repository "
            f"({self.repo}). Read the orientation bundle {self.document.get('bundle_path')} "
            f"and do what its agent prompt says.{work} This run is measured from its result: "
            "do not run the Session Close `metrics record` commands; do add one learning "
            "with the `memory add` command it shows."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "created_at": self.created_at,
            "claimed_by": self.claimed_by,
            "claimed_at": self.claimed_at,
            "finished_at": self.finished_at,
            "record_id": self.record_id,
            "why": self.why,
            **self.document,
        }


class TaskQueue:
    """The ``tasks`` table of an existing state directory."""

    def __init__(self, state_dir: Path) -> None:
        if not (state_dir / "state.sqlite").is_file():
            raise KaizenError(
                f"no fleet state in {state_dir}: pass the --state folder that fleet run or "
                "fleet serve writes to"
            )
        self.state_dir = state_dir.resolve()
        self.db = sqlite3.connect(state_dir / "state.sqlite", timeout=30, isolation_level=None)
        # WAL with synchronous=NORMAL: a commit survives a crash of the process; a power
        # cut may forget the last claims, and a forgotten claim is only handed out again
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return immediate_transaction(self.db)

    def sync(self) -> None:
        """Add the task files not yet in the table (call inside a transaction).

        Only folders whose mtime moved since the last sync are listed: a task
        file is written by rename, which always touches its folder.
        """
        seen = dict(self.db.execute("SELECT path, mtime_ns FROM task_folders").fetchall())
        now = format_timestamp(datetime.now(timezone.utc))
        for folder in sorted((self.state_dir / "tasks").glob("*/")):
            mtime = folder.stat().st_mtime_ns
            if seen.get(str(folder)) == mtime:
                continue
            known = {
                str(row[0])
                for row in self.db.execute(
                    "SELECT path FROM tasks WHERE path LIKE ? ESCAPE '\\'",
                    (_like_prefix(folder),),
                )
            }
            for path in sorted(folder.glob("*.json")):
                if str(path) not in known:
                    self._add(path, now)
            # mtimes tick coarsely: a folder changed within the last seconds may change
            # again with the same mtime, so it is listed again next time
            settled = mtime < time.time_ns() - SETTLED_NS
            self.db.execute(
                "INSERT OR REPLACE INTO task_folders VALUES (?, ?)",
                (str(folder), mtime if settled else -1),
            )

    def _add(self, path: Path, now: str) -> None:
        document = _read_document(path)
        if document is None:
            return
        self.db.execute(
            "INSERT OR IGNORE INTO tasks (id, repo, agent, slot, path, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, 'open', ?)",
            (
                f"{path.parent.name}/{path.stem}",
                str(document.get("target_repo", path.parent.name)),
                str(document.get("agent", "")),
                str(document.get("slot", "")),
                str(path),
                now,
            ),
        )

    def list(self, status: str | None = None) -> list[Task]:
        if status is not None and status not in STATUSES:
            raise InvalidInputError(f"unknown status {status!r}; use {', '.join(STATUSES)}")
        with self.transaction():
            self.sync()
        query = "SELECT * FROM tasks"
        args: tuple[str, ...] = ()
        if status is not None:
            query, args = query + " WHERE status=?", (status,)
        return [self._task(row) for row in self.db.execute(query + " ORDER BY slot, id", args)]

    def claim(
        self, claimant: str, *, agent: str | None = None, repos: Sequence[str] | None = None
    ) -> Task | None:
        """Hand out the oldest open task (of *agent*, of *repos*) to *claimant*; None if none."""
        now = format_timestamp(datetime.now(timezone.utc))
        with self.transaction() as db:
            self.sync()
            query = "SELECT id FROM tasks WHERE status='open'"
            args: list[str] = []
            if agent is not None:
                query, args = query + " AND agent=?", [agent]
            if repos is not None:
                query += f" AND repo IN ({','.join('?' * len(repos))})"
                args += list(repos)
            row = db.execute(query + " ORDER BY slot, id LIMIT 1", args).fetchone()
            if row is None:
                return None
            chosen = str(row[0])
            db.execute(
                "UPDATE tasks SET status='claimed', claimed_by=?, claimed_at=? WHERE id=?",
                (claimant, now, chosen),
            )
        return self.get(chosen)

    def get(self, task_id: str, *, in_transaction: bool = False) -> Task:
        row = self.db.execute("SELECT * FROM tasks WHERE id=?", (task_id,)).fetchone()
        if row is None:  # a task written since the last sync
            if in_transaction:
                self.sync()
            else:
                with self.transaction():
                    self.sync()
            row = self.db.execute("SELECT * FROM tasks WHERE id=?", (task_id,)).fetchone()
        if row is None:
            raise InvalidInputError(
                f"no task {task_id!r} in {self.state_dir}; list them with: kaizen-agentic "
                "fleet tasks"
            )
        return self._task(row)

    def finish(
        self, task_id: str, status: str, *, record_id: str | None = None, why: str | None = None
    ) -> Task:
        """Mark a claimed (or open) task done or failed; a finished task stays as it is."""
        now = format_timestamp(datetime.now(timezone.utc))
        with self.transaction() as db:
            task = self.get(task_id, in_transaction=True)
            if task.status in ("done", "failed"):
                raise InvalidInputError(f"task {task_id} is already {task.status}")
            db.execute(
                "UPDATE tasks SET status=?, finished_at=?, record_id=?, why=? WHERE id=?",
                (status, now, record_id, why, task_id),
            )
        return self.get(task_id)

    def _task(self, row: tuple[Any, ...]) -> Task:
        task_id, _, _, _, path, status, created, by, claimed, finished, record, why = row
        return Task(
            id=str(task_id),
            status=str(status),
            created_at=str(created),
            claimed_by=by,
            claimed_at=claimed,
            finished_at=finished,
            record_id=record,
            why=why,
            document=_read_document(Path(path)) or {},
        )


def _like_prefix(folder: Path) -> str:
    """A LIKE pattern for the paths inside *folder*."""
    escaped = str(folder).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "/%"


def _read_document(path: Path) -> dict[str, Any] | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # a task file being replaced or damaged: not a task now
        return None
    return document if isinstance(document, dict) else None


@contextmanager
def open_tasks(state_dir: Path) -> Iterator[TaskQueue]:
    queue = TaskQueue(state_dir)
    with closing(queue):
        yield queue


def list_tasks(state_dir: Path, status: str | None = None) -> list[Task]:
    """``fleet tasks``: every task (of one status), oldest slot first."""
    with open_tasks(state_dir) as queue:
        return queue.list(status)


def claim_task(
    state_dir: Path, claimant: str, *, agent: str | None = None, repos: Sequence[str] | None = None
) -> Task | None:
    """``fleet tasks claim``: the oldest open task, now claimed by *claimant*."""
    with open_tasks(state_dir) as queue:
        return queue.claim(claimant, agent=agent, repos=repos)


def fail_task(state_dir: Path, task_id: str, why: str) -> Task:
    """``fleet tasks fail ID --why``."""
    why = " ".join(why.split())
    if not why:
        raise InvalidInputError("--why is empty; say what went wrong.")
    with open_tasks(state_dir) as queue:
        return queue.finish(task_id, "failed", why=why)


def complete_task(state_dir: Path, task_id: str, result: str | None = None) -> Task:
    """``fleet tasks done ID [--result]``: with a headless result, record the run first.

    The record goes to the task's agent in the task's repo, with
    ``metadata.fleet_task`` and ``metadata.slot`` linking it to the task; a
    result already recorded (same session) is not recorded twice.
    """
    with open_tasks(state_dir) as queue:
        task = queue.get(task_id)
        if task.status in ("done", "failed"):
            raise InvalidInputError(f"task {task_id} is already {task.status}")
        record_id = _record_result(task, result) if result is not None else None
        return queue.finish(task_id, "done", record_id=record_id)


def _record_result(task: Task, text: str) -> str:
    from kaizen_agentic.capture.headless import headless_record, read_result_object
    from kaizen_agentic.metrics.service import record_execution

    root = Path(task.root)
    if not root.is_dir():
        raise KaizenError(
            f"task {task.id}: its repo {task.root} is not a folder on this machine; "
            "report the result where the checkout is"
        )
    record = headless_record(read_result_object(text))
    record["metadata"] = {
        "fleet_task": task.id,
        "slot": task.document.get("slot"),
        "target_agent": task.document.get("target_agent"),
    }
    key = record.pop("idempotency_key", None) or f"fleet-task:{task.id}"
    _, full = record_execution(root, task.agent, record, idempotency_key=key)
    return str(full["record_id"])
