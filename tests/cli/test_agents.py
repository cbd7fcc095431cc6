from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaizen_agentic.agents import CATALOG_DIR
from kaizen_agentic.cli import cli

FIXTURES = Path(__file__).parents[1] / "fixtures" / "broken_agents"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_list_shows_the_catalog_and_filters_by_category(project: Path) -> None:
    code, out, _ = run("list", "-t", str(project), "--json")
    entries = json.loads(out)
    assert code == 0 and len(entries) >= 20
    assert {e["source"] for e in entries} == {"catalog"}
    code, out, _ = run("list", "-t", str(project), "--category", "meta", "--json")
    assert {e["name"] for e in json.loads(out)} >= {
        "coach",
        "optimization",
        "sys-medic",
        "scope-analyst",
    }
    assert {e["category"] for e in json.loads(out)} == {"meta"}
    code, out, _ = run("list", "-t", str(project), "--category", "meta")
    assert out.splitlines()[0].split() == ["NAME", "CATEGORY", "VERSION", "SOURCE", "DESCRIPTION"]
    assert out.rstrip().endswith(
        f"{len(json.loads(run('list', '--category', 'meta', '--json')[1]))} agents"
    )


def test_info_reports_source_and_version(project: Path) -> None:
    code, out, _ = run("info", "coach", "-t", str(project), "--json")
    info = json.loads(out)
    assert code == 0
    assert info["source"] == "catalog"
    assert info["installed"] == {"project": False, "claude": False}
    assert len(info["agent_version"]) == 12
    assert info["frontmatter"]["name"] == "coach"


def test_install_reports_installed_identical_refused_and_forced(project: Path) -> None:
    t = str(project)
    assert run("install", "coach", "-t", t) == (
        0,
        "installed  coach -> agents/agent-coach.md\n",
        "",
    )
    assert run("install", "coach", "-t", t) == (
        0,
        "identical, skipped  coach -> agents/agent-coach.md\n",
        "",
    )
    installed = project / "agents" / "agent-coach.md"
    installed.write_text(installed.read_text() + "edited\n")
    code, out, _ = run("install", "coach", "-t", t)
    assert code == 1
    assert out == (
        "refused  coach -> agents/agent-coach.md: differs from the catalog version "
        "(locally modified); use --force to replace it\n"
    )
    assert installed.read_text().endswith("edited\n")
    assert run("install", "coach", "--force", "-t", t)[:2] == (
        0,
        "replaced  coach -> agents/agent-coach.md\n",
    )
    assert installed.read_bytes() == (CATALOG_DIR / "agent-coach.md").read_bytes()


def test_install_claude_form_validates(project: Path) -> None:
    code, out, _ = run("install", "tdd-workflow", "--claude", "-t", str(project))
    assert (code, out) == (0, "installed  tdd-workflow -> .claude/agents/tdd-workflow.md\n")
    assert run("validate", "-t", str(project))[0] == 0
    code, out, _ = run("info", "tdd-workflow", "-t", str(project), "--json")
    assert json.loads(out)["source"] == "claude"


def test_install_all_and_usage_errors(project: Path) -> None:
    code, out, _ = run("install", "--all", "-t", str(project), "--json")
    assert code == 0
    assert len(json.loads(out)) == len(list(CATALOG_DIR.glob("agent-*.md")))
    code, _, err = run("install", "-t", str(project))
    assert code == 2 and err == "Error: name the agents to install, or pass --all (not both)\n"


@pytest.mark.parametrize(
    "args", [["info", "../etc"], ["install", "Bad Name"], ["uninstall", "a/b"], ["info", "UPPER"]]
)
def test_invalid_names_exit_2_and_create_nothing(project: Path, args: list[str]) -> None:
    code, _, err = run(*args, "-t", str(project))
    assert code == 2
    assert "invalid agent name" in err
    assert "Traceback" not in err
    assert list(project.iterdir()) == []


def test_unknown_agent_exits_2_with_hint(project: Path) -> None:
    code, _, err = run("info", "no-such-agent", "-t", str(project))
    assert (code, err) == (
        2,
        "Error: agent 'no-such-agent' not found in registry — run: kaizen-agentic list\n",
    )
    code, _, err = run("install", "no-such-agent", "-t", str(project))
    assert code == 2 and list(project.iterdir()) == []


def test_uninstall(project: Path) -> None:
    run("install", "coach", "-t", str(project))
    assert run("uninstall", "coach", "-t", str(project)) == (
        0,
        "removed  coach -> agents/agent-coach.md\n",
        "",
    )
    code, _, err = run("uninstall", "coach", "-t", str(project))
    assert code == 1 and "is not installed" in err


def test_validate_catalog_is_clean_and_fixtures_fail(project: Path) -> None:
    code, out, _ = run("validate", "-t", str(project))
    assert (code, out) == (0, "All agent files are valid.\n")
    code, out, err = run("validate", str(FIXTURES))
    lines = out.splitlines()
    assert code == 1 and "Traceback" not in out + err
    assert lines[-1] == "6 problems"
    assert all(line.startswith(str(FIXTURES)) for line in lines[:-1])
    assert len(lines[:-1]) == len(set(lines[:-1])) == 6
