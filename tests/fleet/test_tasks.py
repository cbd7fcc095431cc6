"""Tasks go out to runners and come back measured (SPEC §7 ``fleet tasks``)."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from kaizen_agentic.cli import cli
from kaizen_agentic.fleet.state import FleetState
from kaizen_agentic.metrics import MetricsStore
from tests.fleet.helpers import HOST, make_repo, roster_entry, schedule_yaml, write_roster

BIN = Path(sys.executable).parent
RESULT = {
    "type": "result",
    "subtype": "success",
    "is_error": False,
    "duration_ms": 84000,
    "num_turns": 7,
    "session_id": "4f1c-session",
    "total_cost_usd": 0.42,
    "modelUsage": {
        "claude-sonnet-4-5": {
            "inputTokens": 1200,
            "outputTokens": 800,
            "cacheReadInputTokens": 9000,
            "cacheCreationInputTokens": 300,
        }
    },
}


def invoke(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), input=stdin)


def loop_ran(tmp_path: Path) -> tuple[Path, Path, Path]:
    """One repo whose coach slot ran at 2026-03-30 09:00: (roster, state, repo root)."""
    root = make_repo(
        tmp_path, "web", schedule_yaml({"coach": 'cadence: weekly, cron: "0 9 * * 1"'})
    )
    roster = write_roster(tmp_path / "roster.yaml", [roster_entry("web", root)])
    state = tmp_path / "state"
    result = invoke(
        "fleet", "run", "--roster", str(roster), "--host", HOST, "--state", str(state),
        "--at", "2026-03-30T09:05:00Z",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return roster, state, root


def test_a_task_is_claimed_once_and_its_result_becomes_one_record(tmp_path: Path) -> None:
    roster, state, root = loop_ran(tmp_path)
    listed = json.loads(invoke("fleet", "tasks", "--state", str(state), "--json").stdout)
    assert [(t["id"], t["status"]) for t in listed["tasks"]] == [
        ("web/coach-20260330T090000Z", "open")
    ]
    claim = invoke(
        "fleet", "tasks", "claim", "--roster", str(roster), "--host", HOST,
        "--state", str(state), "--json",
    )  # fmt: skip
    claimed = json.loads(claim.stdout)
    task = claimed["task"]
    assert (task["id"], task["status"], task["claimed_by"]) == (
        "web/coach-20260330T090000Z",
        "claimed",
        HOST,
    )
    assert task["bundle_path"] in claimed["prompt"]
    assert "do not run the Session Close `metrics record` commands" in claimed["prompt"]
    again = json.loads(invoke("fleet", "tasks", "claim", "--state", str(state), "--json").stdout)
    assert again == {"task": None, "prompt": None}
    # a task written right after a sync, in the same folder, is still found
    later = state / "tasks" / "web" / "coach-20260406T090000Z.json"
    later.write_text(json.dumps({"agent": "coach", "target_repo": "web", "slot": "2026-04-06"}))
    listed = json.loads(invoke("fleet", "tasks", "--status", "open", "--state", str(state),
                               "--json").stdout)  # fmt: skip
    assert [t["id"] for t in listed["tasks"]] == ["web/coach-20260406T090000Z"]
    later.unlink()

    done = invoke(
        "fleet", "tasks", "done", task["id"], "--result", "-", "--state", str(state), "--json",
        stdin=json.dumps(RESULT),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    (record,) = MetricsStore(root, "coach").read_executions()
    assert record["record_id"] == json.loads(done.stdout)["record_id"]
    assert (record["success"], record["execution_time_s"], record["turns"]) == (True, 84.0, 7)
    assert record["cost"]["usd"] == 0.42 and record["cost"]["source"] == "reported"
    assert record["source"] == "claude-headless"
    assert record["metadata"] == {
        "fleet_task": "web/coach-20260330T090000Z",
        "slot": "2026-03-30T09:00:00Z",
        "target_agent": None,
    }
    twice = invoke("fleet", "tasks", "done", task["id"], "--result", "-", "--state", str(state))
    assert twice.exit_code == 2 and "already done" in twice.stderr
    assert len(MetricsStore(root, "coach").read_executions()) == 1
    statuses = json.loads(
        invoke("fleet", "tasks", "--status", "done", "--state", str(state), "--json").stdout
    )
    assert [t["record_id"] for t in statuses["tasks"]] == [record["record_id"]]


def test_fail_records_the_reason_and_a_bad_result_writes_nothing(tmp_path: Path) -> None:
    _, state, root = loop_ran(tmp_path)
    task_id = "web/coach-20260330T090000Z"
    bad = invoke("fleet", "tasks", "done", task_id, "--result", "-", "--state", str(state),
                 stdin="not json")  # fmt: skip
    assert bad.exit_code == 2 and "no result object" in bad.stderr
    assert not MetricsStore(root, "coach").executions_path.exists()
    failed = invoke(
        "fleet", "tasks", "fail", task_id, "--why", "claude timed out", "--state", str(state),
        "--json",
    )  # fmt: skip
    assert json.loads(failed.stdout)["status"] == "failed"
    assert json.loads(failed.stdout)["why"] == "claude timed out"
    unknown = invoke("fleet", "tasks", "fail", "web/nope", "--why", "x", "--state", str(state))
    assert unknown.exit_code == 2 and "no task 'web/nope'" in unknown.stderr


def test_tasks_commands_need_an_existing_state_folder(tmp_path: Path) -> None:
    missing = tmp_path / "elsewhere" / ".kaizen-fleet"
    for args in (["fleet", "tasks"], ["fleet", "tasks", "claim"]):
        result = invoke(*args, "--state", str(missing))
        assert result.exit_code == 1
        assert f"no fleet state in {missing}" in result.stderr
    assert not missing.parent.exists()


CLAIMER = """
import sys
from pathlib import Path
from kaizen_agentic.fleet.tasks import claim_task

Path(sys.argv[2]).touch()
while not Path(sys.argv[3]).exists():  # both processes start claiming together
    pass
while (task := claim_task(Path(sys.argv[1]), sys.argv[2])) is not None:
    print(task.id, flush=True)
"""


def test_two_processes_claiming_at_once_never_get_one_task_twice(tmp_path: Path) -> None:
    state = tmp_path / "state"
    FleetState(state).close()
    for i in range(60):
        path = state / "tasks" / f"repo-{i % 3}" / f"coach-20260330T09{i:04d}Z.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"agent": "coach", "target_repo": path.parent.name}))
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, str(state), str(tmp_path / f"ready-{n}"), str(go)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parents[2],
        )
        for n in range(2)
    ]
    while not all((tmp_path / f"ready-{n}").exists() for n in range(2)):
        pass
    go.touch()
    claimed = [line.split() for w in workers for line in w.communicate(timeout=120)[0].splitlines()]
    assert all(w.returncode == 0 for w in workers)
    ids = [task_id for task_id, *_ in claimed]
    assert len(ids) == 60 and len(set(ids)) == 60


def test_the_documented_runner_loop_drains_the_queue(tmp_path: Path) -> None:
    _, state, root = loop_ran(tmp_path)
    doc = (Path(__file__).parents[2] / "docs" / "runner.md").read_text()
    script = re.search(r"```sh\n(#!/bin/sh\n.*?)```", doc, re.S)
    assert script is not None
    runner = tmp_path / "kaizen-runner"
    runner.write_text(script.group(1))
    fake = tmp_path / "bin" / "claude"  # the one program the suite cannot run for real
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\ncat <<'EOF'\n{json.dumps(RESULT)}\nEOF\n")
    for path in (runner, fake):
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    env = {
        **os.environ,
        "PATH": f"{fake.parent}:{BIN}:{os.environ['PATH']}",
        "KAIZEN_STATE": str(state),
        "KAIZEN_HOST": HOST,
        "KAIZEN_RUNNER_ONCE": "1",
    }
    subprocess.run([str(runner)], env=env, check=True, timeout=120, capture_output=True)
    (record,) = MetricsStore(root, "coach").read_executions()
    assert record["metadata"]["fleet_task"] == "web/coach-20260330T090000Z"
    listed = json.loads(invoke("fleet", "tasks", "--state", str(state), "--json").stdout)
    assert [t["status"] for t in listed["tasks"]] == ["done"]
