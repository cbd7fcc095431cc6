"""Real Claude Code agent files work: names, tolerant frontmatter, one bad file (SPEC §2)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kaizen_agentic.agents import AgentRegistry, file_version, load_agent_file
from kaizen_agentic.agents.registry import kaizen_name
from kaizen_agentic.cli import cli

# As people write them: unquoted description with ": ", name unlike the file name.
THIRD_PARTY = """---
name: code-reviewer
description: Expert reviewer. Use PROACTIVELY: after every change, examples: see below
tools: Read, Grep, Glob
model: sonnet
color: red
---
You review code.
"""
BROKEN = "---\nname: [unclosed\n---\nbody\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def repo_with(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "repo"
    folder = root / ".claude" / "agents"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return root


def test_an_unquoted_description_with_colons_is_read_as_text(tmp_path: Path) -> None:
    root = repo_with(tmp_path, {"reviewer.md": THIRD_PARTY})
    template = load_agent_file(root / ".claude" / "agents" / "reviewer.md")
    assert template.description.startswith("Expert reviewer. Use PROACTIVELY: after")
    assert template.tools == ("Read", "Grep", "Glob")


def test_the_registry_finds_a_subagent_by_its_frontmatter_name(tmp_path: Path) -> None:
    root = repo_with(tmp_path, {"reviewer.md": THIRD_PARTY})
    registry = AgentRegistry(root)
    resolved = registry.resolve("code-reviewer")
    assert resolved is not None and resolved.source == "claude"
    assert resolved.path.name == "reviewer.md"
    assert resolved.agent_version == file_version(resolved.path)
    assert "code-reviewer" in registry.project_names()
    assert registry.resolve_claude("code-reviewer") == resolved


def test_user_level_and_plugin_agents(tmp_path: Path) -> None:
    root = repo_with(tmp_path, {})
    home = tmp_path / "claude-home"
    (home / "agents").mkdir(parents=True)
    (home / "agents" / "helper.md").write_text("---\nname: helper\ndescription: d\n---\nx\n")
    plugin = home / "plugins" / "market" / "tools-plugin"
    (plugin / "agents").mkdir(parents=True)
    (plugin / ".claude-plugin").mkdir()
    (plugin / ".claude-plugin" / "plugin.json").write_text('{"name": "toolkit"}')
    (plugin / "agents" / "lint.md").write_text("---\nname: linter\ndescription: d\n---\nx\n")
    registry = AgentRegistry(root, claude_home=home)
    user = registry.resolve_claude("helper")
    assert user is not None and user.source == "user"
    found = registry.resolve_claude("toolkit:linter")
    assert found is not None and found.source == "plugin" and found.name == "toolkit-linter"
    assert registry.resolve_claude("linter") is None  # a plugin agent needs its namespace
    assert registry.resolve_claude("general-purpose") is None  # built-in: no file
    resolved = registry.resolve("toolkit-linter")
    assert resolved is not None and resolved.path == plugin / "agents" / "lint.md"


def test_claude_names_become_kaizen_names() -> None:
    assert kaizen_name("Explore") == "explore"
    assert kaizen_name("plugin:code-review") == "plugin-code-review"
    assert kaizen_name("dotnet-framework-4.8-expert") == "dotnet-framework-4-8-expert"
    assert kaizen_name("::") is None


def test_one_bad_file_never_hides_the_others(tmp_path: Path) -> None:
    root = repo_with(tmp_path, {"reviewer.md": THIRD_PARTY, "broken.md": BROKEN})
    code, out, err = run("list", "--json", "-t", str(root))
    assert code == 0
    names = {entry["name"] for entry in json.loads(out)}
    assert "code-reviewer" in names and "coach" in names and "broken" not in names
    assert err.startswith("warning: ") and "broken.md" in err and err.count("\n") == 1
    code, out, _ = run("info", "code-reviewer", "--json", "-t", str(root))
    assert code == 0 and json.loads(out)["source"] == "claude"


def test_validate_judges_a_subagent_by_claude_codes_rules(tmp_path: Path) -> None:
    root = repo_with(tmp_path, {"reviewer.md": THIRD_PARTY})
    code, out, _ = run("validate", "--json", str(root / ".claude" / "agents"), "-t", str(root))
    document = json.loads(out)
    assert code == 0 and document["valid"] is True and document["problems"] == []
    assert {s["key"] for s in document["suggestions"]} >= {"metrics", "category", "version"}
    (root / ".claude" / "agents" / "bad.md").write_text("---\ndescription: no name\n---\nx\n")
    code, out, _ = run("validate", str(root / ".claude" / "agents"), "-t", str(root))
    assert code == 1 and "bad.md: name: required key is missing" in out


def test_which_file_the_runs_were_measured_against(tmp_path: Path) -> None:
    root = repo_with(tmp_path, {})
    assert run("install", "code-reviewer", "-t", str(root))[0] == 0
    assert run("install", "code-reviewer", "--claude", "-t", str(root))[0] == 0
    claude_file = root / ".claude" / "agents" / "code-reviewer.md"
    claude_file.write_text(claude_file.read_text() + "\nAlso check the tests.\n")
    # a captured run carries the version of the file Claude Code ran
    record = {"success": True, "agent_version": file_version(claude_file), "source": "claude-hook"}
    result = CliRunner().invoke(
        cli,
        ["metrics", "record", "code-reviewer", "--json", "-t", str(root)],
        input=json.dumps(record),
    )
    assert result.exit_code == 0
    code, out, _ = run("info", "code-reviewer", "--json", "-t", str(root))
    measured = json.loads(out)["measured_against"]
    assert measured["file"] == str(claude_file) and measured["other_file"].endswith(
        "agent-code-reviewer.md"
    )
    code, out, _ = run("metrics", "show", "code-reviewer", "-t", str(root))
    assert code == 0
    assert f"measured against {claude_file}" in out


def test_install_claude_keeps_the_targets(tmp_path: Path) -> None:
    root = repo_with(tmp_path, {})
    assert run("install", "tdd-workflow", "--claude", "-t", str(root))[0] == 0
    resolved = AgentRegistry(root).resolve("tdd-workflow")
    assert resolved is not None and resolved.source == "claude"
    metric = resolved.load().primary_metric
    assert metric is not None and metric.target > 0


def test_a_project_agent_named_as_asked_is_found_without_reading_the_user_folders(
    tmp_path: Path,
) -> None:
    """Claude Code's first pick is a project file by that name; user-level ones come after."""
    root = repo_with(
        tmp_path, {"a-first.md": "---\nname: other\n---\n", "reviewer.md": THIRD_PARTY}
    )
    home = tmp_path / "claude-home"
    (home / "agents").mkdir(parents=True)
    (home / "agents" / "code-reviewer.md").write_text("---\nname: code-reviewer\n---\nuser\n")
    registry = AgentRegistry(root, claude_home=home)
    resolved = registry.resolve_claude("code-reviewer")
    assert resolved is not None and resolved.path == root / ".claude" / "agents" / "reviewer.md"
    assert (resolved.source, resolved.root) == ("claude", root)
    assert "_home_claude_files" not in vars(registry)  # the user folder was not listed
    # a name only the user folder has by frontmatter still beats a project file's stem
    (root / ".claude" / "agents" / "helper.md").write_text("---\nname: x\n---\n")
    (home / "agents" / "h.md").write_text("---\nname: helper\n---\n")
    found = AgentRegistry(root, claude_home=home).resolve_claude("helper")
    assert found is not None and found.source == "user"
