"""The capture loop in a scratch repo: hooks in, hook inputs fed as Claude Code would (SPEC §12)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kaizen_agentic.agents import file_version
from kaizen_agentic.capture.service import claude_projects_folder
from kaizen_agentic.cli import cli
from tests.capture._lines import SESSION, assistant, tool_result, tool_use, user

REVIEWER = """---
name: code-reviewer
description: Use after a change: reviews the diff for bugs
tools: Read, Grep
---
Review the diff.
"""


def run(*args: str, stdin: str | bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def records(root: Path, agent: str) -> list[dict[str, Any]]:
    path = root / ".kaizen" / "metrics" / agent / "executions.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A repo with a renamed Claude Code agent, and Claude Code's transcripts of one session."""
    repo = tmp_path / "my_repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".claude" / "agents").mkdir(parents=True)
    (repo / ".claude" / "agents" / "reviewer.md").write_text(REVIEWER)
    config = tmp_path / "claude-config"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    project = claude_projects_folder(repo)
    assert project.name == str(repo.resolve()).replace("/", "-").replace("_", "-")
    subagents = project / SESSION / "subagents"
    subagents.mkdir(parents=True)
    # the parent session: one Task call for a subagent whose SubagentStop says no type
    (project / f"{SESSION}.jsonl").write_text(
        "\n".join(
            [
                assistant(
                    "msg_p1",
                    "req_p1",
                    content=[
                        {
                            "type": "tool_use",
                            "id": "toolu_9",
                            "name": "Task",
                            "input": {"subagent_type": "code-reviewer", "prompt": "secret"},
                        }
                    ],
                ),
                user([tool_result("toolu_9")], toolUseResult={"agentId": "a3"}),
            ]
        )
        + "\n"
    )
    # streamed: three lines of one message; the last has the real output count
    (subagents / "agent-a1.jsonl").write_text(
        "\n".join(
            [
                assistant("msg_1", "req_1", output=3, agentId="a1", isSidechain=True),
                assistant(
                    "msg_1",
                    "req_1",
                    output=500,
                    agentId="a1",
                    content=[tool_use("t1")],
                    timestamp="2026-02-12T14:12:39.000Z",
                ),
                user([tool_result("t1", is_error=True)], agentId="a1"),
                assistant(
                    "msg_2", "req_2", output=40, agentId="a1", timestamp="2026-02-12T14:13:05.000Z"
                ),
            ]
        )
        + "\n"
    )
    (subagents / "agent-a2.jsonl").write_text(assistant("msg_3", "req_3", agentId="a2") + "\n")
    (subagents / "agent-a2.meta.json").write_text('{"agentType": "Explore", "spawnDepth": 1}')
    (subagents / "agent-a3.jsonl").write_text(assistant("msg_4", "req_4", agentId="a3") + "\n")
    (subagents / "agent-acompact-1.jsonl").write_text(assistant("msg_5", "req_5") + "\n")
    return repo, project


def hook_input(project: Path, agent_id: str, **fields: Any) -> str:
    return json.dumps(
        {
            "session_id": SESSION,
            "transcript_path": str(project / f"{SESSION}.jsonl"),
            "cwd": str(project),  # not the repo: the hook still finds it from its own cwd
            "hook_event_name": "SubagentStop",
            "agent_id": agent_id,
            **fields,
        }
    )


def test_hooks_then_import_then_attach(
    scratch: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, project = scratch
    code, out, _ = run("capture", "claude", "-t", str(repo))
    assert code == 0 and "SubagentStop, Stop, SessionEnd" in out
    settings = (repo / ".claude" / "settings.json").read_bytes()
    assert "Nothing to change." in run("capture", "claude", "-t", str(repo))[1]
    assert (repo / ".claude" / "settings.json").read_bytes() == settings
    hooks = json.loads(settings)["hooks"]
    assert hooks["SubagentStop"][0]["hooks"][0]["command"] == "kaizen-agentic capture hook"

    monkeypatch.chdir(repo)  # Claude Code runs hooks in the project
    path = project / SESSION / "subagents" / "agent-a1.jsonl"
    given = hook_input(project, "a1", agent_type="code-reviewer", agent_transcript_path=str(path))
    assert run("capture", "hook", stdin=given) == (0, "", "")
    # an older Claude Code: no agent_type, no agent_transcript_path
    assert run("capture", "hook", stdin=hook_input(project, "a3", agent_type=""))[0] == 0
    [first, second] = records(repo, "code-reviewer")
    assert first["cost"] == {
        "input_tokens": 10,
        "output_tokens": 540,  # 500 (not the placeholder 3) + 40
        "cache_read_tokens": 200,
        "cache_write_tokens": 100,
        "tool_invocations": 1,
        "usd": first["cost"]["usd"],
        "source": "computed",
    }
    assert first["cost"]["usd"] > 0
    assert (first["turns"], first["tool_errors"], first["source"]) == (2, 1, "claude-hook")
    assert first["execution_time_s"] == 30.0 and first["success"] is True
    assert first["idempotency_key"] == f"claude:{SESSION}:a1"
    assert first["agent_version"] == file_version(repo / ".claude" / "agents" / "reviewer.md")
    assert first["metadata"]["agent_file"] == ".claude/agents/reviewer.md"
    assert second["metadata"]["agent_type"] == "code-reviewer"  # found in the parent's Task call
    assert (repo / ".kaizen" / "capture" / "prices.json").is_file()

    code, out, _ = run("capture", "import", "--json", "-t", str(repo))
    report = json.loads(out)
    assert (code, report["written"], report["unchanged"]) == (0, 1, 2)
    [explore] = records(repo, "explore")
    assert explore["agent_version"] is None and explore["metadata"]["agent_type"] == "Explore"
    assert explore["source"] == "claude-transcript"
    assert json.loads(run("capture", "import", "--json", "-t", str(repo))[1])["written"] == 0
    assert not (repo / ".kaizen" / "metrics" / "acompact-1").exists()

    code, out, _ = run("metrics", "show", "code-reviewer", "--json")
    assert json.loads(out)["summary"]["execution_count"] == 2
    code, out, _ = run(
        "metrics", "record", "code-reviewer", "--session", SESSION, "--quality", "0.9"
    )
    assert code == 0 and out.startswith("Attached to code-reviewer run")
    summary = json.loads(run("metrics", "show", "code-reviewer", "--json")[1])["summary"]
    assert summary["execution_count"] == 2 and summary["avg_quality_score"] == 0.9
    assert json.loads(run("metrics", "compare", "code-reviewer", "--json")[1])["verdict"] == (
        "insufficient_data"
    )
    every = (repo / ".kaizen").rglob("executions.jsonl")
    assert all(b"secret" not in path.read_bytes() for path in every)  # no prompt or reply text


def test_headless_result_is_recorded_once(scratch: tuple[Path, Path]) -> None:
    repo, _ = scratch
    result = {
        "type": "result",
        "subtype": "success",
        "is_error": False,
        "duration_ms": 1200,
        "num_turns": 2,
        "session_id": "h1",
        "uuid": "r1",
        "total_cost_usd": 0.05,
        "modelUsage": {"claude-sonnet-4-5": {"inputTokens": 5, "outputTokens": 9}},
    }
    stream = json.dumps({"type": "system"}) + "\n" + json.dumps(result) + "\n"
    args = ("capture", "result", "--agent", "code-reviewer", "-t", str(repo))
    code, out, _ = run(*args, stdin=stream)
    assert code == 0 and out.startswith("Recorded code-reviewer execution")
    assert run(*args, stdin=stream)[1].startswith("Skipped")
    [record] = records(repo, "code-reviewer")
    assert record["cost"]["usd"] == 0.05 and record["cost"]["source"] == "reported"
    assert record["execution_time_s"] == 1.2 and record["turns"] == 2


def test_a_broken_hook_input_exits_0_and_is_logged(
    scratch: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, project = scratch
    monkeypatch.chdir(repo)
    code, out, err = run("capture", "hook", stdin="{not json")
    assert (code, out) == (0, "")
    assert err.count("\n") == 1 and "errors.jsonl" in err
    missing = hook_input(project, "zz")  # its transcript does not exist
    assert run("capture", "hook", stdin=missing)[0] == 0
    logged = (repo / ".kaizen" / "capture" / "errors.jsonl").read_text().splitlines()
    assert len(logged) == 2 and json.loads(logged[1])["agent_id"] == "zz"


def test_disable_removes_only_ours(scratch: tuple[Path, Path]) -> None:
    repo, _ = scratch
    theirs = {
        "hooks": {
            "PostToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "fmt"}]}]
        },
        "model": "opus",
    }
    (repo / ".claude" / "settings.json").write_text(json.dumps(theirs, indent=2) + "\n")
    run("capture", "claude", "-t", str(repo))
    status = json.loads(run("capture", "claude", "--status", "--json", "-t", str(repo))[1])
    assert status["enabled"] is True and status["missing"] == []
    run("capture", "claude", "--disable", "-t", str(repo))
    assert json.loads((repo / ".claude" / "settings.json").read_text()) == theirs


def test_a_session_close_record_and_the_captured_run_are_one_record(
    scratch: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, project = scratch
    monkeypatch.chdir(repo)
    # the agent's Session Close, typed while the run was going (timestamps of agent-a1)
    code, _, _ = run(
        "metrics",
        "record",
        "code-reviewer",
        "--success",
        "--quality",
        "0.8",
        "--time",
        "99",
        "--session",
        SESSION,
    )
    assert code == 0
    typed = records(repo, "code-reviewer")[0]
    lines = (repo / ".kaizen/metrics/code-reviewer/executions.jsonl").read_text().splitlines()
    moved = {**typed, "timestamp": "2026-02-12T14:13:00Z"}
    (repo / ".kaizen/metrics/code-reviewer/executions.jsonl").write_text(
        json.dumps(moved, sort_keys=True) + "\n"
    )
    assert len(lines) == 1
    path = project / SESSION / "subagents" / "agent-a1.jsonl"
    given = hook_input(project, "a1", agent_type="code-reviewer", agent_transcript_path=str(path))
    assert run("capture", "hook", stdin=given)[0] == 0
    assert json.loads(run("capture", "import", "--json")[1])["written"] == 2  # a2 and a3 only
    show = json.loads(run("metrics", "show", "code-reviewer", "--json")[1])
    assert show["summary"]["execution_count"] == 2  # the typed-and-captured run, and a3
    [merged] = [r for r in show["last_executions"] if r.get("quality_score") == 0.8]
    assert merged["cost"]["output_tokens"] == 540 and merged["execution_time_s"] == 30.0
