"""The idempotency-key index kept beside ``executions.jsonl``.

``executions.jsonl`` stays the source of truth. The index (SQLite, so a lookup
costs the same at ten records or ten million) remembers which byte offset of
the file it has read up to and the file's inode; when the file grew behind
its back it reads only the new tail, and when the file was replaced (pruned)
or the index is missing or damaged it is rebuilt from scratch.
Callers hold the store's lock.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kaizen_agentic._jsonl import parse_line


class KeyIndex:
    """Idempotency keys seen in one executions file."""

    def __init__(self, index_path: Path, executions_path: Path) -> None:
        self.index_path = index_path
        self.executions_path = executions_path
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except sqlite3.DatabaseError:  # damaged: it is only an index, so start again
            self.index_path.unlink(missing_ok=True)
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.index_path, isolation_level=None)
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS keys (key TEXT PRIMARY KEY)")
        db.execute(
            "CREATE TABLE IF NOT EXISTS state "
            "(id INTEGER PRIMARY KEY, inode INTEGER, offset INTEGER)"
        )
        return db

    def close(self) -> None:
        self._db.close()

    def contains(self, key: str) -> bool:
        self._catch_up()
        return self._db.execute("SELECT 1 FROM keys WHERE key = ?", (key,)).fetchone() is not None

    def keys(self, prefix: str = "") -> set[str]:
        """Every key seen that starts with *prefix*."""
        self._catch_up()
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._db.execute("SELECT key FROM keys WHERE key LIKE ? ESCAPE '\\'", (pattern,))
        return {row[0] for row in rows}

    def add(self, key: str) -> None:
        """Record *key*, written by the caller as the file's last line."""
        stat = self.executions_path.stat()
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("INSERT OR IGNORE INTO keys VALUES (?)", (key,))
            self._set_state(stat.st_ino, stat.st_size)

    def _catch_up(self) -> None:
        try:
            stat = self.executions_path.stat()
        except FileNotFoundError:
            inode, size = 0, 0
        else:
            inode, size = stat.st_ino, stat.st_size
        row = self._db.execute("SELECT inode, offset FROM state WHERE id = 1").fetchone()
        stored_inode, offset = row if row else (None, 0)
        if stored_inode == inode and offset == size:
            return
        rebuild = stored_inode != inode or size < offset
        start = 0 if rebuild else offset
        keys = list(self._keys_from(start, size))
        with self._db:
            self._db.execute("BEGIN")
            if rebuild:
                self._db.execute("DELETE FROM keys")
            self._db.executemany("INSERT OR IGNORE INTO keys VALUES (?)", ((k,) for k in keys))
            self._set_state(inode, size)

    def _keys_from(self, start: int, end: int) -> list[str]:
        if end <= start:
            return []
        with self.executions_path.open("rb") as handle:
            handle.seek(start)
            chunk = handle.read(end - start)
        keys = []
        for raw in chunk.split(b"\n"):
            if b'"idempotency_key"' not in raw:
                continue
            record = parse_line(raw)  # torn or malformed: readers report it, the index skips it
            key = record.get("idempotency_key") if record is not None else None
            if isinstance(key, str):
                keys.append(key)
        return keys

    def _set_state(self, inode: int, offset: int) -> None:
        self._db.execute("INSERT OR REPLACE INTO state VALUES (1, ?, ?)", (inode, offset))
