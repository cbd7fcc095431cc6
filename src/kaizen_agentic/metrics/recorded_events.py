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
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kaizen_agentic._fs import atomic_write_text, exclusive_lock
from kaizen_agentic.errors import KaizenError
from kaizen_agentic.events.outbox import emit_events, events_dir
from kaizen_agentic.events.payloads import MetricsRecorded
from kaizen_agentic.metrics.store import MetricsStore

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


def recover_recorded_events(root: Path, agents: list[str] | None = None) -> int:
    """Emit the missing event of every record appended since the marks; how many were missing.

    *agents* defaults to every agent with metrics. Leaves the project
    untouched when it has no metrics.
    """
    names = MetricsStore.list_agents(root) if agents is None else agents
    if not names:
        return 0
    directory = events_dir(root)
    directory.mkdir(parents=True, exist_ok=True)
    recovered = 0
    with exclusive_lock(directory / _RECOVER_LOCK):
        marks = _read_marks(directory / MARKS_FILE)
        changed = False
        for agent in names:
            store = MetricsStore(root, agent)
            mark = marks.get(agent)
            # The store's lock: an append in progress is either all there or not yet.
            with exclusive_lock(store.lock_path):
                data = _read(store.executions_path)
            start = _resume_at(data, mark)
            events, end = _events_after(root, agent, data, start)
            if events:
                recovered += len(events) - _already_held(root, events)
                emit_events(root, events)
            new_mark = {"offset": end, "record_id": _last_record_id(data, end)}
            if new_mark != mark:
                marks[agent] = new_mark
                changed = True
        if changed:
            atomic_write_text(directory / MARKS_FILE, json.dumps(marks, sort_keys=True) + "\n")
    return recovered


def _already_held(root: Path, events: list[MetricsRecorded]) -> int:
    from kaizen_agentic.events.outbox import outbox_path
    from kaizen_agentic.events.payloads import build_event

    try:
        data = outbox_path(root).read_bytes()
    except FileNotFoundError:
        return 0
    ids = [build_event(e)["event_id"] for e in events]
    return sum(f'"event_id":"{i}"'.encode() in data for i in ids)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def _read_marks(path: Path) -> dict[str, dict[str, Any]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(document, dict):
        return {}
    return {k: v for k, v in document.items() if isinstance(v, dict)}


def _resume_at(data: bytes, mark: Mapping[str, Any] | None) -> int:
    """Where the records without a known event start in *data*."""
    if mark is None:
        return _complete_end(data)  # no mark yet: only what is appended from now on
    offset, record_id = mark.get("offset"), mark.get("record_id")
    if not isinstance(offset, int) or offset < 0:
        return _complete_end(data)
    if not isinstance(record_id, str):  # nothing before the mark: an empty file
        return offset if offset <= len(data) else _complete_end(data)
    if offset <= len(data) and _last_record_id(data, offset) == record_id:
        return offset
    # The file was rewritten: go on after the marked record, wherever it is now.
    needle = f'"record_id":"{record_id}"'.encode()
    found = data.find(needle)
    if found < 0:
        return _complete_end(data)
    end = data.find(b"\n", found)
    return len(data) if end < 0 else end + 1


def _last_record_id(data: bytes, offset: int) -> str | None:
    """The id of the last record whose line ends at or before *offset* (a line boundary)."""
    if offset == 0 or data[offset - 1 : offset] != b"\n":
        return None
    end = offset - 1
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


def _complete_end(data: bytes) -> int:
    """The end of the last complete line: a torn tail is not a record yet."""
    return data.rfind(b"\n") + 1


def _events_after(
    root: Path, agent: str, data: bytes, start: int
) -> tuple[list[MetricsRecorded], int]:
    """The events of the complete records from *start*, and the offset where they end."""
    from kaizen_agentic._jsonl import parse_line

    end = max(_complete_end(data), start)
    events: list[MetricsRecorded] = []
    for raw in data[start:end].splitlines():
        record = parse_line(raw) if raw.strip() else None
        if record is None or not isinstance(record.get("record_id"), str):
            continue  # the store's readers skip such a line too
        try:
            events.append(recorded_event(root, agent, record))
        except (KaizenError, KeyError, TypeError, ValueError) as error:
            warnings.warn(
                f"record {record['record_id']} of {agent} gets no event: {error}",
                RuntimeWarning,
                stacklevel=2,
            )
    return events, end
