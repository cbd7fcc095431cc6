"""Orientation for the next agent run: the prepare bundle (SPEC §6) and the coach brief (§5).

Both are built offline from the repo's own files — the agent prompt, its
memory, metrics, the optimizer's open recommendations and the repo's
SCOPE.md / TODO.md — and rendered as markdown or returned as plain data.
Nothing here executes or shells out to anything found in the repo.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kaizen_agentic._time import format_timestamp
from kaizen_agentic.agents import AgentRegistry
from kaizen_agentic.errors import KaizenError
from kaizen_agentic.metrics.render import performance_summary_markdown
from kaizen_agentic.metrics.store import MetricsStore
from kaizen_agentic.names import validate_name
from kaizen_agentic.paths import AGENTS_STATE_RELATIVE

POINTER_FILES = {"scope": "SCOPE.md", "todo": "TODO.md"}


def prepare_command(agent: str, root: Path | str) -> str:
    """``kaizen-agentic schedule prepare <agent> --target <root>``; an odd root is quoted."""
    return f"kaizen-agentic schedule prepare {agent} --target {shlex.quote(str(root))}"


def session_close_commands(agent: str, root: Path) -> list[str]:
    """What the agent runs when it finishes: record the outcome, keep one learning.

    The root is shell-quoted (SPEC §6, §10): a folder named ``x;rm -rf ~`` stays
    one argument. The ``<...>`` placeholders are for the agent to fill in.
    """
    target = shlex.quote(str(root))
    return [
        f"kaizen-agentic metrics record {agent} --success --time <seconds> --quality <0-1> "
        f"--target {target}",
        f"kaizen-agentic metrics record {agent} --failure --time <seconds> --target {target}",
        f'kaizen-agentic memory add {agent} "<one learning>" --section learnings --target {target}',
    ]


def build_bundle(root: Path, agent: str, *, now: datetime | None = None) -> dict[str, Any]:
    """The §6 bundle as plain data; an unknown (well-formed) agent still gets one."""
    from kaizen_agentic.orient.memory import read_memory

    validate_name(agent)
    now = now or datetime.now(timezone.utc)
    resolved = AgentRegistry(root).resolve(agent)
    prompt = None
    if resolved is not None:
        try:
            prompt = resolved.load().body
        except KaizenError:
            prompt = resolved.text()
    return {
        "agent": agent,
        "project": root.resolve().name,
        "generated": format_timestamp(now),
        "agent_prompt": prompt,
        "agent_prompt_found": resolved is not None,
        "agent_source": str(resolved.path) if resolved else None,
        "memory": read_memory(root, agent),
        "metrics_summary": _metrics_summary(root, agent, now),
        "recommendations": _open_recommendations(root, agent),
        "pointers": {
            key: name if (root / name).is_file() else None for key, name in POINTER_FILES.items()
        },
        "session_close": session_close_commands(agent, root),
    }


def render_bundle_markdown(bundle: dict[str, Any]) -> str:
    agent = bundle["agent"]
    parts = [
        f"# Scheduled Run Orientation: {agent}",
        "",
        f"Project: {bundle['project']}",
        f"Generated: {bundle['generated']}",
        "",
    ]
    summary = performance_summary_markdown(bundle["metrics_summary"])
    if summary:
        parts += [summary]
    parts += ["## Agent Prompt", ""]
    if bundle["agent_prompt_found"]:
        parts += [nest_headings(bundle["agent_prompt"].rstrip(), 2), ""]
    else:
        parts += [f"agent '{agent}' not found in registry — run: kaizen-agentic list", ""]
    parts += ["## Project Memory", ""]
    parts += [
        nest_headings(bundle["memory"].rstrip(), 2)
        if bundle["memory"]
        else f"No memory yet — run: kaizen-agentic memory init {agent}",
        "",
    ]
    parts += ["## Open Recommendations", ""]
    parts += _recommendation_lines(bundle["recommendations"]) or [
        "None open. Refresh with: kaizen-agentic metrics optimize"
    ]
    parts += ["", "## Repo Pointers", ""]
    pointers = [f"- {name}" for name in bundle["pointers"].values() if name]
    parts += pointers or ["- No SCOPE.md or TODO.md in this repo."]
    parts += ["", "## Session Close", "", "```bash", *bundle["session_close"], "```", ""]
    return "\n".join(parts)


def nest_headings(markdown: str, levels: int) -> str:
    """Push every heading down *levels* (max ``######``) so an embedded document nests."""
    lines, fenced = [], False
    for line in markdown.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if not fenced and line.startswith("#"):
            marks = len(line) - len(line.lstrip("#"))
            if line[marks : marks + 1] in (" ", ""):
                line = "#" * min(marks + levels, 6) + line[marks:]
        lines.append(line)
    return "\n".join(lines)


def render_bundle_json(bundle: dict[str, Any]) -> str:
    return json.dumps(bundle, indent=2, ensure_ascii=False)


@dataclass(frozen=True)
class BriefSection:
    """The coach's view of one agent."""

    agent: str
    memory_highlights: dict[str, list[str]]
    performance_summary: str
    recommendations: list[dict[str, Any]]
    comparison: dict[str, Any] | None
    feedback: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "memory_highlights": self.memory_highlights,
            "performance_summary": self.performance_summary,
            "recommendations": self.recommendations,
            "comparison": self.comparison,
            "feedback": self.feedback,
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
    from kaizen_agentic.orient.feedback import list_feedback
    from kaizen_agentic.orient.memory import memory_highlights, read_memory

    now = now or datetime.now(timezone.utc)
    agents = [validate_name(agent)] if agent else brief_agents(root)
    analysis = (OptimizerStore(root).read_analysis() or {}).get("agents") or {}
    sections = []
    for name in agents:
        memory = read_memory(root, name)
        sections.append(
            BriefSection(
                agent=name,
                memory_highlights=memory_highlights(memory) if memory else {},
                performance_summary=performance_summary_markdown(_metrics_summary(root, name, now)),
                recommendations=_open_recommendations(root, name),
                comparison=(analysis.get(name) or {}).get("comparison"),
                feedback=list_feedback(root, name)[-feedback_count:],
            )
        )
    return sections


def render_brief_markdown(sections: list[BriefSection], project: str) -> str:
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
        parts += ["## Open Recommendations", ""]
        parts += _recommendation_lines(section.recommendations) or ["- None open."]
        parts += ["", "## Latest Version Comparison", ""]
        parts += [
            section.comparison["summary"]
            if section.comparison
            else "- No comparison yet (needs two prompt versions with runs)."
        ]
        parts += ["", "## Recent Feedback", ""]
        parts += [
            f"- {f.get('timestamp', '')[:10]} {f['rating']}/5"
            f"{' from ' + f['from'] if f.get('from') else ''}: {f.get('comment', '')}"
            for f in section.feedback
        ] or ["- None yet."]
        parts += [""]
    return "\n".join(parts)


def _metrics_summary(root: Path, agent: str, now: datetime) -> dict[str, Any] | None:
    """The summary.json document of *agent* per the repo's config; None without records."""
    from kaizen_agentic.config import load_config

    # before the early return: a broken config fails the same way with or without metrics
    config = load_config(root)
    if not MetricsStore(root, agent).executions_path.exists():
        return None
    from kaizen_agentic.analysis.evidence import load_evidence, summarise

    evidence = load_evidence(root, agent, config, now=now)
    return summarise(evidence).to_document() if evidence.has_records else None


def _open_recommendations(root: Path, agent: str) -> list[dict[str, Any]]:
    from kaizen_agentic.analysis.optimizer import OptimizerStore

    return OptimizerStore(root).open_recommendations(agent)


def _recommendation_lines(recommendations: list[dict[str, Any]]) -> list[str]:
    return [f"- [{r.get('severity')}] {r.get('rule')}: {r.get('action')}" for r in recommendations]


def emit_prepared(
    root: Path, bundle: dict[str, Any], *, fmt: str, size: int, cadence: str | None = None
) -> str:
    """Write a ``kaizen.schedule.prepared`` event (metadata only) to the outbox."""
    from kaizen_agentic.events.outbox import emit_event
    from kaizen_agentic.events.payloads import BundleSummary, SchedulePrepared

    agent = bundle["agent"]
    summary = BundleSummary(
        format=fmt,
        agent_prompt_found=bundle["agent_prompt_found"],
        has_memory=bundle["memory"] is not None,
        has_metrics=bundle["metrics_summary"] is not None,
        pointers=tuple(name for name in bundle["pointers"].values() if name),
        bytes=size,
    )
    event = SchedulePrepared(
        repo=bundle["project"],
        root=str(root.resolve()),
        agent=agent,
        cadence=cadence or _cadence_of(root, agent),
        prepare_command=prepare_command(agent, root),
        bundle=summary,
        session_close=tuple(bundle["session_close"]),
    )
    return emit_event(root, event)


def _cadence_of(root: Path, agent: str) -> str:
    """The agent's cadence in schedule.yml, or "manual" for an unscheduled prepare."""
    from kaizen_agentic.schedule import check_schedule, schedule_path

    path = schedule_path(root)
    if not path.is_file():
        return "manual"
    try:
        report = check_schedule(path)
    except KaizenError:
        return "manual"
    entry = report.schedule.agents.get(agent) if report.schedule else None
    return entry.cadence if entry else "manual"
