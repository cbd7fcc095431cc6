"""The idempotency-key index kept beside ``executions.jsonl``.

``executions.jsonl`` stays the source of truth. The index (SQLite, so a lookup
costs the same at ten records or ten million) remembers which byte offset of
the file it has read up to, the file's inode and a fingerprint of the bytes
it read (:func:`~kaizen_agentic._fs.prefix_fingerprint`); when the file grew
behind its back it reads only the new tail, and when the file was replaced
(pruned), rewritten in place (a ``cp`` over it) or the index is missing or
damaged it is rebuilt from scratch.
Callers hold the store's lock.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import BinaryIO

from kaizen_agentic._fs import inside_root, open_read, prefix_fingerprint
from kaizen_agentic._jsonl import parse_line

_SCHEMA_VERSION = 2


class KeyIndex:
    """Idempotency keys seen in one executions file."""

    def __init__(self, index_path: Path, executions_path: Path, root: Path) -> None:
        self.index_path = index_path
        self.executions_path = executions_path
        self.root = root
        inside_root(root, index_path)
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
        if db.execute("PRAGMA user_version").fetchone()[0] != _SCHEMA_VERSION:
            # an index of an older layout: it is only an index, so start again
            db.executescript("DROP TABLE IF EXISTS keys; DROP TABLE IF EXISTS state;")
            db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
        db.execute("CREATE TABLE IF NOT EXISTS keys (key TEXT PRIMARY KEY)")
        db.execute(
            "CREATE TABLE IF NOT EXISTS state "
            "(id INTEGER PRIMARY KEY, inode INTEGER, offset INTEGER, fingerprint TEXT)"
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
        inode, size, fingerprint = self._position()
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("INSERT OR IGNORE INTO keys VALUES (?)", (key,))
            self._set_state(inode, size, fingerprint)

    def _position(self) -> tuple[int, int, str]:
        """The file's inode, size and the fingerprint of all of it."""
        try:
            handle = open_read(self.root, self.executions_path)
        except FileNotFoundError:
            return 0, 0, ""
        with handle:
            stat = os.fstat(handle.fileno())
            return stat.st_ino, stat.st_size, prefix_fingerprint(handle, stat.st_size)

    def _catch_up(self) -> None:
        row = self._db.execute(
            "SELECT inode, offset, fingerprint FROM state WHERE id = 1"
        ).fetchone()
        stored_inode, offset, stored_print = row if row else (None, 0, "")
        try:
            handle = open_read(self.root, self.executions_path)
        except FileNotFoundError:
            inode, size, now_print = 0, 0, ""
            keys: list[str] = []
            rebuild = True
        else:
            with handle:
                stat = os.fstat(handle.fileno())
                inode, size = stat.st_ino, stat.st_size
                # what we read before must still be there, byte for byte at its ends
                covered = prefix_fingerprint(handle, offset) if offset <= size else ""
                rebuild = stored_inode != inode or size < offset or covered != stored_print
                if not rebuild and offset == size:
                    return
                start = 0 if rebuild else offset
                keys = self._keys_from(handle, start, size)
                now_print = prefix_fingerprint(handle, size)
        with self._db:
            self._db.execute("BEGIN")
            if rebuild:
                self._db.execute("DELETE FROM keys")
            self._db.executemany("INSERT OR IGNORE INTO keys VALUES (?)", ((k,) for k in keys))
            self._set_state(inode, size, now_print)

    def _keys_from(self, handle: BinaryIO, start: int, end: int) -> list[str]:
        if end <= start:
            return []
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

    def _set_state(self, inode: int, offset: int, fingerprint: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO state VALUES (1, ?, ?, ?)", (inode, offset, fingerprint)
        )
