"""What the metrics commands do, as plain functions over a project root."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaizen_agentic.config import load_config
from kaizen_agentic.metrics.query import RecordFilter, parse_when
from kaizen_agentic.metrics.records import complete_record
from kaizen_agentic.metrics.store import MetricsStore

if TYPE_CHECKING:
    from kaizen_agentic.analysis.evidence import AgentSummary
    from kaizen_agentic.analysis.windows import WindowResult


def record_execution(
    root: Path,
    agent: str,
    record: Mapping[str, Any],
    *,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> tuple[bool, dict[str, Any]]:
    """Complete, validate and append one record; (written?, the record)."""
    from kaizen_agentic.agents import AgentRegistry

    config = load_config(root)
    if idempotency_key is not None:
        record = {**record, "idempotency_key": idempotency_key}
    full = complete_record(
        record,
        agent=agent,
        agent_version=AgentRegistry(root).agent_version(agent),
        project=root.resolve().name,
        domain=config.get("domain"),
        environ=os.environ,
        now=now,
    )
    store = MetricsStore(root, agent, retention_days=config.retention_days)
    written = store.append(full)
    if written:
        _emit_recorded(root, full)
    return written, full


def _emit_recorded(root: Path, record: Mapping[str, Any]) -> None:
    """Write ``kaizen.metrics.recorded`` to the repo's outbox (§8)."""
    from kaizen_agentic.events.outbox import emit_event
    from kaizen_agentic.events.payloads import MetricsRecorded

    emit_event(
        root,
        MetricsRecorded(
            repo=str(record.get("project") or root.resolve().name),
            agent=str(record["agent"]),
            record_id=str(record["record_id"]),
            success=bool(record["success"]),
            quality_score=record.get("quality_score"),
            agent_version=record.get("agent_version"),
        ),
    )


@dataclass(frozen=True)
class MetricsView:
    """What ``metrics show`` presents: the summary, its windows, recent quality, last runs."""

    summary: AgentSummary
    windows: tuple[WindowResult, ...]
    recent_quality: tuple[float, ...]
    last_executions: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary.to_document(),
            "windows": [w.to_dict() for w in self.windows],
            "recent_quality": list(self.recent_quality),
            "last_executions": list(self.last_executions),
        }


def show_metrics(
    root: Path, agent: str, *, window: str | None = None, last: int = 5, now: datetime | None = None
) -> MetricsView:
    """Summary (also written to summary.json), windows, recent quality, last executions."""
    from kaizen_agentic.analysis.evidence import load_evidence, summarise, write_summary

    config = load_config(root)
    evidence = load_evidence(root, agent, config, now=now)
    summary = write_summary(evidence) if evidence.has_records else summarise(evidence)
    store = MetricsStore(root, agent, retention_days=config.retention_days)
    return MetricsView(
        summary=summary,
        windows=tuple(w for w in summary.windows if not window or w.window == window),
        recent_quality=evidence.recent_quality,
        last_executions=tuple(store.tail(last)) if last else (),
    )


def list_metrics(root: Path) -> list[dict[str, Any]]:
    """Per agent with metrics: count, success rate and last execution."""
    from kaizen_agentic._time import format_timestamp
    from kaizen_agentic.metrics.columns import load_columns

    rows = []
    for agent in MetricsStore.list_agents(root):
        store = MetricsStore(root, agent)
        columns = load_columns(store.executions_path, store.cache_dir, root)
        n = len(columns)
        rows.append(
            {
                "agent": agent,
                "execution_count": n,
                "success_rate": round(float(columns.success.mean()), 6) if n else None,
                "last_execution": format_timestamp(
                    datetime.fromtimestamp(float(columns.ts.max()), tz=timezone.utc)
                )
                if n
                else None,
            }
        )
    return rows


def build_filter(
    *,
    agent: str | None = None,
    project: str | None = None,
    domain: str | None = None,
    since: str | None = None,
    until: str | None = None,
    helix_session_uid: str | None = None,
    now: datetime | None = None,
) -> RecordFilter:
    """A :class:`RecordFilter` from command-line style values."""
    now = now or datetime.now(timezone.utc)
    return RecordFilter(
        agent=agent,
        project=project,
        domain=domain,
        since=parse_when(since, now, option="--since") if since else None,
        until=parse_when(until, now, option="--until") if until else None,
        helix_session_uid=helix_session_uid,
    )


def prune_metrics(
    root: Path, agent: str | None, now: datetime | None = None
) -> tuple[dict[str, int], int]:
    """Prune one agent or all; ({agent: records removed}, retention days)."""
    config = load_config(root)
    agents = [agent] if agent else MetricsStore.list_agents(root)
    pruned = {}
    for name in agents:
        count = MetricsStore(root, name, retention_days=config.retention_days).prune(now=now)
        pruned[name] = count
    return pruned, config.retention_days
