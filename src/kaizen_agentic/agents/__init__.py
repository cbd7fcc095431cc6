"""Agents: the template, the packaged catalog and the registry (SPEC §2).

Names load on first use (PEP 562): the capture hook needs the registry, not
the installer or YAML, inside its time budget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kaizen_agentic._lazy import lazy_exports

if TYPE_CHECKING:  # the real names, for the type checker
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
    from kaizen_agentic.agents.validate import (
        validate_agents,
        validate_suggestions,
        validated_files,
    )

_EXPORTS: dict[str, str] = {
    "AgentRegistry": "kaizen_agentic.agents.registry",
    "AgentTemplate": "kaizen_agentic.agents.template",
    "CATALOG_DIR": "kaizen_agentic.agents.registry",
    "CATEGORIES": "kaizen_agentic.agents.template",
    "IDENTICAL": "kaizen_agentic.agents.install",
    "INSTALLED": "kaizen_agentic.agents.install",
    "InstallOutcome": "kaizen_agentic.agents.install",
    "MetricSpec": "kaizen_agentic.agents.template",
    "Problem": "kaizen_agentic.agents.template",
    "REFUSED": "kaizen_agentic.agents.install",
    "REPLACED": "kaizen_agentic.agents.install",
    "ResolvedAgent": "kaizen_agentic.agents.registry",
    "agent_files_in": "kaizen_agentic.agents.template",
    "check_agent_file": "kaizen_agentic.agents.template",
    "check_agent_text": "kaizen_agentic.agents.template",
    "claude_agent_path": "kaizen_agentic.agents.registry",
    "file_version": "kaizen_agentic.agents.registry",
    "install_agents": "kaizen_agentic.agents.install",
    "load_agent_file": "kaizen_agentic.agents.template",
    "parse_agent_text": "kaizen_agentic.agents.template",
    "project_agent_path": "kaizen_agentic.agents.registry",
    "subagent_text": "kaizen_agentic.agents.install",
    "uninstall_agent": "kaizen_agentic.agents.install",
    "validate_agents": "kaizen_agentic.agents.validate",
    "validate_suggestions": "kaizen_agentic.agents.validate",
    "validated_files": "kaizen_agentic.agents.validate",
}

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
    "validate_suggestions",
    "validated_files",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
