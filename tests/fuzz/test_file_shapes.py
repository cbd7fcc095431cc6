"""Files as folders, folders as files, unwritable targets, edge times: one line, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fuzz._harness import assert_no_traceback, invoke

GOOD = (
    '{"agent":"coach","agent_version":"v1","record_id":"' + "a" * 32 + '",'
    '"success":true,"timestamp":"2026-05-01T10:00:00Z","quality_score":0.5}'
)


def metrics_dir(root: Path) -> Path:
    return root / ".kaizen" / "metrics" / "coach"


def test_a_file_named_dot_kaizen_is_one_line_naming_it(project: Path) -> None:
    (project / ".kaizen").write_text("not a folder")
    result = invoke(["metrics", "record", "coach", "--success", "-t", str(project)])
    assert_no_traceback(result)
    assert result.exit_code == 1
    assert f"{project / '.kaizen'} is a file where a folder is needed" in result.output


def test_a_file_named_dot_cache_only_costs_the_cache(project: Path) -> None:
    metrics_dir(project).mkdir(parents=True)
    (metrics_dir(project) / "executions.jsonl").write_text(f"{GOOD}\n")
    (metrics_dir(project) / ".cache").write_text("not a folder")
    result = invoke(["metrics", "show", "coach", "--json", "-t", str(project)])
    assert_no_traceback(result)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["summary"]["execution_count"] == 1


@pytest.mark.parametrize(
    "args",
    [
        ["metrics", "show", "coach"],
        ["metrics", "record", "coach", "--success"],
        ["metrics", "export", "coach"],
    ],
)
def test_executions_jsonl_being_a_folder_is_one_line(project: Path, args: list[str]) -> None:
    (metrics_dir(project) / "executions.jsonl").mkdir(parents=True)
    result = invoke([*args, "-t", str(project)])
    assert_no_traceback(result)
    assert result.exit_code == 1 and "executions.jsonl" in result.output


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs a read-only /sys")
@pytest.mark.parametrize(
    "args", [["metrics", "record", "coach", "--success"], ["install", "coach"]]
)
def test_an_unwritable_target_is_one_line(args: list[str]) -> None:
    result = invoke([*args, "-t", "/sys"])
    assert_no_traceback(result)
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]
)
def test_edge_times_for_at_are_one_line(tmp_path: Path, moment: str) -> None:
    roster = tmp_path / "roster.yaml"
    roster.write_text(json.dumps({"version": "1", "repos": []}))
    for command in (["fleet", "discover"], ["fleet", "run", "--dry-run"]):
        result = invoke([*command, "--roster", str(roster), "--host", "h1", "--at", moment])
        assert_no_traceback(result)


def test_a_roster_path_component_over_255_bytes_skips_that_repo_only(tmp_path: Path) -> None:
    good = tmp_path / "repos" / "good"
    (good / ".kaizen").mkdir(parents=True)
    (good / ".kaizen" / "schedule.yml").write_text(
        'version: "1"\nagents: {coach: {cadence: weekly}}\n'
    )
    repos = [
        {
            "slug": "long",
            "domain": "d",
            "status": "active",
            "host_paths": {"h1": "/srv/" + "x" * 300},
        },
        {"slug": "good", "domain": "d", "status": "active", "host_paths": {"h1": str(good)}},
    ]
    roster = tmp_path / "roster.yaml"
    roster.write_text(json.dumps({"version": "1", "repos": repos}))
    result = invoke(["fleet", "discover", "--roster", str(roster), "--host", "h1", "--json"])
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [run["repo"] for run in document["scheduled_runs"]] == ["good"]
    assert [s["repo"] for s in document["skipped"]] == ["long"]
