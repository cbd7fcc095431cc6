"""Agents: the template, the packaged catalog and the registry (SPEC §2)."""

from __future__ import annotations

from pathlib import Path

from kaizen_agentic.agents.install import (
    IDENTICAL,
    INSTALLED,
    REFUSED,
    REPLACED,
    InstallOutcome,
    install_agents,
    subagent_text,
    uninstall_agent,
)
from kaizen_agentic.agents.registry import (
    CATALOG_DIR,
    AgentRegistry,
    ResolvedAgent,
    claude_agent_path,
    file_version,
    project_agent_path,
)
from kaizen_agentic.agents.template import (
    CATEGORIES,
    AgentTemplate,
    MetricSpec,
    Problem,
    agent_files_in,
    check_agent_file,
    check_agent_text,
    load_agent_file,
    parse_agent_text,
)


def validate_agents(registry: AgentRegistry, paths: list[Path] | None = None) -> list[Problem]:
    """Template problems in *paths*, or by default in the catalog and the project's agents."""
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
    return [problem for f in files for problem in check_agent_file(f)]


__all__ = [
    "CATALOG_DIR",
    "CATEGORIES",
    "IDENTICAL",
    "INSTALLED",
    "REFUSED",
    "REPLACED",
    "AgentRegistry",
    "AgentTemplate",
    "InstallOutcome",
    "MetricSpec",
    "Problem",
    "ResolvedAgent",
    "agent_files_in",
    "check_agent_file",
    "check_agent_text",
    "claude_agent_path",
    "file_version",
    "install_agents",
    "load_agent_file",
    "parse_agent_text",
    "project_agent_path",
    "subagent_text",
    "uninstall_agent",
    "validate_agents",
]
