from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaizen_agentic.cli import cli

EXAMPLES = 2000 if os.environ.get("CI") else 300


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def executions(project: Path, agent: str = "coach") -> list[dict[str, object]]:
    path = project / ".kaizen" / "metrics" / agent / "executions.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def test_record_with_flags_and_idempotency(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELIX_SESSION_UID", "helix-42")
    t = str(project)
    code, out, _ = run(
        "metrics",
        "record",
        "coach",
        "--success",
        "--time",
        "12.5",
        "--quality",
        "0.8",
        "--session",
        "s1",
        "--key",
        "run-1",
        "-t",
        t,
    )
    [rec] = executions(project)
    assert (code, out) == (0, f"Recorded coach execution {rec['record_id']} (success)\n")
    assert rec["execution_time_s"] == 12.5 and rec["quality_score"] == 0.8
    assert rec["session_id"] == "s1" and rec["helix_session_uid"] == "helix-42"
    assert rec["project"] == "project" and len(str(rec["agent_version"])) == 12
    assert run("metrics", "record", "coach", "--failure", "--key", "run-1", "-t", t) == (
        0,
        "Skipped: idempotency key 'run-1' is already recorded for coach\n",
        "",
    )
    assert len(executions(project)) == 1


def test_record_json_on_stdin_keeps_unknown_keys(project: Path) -> None:
    stdin = json.dumps({"success": False, "cost": {"usd": 0.25}, "custom": [1, 2]})
    code, _, _ = run("metrics", "record", "coach", "--json", "-t", str(project), stdin=stdin)
    [rec] = executions(project)
    assert code == 0 and rec["custom"] == [1, 2] and rec["cost"] == {"usd": 0.25}


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["--quality", "1.5", "--success"],
            None,
            "Error: quality_score: must be between 0 and 1, got 1.5\n",
        ),
        (["--time", "-3", "--success"], None, "Error: execution_time_s: must be >= 0, got -3.0\n"),
        ([], None, "Error: success: required; pass --success or --failure, or a JSON bool\n"),
        (
            ["--json"],
            "{oops",
            "Error: stdin: not valid JSON (Expecting property name enclosed in "
            "double quotes at line 1); pipe one JSON object such as "
            '{"success": true}\n',
        ),
        (["--json"], "[1]", 'Error: stdin: must be one JSON object such as {"success": true}\n'),
    ],
)
def test_invalid_records_exit_2_and_write_nothing(
    project: Path, args: list[str], stdin: str | None, message: str
) -> None:
    code, _, err = run("metrics", "record", "coach", *args, "-t", str(project), stdin=stdin)
    assert (code, err) == (2, message)
    assert not (project / ".kaizen" / "metrics" / "coach" / "executions.jsonl").exists()


def test_bad_agent_names_create_no_files(project: Path) -> None:
    for bad in ("../evil", "Coach", "a b"):
        code, _, err = run("metrics", "record", bad, "--success", "-t", str(project))
        assert code == 2 and "invalid agent name" in err
    assert list(project.iterdir()) == []


def test_show_json_and_human(project: Path) -> None:
    t = str(project)
    for i in range(6):
        run(
            "metrics",
            "record",
            "coach",
            "--success" if i else "--failure",
            "--quality",
            f"0.{i + 3}",
            "--time",
            "10",
            "-t",
            t,
        )
    code, out, _ = run("metrics", "show", "coach", "--json", "-t", t)
    report = json.loads(out)
    assert code == 0
    assert report["summary"]["execution_count"] == 6
    assert [w["window"] for w in report["windows"]] == ["7d", "30d", "90d"]
    assert report["recent_quality"] == [0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    assert len(report["last_executions"]) == 5
    summary_file = project / ".kaizen" / "metrics" / "coach" / "summary.json"
    assert json.loads(summary_file.read_text()) == report["summary"]
    code, out, _ = run("metrics", "show", "coach", "--window", "7d", "-t", t)
    lines = out.splitlines()
    assert lines[0] == "Agent: coach"
    assert lines[1] == "Executions: 6   Success rate: 83.3%   Avg quality: 0.55   Avg time: 10s"
    assert [line.split()[0] for line in lines if line.startswith(("WINDOW", "7d", "30d"))] == [
        "WINDOW",
        "7d",
    ]
    assert "Recent quality: ▃▄▅▅▆▇" in out


def test_show_without_records_says_how_to_start(project: Path) -> None:
    code, out, _ = run("metrics", "show", "coach", "-t", str(project))
    assert code == 0
    assert out == (
        "Agent: coach\nNo executions recorded yet. Record one with: "
        "kaizen-agentic metrics record coach --success\n"
    )


def test_list_export_query_correlate(project: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    for root, agent, helix in (
        (project, "coach", "hx"),
        (project, "tdd-workflow", "hx"),
        (other, "coach", "hy"),
    ):
        run(
            "metrics",
            "record",
            agent,
            "--success",
            "--quality",
            "0.5",
            "-t",
            str(root),
            "--session",
            helix,
        )
        os.environ["HELIX_SESSION_UID"] = helix
        run("metrics", "record", agent, "--failure", "-t", str(root))
        del os.environ["HELIX_SESSION_UID"]
    code, out, _ = run("metrics", "list", "--json", "-t", str(project))
    assert [(r["agent"], r["execution_count"], r["success_rate"]) for r in json.loads(out)] == [
        ("coach", 2, 0.5),
        ("tdd-workflow", 2, 0.5),
    ]
    code, out, _ = run("metrics", "export", "coach", "--format", "csv", "-t", str(project))
    rows = out.splitlines()
    assert rows[0].startswith("timestamp,agent,record_id") and len(rows) == 3
    code, out, _ = run("metrics", "export", "coach", "--since", "2999-01-01", "-t", str(project))
    assert (code, out) == (0, "")
    code, out, _ = run(
        "metrics",
        "query",
        "--root",
        str(project),
        "--root",
        str(other),
        "--agent",
        "coach",
        "--json",
    )
    assert [(r["project"], r["n"]) for r in json.loads(out)] == [("other", 2), ("project", 2)]
    code, out, _ = run(
        "metrics", "correlate", "hx", "--root", str(project), "--root", str(other), "--json"
    )
    assert sorted(r["agent"] for r in json.loads(out)) == ["coach", "tdd-workflow"]
    code, _, err = run("metrics", "query", "--since", "last tuesday", "-t", str(project))
    assert code == 2 and err.startswith("Error: --since: 'last tuesday' is not a time")


def test_prune_uses_configured_retention(project: Path) -> None:
    (project / ".kaizen").mkdir()
    (project / ".kaizen" / "config.yml").write_text("retention_days: 30\n")
    run(
        "metrics",
        "record",
        "coach",
        "--json",
        "-t",
        str(project),
        stdin='{"success": true, "timestamp": "2001-01-01T00:00:00Z"}',
    )
    run("metrics", "record", "coach", "--success", "-t", str(project))
    assert run("metrics", "prune", "-t", str(project)) == (
        0,
        "Pruned 1 records from coach (older than 30 days)\n",
        "",
    )
    assert len(executions(project)) == 1


def test_bad_config_is_reported_with_the_key_path(project: Path) -> None:
    (project / ".kaizen").mkdir()
    (project / ".kaizen" / "config.yml").write_text(
        "retention_days: soon\noptimizer:\n  slow_execution: 10\n"
    )
    code, out, _ = run("config", "validate", "-t", str(project))
    path = project / ".kaizen" / "config.yml"
    assert code == 2
    assert out.splitlines() == [
        f"{path}: retention_days: must be a whole number, got 'soon'",
        f"{path}: optimizer.slow_execution: unknown key",
    ]
    code, _, err = run("metrics", "record", "coach", "--success", "-t", str(project))
    assert code == 2 and "retention_days: must be a whole number" in err
    assert not (project / ".kaizen" / "metrics").exists()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.one_of(
        st.text(max_size=40),
        st.builds(
            json.dumps,
            st.dictionaries(
                st.sampled_from(
                    ["success", "quality_score", "execution_time_s", "cost", "timestamp"]
                ),
                st.one_of(
                    st.none(), st.booleans(), st.floats(), st.integers(), st.text(max_size=5)
                ),
                max_size=4,
            ),
        ),
    )
)
def test_stdin_fuzz_never_crashes(project: Path, stdin: str) -> None:
    result = CliRunner().invoke(
        cli, ["metrics", "record", "coach", "--json", "-t", str(project)], input=stdin
    )
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code in (0, 2)
    if result.exit_code == 2:
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1


def test_query_over_a_roster(tmp_path: Path) -> None:
    repos = []
    for name in ("api", "web", "old"):
        root = tmp_path / name
        root.mkdir()
        run("metrics", "record", "coach", "--success", "-t", str(root))
        repos.append(
            {
                "slug": name,
                "domain": "d",
                "host_paths": {"h1": str(root)},
                "status": "saturated" if name == "old" else "active",
            }
        )
    roster = tmp_path / "roster.yaml"
    roster.write_text(json.dumps({"version": "1", "repos": repos}))
    code, out, _ = run("metrics", "query", "--roster", str(roster), "--host", "h1", "--json")
    assert code == 0
    assert [(r["project"], r["n"]) for r in json.loads(out)] == [("api", 1), ("web", 1)]


def test_unparsable_config_names_the_file_once(project: Path) -> None:
    (project / ".kaizen").mkdir()
    path = project / ".kaizen" / "config.yml"
    path.write_text("retention_days: [\n")
    code, out, _ = run("config", "validate", "-t", str(project))
    assert (code, out) == (
        2,
        f"{path}: invalid YAML (line 2): did not find expected node content\n",
    )
    code, _, err = run("metrics", "record", "coach", "--success", "-t", str(project))
    assert (code, err) == (
        2,
        f"Error: {path}: invalid YAML (line 2): did not find expected node content\n",
    )


def test_a_config_that_is_not_utf8_is_a_clear_error(project: Path) -> None:
    (project / ".kaizen").mkdir()
    path = project / ".kaizen" / "config.yml"
    path.write_bytes(b"domain: caf\xe9\n")
    code, _, err = run("metrics", "record", "coach", "--success", "-t", str(project))
    assert (code, err) == (2, f"Error: {path}: not UTF-8 text (byte 11); save the file as UTF-8\n")
