"""A throwaway demo project that shows the tool working end to end."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kaizen_agentic.agents import AgentRegistry, InstallOutcome, install_agents

DEMO_AGENTS = ("coach", "tdd-workflow")


@dataclass
class DemoReport:
    """What the demo did, for the CLI to narrate."""

    directory: Path
    catalog: list[str] = field(default_factory=list)
    installed: list[InstallOutcome] = field(default_factory=list)


def run_demo(directory: Path) -> DemoReport:
    """Create ``<directory>/repo`` and install the demo agents into it."""
    repo = directory / "repo"
    repo.mkdir(parents=True, exist_ok=True)
    registry = AgentRegistry(repo)
    report = DemoReport(directory=directory, catalog=registry.catalog_names())
    report.installed = install_agents(registry, list(DEMO_AGENTS), force=True)
    return report
