from __future__ import annotations

from pathlib import Path

import pytest

from kaizen_agentic.agents import (
    IDENTICAL,
    INSTALLED,
    REFUSED,
    REPLACED,
    AgentRegistry,
    install_agents,
    uninstall_agent,
)
from kaizen_agentic.errors import AgentNotFoundError, InvalidNameError, KaizenError


def _write_agent(path: Path, name: str, extra: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\nname: {name}\ndescription: Local.\n---\n# Local Agent\n{extra}\n")


def test_lookup_order_project_then_claude_then_catalog(project: Path) -> None:
    registry = AgentRegistry(project)
    assert registry.require("coach").source == "catalog"
    _write_agent(project / ".claude" / "agents" / "coach.md", "coach")
    assert registry.require("coach").source == "claude"
    _write_agent(project / "agents" / "agent-coach.md", "coach")
    resolved = registry.require("coach")
    assert (resolved.source, resolved.path) == ("project", project / "agents" / "agent-coach.md")
    assert [c.source for c in registry.candidates("coach")] == ["project", "claude", "catalog"]


def test_agent_version_is_sha256_prefix_and_changes_with_the_file(project: Path) -> None:
    import hashlib

    registry = AgentRegistry(project)
    path = project / "agents" / "agent-mine.md"
    _write_agent(path, "mine")
    first = registry.agent_version("mine")
    assert first == hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    _write_agent(path, "mine", extra="one more instruction")
    assert registry.agent_version("mine") not in (None, first)
    assert registry.agent_version("nobody-has-this") is None


def test_unknown_and_invalid_names(project: Path) -> None:
    registry = AgentRegistry(project)
    with pytest.raises(AgentNotFoundError, match="not found in registry"):
        registry.require("no-such-agent")
    for bad in ("../etc", "Bad Name", "", "a/b", "UPPER", "-lead", "x" * 65):
        with pytest.raises(InvalidNameError):
            registry.resolve(bad)


def test_install_twice_then_refuse_local_edit_then_force(project: Path) -> None:
    registry = AgentRegistry(project)
    [first] = install_agents(registry, ["coach"])
    assert first.status == INSTALLED
    assert first.path.read_text() == registry.catalog_path("coach").read_text()
    [second] = install_agents(registry, ["coach"])
    assert second.status == IDENTICAL
    first.path.write_text(first.path.read_text() + "\nlocal edit\n")
    [refused] = install_agents(registry, ["coach"])
    assert refused.status == REFUSED and "locally modified" in refused.reason
    assert first.path.read_text().endswith("local edit\n")
    [forced] = install_agents(registry, ["coach"], force=True)
    assert forced.status == REPLACED
    assert first.path.read_text() == registry.catalog_path("coach").read_text()


def test_install_unknown_agent_writes_nothing(project: Path) -> None:
    with pytest.raises(AgentNotFoundError):
        install_agents(AgentRegistry(project), ["coach", "no-such-agent"])
    assert list(project.iterdir()) == []


def test_uninstall_removes_both_forms_and_keeps_edited_files(project: Path) -> None:
    registry = AgentRegistry(project)
    install_agents(registry, ["coach"])
    install_agents(registry, ["coach"], claude=True)
    removed = uninstall_agent(registry, "coach")
    assert sorted(p.name for p in removed) == ["agent-coach.md", "coach.md"]
    with pytest.raises(KaizenError, match="not installed"):
        uninstall_agent(registry, "coach")
    [outcome] = install_agents(registry, ["coach"])
    outcome.path.write_text("edited")
    with pytest.raises(KaizenError, match="locally modified"):
        uninstall_agent(registry, "coach")
    assert outcome.path.exists()
    uninstall_agent(registry, "coach", force=True)
    assert not outcome.path.exists()
