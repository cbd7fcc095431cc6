"""``kaizen-agentic memory …``: init, show, add, brief (SPEC §5)."""

from __future__ import annotations

from pathlib import Path

import click

from kaizen_agentic.cli._output import emit, json_option, target_option
from kaizen_agentic.cli._params import check_agent_name
from kaizen_agentic.errors import KaizenError
from kaizen_agentic.orient.memory import (
    DEFAULT_SECTION,
    SECTIONS,
    add_memory,
    init_memory,
    memory_path,
    read_memory,
)


@click.group("memory")
def memory_group() -> None:
    """Per-agent project memory: .kaizen/agents/AGENT/memory.md.

    Example:

    \b
        kaizen-agentic memory init coach
        kaizen-agentic memory add coach "CI runs on Python 3.10 and 3.12" --section decisions
    """


@memory_group.command("init")
@click.argument("agent", callback=check_agent_name)
@click.option(
    "--no-metrics", is_flag=True, help="Do not create the agent's .kaizen/metrics folder."
)
@target_option
def init_command(agent: str, no_metrics: bool, target: Path) -> None:
    """Create AGENT's memory file from the template, and its metrics folder.

    An existing memory file is never overwritten (exit 0). AGENT must be known
    to the registry (see `kaizen-agentic list`).

    Example:

    \b
        kaizen-agentic memory init tdd-workflow
        kaizen-agentic memory init coach --no-metrics --target ../my-repo
    """
    result = init_memory(target, agent, scaffold_metrics=not no_metrics)
    if result.created:
        click.echo(f"Created {result.path}")
    else:
        click.echo(f"Memory already exists: {result.path} (left unchanged)")
    if result.metrics_dir is not None:
        click.echo(f"Scaffolded {result.metrics_dir}/")


@memory_group.command("show")
@click.argument("agent", callback=check_agent_name)
@target_option
@json_option
def show_command(agent: str, target: Path, as_json: bool) -> None:
    """Print AGENT's memory file.

    Fails (exit 1) when AGENT has no memory yet.

    Example:

    \b
        kaizen-agentic memory show coach
        kaizen-agentic memory show coach --json
    """
    text = read_memory(target, agent)
    if text is None:
        raise KaizenError(f"no memory for {agent}; run: kaizen-agentic memory init {agent}")
    path = memory_path(target, agent)
    emit(
        {"agent": agent, "path": str(path), "text": text},
        as_json=as_json,
        human=lambda: click.echo(text, nl=not text.endswith("\n")),
    )


@memory_group.command("add")
@click.argument("agent", callback=check_agent_name)
@click.argument("text")
@click.option(
    "--section",
    type=click.Choice(list(SECTIONS)),
    default=DEFAULT_SECTION,
    show_default=True,
    help="Section the entry goes under.",
)
@target_option
def add_command(agent: str, text: str, section: str, target: Path) -> None:
    """Add TEXT as a dated bullet at the end of a section of AGENT's memory.

    The memory file is created from the template if needed. TEXT is one line
    of at most 2,000 characters. AGENT must be known to the registry.

    Example:

    \b
        kaizen-agentic memory add coach "Flaky test: test_sync_retries under load"
        kaizen-agentic memory add coach "Who owns the deploy key?" --section open-questions
    """
    path = add_memory(target, agent, text, section=section)
    click.echo(f"Added to {section} in {path}")


@memory_group.command("brief")
@click.argument("agent", required=False, callback=check_agent_name)
@target_option
@json_option
def brief_command(agent: str | None, target: Path, as_json: bool) -> None:
    """The coach orientation: memory highlights, performance, recommendations, feedback.

    For one agent, or every agent with memory or metrics. Includes the
    latest version comparison from the last `metrics optimize`.

    Example:

    \b
        kaizen-agentic memory brief
        kaizen-agentic memory brief tdd-workflow --json
    """
    from kaizen_agentic.orient.brief import coach_brief, render_brief_markdown

    sections = coach_brief(target, agent)

    def human() -> None:
        click.echo(render_brief_markdown(sections, target.resolve().name).rstrip())

    emit([s.to_dict() for s in sections], as_json=as_json, human=human)
