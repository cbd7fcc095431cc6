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
        """The last *count* valid records, newest last, reading only the file's end."""
        try:
            handle = open_read(self.project_root, self.executions_path)
        except FileNotFoundError:
            return []
        with handle:
            end = handle.seek(0, os.SEEK_END)
            block, data = 64 * 1024, b""
            position = end
            while position > 0 and data.count(b"\n") <= count:
                position = max(0, position - block)
                handle.seek(position)
                data = handle.read(end - position)
        from kaizen_agentic._jsonl import parse_line

        records = [
            record
            for raw in data.split(b"\n")[-(count + 1) :]
            if raw.strip() and (record := parse_line(raw)) is not None
        ]
        return records[-count:]

    def iter_executions(self) -> Iterator[dict[str, Any]]:
        """Yield each valid record in file order; warn once per malformed line."""
        from kaizen_agentic._jsonl import iter_jsonl

        for _, record in iter_jsonl(self.executions_path, root=self.project_root):
            yield record

    def read_executions(self) -> list[dict[str, Any]]:
        """Every valid record, in file order."""
        return list(self.iter_executions())

    def summarise(
        self, now: datetime | None = None, config: Config | None = None
    ) -> dict[str, Any]:
        """The summary.json document: seed-compatible keys plus ``windows``.

        Without *config*, the project's own config (an invalid one raises).
        """
        from kaizen_agentic.analysis.evidence import load_evidence, summarise

        evidence = load_evidence(self.project_root, self.agent_name, config, now=now)
        return summarise(evidence).to_document()

    def write_summary(
        self, now: datetime | None = None, config: Config | None = None
    ) -> dict[str, Any]:
        """Regenerate summary.json atomically (per the config) and return it."""
        from kaizen_agentic.analysis.evidence import load_evidence, write_summary

        evidence = load_evidence(self.project_root, self.agent_name, config, now=now)
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
        root = self.project_root
        with exclusive_lock(self.lock_path, root=root):
            # under the lock no writer is live: a temp file here is from a killed prune
            remove_stale_temps(self.executions_path)
            kept: list[str] = []
            removed = 0
            for record in self.iter_executions():
                if _older_than(record, cutoff):
                    removed += 1
                elif (line := _stored_line(record)) is not None:
                    kept.append(line)
            if removed:
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
