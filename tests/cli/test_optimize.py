from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kaizen_agentic.cli import cli


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def record_runs(project: Path, count: int, record: dict[str, object]) -> None:
    for _ in range(count):
        run("metrics", "record", "coach", "--json", "-t", str(project), stdin=json.dumps(record))


def test_optimize_reports_insufficient_data_then_recommendations(project: Path) -> None:
    record_runs(project, 9, {"success": True, "execution_time_s": 990})
    code, out, _ = run("metrics", "optimize", "-t", str(project))
    assert code == 0
    assert out.splitlines()[0] == "coach: 9 executions; recommendations need at least 10"
    record_runs(project, 1, {"success": True, "execution_time_s": 990})
    code, out, _ = run("metrics", "optimize", "coach", "-t", str(project), "--json")
    report = json.loads(out)
    recs = report["agents"]["coach"]["recommendations"]
    assert "slow_execution" in [r["rule"] for r in recs]
    slow = next(r for r in recs if r["rule"] == "slow_execution")
    assert slow["evidence"]["avg_completion_time_s"] == 990.0
    assert "kaizen-agentic install coach" in slow["action"]
    assert report["fingerprint_changed"] is True
    code, out, _ = run("metrics", "optimize", "-t", str(project))
    assert out.rstrip().endswith("inputs unchanged; history not appended")


def test_compare_cli_insufficient_and_json(project: Path) -> None:
    record_runs(project, 3, {"success": True, "agent_version": "aaaaaaaaaaaa"})
    code, out, _ = run("metrics", "compare", "coach", "-t", str(project))
    assert code == 0 and out.startswith("insufficient data")
    record_runs(
        project, 12, {"success": True, "quality_score": 0.9, "agent_version": "bbbbbbbbbbbb"}
    )
    record_runs(
        project, 12, {"success": False, "quality_score": 0.2, "agent_version": "cccccccccccc"}
    )
    code, out, _ = run("metrics", "compare", "coach", "-t", str(project), "--json")
    result = json.loads(out)
    assert (result["baseline"]["version"], result["candidate"]["version"]) == (
        "bbbbbbbbbbbb",
        "cccccccccccc",
    )
    assert result["verdict"] == "regressed"
    code, _, err = run("metrics", "compare", "coach", "--baseline", "nope", "-t", str(project))
    assert code == 2 and "nope" in err


def test_publish_requires_out_and_verify_catches_tampering(project: Path, tmp_path: Path) -> None:
    code, _, err = run("metrics", "publish", "-t", str(project))
    assert code == 2
    assert err == "Error: --out DIR is required to publish (or pass --verify PACKAGE)\n"
    code, _, err = run("metrics", "publish", "--out", str(tmp_path / "o"), "-t", str(project))
    assert code == 2 and "no metrics to publish" in err
    record_runs(project, 2, {"success": True})
    code, out, _ = run(
        "metrics", "publish", "--out", str(tmp_path / "o"), "-t", str(project), "--json"
    )
    package = Path(json.loads(out)["path"])
    assert run("metrics", "publish", "--verify", str(package))[0] == 0
    (package / "metrics" / "coach" / "summary.json").write_text("{}")
    code, out, _ = run("metrics", "publish", "--verify", str(package))
    assert code == 1
    assert out.splitlines()[0] == (
        "metrics/coach/summary.json: sha256 differs from the manifest (altered)"
    )
