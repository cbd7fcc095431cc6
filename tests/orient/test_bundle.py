from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from kaizen_agentic.cli import cli
from kaizen_agentic.orient.brief import coach_brief, render_brief_markdown
from kaizen_agentic.orient.bundle import build_bundle

KEYS = [
    "agent",
    "project",
    "generated",
    "agent_prompt",
    "agent_prompt_found",
    "agent_source",
    "memory",
    "metrics_summary",
    "recommendations",
    "pointers",
    "session_close",
]


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_bundle_on_a_fresh_repo(project: Path) -> None:
    bundle = build_bundle(project, "coach").to_dict()
    assert list(bundle) == [*KEYS, "ledger", "target", "target_reason", "digest"]
    assert bundle["agent_prompt_found"] is True and "Coach Agent" in bundle["agent_prompt"]
    assert bundle["memory"] is None and bundle["metrics_summary"] is None
    assert bundle["recommendations"] == []
    assert bundle["pointers"] == {"scope": None, "todo": None}
    assert bundle["session_close"][0].startswith("kaizen-agentic metrics record coach --success")


def test_prepare_markdown_with_memory_metrics_and_pointers(project: Path) -> None:
    t = str(project)
    (project / "SCOPE.md").write_text("# Scope\n")
    run("memory", "init", "coach", "-t", t)
    run("memory", "add", "coach", "Run the slow suite last", "-t", t)
    for _ in range(12):
        run("metrics", "record", "coach", "--success", "--time", "960", "--quality", "0.5", "-t", t)
    run("metrics", "optimize", "-t", t)
    code, out, _ = run("schedule", "prepare", "coach", "-t", t)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "# Scheduled Run Orientation: coach"
    assert lines[2] == f"Project: {project.name}"
    assert lines[3].startswith("Generated: ")
    headings = [line for line in lines if line.startswith("## ")]
    assert headings[:2] == ["## Performance Summary", "## Agent Prompt"]
    assert (
        headings[-4:]
        == ["## Project Memory", "## Open Recommendations", "## Repo Pointers", "## Session Close"]
        or "## Project Memory" in headings
    )
    assert "Run the slow suite last" in out
    assert "slow_execution" in out
    assert "- SCOPE.md" in out
    assert (
        f"kaizen-agentic metrics record coach --success --time <seconds> --quality <0-1> "
        f"--target {project}" in out
    )


def test_prepare_unknown_agent_still_yields_a_bundle(project: Path) -> None:
    code, out, _ = run("schedule", "prepare", "not-installed", "-t", str(project))
    assert code == 0
    assert "agent 'not-installed' not found in registry — run: kaizen-agentic list" in out
    code, out, _ = run(
        "schedule", "prepare", "not-installed", "--format", "json", "-t", str(project)
    )
    assert json.loads(out)["agent_prompt_found"] is False
    code, _, err = run("schedule", "prepare", "../x", "-t", str(project))
    assert code == 2 and "invalid agent name" in err


def test_prepare_json_pipes_into_json_tool(project: Path) -> None:
    exe = Path(sys.executable).parent / "kaizen-agentic"
    prepare = subprocess.run(
        [str(exe), "schedule", "prepare", "coach", "--format", "json", "--target", str(project)],
        capture_output=True,
        check=True,
    )
    tool = subprocess.run(
        [sys.executable, "-m", "json.tool"], input=prepare.stdout, capture_output=True, check=False
    )
    assert tool.returncode == 0
    assert json.loads(tool.stdout)["agent"] == "coach"


def test_brief_has_summary_recommendations_and_feedback(project: Path) -> None:
    t = str(project)
    for _ in range(12):
        run("metrics", "record", "coach", "--failure", "--time", "5", "-t", t)
    run("metrics", "optimize", "-t", t)
    run("feedback", "add", "coach", "--rating", "2", "--from", "ana", "Plans too vague", "-t", t)
    sections = coach_brief(project)
    assert [s.agent for s in sections] == ["coach"]
    text = render_brief_markdown(sections, project.name)
    assert "## Performance Summary" in text
    assert "low_success_rate" in text
    assert "2/5 from ana: Plans too vague" in text


def test_memory_brief_cli(project: Path) -> None:
    t = str(project)
    code, out, _ = run("memory", "brief", "-t", t)
    assert (code, out) == (
        0,
        f"# Coach Brief: {project.name}\n\nNo agent has memory or metrics "
        "yet. Start with: kaizen-agentic memory init <agent>\n",
    )
    run("memory", "init", "coach", "-t", t)
    run("memory", "add", "coach", "Keep plans to one change", "--section", "decisions", "-t", t)
    code, out, _ = run("memory", "brief", "coach", "-t", t, "--json")
    [section] = json.loads(out)
    assert section["memory_highlights"]["decisions"][0].endswith("Keep plans to one change")
    assert section["performance_summary"] == ""
