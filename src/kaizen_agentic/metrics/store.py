"""The per-agent metrics store: ``.kaizen/metrics/<agent>/`` (SPEC §1, §3).

``executions.jsonl`` is append-only and the source of truth. Appends take an
inter-process lock and cost the same whatever the history size; the helper
files beside it (``.keys.sqlite`` for idempotency, ``.cache/`` for analytics)
are rebuilt whenever they are missing or stale and are never needed to read
the data.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaizen_agentic._fs import (
    append_line,
    atomic_write_text,
    ensure_dir,
    exclusive_lock,
    inside_root,
    open_for_append,
    open_read,
    read_bytes_capped,
    remove_stale_temps,
)
from kaizen_agentic.names import is_valid_name, validate_name
from kaizen_agentic.paths import METRICS_RELATIVE, OPTIMIZER_DIR_NAME, AgentPaths

if TYPE_CHECKING:
    from kaizen_agentic.config import Config

SUMMARY_CAP = 16 * 1024 * 1024
SUMMARY_KEYS = (
    "agent",
    "execution_count",
    "success_rate",
    "avg_quality_score",
    "avg_execution_time_s",
    "last_execution",
    "trend",
    "windows",
)


class MetricsStore:
    """Records of one agent in one project."""

    def __init__(self, project_root: Path, agent_name: str, retention_days: int = 180) -> None:
        self.project_root = Path(project_root)
        self.agent_name = validate_name(agent_name)
        self.retention_days = retention_days
        paths = AgentPaths(self.project_root, self.agent_name)
        self.directory = paths.metrics_dir
        self.executions_path = paths.executions
        self.summary_path = paths.summary
        self.lock_path = self.directory / ".lock"
        self.index_path = self.directory / ".keys.sqlite"
        self.cache_dir = paths.cache_dir

    @staticmethod
    def list_agents(root: Path) -> list[str]:
        """Agents with a metrics folder under *root*, sorted."""
        base = Path(root) / METRICS_RELATIVE
        inside_root(root, base)
        if not base.is_dir():
            return []
        return sorted(
            p.name
            for p in base.iterdir()
            if p.is_dir() and is_valid_name(p.name) and p.name != OPTIMIZER_DIR_NAME
        )

    def scaffold(self) -> Path:
        """Create the agent's metrics folder and an empty executions file."""
        ensure_dir(self.project_root, self.directory)
        os.close(open_for_append(self.project_root, self.executions_path))
        return self.directory

    def append(self, record: Mapping[str, Any], idempotency_key: str | None = None) -> bool:
        """Append *record*; False when its idempotency key was already written.

        The record should be complete (see ``complete_record``); it is written
        as one compact JSON line with sorted keys.
        """
        data = self._completed(record)
        key = idempotency_key or data.get("idempotency_key")
        if key is not None:
            data["idempotency_key"] = key
        line = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return self._append_line(line, key)

    def _append_line(self, line: str, key: str | None) -> bool:
        """Append *line* under the lock; False when *key* was already written."""
        root = self.project_root
        ensure_dir(root, self.directory)
        with exclusive_lock(self.lock_path, root=root):
            if key is None:
                append_line(self.executions_path, line, root=root)
                return True
            from kaizen_agentic.metrics._index import KeyIndex

            index = KeyIndex(self.index_path, self.executions_path, root)
            try:
                if index.contains(key):
                    return False
                append_line(self.executions_path, line, root=root)
                index.add(key)
            finally:
                index.close()
        return True

    def idempotency_keys(self, prefix: str = "") -> set[str]:
        """The idempotency keys written so far that start with *prefix*."""
        if not self.executions_path.exists():
            return set()
        from kaizen_agentic.metrics._index import KeyIndex

        with exclusive_lock(self.lock_path, root=self.project_root):
            index = KeyIndex(self.index_path, self.executions_path, self.project_root)
            try:
                return index.keys(prefix)
            finally:
                index.close()

    def _completed(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Validate *record*; fill the automatic fields a library caller may have left out."""
        from kaizen_agentic._time import normalise_timestamp
        from kaizen_agentic.metrics.records import complete_record, validate_record

        if all(k in record for k in ("timestamp", "record_id", "agent")):
            validate_record(record)
            # stored times are canonical (SPEC §1): prune and the cache compare them as such
            return {**record, "timestamp": normalise_timestamp(record["timestamp"])}
        from kaizen_agentic.agents import AgentRegistry

        full = complete_record(
            record,
            agent=self.agent_name,
            project=self.project_root.resolve().name,
            domain=None,
            agent_version=AgentRegistry(self.project_root).agent_version(self.agent_name),
            environ=os.environ,
        )
        validate_record(full)
        return full

    def tail(self, count: int) -> list[dict[str, Any]]:
        """The last *count* valid records, newest last, reading only the file's end.

        Attachments always follow their record, so those in the part read are
        all the ones that apply to the records returned.
        """
        from kaizen_agentic._jsonl import parse_line
        from kaizen_agentic.metrics.attachments import fold, is_attachment

        try:
            handle = open_read(self.project_root, self.executions_path)
        except FileNotFoundError:
            return []
        with handle:
            end = handle.seek(0, os.SEEK_END)
            block, position = 64 * 1024, end
            while True:
                position = max(0, position - block)
                handle.seek(position)
                raw_lines = handle.read(end - position).split(b"\n")
                if position > 0:
                    raw_lines = raw_lines[1:]  # the first may start mid-line
                parsed = [
                    (number, record)
                    for number, raw in enumerate(raw_lines)
                    if raw.strip() and (record := parse_line(raw)) is not None
                ]
                runs = sum(1 for _, record in parsed if not is_attachment(record))
                if runs > count or position == 0:
                    break
                block *= 2
        return list(fold(parsed))[-count:] if count else []

    def iter_raw(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(line number, object) of every valid line as written, attachments included."""
        from kaizen_agentic._jsonl import iter_jsonl

        yield from iter_jsonl(self.executions_path, root=self.project_root)

    def iter_executions(self) -> Iterator[dict[str, Any]]:
        """Yield each run in file order with its attachments folded in; warn once per bad line.

        Two passes: the first collects only the attachment lines (a byte
        search finds them without decoding the rest), the second streams runs.
        """
        from kaizen_agentic.metrics.attachments import is_attachment, with_attachments

        later = self._attachments()
        for number, record in self.iter_raw():
            if not is_attachment(record):
                yield with_attachments(record, number, later) if later else record

    def _attachments(self) -> dict[str, list[tuple[int, dict[str, Any]]]]:
        from kaizen_agentic._fs import open_read
        from kaizen_agentic._jsonl import parse_line
        from kaizen_agentic.metrics.attachments import ATTACH_MARK, attachments_by_target

        try:
            handle = open_read(self.project_root, self.executions_path)
        except FileNotFoundError:
            return {}
        with handle:
            lines = [
                (number, record)
                for number, raw in enumerate(handle, start=1)
                if ATTACH_MARK in raw and (record := parse_line(raw)) is not None
            ]
        return attachments_by_target(lines)

    def read_executions(self) -> list[dict[str, Any]]:
        """Every valid run, in file order, attachments folded in."""
        return list(self.iter_executions())

    def find_run(
        self,
        *,
        record_id: str | None = None,
        session_id: str | None = None,
        idempotency_key: str | None = None,
        sources: tuple[str, ...] | None = None,
    ) -> dict[str, Any] | None:
        """The latest run matching every given field (and, with *sources*, of those sources)."""
        found = None
        for record in self.iter_executions():
            if record_id is not None and record.get("record_id") != record_id:
                continue
            if session_id is not None and record.get("session_id") != session_id:
                continue
            if idempotency_key is not None and record.get("idempotency_key") != idempotency_key:
                continue
            if sources is not None and record.get("source") not in sources:
                continue
            found = record
        return found

    def attach(
        self,
        record_id: str,
        values: Mapping[str, Any],
        now: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any] | None:
        """Append an attachment setting *values* on run *record_id*; return the line written.

        The caller checks that the run exists (``find_run``); nothing is
        rewritten. With *idempotency_key*, an attachment is written once (None
        when the key is already recorded), like a record.
        """
        from kaizen_agentic._time import format_timestamp, utc_now
        from kaizen_agentic.metrics.attachments import attachment_fields, attachment_line

        line = attachment_line(
            record_id,
            self.agent_name,
            attachment_fields(values),
            format_timestamp(now or utc_now()),
            idempotency_key,
        )
        text = json.dumps(line, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if not self._append_line(text, idempotency_key):
            return None
        return line

    def summarise(
        self, now: datetime | None = None, config: Config | None = None
    ) -> dict[str, Any]:
        """The summary.json document: seed-compatible keys plus ``windows``.

        Without *config*, the project's own config (an invalid one raises).
        """
        from kaizen_agentic.analysis.evidence import summarise, summary_evidence

        evidence = summary_evidence(self.project_root, self.agent_name, config, now=now)
        return summarise(evidence).to_document()

    def write_summary(
        self, now: datetime | None = None, config: Config | None = None
    ) -> dict[str, Any]:
        """Regenerate summary.json atomically (per the config) and return it."""
        from kaizen_agentic.analysis.evidence import summary_evidence, write_summary

        evidence = summary_evidence(self.project_root, self.agent_name, config, now=now)
        return write_summary(evidence).to_document()

    def read_summary(self) -> dict[str, Any] | None:
        """The last written summary, or None when there is none (or it is unreadable)."""
        from kaizen_agentic.errors import KaizenError

        try:
            data = json.loads(read_bytes_capped(self.project_root, self.summary_path, SUMMARY_CAP))
        except (FileNotFoundError, ValueError, RecursionError, KaizenError):
            return None
        return data if isinstance(data, dict) else None

    def prune(self, now: datetime | None = None) -> int:
        """Drop records older than the retention period; return how many went.

        The file is rewritten atomically under the lock, so concurrent appends
        are neither lost nor duplicated. Malformed lines are dropped too.
        """
        cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=self.retention_days)
        if not self.executions_path.exists():
            return 0
        from kaizen_agentic.metrics.attachments import ATTACH_KEY, is_attachment

        root = self.project_root
        with exclusive_lock(self.lock_path, root=root):
            # under the lock no writer is live: a temp file here is from a killed prune
            remove_stale_temps(self.executions_path)
            kept: list[str] = []
            kept_ids: set[Any] = set()
            removed = orphans = 0
            for _, record in self.iter_raw():
                if is_attachment(record):
                    # an attachment goes with its run: kept only while the run is
                    if record[ATTACH_KEY] not in kept_ids:
                        orphans += 1
                        continue
                elif _older_than(record, cutoff):
                    removed += 1
                    continue
                else:
                    kept_ids.add(record.get("record_id"))
                if (line := _stored_line(record)) is not None:
                    kept.append(line)
            if removed or orphans:
                text = "".join(f"{line}\n" for line in kept)
                atomic_write_text(self.executions_path, text, root=root)
        return removed


def _stored_line(record: Mapping[str, Any]) -> str | None:
    """The record as the store writes it; None for one no standard reader could take back."""
    try:
        line = json.dumps(
            record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
        line.encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        return None  # a bare NaN or a lone surrogate: malformed, and dropped like one
    return line


def _older_than(record: Mapping[str, Any], cutoff: datetime) -> bool:
    """By parsed time, not text: a stored ``-05:00`` time sorts wrongly as a string."""
    from kaizen_agentic._time import parse_timestamp

    try:
        return parse_timestamp(record.get("timestamp")) < cutoff  # type: ignore[arg-type]
    except ValueError:
        return True  # no readable time: it can never be in a window, so retention drops it
