"""The optimization loop: per-agent analysis, recommendations and their files (SPEC §4).

``metrics/optimizer/analysis.json`` holds the last analysis and a fingerprint
(sha256 of everything it was computed from: records, agent prompt, settings);
``recommendations.jsonl`` is the history, appended only when that
fingerprint changes, so re-running on unchanged data adds nothing. The
fingerprint includes the day: the windows end today, so a new day is a new
analysis even when no record arrived. The history is also the recommendation
ledger's record (:mod:`kaizen_agentic.analysis.ledger`).

The rules judge an agent by its own targets (its frontmatter metrics) and by
the runs of its current prompt version; earlier versions are context.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaizen_agentic._fs import (
    append_line,
    atomic_write_text,
    ensure_dir,
    exclusive_lock,
    read_bytes_capped,
)
from kaizen_agentic._jsonl import finite
from kaizen_agentic._time import format_timestamp
from kaizen_agentic.analysis.rules import (
    RULES,
    AgentTargets,
    Recommendation,
    RuleInput,
    Thresholds,
)
from kaizen_agentic.config import Config, default, load_config
from kaizen_agentic.errors import InvalidInputError
from kaizen_agentic.metrics.store import MetricsStore
from kaizen_agentic.paths import optimizer_dir

_ANALYSIS_CAP = 64 * 1024 * 1024

if TYPE_CHECKING:
    from kaizen_agentic.analysis.evidence import AgentEvidence

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
    judged_version: str | None = None  # whose runs the rules judged
    judged_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "status": self.status,
            "execution_count": self.execution_count,
            "agent_version": self.agent_version,
            "judged_version": self.judged_version,
            "judged_count": self.judged_count,
            "message": self.message,
            "recommendations": [r.to_dict() for r in self.recommendations],
            "windows": self.windows,
            "comparison": self.comparison,
        }


class OptimizationLoop:
    """Analyses one agent's evidence and fires the rules."""

    def __init__(self, evidence: AgentEvidence, *, thresholds: Thresholds | None = None) -> None:
        self.evidence = evidence
        self.agent = evidence.agent
        self.thresholds = thresholds or Thresholds(**evidence.config.section("optimizer"))

    @classmethod
    def from_metrics_store(
        cls, store: MetricsStore, *, config: Config | None = None, now: datetime | None = None
    ) -> OptimizationLoop:
        """The loop over the store's agent: its records, windows and frontmatter targets."""
        from kaizen_agentic.analysis.evidence import load_evidence

        return cls(load_evidence(store.project_root, store.agent_name, config, now=now))

    def analyse(self) -> AgentAnalysis:
        from kaizen_agentic.analysis.evidence import judged_windows, summarise

        evidence = self.evidence
        count = evidence.totals.count
        current = evidence.current
        base = AgentAnalysis(
            self.agent,
            "ok",
            count,
            evidence.agent_version,
            windows=[w.to_dict() for w in summarise(evidence).windows],
            judged_version=current.version,
            judged_count=current.count,
        )
        minimum = self.thresholds.min_samples
        if current.count < minimum:
            base.status = INSUFFICIENT
            base.message = (
                f"{count} executions; recommendations need at least {minimum}"
                if current.count == count
                else f"{current.count} executions of the current version "
                f"{str(current.version)[:12]} ({count} in all); recommendations need "
                f"at least {minimum} of it"
            )
            return base
        cost = current.cost
        data = RuleInput(
            self.agent,
            evidence.prompt_file,
            judged_windows(evidence),
            self.thresholds,
            evidence.primary_metric,
            failure_reasons=current.failure_reasons,
            primary_values=current.primary_values,
            cost_by_period=(cost.previous, cost.current, cost.previous_n, cost.current_n),
            targets=AgentTargets.of(evidence.template),
        )
        base.recommendations = [r for rule in RULES.values() if (r := rule(data)) is not None]
        base.comparison = self._comparison()
        base.message = (
            f"{len(base.recommendations)} recommendations"
            if base.recommendations
            else "no rule fired"
        )
        return base

    def _comparison(self) -> dict[str, Any] | None:
        from kaizen_agentic.analysis.looks import compare_evidence

        if len(self.evidence.versions) < 2:
            return None
        return compare_evidence(self.evidence).to_dict()


class OptimizerStore:
    """``.kaizen/metrics/optimizer/``: the last analysis and the recommendation history."""

    def __init__(self, project_root: Path) -> None:
        self.root = Path(project_root)
        self.directory = optimizer_dir(project_root)
        self.analysis_path = self.directory / "analysis.json"
        self.recommendations_path = self.directory / "recommendations.jsonl"
        self.lock_path = self.directory / ".lock"

    def read_analysis(self) -> dict[str, Any] | None:
        try:
            data = json.loads(read_bytes_capped(self.root, self.analysis_path, _ANALYSIS_CAP))
        except (OSError, ValueError, RecursionError):  # absent or unreadable: no last analysis
            return None
        return data if isinstance(data, dict) else None

    def write_analysis(self, report: Mapping[str, Any]) -> None:
        text = json.dumps(finite(report), indent=2, sort_keys=True, allow_nan=False) + "\n"
        atomic_write_text(self.analysis_path, text, root=self.root)

    def append_recommendations(
        self,
        agent: str,
        recommendations: Sequence[Recommendation],
        *,
        metrics_count: int,
        fingerprint: str = "",
        generated_at: str = "",
        agent_version: str | None = None,
    ) -> int:
        """Append *agent*'s recommendations to the history; return how many.

        *agent_version* is the version they were raised on (the ledger's baseline).
        """
        strangers = sorted({r.agent for r in recommendations} - {agent})
        if strangers:  # one agent's history line must never carry another agent's advice
            raise InvalidInputError(
                f"recommendations for {', '.join(strangers)} given as {agent}'s; "
                "append each agent's recommendations separately"
            )
        ensure_dir(self.root, self.directory)
        with exclusive_lock(self.lock_path, root=self.root):
            for rec in recommendations:
                line = {
                    **rec.to_dict(),
                    "metrics_count": metrics_count,
                    "fingerprint": fingerprint,
                    "generated_at": generated_at,
                    "agent_version": agent_version,
                    "state": "open",
                }
                text = json.dumps(finite(line), sort_keys=True, allow_nan=False)
                append_line(self.recommendations_path, text, root=self.root)
        return len(recommendations)

    def open_recommendations(self, agent: str | None = None) -> list[dict[str, Any]]:
        """Recommendations of the last analysis (for one agent, or all)."""
        analysis = self.read_analysis() or {}
        agents = analysis.get("agents")
        found: list[dict[str, Any]] = []
        if not isinstance(agents, dict):
            return found  # an analysis.json edited by hand into another shape holds none
        for name, result in sorted(agents.items()):
            if (agent is None or name == agent) and isinstance(result, dict):
                listed = result.get("recommendations")
                if isinstance(listed, list):
                    found += [r for r in listed if isinstance(r, dict)]
        return found


@dataclass(frozen=True)
class OptimizerRun:
    """The outcome of :func:`run_optimizer`."""

    report: dict[str, Any]
    analyses: list[AgentAnalysis]
    fingerprint_changed: bool
    appended: int
    ledger_changes: int = 0


def run_optimizer(
    root: Path, agent: str | None = None, *, now: datetime | None = None
) -> OptimizerRun:
    """Analyse one agent (or every agent with metrics), write analysis.json, append history.

    Then the ledger is brought up to date; a ``revert`` it raises joins the
    agent's recommendations.
    """
    from kaizen_agentic.analysis.evidence import load_evidence
    from kaizen_agentic.analysis.ledger import refresh_ledger

    config = load_config(root)
    now = now or datetime.now(timezone.utc)
    every = MetricsStore.list_agents(root)
    agents = [agent] if agent else every
    # the agents not analysed count only toward the fingerprint: no per-run series
    evidence = {
        name: load_evidence(root, name, config, now=now, with_runs=name in agents)
        for name in {*agents, *every}
    }
    analyses = [OptimizationLoop(evidence[name]).analyse() for name in agents]
    # over every agent's inputs, so analysing one agent and then all agrees
    fingerprint = _fingerprint([evidence[name] for name in every], config, now)
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
                agent_version=analysis.judged_version,
            )
    ledger = refresh_ledger(root, evidence, agent=agent, now=now)
    by_agent = {a.agent: a for a in analyses}
    for revert in ledger.reverts:
        if revert.agent in by_agent:
            by_agent[revert.agent].recommendations.append(revert)
        if isinstance(results.get(revert.agent), dict):
            results[revert.agent].setdefault("recommendations", []).append(revert.to_dict())
    if changed or ledger.reverts:
        optimizer.write_analysis(report)
    return OptimizerRun(
        report if changed or ledger.reverts else previous,
        analyses,
        changed,
        appended,
        ledger.appended,
    )


def _fingerprint(evidence: Sequence[AgentEvidence], config: Config, now: datetime) -> str:
    """sha256 over the day, the settings and each agent's name, resolved version and numbers.

    The day is in it because the windows end today: tomorrow the same records
    fall into different windows, so yesterday's analysis no longer describes them.
    """
    digest = hashlib.sha256(format_timestamp(now)[:10].encode())
    digest.update(json.dumps(dict(config.values), sort_keys=True).encode())
    for item in evidence:
        digest.update(f"{item.agent}\x00{item.agent_version or ''}\x00{item.digest}".encode())
    return digest.hexdigest()


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
