"""Which agent a meta agent (coach, optimization) works on next (SPEC §6).

The agent that most needs attention: a ``regressed`` comparison first, then
the highest-severity open recommendation, then a ``declining`` trend, then the
widest miss of its own targets; ties go to the agent with the most runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kaizen_agentic.metrics.render import percent

META_AGENTS = ("coach", "optimization")
_SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}


@dataclass(frozen=True)
class Attention:
    """How much one agent needs attention, and the numbers that say so."""

    agent: str
    runs: int
    success_rate: float | None
    trend: str  # the 30d quality arrow of summary.json: up | down | stable | unknown
    regressed: str | None  # the comparison's summary when it says regressed
    open_recommendations: tuple[Mapping[str, Any], ...]
    declining: str | None  # "quality in the 30d window", ...
    miss: tuple[str, float] | None  # (target name, relative miss) of the widest miss
    summary: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def severity(self) -> int:
        return max(
            (_SEVERITY_RANK.get(str(r.get("severity")), 0) for r in self.open_recommendations),
            default=0,
        )

    @property
    def needs_attention(self) -> bool:
        return bool(self.regressed or self.open_recommendations or self.declining or self.miss)

    def rank(self) -> tuple[bool, int, bool, float, int]:
        return (
            self.regressed is not None,
            self.severity,
            self.declining is not None,
            self.miss[1] if self.miss else 0.0,
            self.runs,
        )

    def reason(self) -> str:
        """Why this agent comes first, by the first criterion it meets."""
        if self.regressed:
            return f"its latest prompt edit regressed: {self.regressed}"
        if self.open_recommendations:
            top = max(
                self.open_recommendations,
                key=lambda r: _SEVERITY_RANK.get(str(r.get("severity")), 0),
            )
            count = len(self.open_recommendations)
            return (
                f"{count} open recommendation{'s' if count != 1 else ''}, the most severe "
                f"[{top.get('severity')}] {top.get('rule')}"
            )
        if self.declining:
            return f"a declining trend: {self.declining}"
        if self.miss:
            return f"it misses its {self.miss[0]} target by {self.miss[1]:.0%}"
        return "nothing: every check passes"

    def digest_line(self) -> str:
        """One line for the digest of the other agents."""
        count = len(self.open_recommendations)
        flags = "; ".join(
            text
            for text in (
                "regressed" if self.regressed else "",
                f"declining {self.declining}" if self.declining else "",
                f"misses {self.miss[0]} by {self.miss[1]:.0%}" if self.miss else "",
            )
            if text
        )
        return (
            f"{self.agent}: {self.runs} runs, success {percent(self.success_rate)}, quality trend "
            f"{self.trend}, {count} open recommendation{'s' if count != 1 else ''}"
            + (f" ({flags})" if flags else "")
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "runs": self.runs,
            "success_rate": self.success_rate,
            "trend": self.trend,
            "regressed": self.regressed,
            "open_recommendations": len(self.open_recommendations),
            "declining": self.declining,
            "target_miss": {"metric": self.miss[0], "relative": round(self.miss[1], 4)}
            if self.miss
            else None,
            "needs_attention": self.needs_attention,
            "line": self.digest_line(),
        }


def assess(root: Path, agents: Sequence[str], *, now: datetime) -> list[Attention]:
    """The :class:`Attention` of each agent, most in need first (the §6 order)."""
    from kaizen_agentic.analysis.evidence import load_evidence, summarise
    from kaizen_agentic.analysis.ledger import open_recommendations
    from kaizen_agentic.analysis.optimizer import OptimizerStore
    from kaizen_agentic.config import load_config

    config = load_config(root)
    analysis = (OptimizerStore(root).read_analysis() or {}).get("agents") or {}
    found = []
    for name in agents:
        evidence = load_evidence(root, name, config, now=now)
        summary = summarise(evidence).to_document()
        result = analysis.get(name)
        comparison = (result.get("comparison") if isinstance(result, dict) else None) or {}
        found.append(
            Attention(
                agent=name,
                runs=evidence.totals.count,
                success_rate=evidence.totals.success_rate,
                trend=summary["trend"]["quality_score"],
                regressed=comparison.get("summary")
                if comparison.get("verdict") == "regressed"
                else None,
                open_recommendations=tuple(open_recommendations(root, name)),
                declining=_declining(summary),
                miss=_widest_miss(evidence, summary),
                summary=summary if evidence.has_records else None,
            )
        )
    return sorted(found, key=lambda a: (tuple(-x for x in a.rank()), a.agent))


def _declining(summary: Mapping[str, Any]) -> str | None:
    for label, window in (summary.get("windows") or {}).items():
        for metric, key in (("quality", "trend"), ("success rate", "success_trend")):
            if (window.get(key) or {}).get("verdict") == "declining":
                return f"{metric} in the {label} window"
    return None


def _widest_miss(evidence: Any, summary: Mapping[str, Any]) -> tuple[str, float] | None:
    """The declared target the agent misses by the widest margin, relative to the target."""
    from kaizen_agentic.analysis.rules import AgentTargets

    targets = AgentTargets.of(evidence.template)
    windows: Mapping[str, Any] = summary.get("windows") or {}
    window: Mapping[str, Any] = windows.get("30d") or next(iter(windows.values()), {})
    observed: list[tuple[Any, float | None]] = [
        (targets.quality, window.get("avg_quality_score")),
        (targets.time, window.get("avg_completion_time_s")),
    ]
    if evidence.current.primary_values is not None:
        observed.append((targets.primary, evidence.current.primary_values[0]))
    misses = []
    for metric, value in observed:
        if metric is None or value is None or not metric.target:
            continue
        gap = (metric.target - value) if metric.direction == "higher" else (value - metric.target)
        if gap > 0:
            misses.append((gap / abs(metric.target), metric.name))
    if not misses:
        return None
    gap, name = max(misses)
    return name, gap
