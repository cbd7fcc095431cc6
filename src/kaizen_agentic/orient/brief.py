"""The coach brief (SPEC §5): the coach's view of each agent, built offline from the repo's files.

Per agent: memory highlights, the ``## Performance Summary`` block when metrics
exist, open recommendations, the recommendation ledger, the latest version
comparison and recent feedback. The prepare bundle of a meta agent embeds the
same view of its target (:mod:`kaizen_agentic.orient.bundle`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kaizen_agentic.metrics.render import performance_summary_markdown
from kaizen_agentic.metrics.store import MetricsStore
from kaizen_agentic.names import validate_name
from kaizen_agentic.paths import AGENTS_STATE_RELATIVE

LEDGER_LINES = 10


@dataclass(frozen=True)
class BriefSection:
    """The coach's view of one agent."""

    agent: str
    memory_highlights: dict[str, list[str]]
    performance_summary: str
    recommendations: list[dict[str, Any]]
    comparison: dict[str, Any] | None
    feedback: list[dict[str, Any]]
    ledger: list[dict[str, Any]] = field(default_factory=list)
    metrics_summary: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "memory_highlights": self.memory_highlights,
            "performance_summary": self.performance_summary,
            "recommendations": self.recommendations,
            "comparison": self.comparison,
            "feedback": self.feedback,
            "ledger": self.ledger,
        }


def brief_agents(root: Path) -> list[str]:
    """Agents with memory or metrics in *root*."""
    with_memory = {p.parent.name for p in (root / AGENTS_STATE_RELATIVE).glob("*/memory.md")}
    return sorted(with_memory | set(MetricsStore.list_agents(root)))


def coach_brief(
    root: Path, agent: str | None = None, *, now: datetime | None = None, feedback_count: int = 5
) -> list[BriefSection]:
    """The coach orientation for one agent, or every agent with memory or metrics."""
    from kaizen_agentic.analysis.optimizer import OptimizerStore

    now = now or datetime.now(timezone.utc)
    agents = [validate_name(agent)] if agent else brief_agents(root)
    analysis = (OptimizerStore(root).read_analysis() or {}).get("agents") or {}
    return [
        brief_section(root, name, now=now, analysis=analysis, feedback_count=feedback_count)
        for name in agents
    ]


def brief_section(
    root: Path,
    agent: str,
    *,
    now: datetime,
    analysis: Mapping[str, Any],
    feedback_count: int = 5,
    summary: Mapping[str, Any] | None = None,
) -> BriefSection:
    """One agent's :class:`BriefSection` (*analysis*: the ``agents`` of analysis.json).

    *summary*: the agent's summary document when the caller has it already.
    """
    from kaizen_agentic.analysis.ledger import open_recommendations, read_ledger
    from kaizen_agentic.orient.feedback import list_feedback
    from kaizen_agentic.orient.memory import memory_highlights, read_memory

    memory = read_memory(root, agent)
    summary = dict(summary) if summary is not None else metrics_summary(root, agent, now)
    result = analysis.get(agent)
    return BriefSection(
        agent=agent,
        memory_highlights=memory_highlights(memory) if memory else {},
        performance_summary=performance_summary_markdown(summary),
        recommendations=open_recommendations(root, agent),
        comparison=result.get("comparison") if isinstance(result, dict) else None,
        feedback=list_feedback(root, agent)[-feedback_count:],
        ledger=[e.to_dict() for e in read_ledger(root, agent)],
        metrics_summary=summary,
    )


def render_brief_markdown(sections: Sequence[BriefSection], project: str) -> str:
    if not sections:
        return (
            f"# Coach Brief: {project}\n\nNo agent has memory or metrics yet. Start with: "
            "kaizen-agentic memory init <agent>\n"
        )
    parts = [f"# Coach Brief: {project}", ""]
    for section in sections:
        parts += [f"# Agent: {section.agent}", ""]
        parts += ["## Memory Highlights", ""]
        highlights = [
            f"- {heading}: {item}"
            for heading, items in section.memory_highlights.items()
            for item in items
        ]
        parts += highlights or [f"- No memory — run: kaizen-agentic memory init {section.agent}"]
        parts += [""]
        if section.performance_summary:
            parts += [section.performance_summary]
        parts += section_body(section, level=2)
    return "\n".join(parts)


def section_body(section: BriefSection, *, level: int) -> list[str]:
    """Open recommendations, ledger, comparison and feedback, as headings of *level*."""
    mark = "#" * level
    parts = [f"{mark} Open Recommendations", ""]
    parts += recommendation_lines(section.recommendations) or ["- None open."]
    parts += ["", f"{mark} Recommendation Ledger", ""]
    parts += ledger_lines(section.ledger) or ["- No recommendation raised yet."]
    parts += ["", f"{mark} Latest Version Comparison", ""]
    parts += [
        section.comparison["summary"]
        if section.comparison
        else "- No comparison yet (needs two prompt versions with runs)."
    ]
    parts += ["", f"{mark} Recent Feedback", ""]
    parts += [
        f"- {f.get('timestamp', '')[:10]} {f['rating']}/5"
        f"{' from ' + f['from'] if f.get('from') else ''}: {f.get('comment', '')}"
        for f in section.feedback
    ] or ["- None yet."]
    return [*parts, ""]


def metrics_summary(root: Path, agent: str, now: datetime) -> dict[str, Any] | None:
    """The summary.json document of *agent* per the repo's config; None without records."""
    from kaizen_agentic.config import load_config

    # before the early return: a broken config fails the same way with or without metrics
    config = load_config(root)
    if not MetricsStore(root, agent).executions_path.exists():
        return None
    from kaizen_agentic.analysis.evidence import summarise, summary_evidence

    evidence = summary_evidence(root, agent, config, now=now)
    return summarise(evidence).to_document() if evidence.has_records else None


def recommendation_lines(recommendations: Sequence[Mapping[str, Any]]) -> list[str]:
    return [
        f"- [{r.get('severity')}] {r.get('rule')} ({r.get('id')}): {r.get('action')}"
        for r in recommendations
    ]


def ledger_lines(entries: Sequence[Mapping[str, Any]]) -> list[str]:
    """The latest entries, one line each: state and its date, rule, versions, why."""
    lines = []
    for entry in list(entries)[-LEDGER_LINES:]:
        last = entry["history"][-1]
        moved = f" → {str(entry['candidate'])[:12]}" if entry.get("candidate") else ""
        note = f" — {last['note']}" if last.get("note") else ""
        lines.append(
            f"- {entry['state']} ({str(last['at'])[:10]}): [{entry['severity']}] {entry['rule']} "
            f"{entry['id']}, raised {str(entry['raised_at'])[:10]} on "
            f"{str(entry['raised_on'] or '?')[:12]}{moved}{note}"
        )
    return lines
