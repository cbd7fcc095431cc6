"""The project folder is a boundary (SPEC §1, §10): links out of it are refused, never followed.

Each scenario puts a symbolic link somewhere kaizen reads or writes, pointing
outside the project, runs the command that touches it, and checks that the
outside file is unchanged, that no secret reached the output, and that a
refusal names the link.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kaizen_agentic.cli import cli

SECRET = "TOP-SECRET-CREDENTIAL-42"
GOOD = json.dumps(
    {
        "agent": "coach",
        "agent_version": "v1",
        "record_id": "a" * 32,
        "success": True,
        "timestamp": "2026-05-01T10:00:00Z",
        "quality_score": 0.5,
    }
)


def run(root: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, [*args, "--target", str(root)], input=stdin)


def kaizen(root: Path) -> Path:
    return root / ".kaizen"


def metrics(root: Path) -> Path:
    return kaizen(root) / "metrics" / "coach"


def state(root: Path) -> Path:
    return kaizen(root) / "agents" / "coach"


def optimizer(root: Path) -> Path:
    return kaizen(root) / "metrics" / "optimizer"


@dataclass(frozen=True)
class Scenario:
    name: str
    link: Callable[[Path], Path]  # where the link goes inside the project
    is_dir: bool  # the outside target is a folder
    command: Callable[[Path], Result]
    prepare: Callable[[Path], None] = lambda root: None


def with_history(root: Path) -> None:
    metrics(root).mkdir(parents=True, exist_ok=True)
    (metrics(root) / "executions.jsonl").write_text(f"{GOOD}\n")


def with_history_and_agent(root: Path) -> None:
    with_history(root)
    run(root, "install", "coach")


SCENARIOS = [
    # writes
    Scenario(
        "executions.jsonl",
        lambda r: metrics(r) / "executions.jsonl",
        False,
        lambda r: run(r, "metrics", "record", "coach", "--success"),
        lambda r: metrics(r).mkdir(parents=True),
    ),
    Scenario(
        "metrics/<agent>",
        metrics,
        True,
        lambda r: run(r, "metrics", "record", "coach", "--success"),
        lambda r: metrics(r).parent.mkdir(parents=True),
    ),
    Scenario(
        ".kaizen",
        kaizen,
        True,
        lambda r: run(r, "metrics", "record", "coach", "--success"),
    ),
    Scenario(
        ".lock",
        lambda r: metrics(r) / ".lock",
        False,
        lambda r: run(r, "metrics", "record", "coach", "--success"),
        lambda r: metrics(r).mkdir(parents=True),
    ),
    Scenario(
        ".keys.sqlite",
        lambda r: metrics(r) / ".keys.sqlite",
        False,
        lambda r: run(r, "metrics", "record", "coach", "--success", "--key", "k1"),
        with_history,
    ),
    Scenario(
        "outbox.jsonl",
        lambda r: kaizen(r) / "events" / "outbox.jsonl",
        False,
        lambda r: run(r, "install", "coach"),
        lambda r: (kaizen(r) / "events").mkdir(parents=True),
    ),
    Scenario(
        "recommendations.jsonl",
        lambda r: optimizer(r) / "recommendations.jsonl",
        False,
        lambda r: run(r, "metrics", "optimize"),
        lambda r: (with_history(r), optimizer(r).mkdir(parents=True)),  # type: ignore[func-returns-value]
    ),
    Scenario(
        "analysis.json",
        lambda r: optimizer(r) / "analysis.json",
        False,
        lambda r: run(r, "metrics", "optimize"),
        lambda r: (with_history(r), optimizer(r).mkdir(parents=True)),  # type: ignore[func-returns-value]
    ),
    Scenario(
        "optimizer/",
        optimizer,
        True,
        lambda r: run(r, "metrics", "optimize"),
        with_history,
    ),
    Scenario(
        "summary.json",
        lambda r: metrics(r) / "summary.json",
        False,
        lambda r: run(r, "metrics", "show", "coach"),
        with_history,
    ),
    Scenario(
        "feedback.jsonl",
        lambda r: state(r) / "feedback.jsonl",
        False,
        lambda r: run(r, "feedback", "add", "coach", "--rating", "4", "fine"),
        lambda r: state(r).mkdir(parents=True),
    ),
    Scenario(
        ".kaizen/agents",
        lambda r: kaizen(r) / "agents",
        True,
        lambda r: run(r, "memory", "add", "coach", "a learning"),
        lambda r: kaizen(r).mkdir(),
    ),
    Scenario(
        "protocols/",
        lambda r: state(r) / "protocols",
        True,
        lambda r: run(r, "protocols", "add", "coach", "deploy", stdin="# Deploy\nsteps\n"),
        lambda r: state(r).mkdir(parents=True),
    ),
    Scenario(
        ".cache",
        lambda r: metrics(r) / ".cache",
        True,
        lambda r: run(r, "metrics", "show", "coach"),
        with_history,
    ),
    Scenario(
        "agents/ (install)",
        lambda r: r / "agents",
        True,
        lambda r: run(r, "install", "coach"),
    ),
    Scenario(
        ".claude/agents (install --claude)",
        lambda r: r / ".claude" / "agents",
        True,
        lambda r: run(r, "install", "--claude", "coach"),
        lambda r: (r / ".claude").mkdir(),
    ),
    # reads
    Scenario(
        "memory.md (memory add copies it)",
        lambda r: state(r) / "memory.md",
        False,
        lambda r: run(r, "memory", "add", "coach", "a learning"),
        lambda r: state(r).mkdir(parents=True),
    ),
    Scenario(
        "memory.md (prepare embeds it)",
        lambda r: state(r) / "memory.md",
        False,
        lambda r: run(r, "schedule", "prepare", "coach"),
        lambda r: state(r).mkdir(parents=True),
    ),
    Scenario(
        "agents/agent-coach.md (prepare embeds it)",
        lambda r: r / "agents" / "agent-coach.md",
        False,
        lambda r: run(r, "schedule", "prepare", "coach"),
        lambda r: (r / "agents").mkdir(),
    ),
    Scenario(
        "config.yml",
        lambda r: kaizen(r) / "config.yml",
        False,
        lambda r: run(r, "config", "show"),
        lambda r: kaizen(r).mkdir(),
    ),
    Scenario(
        "schedule.yml",
        lambda r: kaizen(r) / "schedule.yml",
        False,
        lambda r: run(r, "schedule", "validate"),
        lambda r: kaizen(r).mkdir(),
    ),
]


def snapshot(path: Path) -> dict[str, bytes]:
    if path.is_file():
        return {"": path.read_bytes()}
    return {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_a_link_out_of_the_project_is_refused(tmp_path: Path, scenario: Scenario) -> None:
    root = tmp_path / "project"
    root.mkdir()
    scenario.prepare(root)
    outside = tmp_path / "outside"
    if scenario.is_dir:
        outside.mkdir()
        (outside / "secret.txt").write_text(SECRET)
        # a file by the name of one we replace or remove in that folder
        (outside / "columns.delta.npz").write_text(SECRET)
    else:
        outside.write_text(f"{SECRET}\n")
    link = scenario.link(root)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside, target_is_directory=scenario.is_dir)
    before = snapshot(outside)
    result = scenario.command(root)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert snapshot(outside) == before, "a write went through the link"
    assert SECRET not in result.output, "a read went through the link"
    assert link.is_symlink()  # the link itself was not replaced either
    if result.exit_code != 0:
        assert result.exit_code in (1, 2)
        assert str(link) in result.output  # the message names the link


def test_a_link_that_stays_inside_the_project_is_followed(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    assert run(root, "install", "coach").exit_code == 0
    (root / "shared").mkdir()
    (root / "agents" / "agent-coach.md").rename(root / "shared" / "coach.md")
    (root / "agents" / "agent-coach.md").symlink_to(root / "shared" / "coach.md")
    result = run(root, "schedule", "prepare", "coach")
    assert result.exit_code == 0 and "## Agent Prompt" in result.output
    assert "not found in registry" not in result.output


def test_a_fifo_schedule_is_refused_without_blocking(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / ".kaizen").mkdir(parents=True)
    fifo = root / ".kaizen" / "schedule.yml"
    os.mkfifo(fifo)
    outcome: list[Result] = []
    worker = threading.Thread(target=lambda: outcome.append(run(root, "schedule", "validate")))
    worker.daemon = True
    worker.start()
    worker.join(60)
    if worker.is_alive():  # unblock the reader so the test process can end, then fail
        with open(fifo, "w") as writer:  # noqa: PTH123
            writer.write("version: '1'\n")
        pytest.fail("schedule validate blocked on a FIFO")
    assert outcome[0].exit_code == 1
    assert "not a regular file" in outcome[0].output


def test_a_fifo_config_is_refused_without_blocking(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / ".kaizen").mkdir(parents=True)
    os.mkfifo(root / ".kaizen" / "config.yml")
    result = run(root, "config", "validate")
    assert result.exit_code in (1, 2) and "not a regular file" in result.output


@pytest.mark.parametrize(
    ("where", "command"),
    [
        ("memory", ("memory", "show", "coach")),
        ("feedback", ("feedback", "list", "coach")),
        ("executions", ("metrics", "export", "coach")),
        ("outbox", ("events", "list")),
        ("agent", ("schedule", "prepare", "coach")),
    ],
)
def test_a_link_to_dev_zero_inside_the_project_is_refused(
    tmp_path: Path, where: str, command: tuple[str, ...]
) -> None:
    """/dev/zero is outside the project and not a regular file: refused either way, quickly."""
    root = tmp_path / "project"
    files = {
        "memory": state(root) / "memory.md",
        "feedback": state(root) / "feedback.jsonl",
        "executions": metrics(root) / "executions.jsonl",
        "outbox": kaizen(root) / "events" / "outbox.jsonl",
        "agent": root / "agents" / "agent-coach.md",
    }
    files[where].parent.mkdir(parents=True)
    files[where].symlink_to("/dev/zero")
    result = run(root, *command)
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output and str(files[where]) in result.output


def test_a_device_reached_through_a_link_inside_the_project_is_not_read(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "dev").mkdir(parents=True)
    (root / "dev" / "zero").symlink_to("/dev/zero")  # the link's target leaves the project
    state(root).mkdir(parents=True)
    (state(root) / "memory.md").symlink_to(root / "dev" / "zero")
    result = run(root, "memory", "show", "coach")
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_printed_commands_quote_the_target(tmp_path: Path) -> None:
    import shlex

    root = tmp_path / "x;echo INJECTED"
    root.mkdir()
    result = run(root, "schedule", "prepare", "coach", "--format", "json")
    assert result.exit_code == 0, result.output
    bundle = json.loads(result.output)
    for command in bundle["session_close"]:
        words = shlex.split(command.replace("<", "").replace(">", ""))
        assert words[words.index("--target") + 1] == str(root)


def test_publish_never_packs_a_file_linked_from_outside(tmp_path: Path) -> None:
    root = tmp_path / "project"
    metrics(root).mkdir(parents=True)
    (metrics(root) / "executions.jsonl").write_text(f"{GOOD}\n")
    optimizer(root).mkdir(parents=True)
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    link = optimizer(root) / "recommendations.jsonl"
    link.symlink_to(secret)
    out = tmp_path / "out"
    out.mkdir()
    result = run(root, "metrics", "publish", "--out", str(out))
    assert result.exit_code == 1 and str(link) in result.output
    packed = [p.read_bytes() for p in out.rglob("*") if p.is_file()]
    assert not any(SECRET.encode() in data for data in packed)
