"""The event outbox: every event is written here first (SPEC §8).

``.kaizen/events/outbox.jsonl`` is append-only: one event per line, keys sorted.
Delivery never rewrites it; the ids of delivered events are appended to the
sibling ``delivered.jsonl`` instead, so *pending* is the outbox minus that set
and a crash between publishing and recording only means a re-publish, which
JetStream's de-duplication absorbs. An event whose id is already in the
outbox is not written again (ids derived from what happened once make a
retried emit a no-op). Only :func:`compact_events` rewrites the two files,
dropping delivered events older than a retention period.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kaizen_agentic._fs import (
    MAX_EVENTS_FILE_BYTES,
    append_line,
    ensure_dir,
    exclusive_lock,
    read_bytes_capped,
    read_text_capped,
)
from kaizen_agentic.events.payloads import (
    ENVELOPE_KEYS,
    EVENT_ID_PATTERN,
    SUBJECT_PATTERN,
    EventPayload,
    build_event,
    utc_timestamp,
)

EVENTS_DIR = Path(".kaizen") / "events"
OUTBOX_FILE = "outbox.jsonl"
DELIVERED_FILE = "delivered.jsonl"
_OUTBOX_LOCK = ".outbox.lock"
_DELIVERED_LOCK = ".delivered.lock"
# Held by a flush for its whole run (see delivery.py) and by compaction.
FLUSH_LOCK = ".flush.lock"


def events_dir(root: Path) -> Path:
    return root / EVENTS_DIR


def outbox_path(root: Path) -> Path:
    return events_dir(root) / OUTBOX_FILE


def delivered_path(root: Path) -> Path:
    return events_dir(root) / DELIVERED_FILE


@dataclass(frozen=True)
class StoredEvent:
    """One well-formed outbox line: what delivery publishes, byte for byte."""

    event_id: str
    subject: str
    line: str
    document: dict[str, Any]

    @property
    def data(self) -> bytes:
        return self.line.encode("utf-8")


def encode_event(document: dict[str, Any]) -> str:
    """One JSONL line (an outbox event or a delivery record): compact, keys sorted, no NaN."""
    return json.dumps(
        document, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )


def emit_event(root: Path, event: EventPayload, *, occurred_at: datetime | None = None) -> str:
    """Append *event* to the project's outbox and return its event id.

    Safe to call from many processes at once: each append is one ``write`` under
    the outbox lock. An event whose id the outbox already holds (a derived id,
    see :func:`~kaizen_agentic.events.payloads.derived_event_id`) is not
    written a second time.
    """
    return emit_events(root, [event], occurred_at=occurred_at)[0]


def emit_events(
    root: Path, events: Sequence[EventPayload], *, occurred_at: datetime | None = None
) -> list[str]:
    """:func:`emit_event` for several events with one locked append; their ids in order."""
    documents = [build_event(event, occurred_at=occurred_at) for event in events]
    ids: list[str] = [d["event_id"] for d in documents]
    if not documents:
        return ids
    # Only derived ids can repeat; random ones need no look-up.
    derived = [i for i, e in zip(ids, events, strict=True) if e.occurrence() is not None]
    directory = events_dir(root)
    ensure_dir(root, directory)
    with exclusive_lock(directory / _OUTBOX_LOCK, root=root):
        held = _held_ids(root, directory / OUTBOX_FILE, derived)
        lines = []
        for event_id, document in zip(ids, documents, strict=True):
            if event_id not in held:
                held.add(event_id)
                lines.append(encode_event(document))
        if lines:
            append_line(directory / OUTBOX_FILE, "\n".join(lines), root=root)
    return ids


def _held_ids(root: Path, path: Path, candidates: Sequence[str]) -> set[str]:
    """Which of *candidates* already appear in the outbox."""
    if not candidates:
        return set()
    try:
        data = read_bytes_capped(root, path, MAX_EVENTS_FILE_BYTES)
    except FileNotFoundError:
        return set()
    # encode_event writes keys sorted and compact, so an id appears exactly so.
    return {i for i in candidates if f'"event_id":"{i}"'.encode() in data}


def read_outbox(root: Path) -> list[StoredEvent]:
    """Every well-formed outbox event in file order.

    Bad lines are skipped with a ``MalformedLineWarning`` naming file and line.
    """
    path = outbox_path(root)
    if not path.exists():
        return []
    # Read under the writers' lock so an unterminated last line is a torn write
    # (a crashed writer), never an append still in progress.
    with exclusive_lock(events_dir(root) / _OUTBOX_LOCK, root=root):
        text = read_text_capped(root, path, MAX_EVENTS_FILE_BYTES)
    return _events_of(path, text)


def _events_of(path: Path, text: str) -> list[StoredEvent]:
    events: list[StoredEvent] = []
    seen: set[str] = set()
    for number, line in _lines(path, text):
        stored = _parse_event(path, number, line)
        if stored is None:
            continue
        if stored.event_id in seen:
            _skip(path, number, f"event id {stored.event_id} already appears earlier")
            continue
        seen.add(stored.event_id)
        events.append(stored)
    return events


def delivered_ids(root: Path) -> set[str]:
    """The ids recorded in ``delivered.jsonl``; bad lines are skipped with a warning."""
    path = delivered_path(root)
    if not path.exists():
        return set()
    with exclusive_lock(events_dir(root) / _DELIVERED_LOCK, root=root):
        text = read_text_capped(root, path, MAX_EVENTS_FILE_BYTES)
    return _delivered_of(path, text)


def _delivered_of(path: Path, text: str) -> set[str]:
    ids: set[str] = set()
    for number, line in _lines(path, text):
        document = _json_object(path, number, line)
        if document is None:
            continue
        event_id = document.get("event_id")
        if not isinstance(event_id, str) or not EVENT_ID_PATTERN.match(event_id):
            _skip(path, number, "no valid event_id")
            continue
        ids.add(event_id)
    return ids


def pending_events(root: Path) -> list[StoredEvent]:
    """Outbox events not yet recorded as delivered, oldest first."""
    delivered = delivered_ids(root)
    return [e for e in read_outbox(root) if e.event_id not in delivered]


def mark_delivered(root: Path, event_ids: Iterable[str], *, at: datetime | None = None) -> int:
    """Record *event_ids* as delivered with one locked append; returns how many were written.

    Call only after the server acknowledged them: a recorded id is never sent again.
    """
    stamp = utc_timestamp(at)
    lines = [encode_event({"delivered_at": stamp, "event_id": i}) for i in event_ids]
    if not lines:
        return 0
    directory = events_dir(root)
    ensure_dir(root, directory)
    with exclusive_lock(directory / _DELIVERED_LOCK, root=root):
        append_line(directory / DELIVERED_FILE, "\n".join(lines), root=root)
    return len(lines)


def list_events(root: Path, pending_only: bool = False) -> list[dict[str, Any]]:
    """Outbox events as documents (envelope keys first), each with a ``delivered`` flag."""
    delivered = delivered_ids(root)
    listed = []
    for stored in read_outbox(root):
        is_delivered = stored.event_id in delivered
        if pending_only and is_delivered:
            continue
        document = {k: stored.document[k] for k in ENVELOPE_KEYS if k in stored.document}
        document.update(
            (k, v) for k, v in sorted(stored.document.items()) if k not in ENVELOPE_KEYS
        )
        document["delivered"] = is_delivered
        listed.append(document)
    return listed


@dataclass(frozen=True)
class CompactResult:
    """What :func:`compact_events` did: events dropped, events kept, the cut-off used."""

    dropped: int
    kept: int
    cutoff: str
    retention_days: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "dropped": self.dropped,
            "kept": self.kept,
            "cutoff": self.cutoff,
            "retention_days": self.retention_days,
        }


def compact_events(
    root: Path, *, retention_days: int, now: datetime | None = None
) -> CompactResult:
    """Drop *delivered* events that occurred more than *retention_days* ago.

    Pending events are never dropped, however old. The outbox is rewritten
    first and ``delivered.jsonl`` second, each atomically, under the locks of
    emitting, delivering and flushing: a crash in between leaves delivery
    records of events no longer in the outbox, which mean nothing. Lines the
    reader skips (malformed, torn) are kept as they are.
    """
    from datetime import timedelta, timezone

    from kaizen_agentic._fs import atomic_write_text
    from kaizen_agentic._time import parse_timestamp

    if retention_days < 1:
        raise ValueError(f"retention_days must be at least 1, got {retention_days}")
    moment = now or datetime.now(timezone.utc)
    cutoff = moment - timedelta(days=retention_days)
    stamp = utc_timestamp(cutoff)
    directory = events_dir(root)
    outbox, delivered_file = outbox_path(root), delivered_path(root)
    if not outbox.exists():
        return CompactResult(0, 0, stamp, retention_days)
    with (
        exclusive_lock(directory / FLUSH_LOCK, root=root),
        exclusive_lock(directory / _OUTBOX_LOCK, root=root),
        exclusive_lock(directory / _DELIVERED_LOCK, root=root),
    ):
        text = read_text_capped(root, outbox, MAX_EVENTS_FILE_BYTES)
        try:
            done_text = read_text_capped(root, delivered_file, MAX_EVENTS_FILE_BYTES)
        except FileNotFoundError:
            done_text = ""
        delivered = _delivered_of(delivered_file, done_text)
        dropped: set[str] = set()
        kept_lines: list[str] = []
        kept = 0
        for line in text.splitlines():
            if not line.strip():
                continue
            stored = _quiet_event(line)
            if stored is not None and stored.event_id in delivered:
                try:
                    old = parse_timestamp(str(stored.document.get("occurred_at"))) < cutoff
                except ValueError:
                    old = False
                if old:
                    dropped.add(stored.event_id)
                    continue
            kept += stored is not None
            kept_lines.append(line)
        if dropped:
            atomic_write_text(outbox, "".join(f"{line}\n" for line in kept_lines), root=root)
            remaining = [
                line
                for line in done_text.splitlines()
                if line.strip() and _quiet_id(line) not in dropped
            ]
            atomic_write_text(delivered_file, "".join(f"{line}\n" for line in remaining), root=root)
    return CompactResult(len(dropped), kept, stamp, retention_days)


def _quiet_event(line: str) -> StoredEvent | None:
    """The event on *line*, or None, without warnings (compaction keeps bad lines as they are)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _parse_event(Path(OUTBOX_FILE), 0, line)


def _quiet_id(line: str) -> str | None:
    try:
        document = json.loads(line)
    except ValueError:
        return None
    value = document.get("event_id") if isinstance(document, dict) else None
    return value if isinstance(value, str) else None


def _lines(path: Path, text: str) -> Iterator[tuple[int, str]]:
    lines = text.split("\n")
    # A file that ends in "\n" splits into a final empty string: nothing torn.
    last = len(lines)
    for number, line in enumerate(lines, start=1):
        if number == last:
            if line.strip():
                _skip(path, number, "torn line: no newline at end of file")
            return
        if line.strip():
            yield number, line


def _json_object(path: Path, number: int, line: str) -> dict[str, Any] | None:
    try:
        document = json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: nesting too deep to read
        _skip(path, number, "not valid JSON")
        return None
    if not isinstance(document, dict):
        _skip(path, number, "not a JSON object")
        return None
    return document


def _parse_event(path: Path, number: int, line: str) -> StoredEvent | None:
    document = _json_object(path, number, line)
    if document is None:
        return None
    event_id = document.get("event_id")
    if not isinstance(event_id, str) or not EVENT_ID_PATTERN.match(event_id):
        _skip(path, number, "no valid event_id")
        return None
    subject = document.get("event")
    if not isinstance(subject, str) or not SUBJECT_PATTERN.match(subject):
        _skip(path, number, f"event {subject!r} is not a kaizen.* subject")
        return None
    return StoredEvent(event_id=event_id, subject=subject, line=line.strip(), document=document)


def _skip(path: Path, number: int, reason: str) -> None:
    # The metrics store's warning class, so one filter covers every JSONL file.
    from kaizen_agentic.errors import MalformedLineWarning

    warnings.warn(
        f"{path}:{number}: skipped a malformed line ({reason})", MalformedLineWarning, stacklevel=4
    )
