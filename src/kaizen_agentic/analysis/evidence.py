"""One agent's evidence, read once (SPEC §3, §4).

:func:`load_evidence` is the single reader of what a repo knows about an
agent: it resolves the agent file once (path, version, frontmatter targets),
loads the records through the column cache once and the feedback once, and
reduces them to one typed :class:`AgentEvidence`. Windows and trends, the
optimizer rules, the version comparison, the coach brief, the prepare bundle,
``metrics publish`` and ``summary.json`` all start from that object, so they
agree on every number for the same config.

The columns of a million records are ~60 MB; the evidence keeps only what
the consumers need (window aggregates, the series the trends test, runs by
version), so the columns are released before the statistics load scipy.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from kaizen_agentic._fs import atomic_write_text
from kaizen_agentic._jsonl import finite
from kaizen_agentic.agents.registry import AgentRegistry, ResolvedAgent
from kaizen_agentic.agents.template import AgentTemplate, MetricSpec
from kaizen_agentic.analysis.compare import VersionRuns
from kaizen_agentic.analysis.windows import (
    Feedback,
    MeasuredWindow,
    MemoTrend,
    Strategies,
    Totals,
    WindowResult,
    detect_trends,
    measure_windows,
    summary_document,
)
from kaizen_agentic.config import Config, load_config
from kaizen_agentic.errors import KaizenError
from kaizen_agentic.metrics.columns import Columns, load_columns
from kaizen_agentic.paths import AgentPaths

RECENT_QUALITY_POINTS = 30
COST_PERIOD = timedelta(days=30)
COST_FLOOR = 5  # a cost period needs as many runs as a trend does before it can fire


@dataclass(frozen=True)
class CostPeriods:
    """Average cost per task in the last 30 days and in the 30 days before."""

    previous: float | None = None
    current: float | None = None
    previous_n: int = 0
    current_n: int = 0


@dataclass(frozen=True)
class AgentEvidence:
    """Everything the analysis of one agent in one repo starts from."""

    agent: str
    project_root: Path
    now: datetime
    config: Config
    resolved: ResolvedAgent | None
    template: AgentTemplate | None
    totals: Totals
    measured: tuple[MeasuredWindow, ...]
    versions: Mapping[str, VersionRuns]
    failure_reasons: Counter[str]
    primary_values: tuple[float, int] | None  # (mean, n) of primary_metric.value of its name
    cost: CostPeriods
    recent_quality: tuple[float, ...]
    digest: str  # sha256 of every number the analysis reads
    trend_cache: Path | None = field(repr=False, default=None)  # None: nothing is cached

    @property
    def agent_version(self) -> str | None:
        return self.resolved.agent_version if self.resolved else None

    @property
    def primary_metric(self) -> MetricSpec | None:
        return self.template.primary_metric if self.template else None

    @property
    def prompt_file(self) -> str:
        """Where the user edits the prompt; a catalog agent must be installed first."""
        if self.resolved is None or self.resolved.source == "catalog":
            return (
                f"agents/agent-{self.agent}.md (install an editable copy first: "
                f"kaizen-agentic install {self.agent})"
            )
        try:
            return str(self.resolved.path.relative_to(self.project_root))
        except ValueError:
            return str(self.resolved.path)

    @property
    def has_records(self) -> bool:
        return self.totals.count > 0


@dataclass(frozen=True)
class AgentSummary:
    """One agent's totals and windows with their trends: the summary.json content."""

    agent: str
    totals: Totals
    windows: tuple[WindowResult, ...]

    def to_document(self) -> dict[str, Any]:
        return summary_document(self.agent, self.totals, list(self.windows))


def load_evidence(
    root: Path, agent: str, config: Config | None = None, *, now: datetime | None = None
) -> AgentEvidence:
    """Read one agent's files once and reduce them to an :class:`AgentEvidence`."""
    from kaizen_agentic.orient.feedback import read_feedback_ratings

    paths = AgentPaths(root, agent)  # checks the name before any path is built
    config = config or load_config(root)
    resolved = AgentRegistry(root).resolve(agent)
    return evidence_from_columns(
        agent,
        load_columns(paths.executions, paths.cache_dir, root),
        config=config,
        now=now,
        feedback=read_feedback_ratings(root, agent),
        project_root=root,
        resolved=resolved,
        trend_cache=paths.cache_dir / "trends.json",
    )


def evidence_from_columns(
    agent: str,
    columns: Columns,
    *,
    config: Config,
    now: datetime | None = None,
    feedback: Feedback | None = None,
    project_root: Path = Path(),
    resolved: ResolvedAgent | None = None,
    trend_cache: Path | None = None,
) -> AgentEvidence:
    """The evidence of records already in memory (no file is read)."""
    now = now or datetime.now(timezone.utc)
    feedback = feedback or Feedback()
    template = _template(resolved)
    metric = template.primary_metric if template else None
    measured = measure_windows(
        columns,
        now=now,
        strategies=Strategies.from_config(config),
        direction=metric.direction if metric else "higher",
        feedback=feedback,
        min_points=config.get("trend.min_points"),
    )
    return AgentEvidence(
        agent=agent,
        project_root=project_root,
        now=now,
        config=config,
        resolved=resolved,
        template=template,
        totals=Totals.of(columns),
        measured=tuple(measured),
        versions=runs_by_version(columns),
        failure_reasons=_failure_reasons(columns),
        primary_values=_primary_values(columns, metric),
        cost=_cost_periods(columns, now),
        recent_quality=_recent_quality(columns),
        digest=_digest(columns, feedback),
        trend_cache=trend_cache,
    )


def summarise(evidence: AgentEvidence) -> AgentSummary:
    """Run the trend statistics over the evidence (memoised by their exact inputs)."""
    trend = Strategies.from_config(evidence.config).trend
    if evidence.trend_cache is None:
        return AgentSummary(
            evidence.agent, evidence.totals, tuple(detect_trends(list(evidence.measured), trend))
        )
    memo = MemoTrend(trend, evidence.trend_cache, evidence.project_root)
    windows = detect_trends(list(evidence.measured), memo)
    if evidence.has_records:
        memo.save()
    return AgentSummary(evidence.agent, evidence.totals, tuple(windows))


def write_summary(evidence: AgentEvidence) -> AgentSummary:
    """The one writer of ``summary.json``: summarise and replace the file atomically."""
    summary = summarise(evidence)
    path = AgentPaths(evidence.project_root, evidence.agent).summary
    text = json.dumps(finite(summary.to_document()), indent=2, allow_nan=False) + "\n"
    atomic_write_text(path, text, root=evidence.project_root)
    return summary


def runs_by_version(columns: Columns) -> dict[str, VersionRuns]:
    """Runs grouped by ``agent_version``, oldest first appearance first."""
    codes = columns.labels["version"]
    words = columns.vocab.get("version", [])
    quality = columns.values["quality"]
    groups = []
    for code, version in enumerate(words):
        rows = np.flatnonzero(codes == code)
        if not rows.size:
            continue
        first = float(columns.ts[rows].min())
        values = quality[rows]
        groups.append(
            VersionRuns(
                version=version,
                first_seen=datetime.fromtimestamp(first, tz=timezone.utc),
                first_index=int(rows[0]),
                runs=int(rows.size),
                successes=int(columns.success[rows].sum()),
                # float32 in the cache: six decimals give back the recorded scores
                quality=[round(float(v), 6) for v in values[~np.isnan(values)]],
            )
        )
    groups.sort(key=lambda g: (g.first_seen or datetime.min, g.first_index))
    return {g.version: g for g in groups}


def _template(resolved: ResolvedAgent | None) -> AgentTemplate | None:
    if resolved is None:
        return None
    try:
        return resolved.load()
    except KaizenError:  # an unreadable frontmatter only costs the targets
        return None


def _failure_reasons(columns: Columns) -> Counter[str]:
    codes = columns.labels["failure_reason"][(columns.success == 0)]
    words = columns.vocab.get("failure_reason", [])
    counts = np.bincount(codes[codes >= 0], minlength=len(words))
    return Counter({words[i]: int(n) for i, n in enumerate(counts) if n})


def _primary_values(columns: Columns, metric: MetricSpec | None) -> tuple[float, int] | None:
    if metric is None:
        return None
    code = columns.label_codes("primary_name", metric.name)
    values = columns.values["primary_value"][columns.labels["primary_name"] == code]
    values = values[~np.isnan(values)]
    if code < 0 or not values.size:
        return None
    return float(values.mean(dtype=np.float64)), int(values.size)


def _cost_periods(columns: Columns, now: datetime) -> CostPeriods:
    end = now.timestamp()
    current_start = (now - COST_PERIOD).timestamp()
    previous_start = (now - 2 * COST_PERIOD).timestamp()
    usd = columns.values["usd"]
    known = ~np.isnan(usd)
    current = usd[known & (columns.ts >= current_start) & (columns.ts <= end)]
    previous = usd[known & (columns.ts >= previous_start) & (columns.ts < current_start)]
    return CostPeriods(
        previous=_mean_or_none(previous),
        current=_mean_or_none(current),
        previous_n=int(previous.size),
        current_n=int(current.size),
    )


def _mean_or_none(values: Any) -> float | None:
    return float(values.mean(dtype=np.float64)) if values.size >= COST_FLOOR else None


def _recent_quality(columns: Columns) -> tuple[float, ...]:
    quality = columns.values["quality"]
    present = quality[~np.isnan(quality)][-RECENT_QUALITY_POINTS:]
    return tuple(round(float(v), 6) for v in present)


def _digest(columns: Columns, feedback: Feedback) -> str:
    digest = hashlib.sha256()
    for array in (columns.ts, columns.success, *columns.values.values(), *columns.labels.values()):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(json.dumps(columns.vocab, sort_keys=True).encode())
    digest.update(json.dumps([list(feedback.times), list(feedback.ratings)]).encode())
    return digest.hexdigest()


def evidence_of_agents(
    root: Path, agents: Sequence[str], config: Config, *, now: datetime
) -> list[AgentEvidence]:
    """:func:`load_evidence` for several agents of one repo with one config."""
    return [load_evidence(root, name, config, now=now) for name in agents]
