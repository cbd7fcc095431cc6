"""Agent catalog commands: list, info, install, uninstall, validate (SPEC §2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from kaizen_agentic.agents import (
    CATEGORIES,
    IDENTICAL,
    REFUSED,
    AgentRegistry,
    claude_agent_path,
    install_agents,
    project_agent_path,
    uninstall_agent,
    validate_agents,
    validate_suggestions,
)
from kaizen_agentic.cli._output import (
    emit,
    json_option,
    style,
    table,
    target_option,
    terminal_width,
)
from kaizen_agentic.cli._params import check_agent_name
from kaizen_agentic.errors import InvalidInputError, KaizenError


def _entry(registry: AgentRegistry, name: str) -> dict[str, Any]:
    resolved = registry.require(name)
    template = resolved.load()
    return {
        "name": name,
        "title": template.title,
        "category": template.category,
        "version": template.version,
        "description": template.description,
        "source": resolved.source,
        "path": str(resolved.path),
        "agent_version": resolved.agent_version,
    }


@click.command("list")
@click.option("--category", type=click.Choice(CATEGORIES), help="Only agents of this category.")
@target_option
@json_option
def list_command(category: str | None, target: Path, as_json: bool) -> None:
    """List the agents the registry knows: the catalog plus the project's own.

    Example:

    \b
        kaizen-agentic list --category quality --json
    """
    registry = AgentRegistry(target)
    entries = []
    for name in registry.all_names():
        try:
            entries.append(_entry(registry, name))
        except KaizenError as error:  # one bad file never hides the others
            click.echo(f"warning: {error.message}; skipped", err=True)
    if category:
        entries = [e for e in entries if e["category"] == category]

    def human() -> None:
        rows = [
            [e["name"], e["category"], e["version"], e["source"], e["description"]] for e in entries
        ]
        heads = ["NAME", "CATEGORY", "VERSION", "SOURCE", "DESCRIPTION"]
        click.echo(table(heads, rows, wrap_width=terminal_width()))
        click.echo(f"\n{len(entries)} agents")

    emit(entries, as_json=as_json, human=human)


@click.command("info")
@click.argument("name", callback=check_agent_name)
@target_option
@json_option
def info_command(name: str, target: Path, as_json: bool) -> None:
    """Show an agent's frontmatter, source file, version hash and install state.

    Example:

    \b
        kaizen-agentic info coach
    """
    registry = AgentRegistry(target)
    resolved = registry.require(name)
    template = resolved.load()
    document = {
        **_entry(registry, name),
        "frontmatter": dict(template.frontmatter),
        "installed": {
            "project": project_agent_path(target, name).is_file(),
            "claude": claude_agent_path(target, name).is_file(),
        },
        "shadowed": [str(c.path) for c in registry.candidates(name)[1:]],
        "measured_against": _measured_against(registry, target, name),
    }

    def human() -> None:
        click.echo(style(template.title, bold=True))
        click.echo(template.description)
        click.echo("")
        rows: list[tuple[str, object]] = [
            ("category", template.category or None),
            ("version", template.version or None),
            ("agent_version", resolved.agent_version),
            ("source", f"{resolved.source} ({resolved.path})"),
            ("installed in agents/", "yes" if document["installed"]["project"] else "no"),
            ("installed in .claude/agents/", "yes" if document["installed"]["claude"] else "no"),
        ]
        if template.primary_metric:
            m = template.primary_metric
            rows.append(("primary metric", f"{m.name} (target {m.target:g}, {m.direction})"))
        for m in template.secondary_metrics:
            rows.append(("secondary metric", f"{m.name} (target {m.target:g}, {m.direction})"))
        if template.tools:
            rows.append(("tools", ", ".join(template.tools)))
        for key, value in rows:
            click.echo(f"{key + ':':<30}{'-' if value is None else value}")
        measured = document["measured_against"]
        if measured:
            click.echo(measured_text(measured))

    emit(document, as_json=as_json, human=human)


@click.command("install")
@click.argument("names", nargs=-1, callback=check_agent_name)
@click.option("--all", "install_all", is_flag=True, help="Install every catalog agent.")
@click.option(
    "--claude",
    is_flag=True,
    help="Write Claude Code subagents to .claude/agents/<name>.md instead.",
)
@click.option("--force", is_flag=True, help="Replace files that differ from the catalog.")
@target_option
@json_option
def install_command(
    names: tuple[str, ...],
    install_all: bool,
    claude: bool,
    force: bool,
    target: Path,
    as_json: bool,
) -> None:
    """Copy catalog agents into the project (agents/agent-<name>.md).

    A file that is already identical is skipped; one that differs (edited
    locally) is refused unless --force. Exits 1 when any file was refused.

    Example:

    \b
        kaizen-agentic install coach tdd-workflow
        kaizen-agentic install --all --claude
    """
    registry = AgentRegistry(target)
    if install_all == bool(names):
        raise InvalidInputError("name the agents to install, or pass --all (not both)")
    chosen = registry.catalog_names() if install_all else list(dict.fromkeys(names))
    outcomes = install_agents(registry, chosen, claude=claude, force=force)
    document = [
        {"agent": o.agent, "path": str(o.path), "status": o.status, "reason": o.reason}
        for o in outcomes
    ]

    def human() -> None:
        for o in outcomes:
            colour = {IDENTICAL: "yellow", REFUSED: "red"}.get(o.status, "green")
            detail = f": {o.reason}" if o.reason else ""
            click.echo(
                f"{style(o.status, fg=colour)}  {o.agent} -> {_shown(o.path, target)}{detail}"
            )

    emit(document, as_json=as_json, human=human)
    if any(o.status == REFUSED for o in outcomes):
        raise click.exceptions.Exit(1)


@click.command("uninstall")
@click.argument("name", callback=check_agent_name)
@click.option("--force", is_flag=True, help="Remove the files even if edited locally.")
@target_option
def uninstall_command(name: str, force: bool, target: Path) -> None:
    """Remove an installed agent (both agents/ and .claude/agents/ forms).

    Example:

    \b
        kaizen-agentic uninstall tdd-workflow
    """
    for path in uninstall_agent(AgentRegistry(target), name, force=force):
        click.echo(f"removed  {name} -> {_shown(path, target)}")


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@target_option
@json_option
def validate_command(paths: tuple[Path, ...], target: Path, as_json: bool) -> None:
    """Check agent files against the template; one line per problem, exit 1 on any.

    Without PATHs, checks the packaged catalog and the project's installed
    agents. A PATH may be a file or a folder of .md files. A Claude Code
    subagent file is judged by Claude Code's rules (name, description, tools
    as a string or list); the kaizen template keys it lacks are listed as
    suggestions, which do not fail the check.

    Example:

    \b
        kaizen-agentic validate agents/
    """
    registry = AgentRegistry(target)
    problems = validate_agents(registry, list(paths))
    suggestions = validate_suggestions(registry, list(paths))
    document = {
        "valid": not problems,
        "problems": [{"file": p.file, "key": p.key, "message": p.message} for p in problems],
        "suggestions": [{"file": p.file, "key": p.key, "message": p.message} for p in suggestions],
    }

    def human() -> None:
        for problem in problems:
            click.echo(str(problem))
        for suggestion in suggestions:
            click.echo(f"suggestion: {suggestion}")
        click.echo(f"{len(problems)} problems" if problems else "All agent files are valid.")

    emit(document, as_json=as_json, human=human)
    if problems:
        raise click.exceptions.Exit(1)


def _measured_against(registry: AgentRegistry, root: Path, name: str) -> dict[str, str] | None:
    from kaizen_agentic.metrics.store import MetricsStore

    last = MetricsStore(root, name).tail(1)
    return registry.measured_against(name, last[0].get("agent_version") if last else None)


def measured_text(measured: dict[str, str]) -> str:
    """One line saying which of two differing files the latest run was measured against."""
    if not measured["file"]:
        return (
            "note: agents/ and .claude/agents/ hold different files, and the latest run "
            f"({measured['agent_version'] or 'no version'}) matches neither"
        )
    return (
        f"note: the latest run was measured against {measured['file']} "
        f"({measured['agent_version']}); {measured['other_file']} differs"
    )


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
