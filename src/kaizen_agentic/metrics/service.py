"""What the metrics commands do, as plain functions over a project root."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kaizen_agentic.config import load_config
from kaizen_agentic.metrics.query import RecordFilter, parse_when
from kaizen_agentic.metrics.records import complete_record
from kaizen_agentic.metrics.store import MetricsStore

RECENT_QUALITY_POINTS = 30


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


def show_metrics(
    root: Path, agent: str, *, window: str | None = None, last: int = 5, now: datetime | None = None
) -> dict[str, Any]:
    """Summary (also written to summary.json), windows, recent quality, last executions."""
    from kaizen_agentic._fs import atomic_write_text
    from kaizen_agentic.analysis.windows import summarise_store, to_json

    config = load_config(root)
    store = MetricsStore(root, agent, retention_days=config.retention_days)
    summary = summarise_store(store, now=now or datetime.now(timezone.utc), config=config)
    if summary["execution_count"]:
        atomic_write_text(store.summary_path, to_json(summary) + "\n")
    windows = list(summary["windows"].values())
    if window:
        windows = [w for w in windows if w["window"] == window]
    # from the file's end, not the columns: they were released before the trends ran
    recent = [
        r["quality_score"]
        for r in store.tail(RECENT_QUALITY_POINTS * 4)
        if isinstance(r.get("quality_score"), (int, float))
    ]
    return {
        "summary": summary,
        "windows": windows,
        "recent_quality": recent[-RECENT_QUALITY_POINTS:],
        "last_executions": store.tail(last) if last else [],
    }


def list_metrics(root: Path) -> list[dict[str, Any]]:
    """Per agent with metrics: count, success rate and last execution."""
    from kaizen_agentic.metrics.columns import load_columns
    from kaizen_agentic.metrics.records import format_timestamp

    rows = []
    for agent in MetricsStore.list_agents(root):
        store = MetricsStore(root, agent)
        columns = load_columns(store.executions_path, store.cache_dir)
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
