"""The event outbox: every event is written here first (SPEC §8).

``.kaizen/events/outbox.jsonl`` is append-only: one event per line, keys sorted.
Delivery never rewrites it; the ids of delivered events are appended to the
sibling ``delivered.jsonl`` instead, so *pending* is the outbox minus that set
and a crash between publishing and recording only means a re-publish, which
JetStream's de-duplication absorbs.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kaizen_agentic._fs import (
    MAX_EVENTS_FILE_BYTES,
    append_line,
    ensure_dir,
    exclusive_lock,
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
    the outbox lock.
    """
    document = build_event(event, occurred_at=occurred_at)
    line = encode_event(document)
    directory = events_dir(root)
    ensure_dir(root, directory)
    with exclusive_lock(directory / _OUTBOX_LOCK, root=root):
        append_line(directory / OUTBOX_FILE, line, root=root)
    event_id: str = document["event_id"]
    return event_id


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
    from kaizen_agentic.metrics.records import MalformedLineWarning

    warnings.warn(
        f"{path}:{number}: skipped a malformed line ({reason})", MalformedLineWarning, stacklevel=4
    )
