"""The prepare bundle a scheduled run starts from (SPEC §6).

Built offline from the repo's own files — the agent prompt, its memory,
metrics, the recommendation ledger and the repo's SCOPE.md / TODO.md — as a
typed :class:`PrepareBundle`, rendered to markdown or JSON from that value.
A meta agent's bundle (coach, optimization) is about a target: the agent
that most needs attention (:mod:`kaizen_agentic.orient.target`), with the
coach's view of it and a one-line digest of every other agent. Nothing here
executes or shells out to anything found in the repo.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kaizen_agentic._time import format_timestamp
from kaizen_agentic.agents import AgentRegistry
from kaizen_agentic.agents.registry import not_found_message
from kaizen_agentic.errors import KaizenError
from kaizen_agentic.metrics.render import performance_summary_markdown
from kaizen_agentic.names import validate_name
from kaizen_agentic.orient.brief import (
    BriefSection,
    brief_agents,
    brief_section,
    ledger_lines,
    metrics_summary,
    recommendation_lines,
    section_body,
)
from kaizen_agentic.orient.target import META_AGENTS, Attention, assess

POINTER_FILES = {"scope": "SCOPE.md", "todo": "TODO.md"}


def prepare_command(agent: str, root: Path | str) -> str:
    """``kaizen-agentic schedule prepare <agent> --target <root>``; an odd root is quoted."""
    return f"kaizen-agentic schedule prepare {agent} --target {shlex.quote(str(root))}"


def session_close_commands(agent: str, root: Path) -> list[str]:
    """What the agent runs when it finishes: record the outcome, keep one learning.

    Every interpolated value is shell-quoted: a root with a space or a quote
    stays one argument when the line is pasted into a shell.
    """
    name, where = shlex.quote(agent), shlex.quote(str(root))
    return [
        f"kaizen-agentic metrics record {name} --success --time <seconds> --quality <0-1> "
        f"--target {where}",
        f"kaizen-agentic metrics record {name} --failure --time <seconds> --target {where}",
        f'kaizen-agentic memory add {name} "<one learning>" --section learnings --target {where}',
    ]


@dataclass(frozen=True)
class TargetView:
    """What a meta agent's bundle carries about its target."""

    agent: str
    reason: str
    prompt: str | None
    prompt_found: bool
    prompt_file: str
    section: BriefSection

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "reason": self.reason,
            "agent_prompt": self.prompt,
            "agent_prompt_found": self.prompt_found,
            "prompt_file": self.prompt_file,
            "metrics_summary": self.section.metrics_summary,
            "recommendations": self.section.recommendations,
            "ledger": self.section.ledger,
            "comparison": self.section.comparison,
            "feedback": self.section.feedback,
        }


@dataclass(frozen=True)
class PrepareBundle:
    """The §6 bundle. ``to_dict()`` gives the JSON document, keys in the documented order.

    For a meta agent ``recommendations`` are the target's open ones (the work
    to do), ``target`` is None when no agent needs attention (``target_reason``
    says why) and ``digest`` has one line per other agent.
    """

    agent: str
    project: str
    generated: str
    agent_prompt: str | None
    agent_prompt_found: bool
    agent_source: str | None
    memory: str | None
    metrics_summary: dict[str, Any] | None
    recommendations: list[dict[str, Any]]
    pointers: dict[str, str | None]
    session_close: list[str]
    ledger: list[dict[str, Any]] = field(default_factory=list)
    meta: bool = False
    target: TargetView | None = None
    target_reason: str = ""
    digest: list[Attention] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "agent": self.agent,
            "project": self.project,
            "generated": self.generated,
            "agent_prompt": self.agent_prompt,
            "agent_prompt_found": self.agent_prompt_found,
            "agent_source": self.agent_source,
            "memory": self.memory,
            "metrics_summary": self.metrics_summary,
            "recommendations": self.recommendations,
            "pointers": self.pointers,
            "session_close": self.session_close,
            "ledger": self.ledger,
        }
        if self.meta:
            document["target"] = self.target.to_dict() if self.target else None
            document["target_reason"] = self.target_reason
            document["digest"] = [a.to_dict() for a in self.digest]
        return document


def build_bundle(
    root: Path, agent: str, *, target: str | None = None, now: datetime | None = None
) -> PrepareBundle:
    """The §6 bundle; an unknown (well-formed) agent still gets one.

    For a meta agent, *target* names the agent to work on (default: the one
    most in need of attention); it is refused for any other agent.
    """
    from kaizen_agentic.analysis.ledger import open_recommendations, read_ledger
    from kaizen_agentic.errors import InvalidInputError
    from kaizen_agentic.orient.memory import read_memory

    validate_name(agent)
    if target is not None:
        validate_name(target)
        if agent not in META_AGENTS:
            raise InvalidInputError(
                f"--for works on a meta agent ({', '.join(META_AGENTS)}); "
                f"{agent} is prepared for itself — drop --for"
            )
    now = now or datetime.now(timezone.utc)
    prompt, resolved = _prompt(root, agent)
    bundle = PrepareBundle(
        agent=agent,
        project=root.resolve().name,
        generated=format_timestamp(now),
        agent_prompt=prompt,
        agent_prompt_found=resolved is not None,
        agent_source=str(resolved) if resolved else None,
        memory=read_memory(root, agent),
        metrics_summary=metrics_summary(root, agent, now),
        recommendations=open_recommendations(root, agent),
        pointers={
            key: name if (root / name).is_file() else None for key, name in POINTER_FILES.items()
        },
        session_close=session_close_commands(agent, root),
        ledger=[e.to_dict() for e in read_ledger(root, agent)],
    )
    if agent not in META_AGENTS:
        return bundle
    return _with_target(root, bundle, target, now)


def _prompt(root: Path, agent: str) -> tuple[str | None, Path | None]:
    resolved = AgentRegistry(root).resolve(agent)
    if resolved is None:
        return None, None
    try:
        return resolved.load().body, resolved.path
    except KaizenError:
        return resolved.text(), resolved.path  # read inside the project boundary


def _with_target(
    root: Path, bundle: PrepareBundle, chosen: str | None, now: datetime
) -> PrepareBundle:
    from dataclasses import replace

    from kaizen_agentic.analysis.optimizer import OptimizerStore

    candidates = [a for a in brief_agents(root) if a != bundle.agent]
    if chosen is not None and chosen not in candidates:
        candidates.append(chosen)
    ranked = assess(root, candidates, now=now)
    first = next((a for a in ranked if a.agent == chosen), None) if chosen else None
    if first is None and chosen is None and ranked and ranked[0].needs_attention:
        first = ranked[0]
    if first is None:
        reason = _no_target_reason(ranked)
        return replace(bundle, meta=True, target_reason=reason, digest=ranked)
    reason = (
        f"chosen with --for; it needs attention for {first.reason()}"
        if chosen and first.needs_attention
        else "chosen with --for"
        if chosen
        else f"{first.reason()} ({_checked(ranked)})"
    )
    analysis = (OptimizerStore(root).read_analysis() or {}).get("agents") or {}
    section = brief_section(root, first.agent, now=now, analysis=analysis, summary=first.summary)
    prompt, path = _prompt(root, first.agent)
    view = TargetView(
        agent=first.agent,
        reason=reason,
        prompt=prompt,
        prompt_found=path is not None,
        prompt_file=_relative(root, path) if path else f"agents/agent-{first.agent}.md",
        section=section,
    )
    return replace(
        bundle,
        meta=True,
        target=view,
        target_reason=reason,
        recommendations=section.recommendations,
        digest=[a for a in ranked if a.agent != first.agent],
    )


def _checked(ranked: list[Attention]) -> str:
    if len(ranked) == 1:
        return "the only agent with memory or metrics"
    return f"the most in need of {len(ranked)} agents with memory or metrics"


def _no_target_reason(ranked: list[Attention]) -> str:
    if not ranked:
        return "no other agent in this repo has memory or metrics yet"
    return (
        f"no agent needs attention: {len(ranked)} checked — no regressed comparison, no open "
        "recommendation, no declining trend, and every declared target met"
    )


def _relative(root: Path, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def render_bundle_markdown(bundle: PrepareBundle) -> str:
    agent = bundle.agent
    parts = [
        f"# Scheduled Run Orientation: {agent}",
        "",
        f"Project: {bundle.project}",
        f"Generated: {bundle.generated}",
    ]
    if bundle.meta:
        parts += [f"Target: {bundle.target.agent if bundle.target else 'none'}"]
    parts += [""]
    summary = performance_summary_markdown(bundle.metrics_summary)
    if summary:
        parts += [summary]
    parts += ["## Agent Prompt", ""]
    if bundle.agent_prompt_found and bundle.agent_prompt is not None:
        parts += [nest_headings(bundle.agent_prompt.rstrip(), 2), ""]
    else:
        parts += [not_found_message(agent), ""]
    if bundle.meta:
        parts += _target_markdown(bundle)
    parts += ["## Project Memory", ""]
    parts += [
        nest_headings(bundle.memory.rstrip(), 2)
        if bundle.memory
        else f"No memory yet — run: kaizen-agentic memory init {agent}",
        "",
    ]
    parts += ["## Open Recommendations", ""]
    parts += recommendation_lines(bundle.recommendations) or [
        "None open. Refresh with: kaizen-agentic metrics optimize"
    ]
    if not bundle.meta:
        parts += ["", "## Recommendation Ledger", ""]
        parts += ledger_lines(bundle.ledger) or ["- No recommendation raised yet."]
    parts += ["", "## Repo Pointers", ""]
    pointers = [f"- {name}" for name in bundle.pointers.values() if name]
    parts += pointers or ["- No SCOPE.md or TODO.md in this repo."]
    parts += ["", "## Session Close", "", "```bash", *bundle.session_close, "```", ""]
    return "\n".join(parts)


def _target_markdown(bundle: PrepareBundle) -> list[str]:
    target = bundle.target
    if target is None:
        parts = ["## Target", "", f"None: {bundle.target_reason}.", ""]
    else:
        section = target.section
        parts = [f"## Target: {target.agent}", "", f"Why: {target.reason}.", ""]
        parts += [f"Prompt file: {target.prompt_file}", ""]
        if section.performance_summary:
            parts += [nest_headings(section.performance_summary.rstrip(), 1), ""]
        parts += ["### Target Prompt", ""]
        parts += [
            nest_headings(target.prompt.rstrip(), 3)
            if target.prompt
            else not_found_message(target.agent),
            "",
        ]
        parts += section_body(section, level=3)
    parts += ["## Other Agents", ""]
    parts += [f"- {a.digest_line()}" for a in bundle.digest] or ["- None."]
    return [*parts, ""]


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


def render_bundle_json(bundle: PrepareBundle) -> str:
    return json.dumps(bundle.to_dict(), indent=2, ensure_ascii=False)


def emit_prepared(
    root: Path,
    bundle: PrepareBundle,
    *,
    fmt: str,
    size: int,
    cadence: str | None = None,
    slot: str | None = None,
) -> str:
    """Write a ``kaizen.schedule.prepared`` event (metadata only) to the outbox.

    With the *slot* of a scheduled run the event id is derived from it, so a
    retried run writes no second event.
    """
    from kaizen_agentic.events.outbox import emit_event
    from kaizen_agentic.events.payloads import BundleSummary, SchedulePrepared

    agent = bundle.agent
    summary = BundleSummary(
        format=fmt,
        agent_prompt_found=bundle.agent_prompt_found,
        has_memory=bundle.memory is not None,
        has_metrics=bundle.metrics_summary is not None,
        pointers=tuple(name for name in bundle.pointers.values() if name),
        bytes=size,
    )
    event = SchedulePrepared(
        repo=bundle.project,
        root=str(root.resolve()),
        agent=agent,
        cadence=cadence or _cadence_of(root, agent),
        prepare_command=prepare_command(agent, root),
        bundle=summary,
        session_close=tuple(bundle.session_close),
        slot=slot,
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
