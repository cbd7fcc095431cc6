"""The optimization loop: per-agent analysis, recommendations and their files (SPEC §4).

``metrics/optimizer/analysis.json`` holds the last analysis and a fingerprint
(sha256 of everything it was computed from: records, agent prompt, settings);
``recommendations.jsonl`` is the history, appended only when that
fingerprint changes, so re-running on unchanged data adds nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from kaizen_agentic._fs import append_line, atomic_write_text, exclusive_lock
from kaizen_agentic.agents import AgentRegistry
from kaizen_agentic.agents.template import MetricSpec
from kaizen_agentic.analysis.rules import RULES, Recommendation, RuleInput, Thresholds
from kaizen_agentic.config import Config, default, load_config
from kaizen_agentic.errors import KaizenError
from kaizen_agentic.metrics.records import format_timestamp, parse_timestamp
from kaizen_agentic.metrics.store import METRICS_RELATIVE, MetricsStore

# 10: the default of optimizer.min_samples, which a repo may lower or raise
MIN_SAMPLES_FOR_RECOMMENDATIONS: int = default("optimizer.min_samples")
INSUFFICIENT = "insufficient_data"


@dataclass
class AgentAnalysis:
    """One agent's optimizer result."""

    agent: str
    status: str  # "ok" | "insufficient_data"
    execution_count: int
    agent_version: str | None
    recommendations: list[Recommendation] = field(default_factory=list)
    windows: list[dict[str, Any]] = field(default_factory=list)
    comparison: dict[str, Any] | None = None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "status": self.status,
            "execution_count": self.execution_count,
            "agent_version": self.agent_version,
            "message": self.message,
            "recommendations": [r.to_dict() for r in self.recommendations],
            "windows": self.windows,
            "comparison": self.comparison,
        }


class OptimizationLoop:
    """Analyses one agent's records and fires the rules."""

    def __init__(
        self,
        agent: str,
        records: Sequence[Mapping[str, Any]],
        *,
        windows: list[Any],
        thresholds: Thresholds | None = None,
        primary_metric: MetricSpec | None = None,
        prompt_file: str | None = None,
        agent_version: str | None = None,
        now: datetime | None = None,
    ) -> None:
        self.agent = agent
        self.records = records
        self.windows = windows
        self.thresholds = thresholds or Thresholds()
        self.primary_metric = primary_metric
        self.prompt_file = prompt_file or f"agents/agent-{agent}.md"
        self.agent_version = agent_version
        self.now = now or datetime.now(timezone.utc)

    @classmethod
    def from_metrics_store(
        cls, store: MetricsStore, *, config: Config | None = None, now: datetime | None = None
    ) -> OptimizationLoop:
        """Load the store's records, windows and the agent's primary metric."""
        from kaizen_agentic.analysis.windows import analyse_store

        config = config or load_config(store.project_root)
        now = now or datetime.now(timezone.utc)
        resolved = _resolve(store.project_root, store.agent_name)
        metric = None
        if resolved is not None:
            try:
                metric = resolved.load().primary_metric
            except KaizenError:
                metric = None
        _, windows = analyse_store(
            store, now=now, config=config, direction=metric.direction if metric else None
        )
        optimizer = config.section("optimizer")
        return cls(
            store.agent_name,
            store.read_executions(),
            windows=windows,
            thresholds=Thresholds(**optimizer),
            primary_metric=metric,
            prompt_file=_prompt_file(resolved, store.project_root, store.agent_name),
            agent_version=resolved.agent_version if resolved else None,
            now=now,
        )

    def analyse(self) -> AgentAnalysis:
        count = len(self.records)
        base = AgentAnalysis(
            self.agent, "ok", count, self.agent_version, windows=[w.to_dict() for w in self.windows]
        )
        needed = self.thresholds.min_samples
        if count < needed:
            base.status = INSUFFICIENT
            base.message = f"{count} executions; recommendations need at least {needed}"
            return base
        data = RuleInput(
            self.agent,
            self.prompt_file,
            self.windows,
            self.records,
            self.thresholds,
            self.primary_metric,
            self._cost_by_period(),
        )
        base.recommendations = [r for rule in RULES.values() if (r := rule(data)) is not None]
        base.comparison = self._comparison()
        base.message = (
            f"{len(base.recommendations)} recommendations"
            if base.recommendations
            else "no rule fired"
        )
        return base

    def _cost_by_period(self) -> tuple[float | None, float | None, int, int]:
        """Average cost per task in the last 30 days and in the 30 days before."""
        current_start = self.now - timedelta(days=30)
        previous_start = self.now - timedelta(days=60)
        current: list[float] = []
        previous: list[float] = []
        for record in self.records:
            cost = record.get("cost")
            usd = cost.get("usd") if isinstance(cost, Mapping) else None
            if not isinstance(usd, (int, float)) or isinstance(usd, bool):
                continue
            try:
                moment = parse_timestamp(str(record.get("timestamp")))
            except ValueError:
                continue
            if current_start <= moment <= self.now:
                current.append(float(usd))
            elif previous_start <= moment < current_start:
                previous.append(float(usd))
        floor = 5  # a window needs as many points as a trend does before it can fire
        return (
            sum(previous) / len(previous) if len(previous) >= floor else None,
            sum(current) / len(current) if len(current) >= floor else None,
            len(previous),
            len(current),
        )

    def _comparison(self) -> dict[str, Any] | None:
        from kaizen_agentic.analysis.compare import compare_versions

        versions = {r.get("agent_version") for r in self.records if r.get("agent_version")}
        if len(versions) < 2:
            return None
        return compare_versions(self.records).to_dict()


class OptimizerStore:
    """``.kaizen/metrics/optimizer/``: the last analysis and the recommendation history."""

    def __init__(self, project_root: Path) -> None:
        self.directory = Path(project_root) / METRICS_RELATIVE / "optimizer"
        self.analysis_path = self.directory / "analysis.json"
        self.recommendations_path = self.directory / "recommendations.jsonl"
        self.lock_path = self.directory / ".lock"

    def read_analysis(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.analysis_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # absent or unreadable: there is no last analysis
            return None
        return data if isinstance(data, dict) else None

    def write_analysis(self, report: Mapping[str, Any]) -> None:
        atomic_write_text(self.analysis_path, json.dumps(report, indent=2, sort_keys=True) + "\n")

    def append_recommendations(
        self,
        agent: str,
        recommendations: Sequence[Recommendation],
        *,
        metrics_count: int,
        fingerprint: str = "",
        generated_at: str = "",
    ) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(self.lock_path):
            for rec in recommendations:
                line = {
                    **rec.to_dict(),
                    "metrics_count": metrics_count,
                    "fingerprint": fingerprint,
                    "generated_at": generated_at,
                }
                append_line(self.recommendations_path, json.dumps(line, sort_keys=True))
        return len(recommendations)

    def open_recommendations(self, agent: str | None = None) -> list[dict[str, Any]]:
        """Recommendations of the last analysis (for one agent, or all)."""
        analysis = self.read_analysis() or {}
        agents = analysis.get("agents") or {}
        found = []
        for name, result in sorted(agents.items()):
            if agent is None or name == agent:
                found += [r for r in result.get("recommendations", []) if isinstance(r, dict)]
        return found


@dataclass(frozen=True)
class OptimizerRun:
    """The outcome of :func:`run_optimizer`."""

    report: dict[str, Any]
    analyses: list[AgentAnalysis]
    fingerprint_changed: bool
    appended: int


def run_optimizer(
    root: Path, agent: str | None = None, *, now: datetime | None = None
) -> OptimizerRun:
    """Analyse one agent (or every agent with metrics), write analysis.json, append history."""
    config = load_config(root)
    now = now or datetime.now(timezone.utc)
    agents = [agent] if agent else MetricsStore.list_agents(root)
    stores = [MetricsStore(root, name, retention_days=config.retention_days) for name in agents]
    analyses = [
        OptimizationLoop.from_metrics_store(s, config=config, now=now).analyse() for s in stores
    ]
    # over every agent's inputs, so analysing one agent and then all agrees
    every = [MetricsStore(root, name) for name in MetricsStore.list_agents(root)]
    fingerprint = _fingerprint(root, every, config)
    optimizer = OptimizerStore(root)
    previous = optimizer.read_analysis() or {}
    generated_at = format_timestamp(now)
    results: dict[str, Any] = {a.agent: a.to_dict() for a in analyses}
    known: dict[str, Any] = previous.get("agents") or {}
    if agent:
        results = {**known, **results}  # keep the other agents' last results
    report = {"generated_at": generated_at, "fingerprint": fingerprint, "agents": results}
    changed = previous.get("fingerprint") != fingerprint or any(
        a.agent not in known for a in analyses
    )
    appended = 0
    if changed:
        for analysis in analyses:
            appended += optimizer.append_recommendations(
                analysis.agent,
                analysis.recommendations,
                metrics_count=analysis.execution_count,
                fingerprint=fingerprint,
                generated_at=generated_at,
            )
        optimizer.write_analysis(report)
    return OptimizerRun(report if changed else previous, analyses, changed, appended)


def _fingerprint(root: Path, stores: Sequence[MetricsStore], config: Config) -> str:
    """sha256 over the records, the resolved agent files and the settings."""
    digest = hashlib.sha256(json.dumps(dict(config.values), sort_keys=True).encode())
    registry = AgentRegistry(root)
    for store in stores:
        digest.update(store.agent_name.encode() + b"\x00")
        digest.update((registry.agent_version(store.agent_name) or "").encode())
        try:
            with store.executions_path.open("rb") as handle:
                while block := handle.read(1 << 20):
                    digest.update(block)
        except FileNotFoundError:
            pass
    return digest.hexdigest()


def _resolve(root: Path, agent: str) -> Any:
    return AgentRegistry(root).resolve(agent)


def _prompt_file(resolved: Any, root: Path, agent: str) -> str:
    """Where the user edits the prompt; a catalog agent must be installed first."""
    if resolved is None or resolved.source == "catalog":
        return (
            f"agents/agent-{agent}.md (install an editable copy first: "
            f"kaizen-agentic install {agent})"
        )
    try:
        return str(resolved.path.relative_to(root))
    except ValueError:
        return str(resolved.path)


def run_optimizer_with_event(
    root: Path, agent: str | None = None, *, now: datetime | None = None
) -> OptimizerRun:
    """:func:`run_optimizer`, then a ``kaizen.optimizer.analyzed`` event when it analysed anew."""
    run = run_optimizer(root, agent, now=now)
    if run.fingerprint_changed:
        from kaizen_agentic.events.outbox import emit_event
        from kaizen_agentic.events.payloads import OptimizerAnalyzed

        emit_event(
            root,
            OptimizerAnalyzed(
                repo=root.resolve().name,
                fingerprint=str(run.report["fingerprint"]),
                agents=tuple(a.agent for a in run.analyses),
                recommendation_count=sum(len(a.recommendations) for a in run.analyses),
            ),
        )
    return run
