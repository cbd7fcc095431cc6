"""What the metrics commands do, as plain functions over a project root."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaizen_agentic.config import load_config
from kaizen_agentic.errors import InvalidInputError
from kaizen_agentic.metrics.records import complete_record
from kaizen_agentic.metrics.store import MetricsStore

if TYPE_CHECKING:
    from kaizen_agentic.analysis.evidence import AgentSummary, Usage
    from kaizen_agentic.analysis.windows import WindowResult
    from kaizen_agentic.metrics.query import RecordFilter
    from kaizen_agentic.metrics.recorded_events import AfterAppend


def record_execution(
    root: Path,
    agent: str,
    record: Mapping[str, Any],
    *,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    after_append: AfterAppend | None = None,
) -> tuple[bool, dict[str, Any]]:
    """Complete, validate and append one record and its event; (written?, the record).

    Events of earlier records that a crash separated from them are recovered
    first (see :mod:`~kaizen_agentic.metrics.recorded_events`), so this
    record's event is recovered by the next command should this one die
    before writing it. *after_append* runs between the two writes (a test hook).
    """
    from kaizen_agentic.agents import AgentRegistry
    from kaizen_agentic.metrics.recorded_events import emit_recorded, recover_recorded_events

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
    recover_recorded_events(root, [agent])
    written = store.append(full)
    if written:
        if after_append is not None:
            after_append(full)
        emit_recorded(root, agent, full)
    return written, full


#: Runs written by a runner, not typed by anyone: what a later quality score attaches to.
CAPTURED_SOURCES = ("claude-hook", "claude-transcript", "claude-headless")


@dataclass(frozen=True)
class RecordOutcome:
    """What ``metrics record`` did: ``recorded``, ``skipped`` (key seen) or ``attached``."""

    status: str
    record: dict[str, Any]
    attachment: dict[str, Any] | None = None


def record_or_attach(
    root: Path,
    agent: str,
    record: Mapping[str, Any],
    *,
    idempotency_key: str | None = None,
    attach: bool = False,
    new: bool = False,
    now: datetime | None = None,
) -> RecordOutcome:
    """One run, one record (SPEC §3): attach to the run this describes, else record a new one.

    A ``session_id`` that a captured run of *agent* already carries attaches
    the given values to that run. With *attach*, the run named by
    *idempotency_key* is the one (e.g. a review's escaped defect found
    later); it must exist. Otherwise the record is new, and an agent the
    registry does not know and that has no metrics yet is refused unless *new*.
    """
    store = MetricsStore(root, agent)
    values = {k: v for k, v in record.items() if k not in ("session_id",)}
    if attach:
        if idempotency_key is None:
            raise InvalidInputError("--attach needs --key KEY: the key of the run to attach to")
        run = store.find_run(idempotency_key=idempotency_key)
        if run is None:
            raise InvalidInputError(
                f"no run of {agent} has idempotency key {idempotency_key!r}; "
                "record it first (without --attach)"
            )
        return _attach(store, run, values, now)
    session = record.get("session_id")
    if isinstance(session, str) and idempotency_key is None:
        run = _captured_run(store, session)
        if run is not None:
            return _attach(store, run, values, now)
    if not new:
        require_known_agent(root, agent)
    written, full = record_execution(root, agent, record, idempotency_key=idempotency_key, now=now)
    return RecordOutcome("recorded" if written else "skipped", full)


def _captured_run(store: MetricsStore, session: str) -> dict[str, Any] | None:
    """The latest run of *session* a runner measured (captured, or typed and then captured)."""
    found = None
    for record in store.iter_executions():
        if record.get("session_id") != session:
            continue
        metadata = record.get("metadata")
        merged = isinstance(metadata, dict) and "captured_by" in metadata
        if record.get("source") in CAPTURED_SOURCES or merged:
            found = record
    return found


def _attach(
    store: MetricsStore, run: dict[str, Any], values: Mapping[str, Any], now: datetime | None
) -> RecordOutcome:
    values = {k: v for k, v in values.items() if k != "idempotency_key"}
    attachment = store.attach(str(run["record_id"]), values, now=now)
    assert attachment is not None  # only a keyed attachment can be refused
    from kaizen_agentic.metrics.attachments import apply_attachment

    return RecordOutcome("attached", apply_attachment(run, attachment), attachment)


def attach_to_run(
    root: Path,
    agent: str,
    record_id: str,
    values: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> RecordOutcome:
    """Attach *values* to the run *record_id* of *agent*; it must exist."""
    store = MetricsStore(root, agent)
    run = store.find_run(record_id=record_id)
    if run is None:
        raise InvalidInputError(
            f"no run {record_id!r} in {agent}'s records; see the ids with: "
            f"kaizen-agentic metrics export {agent}"
        )
    return _attach(store, run, values, now)


def require_known_agent(root: Path, agent: str) -> None:
    """Refuse a name neither the registry nor the metrics know: a typo is not a new agent."""
    from kaizen_agentic.agents import AgentRegistry

    registry = AgentRegistry(root)
    if registry.resolve(agent) is not None or MetricsStore(root, agent).executions_path.exists():
        return
    import difflib

    known = sorted(set(registry.all_names()) | set(MetricsStore.list_agents(root)))
    close = difflib.get_close_matches(agent, known, n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise InvalidInputError(
        f"agent {agent!r} is not in the registry and has no metrics yet; {hint}"
        "pass --new to start recording it anyway"
    )


@dataclass(frozen=True)
class MetricsView:
    """What ``metrics show`` presents: the summary, its windows, recent quality, last runs.

    Spend and tokens per version and per source are shown to people only: the
    ``--json`` document keeps its keys.
    """

    summary: AgentSummary
    windows: tuple[WindowResult, ...]
    recent_quality: tuple[float, ...]
    last_executions: tuple[dict[str, Any], ...]
    usage_by_version: Mapping[str, Usage] = field(default_factory=dict)
    usage_by_source: Mapping[str, Usage] = field(default_factory=dict)
    # when agents/agent-x.md and .claude/agents/x.md differ: the file the runs match
    measured_against: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary.to_document(),
            "windows": [w.to_dict() for w in self.windows],
            "recent_quality": list(self.recent_quality),
            "last_executions": list(self.last_executions),
            "measured_against": self.measured_against,
        }


def show_metrics(
    root: Path, agent: str, *, window: str | None = None, last: int = 5, now: datetime | None = None
) -> MetricsView:
    """Summary (also written to summary.json), windows, recent quality, last executions."""
    from kaizen_agentic.agents import AgentRegistry
    from kaizen_agentic.analysis.evidence import summarise, summary_evidence, write_summary

    config = load_config(root)
    evidence = summary_evidence(root, agent, config, now=now)
    summary = write_summary(evidence) if evidence.has_records else summarise(evidence)
    store = MetricsStore(root, agent, retention_days=config.retention_days)
    latest = store.tail(max(last, 1))
    version = latest[-1].get("agent_version") if latest else None
    return MetricsView(
        summary=summary,
        windows=tuple(w for w in summary.windows if not window or w.window == window),
        recent_quality=evidence.recent_quality,
        last_executions=tuple(latest[-last:]) if last else (),
        usage_by_version=evidence.usage_by_version,
        usage_by_source=evidence.usage_by_source,
        measured_against=AgentRegistry(root).measured_against(agent, version),
    )


def list_metrics(root: Path) -> list[dict[str, Any]]:
    """Per agent with metrics: count, success rate and last execution."""
    from kaizen_agentic._time import format_timestamp
    from kaizen_agentic.metrics.column_cache import load_columns

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
    from kaizen_agentic.metrics.query import RecordFilter, parse_when

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
    from kaizen_agentic.metrics.recorded_events import recover_recorded_events

    config = load_config(root)
    agents = [agent] if agent else MetricsStore.list_agents(root)
    # Before the rewrite: every record about to be dropped has its event by then.
    recover_recorded_events(root, agents)
    pruned = {}
    for name in agents:
        count = MetricsStore(root, name, retention_days=config.retention_days).prune(now=now)
        pruned[name] = count
    return pruned, config.retention_days
