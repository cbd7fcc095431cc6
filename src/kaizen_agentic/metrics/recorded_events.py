"""A record and its ``kaizen.metrics.recorded`` event are never separated (SPEC §8).

Appending a record and emitting its event are two writes to two files; a
process killed between them would leave a record without its event. So the
event's id is derived from the record (agent, record id), and every command
that touches the store first *recovers*: it reads the records appended since
the outbox's high-water mark for that agent, emits the event of each (an
event already in the outbox is not written twice, whoever wrote it), then
moves the mark to the end of the file.

The marks live in ``.kaizen/events/recorded-marks.json``: per agent the byte
offset up to which every record has its event, and the id of the record that
ends there. When ``executions.jsonl`` was rewritten (a prune, a copy) and the
offset no longer ends that record, the record is looked up by its id and
recovery goes on after it; when it is gone too, recovery starts at the end
of the file. A project whose store has no mark yet (records written before
this version) starts at the end of its file as well, so upgrading never
re-emits old records.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from kaizen_agentic._fs import (
    MAX_EVENTS_FILE_BYTES,
    ensure_dir,
    exclusive_lock,
    inside_root,
    open_read,
    open_regular,
    read_bytes_capped,
    read_text_capped,
)
from kaizen_agentic.errors import KaizenError
from kaizen_agentic.events.outbox import emit_event, emit_events, events_dir
from kaizen_agentic.events.payloads import MetricsRecorded
from kaizen_agentic.metrics.store import MetricsStore

MAX_MARKS_BYTES = 16 * 1024 * 1024
MARKS_FILE = "recorded-marks.json"
_RECOVER_LOCK = ".recover.lock"

# Called once a record is in the store and before its event is written:
# the tests' way of killing a process exactly there.
AfterAppend = Callable[[Mapping[str, Any]], None]


def recorded_event(root: Path, agent: str, record: Mapping[str, Any]) -> MetricsRecorded:
    """The ``kaizen.metrics.recorded`` payload of *record* (its id is derived from it)."""
    return MetricsRecorded(
        repo=str(record.get("project") or root.resolve().name),
        agent=agent,
        record_id=str(record["record_id"]),
        success=bool(record["success"]),
        quality_score=record.get("quality_score"),
        agent_version=record.get("agent_version"),
    )


def emit_recorded(root: Path, agent: str, record: Mapping[str, Any]) -> None:
    """Write ``kaizen.metrics.recorded`` of *record*, just appended, to the repo's outbox (§8)."""
    emit_event(root, recorded_event(root, agent, record))


def recover_recorded_events(root: Path, agents: list[str] | None = None) -> int:
    """Emit the missing event of every record appended since the marks; how many were missing.

    *agents* defaults to every agent with metrics. Leaves the project
    untouched when it has no metrics.
    """
    names = MetricsStore.list_agents(root) if agents is None else agents
    if not names:
        return 0
    directory = events_dir(root)
    ensure_dir(root, directory)  # inside the project: a linked .kaizen is refused
    recovered = 0
    with exclusive_lock(directory / _RECOVER_LOCK, root=root):
        marks = _read_marks(root, directory / MARKS_FILE)
        changed = False
        for agent in names:
            store = MetricsStore(root, agent)
            mark = marks.get(agent)
            # The store's lock: an append in progress is either all there or not yet.
            with exclusive_lock(store.lock_path, root=root):
                start, start_id, tail = _unrecovered(root, store.executions_path, mark)
            events, used, last_id = _events_in(root, agent, tail)
            if events:
                recovered += len(events) - _already_held(root, events)
                emit_events(root, events)
            new_mark = {"offset": start + used, "record_id": last_id or start_id}
            if new_mark != mark:
                marks[agent] = new_mark
                changed = True
        if changed:
            _write_marks(root, directory / MARKS_FILE, marks)
    return recovered


def _write_marks(root: Path, path: Path, marks: Mapping[str, Any]) -> None:
    """Replace the marks file atomically but without an fsync.

    The marks are a hint that moves on every record: an fsync each time
    would cost ~4 ms per ``metrics record``. A mark lost to a power cut
    means an older (or no) mark, never a wrong one.
    """
    inside_root(root, path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = open_regular(root, temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(marks, sort_keys=True) + "\n")
    temporary.replace(path)


def _already_held(root: Path, events: list[MetricsRecorded]) -> int:
    from kaizen_agentic.events.outbox import outbox_path
    from kaizen_agentic.events.payloads import build_event

    try:
        data = read_bytes_capped(root, outbox_path(root), MAX_EVENTS_FILE_BYTES)
    except FileNotFoundError:
        return 0
    ids = [build_event(e)["event_id"] for e in events]
    return sum(f'"event_id":"{i}"'.encode() in data for i in ids)


def _read_marks(root: Path, path: Path) -> dict[str, dict[str, Any]]:
    try:
        document = json.loads(read_text_capped(root, path, MAX_MARKS_BYTES))
    except (FileNotFoundError, ValueError, UnicodeDecodeError, KaizenError):
        return {}  # no marks (or damaged ones): only what is appended from now on
    if not isinstance(document, dict):
        return {}
    return {k: v for k, v in document.items() if isinstance(v, dict)}


def _unrecovered(
    root: Path, path: Path, mark: Mapping[str, Any] | None
) -> tuple[int, str | None, bytes]:
    """Where the records without a known event start, the id of the record before, the rest.

    Reads only the file's end (from the mark, or the last line) unless the
    file was rewritten under the mark: recovery costs what was appended.
    """
    try:
        handle = open_read(root, path)
    except FileNotFoundError:
        return 0, None, b""
    with handle:
        size = os.fstat(handle.fileno()).st_size
        offset = None if mark is None else mark.get("offset")
        record_id = None if mark is None else mark.get("record_id")
        if isinstance(offset, int) and isinstance(record_id, str):
            if 0 < offset <= size and _last_record_id(_window(handle, offset)) == record_id:
                return offset, record_id, _read_from(handle, offset)
            return _after_record(_read_from(handle, 0), record_id)
        if offset == 0 and record_id is None:  # marked when the file was empty
            return 0, None, _read_from(handle, 0)
        # No mark yet (or an unreadable one): only what is appended from now on.
        window = _window(handle, size)
        end = size - len(window) + window.rfind(b"\n") + 1
        return end, _last_record_id(window[: end - (size - len(window))]), b""


def _after_record(data: bytes, record_id: str) -> tuple[int, str | None, bytes]:
    """The file was rewritten: go on after the marked record, wherever it is now."""
    found = data.find(f'"record_id":"{record_id}"'.encode())
    if found < 0:  # gone too: only what is appended from now on
        end = data.rfind(b"\n") + 1
        return end, _last_record_id(data[:end]), b""
    end = data.find(b"\n", found)
    end = len(data) if end < 0 else end + 1
    return end, record_id, data[end:]


_WINDOW = 65536


def _window(handle: BinaryIO, offset: int) -> bytes:
    """The bytes just before *offset*: enough to hold the last line or two."""
    start = max(0, offset - _WINDOW)
    handle.seek(start)
    return handle.read(offset - start)


def _read_from(handle: BinaryIO, offset: int) -> bytes:
    handle.seek(offset)
    return handle.read()


def _last_record_id(data: bytes) -> str | None:
    """The id of the last record in *data*, which ends at a line boundary (or None)."""
    if not data.endswith(b"\n"):
        return None
    end = len(data) - 1
    while end >= 0:
        start = data.rfind(b"\n", 0, end) + 1
        found = _record_id(data[start:end])
        if found is not None:
            return found
        end = start - 1
    return None


def _record_id(raw: bytes) -> str | None:
    from kaizen_agentic._jsonl import parse_line

    record = parse_line(raw)
    value = None if record is None else record.get("record_id")
    return value if isinstance(value, str) else None


def _events_in(
    root: Path, agent: str, tail: bytes
) -> tuple[list[MetricsRecorded], int, str | None]:
    """The events of the complete records in *tail*; bytes they span; the last record id."""
    from kaizen_agentic._jsonl import parse_line

    used = tail.rfind(b"\n") + 1  # a torn last line is not a record yet
    events: list[MetricsRecorded] = []
    last_id: str | None = None
    for raw in tail[:used].splitlines():
        record = parse_line(raw) if raw.strip() else None
        if record is None or not isinstance(record.get("record_id"), str):
            continue  # the store's readers skip such a line too
        last_id = record["record_id"]
        try:
            events.append(recorded_event(root, agent, record))
        except (KaizenError, KeyError, TypeError, ValueError) as error:
            warnings.warn(
                f"record {last_id} of {agent} gets no event: {error}",
                RuntimeWarning,
                stacklevel=2,
            )
    return events, used, last_id
