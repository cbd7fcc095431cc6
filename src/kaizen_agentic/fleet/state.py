"""The operator's state directory: slots run, steps taken, cycles (SQLite).

One database, ``<state>/state.sqlite``, is the memory of the loop: a slot
``(repo, agent, scheduled time)`` that finished is never run again, a slot
being run is held by a lease (an owner and an expiry) so a second runner
started meanwhile leaves it alone until the lease expires, every
step's outcome and duration feeds ``fleet health``, and the embedded
scheduler keeps its last tick here so a restart neither repeats nor forgets.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

DEFAULT_STATE_DIR = Path(".kaizen-fleet")
# Longer than any slot's optimize + prepare + task takes; a runner that dies
# holding a lease blocks its slot no longer than this (on another host) or
# not at all (on this host: a dead owner's lease is taken over at once).
LEASE = timedelta(minutes=30)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS slots (
    repo TEXT NOT NULL, agent TEXT NOT NULL, slot TEXT NOT NULL,
    status TEXT NOT NULL, cycle TEXT, task_path TEXT, updated_at TEXT NOT NULL,
    PRIMARY KEY (repo, agent, slot));
CREATE TABLE IF NOT EXISTS steps (
    cycle TEXT NOT NULL, repo TEXT NOT NULL, agent TEXT NOT NULL, slot TEXT NOT NULL,
    step TEXT NOT NULL, status TEXT NOT NULL, duration_s REAL NOT NULL, error TEXT,
    finished_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cycles (
    cycle TEXT NOT NULL, repo TEXT NOT NULL, at TEXT NOT NULL, ok INTEGER NOT NULL,
    PRIMARY KEY (cycle, repo));
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_LEASE_COLUMNS = {"owner": "TEXT", "lease_until": "TEXT"}


@dataclass(frozen=True)
class CycleRow:
    cycle: str
    repo: str
    at: str
    ok: bool


class FleetState:
    """Typed access to ``state.sqlite``; safe to open from several processes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(directory / "state.sqlite", timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)
        self._add_lease_columns()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def _add_lease_columns(self) -> None:
        """A state.sqlite from before leases gains their columns in place."""
        with self.transaction() as db:
            have = {row[1] for row in db.execute("PRAGMA table_info(slots)")}
            for name, kind in _LEASE_COLUMNS.items():
                if name not in have:
                    db.execute(f"ALTER TABLE slots ADD COLUMN {name} {kind}")

    def close(self) -> None:
        self.db.close()

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return immediate_transaction(self.db)

    def slot_status(self, repo: str, agent: str, slot: str) -> str | None:
        row = self.db.execute(
            "SELECT status FROM slots WHERE repo=? AND agent=? AND slot=?", (repo, agent, slot)
        ).fetchone()
        return str(row[0]) if row else None

    def claim_slot(self, repo: str, agent: str, slot: str, cycle: str, now: str) -> str:
        """Take the slot's lease: ``claimed``, or ``done`` / ``held`` when it is not ours.

        A slot is run at most once at a time: a ``running`` slot whose lease
        lives is left alone; one whose lease expired (or whose owner on this
        host is gone) is taken over. The claim is one ``BEGIN IMMEDIATE``
        transaction, so two processes claiming at once cannot both win.
        """
        until = _stamp(_parse(now) + LEASE)
        with self.transaction() as db:
            row = db.execute(
                "SELECT status, owner, lease_until FROM slots WHERE repo=? AND agent=? AND slot=?",
                (repo, agent, slot),
            ).fetchone()
            if row and row[0] == "done":
                return "done"
            if row and row[0] == "running" and _lease_lives(row[1], row[2], now):
                return "held"
            db.execute(
                "INSERT OR REPLACE INTO slots "
                "(repo, agent, slot, status, cycle, task_path, updated_at, owner, lease_until) "
                "VALUES (?, ?, ?, 'running', ?, NULL, ?, ?, ?)",
                (repo, agent, slot, cycle, now, self.owner, until),
            )
        return "claimed"

    def finish_slot(
        self, repo: str, agent: str, slot: str, *, ok: bool, task_path: str | None, now: str
    ) -> bool:
        """Record the slot's result; False when this runner no longer holds its lease."""
        cursor = self.db.execute(
            "UPDATE slots SET status=?, task_path=?, updated_at=?, owner=NULL, lease_until=NULL "
            "WHERE repo=? AND agent=? AND slot=? AND owner=?",
            ("done" if ok else "failed", task_path, now, repo, agent, slot, self.owner),
        )
        return cursor.rowcount == 1

    def record_step(
        self,
        cycle: str,
        repo: str,
        agent: str,
        slot: str,
        step: str,
        *,
        ok: bool,
        duration_s: float,
        error: str | None,
        now: str,
    ) -> None:
        self.db.execute(
            "INSERT INTO steps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                cycle,
                repo,
                agent,
                slot,
                step,
                "completed" if ok else "failed",
                duration_s,
                error,
                now,
            ),
        )

    def record_cycle(self, cycle: str, repo: str, at: str, ok: bool) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO cycles VALUES (?, ?, ?, ?)", (cycle, repo, at, int(ok))
        )

    def cycles(self, repo: str | None = None) -> list[CycleRow]:
        query = "SELECT cycle, repo, at, ok FROM cycles"
        args: tuple[str, ...] = ()
        if repo is not None:
            query += " WHERE repo=?"
            args = (repo,)
        rows = self.db.execute(query + " ORDER BY at, rowid", args).fetchall()
        return [CycleRow(str(c), str(r), str(a), bool(o)) for c, r, a, o in rows]

    def steps(self, cycle: str, repo: str) -> list[dict[str, Any]]:
        """The steps one cycle took in one repo, in the order they finished."""
        rows = self.db.execute(
            "SELECT agent, step, status, duration_s, error FROM steps "
            "WHERE cycle=? AND repo=? ORDER BY rowid",
            (cycle, repo),
        ).fetchall()
        return [
            {"agent": a, "step": s, "status": st, "duration_s": round(float(d), 3), "error": e}
            for a, s, st, d, e in rows
        ]

    def get_setting(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_setting(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (key, value))


def _lease_lives(owner: str | None, until: str | None, now: str) -> bool:
    if owner is None or until is None:
        return False  # a claim from before leases: no owner to wait for
    if _parse(until) <= _parse(now):
        return False
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host == socket.gethostname() and pid.isdigit():
        return _alive(int(pid))
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def _parse(stamp: str) -> datetime:
    from kaizen_agentic._time import parse_timestamp

    return parse_timestamp(stamp)


def _stamp(moment: datetime) -> str:
    from kaizen_agentic._time import format_timestamp

    return format_timestamp(moment)


def new_cycle_id() -> str:
    return uuid.uuid4().hex[:12]


@contextmanager
def immediate_transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``: one writer at a time across processes."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
