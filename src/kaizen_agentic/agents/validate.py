"""``validate``: which agent files are checked, their problems and their suggestions (SPEC §2)."""

from __future__ import annotations

from pathlib import Path

from kaizen_agentic.agents.registry import AgentRegistry
from kaizen_agentic.agents.template import Problem, agent_files_in, check_agent_file


def validate_agents(registry: AgentRegistry, paths: list[Path] | None = None) -> list[Problem]:
    """Template problems in *paths*, or by default in the catalog and the project's agents."""
    return [problem for f in validated_files(registry, paths) for problem in check_agent_file(f)]


def validate_suggestions(registry: AgentRegistry, paths: list[Path] | None = None) -> list[Problem]:
    """Kaizen keys the Claude Code subagent files among *paths* lack: suggestions, not problems."""
    from kaizen_agentic.agents.template import is_subagent_path, subagent_suggestions

    found = []
    for path in validated_files(registry, paths):
        if is_subagent_path(path) or not path.name.startswith("agent-"):
            found += subagent_suggestions(path)
    return found


def validated_files(registry: AgentRegistry, paths: list[Path] | None = None) -> list[Path]:
    """The files ``validate`` reads: *paths* (files or folders), else the default set."""
    if paths:
        files = [f for p in paths for f in agent_files_in(p)]
    else:
        root = registry.project_root
        folders = (
            (registry.catalog_dir, "agent-*.md"),
            (root / "agents", "agent-*.md"),
            (root / ".claude" / "agents", "*.md"),
        )
        files = [
            f
            for folder, pattern in folders
            if folder.is_dir()
            for f in agent_files_in(folder, pattern)
        ]
    return files
