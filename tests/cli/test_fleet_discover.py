from __future__ import annotations

import json
import socket
from pathlib import Path

import click
from click.testing import CliRunner

from kaizen_agentic.cli import KaizenGroup
from kaizen_agentic.cli.fleet import fleet_group
from kaizen_agentic.schedule import default_schedule_yaml
from tests.fleet.helpers import (
    HOST,
    Answer,
    make_repo,
    roster_entry,
    running_hub,
    schedule_yaml,
    write_roster,
)

# The real root group's error handling around the fleet group, without
# registering it in kaizen_agentic.cli.
ROOT = KaizenGroup(commands={"fleet": fleet_group})
AT = "2026-03-30T08:00:00Z"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    clean: dict[str, str | None] = {"KAIZEN_ROSTER": None, "KAIZEN_HUB_URL": None, "NO_COLOR": "1"}
    clean.update(env or {})
    result = CliRunner().invoke(ROOT, ["fleet", *args], env=clean)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def fleet(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    roots = {
        "alpha": make_repo(tmp_path, "alpha", default_schedule_yaml("Europe/Berlin")),
        "beta": make_repo(tmp_path, "beta", schedule_yaml({"coach": "cadence: daily"})),
        "bad": make_repo(tmp_path, "bad", 'version: "2"\nagents: {coach: {cadence: daily}}\n'),
        "quiet": make_repo(tmp_path, "quiet"),
    }
    entries = [roster_entry(slug, root) for slug, root in roots.items()]
    entries.append(roster_entry("gone", tmp_path / "repos" / "gone"))
    entries.append(roster_entry("queued", roots["beta"], status="expansion_queue"))
    return write_roster(tmp_path / "roster.yaml", entries), roots


def test_the_group_is_named_fleet() -> None:
    assert isinstance(fleet_group, click.Group)
    assert fleet_group.name == "fleet"
    assert sorted(fleet_group.commands) == [
        "discover",
        "health",
        "run",
        "serve",
        "tasks",
        "temporal",
    ]


def test_discover_prints_a_table_a_count_and_warnings_for_skipped_repos(tmp_path: Path) -> None:
    roster, _ = fleet(tmp_path)
    code, out, err = run("discover", "--roster", str(roster), "--host", HOST, "--at", AT)
    assert code == 0
    assert out == (
        "REPO   AGENT         CADENCE  CRON        TIMEZONE       NEXT RUN\n"
        "alpha  coach         weekly   0 9 * * 1   Europe/Berlin  2026-04-06T09:00:00+02:00\n"
        "alpha  optimization  weekly   0 10 * * 1  Europe/Berlin  2026-04-06T10:00:00+02:00\n"
        "beta   coach         daily    0 9 * * *   UTC            2026-03-30T09:00:00+00:00\n"
        "3 scheduled runs in 2 repos on host build-01\n"
    )
    assert err == (
        "warning: repo bad: schedule_invalid: version: '2' is not supported; use version: \"1\"\n"
        f"warning: repo gone: repo_unreachable: {tmp_path / 'repos' / 'gone'} is not a directory\n"
    )


def test_discover_json_prints_only_the_document(tmp_path: Path) -> None:
    roster, roots = fleet(tmp_path)
    code, out, err = run(
        "discover",
        "--roster",
        str(roster),
        "--host",
        HOST,
        "--at",
        AT,
        "--cadence",
        "daily",
        "--json",
    )
    assert (code, err) == (0, "")
    beta = roots["beta"]
    assert json.loads(out) == {
        "scheduled_runs": [
            {
                "repo": "beta",
                "root": str(beta),
                "agent": "coach",
                "cadence": "daily",
                "cron": "0 9 * * *",
                "timezone": "UTC",
                "enabled": True,
                "prepare_command": f"kaizen-agentic schedule prepare coach --target {beta}",
                "next_run_at": "2026-03-30T09:00:00+00:00",
            }
        ],
        "skipped": [
            {
                "repo": "bad",
                "reason": "schedule_invalid",
                "errors": ["version: '2' is not supported; use version: \"1\""],
            },
            {
                "repo": "gone",
                "reason": "repo_unreachable",
                "errors": [f"{tmp_path / 'repos' / 'gone'} is not a directory"],
            },
        ],
    }


def test_the_domain_filter_and_the_roster_from_the_environment(tmp_path: Path) -> None:
    alpha = make_repo(tmp_path, "alpha", default_schedule_yaml())
    beta = make_repo(tmp_path, "beta", default_schedule_yaml())
    roster = write_roster(
        tmp_path / "roster.yaml",
        [roster_entry("alpha", alpha), roster_entry("beta", beta, domain="payments")],
    )
    code, out, _ = run(
        "discover",
        "--domain",
        "payments",
        "--host",
        HOST,
        "--at",
        AT,
        "--json",
        env={"KAIZEN_ROSTER": str(roster)},
    )
    assert code == 0
    assert [(r["repo"], r["agent"]) for r in json.loads(out)["scheduled_runs"]] == [
        ("beta", "coach"),
        ("beta", "optimization"),
    ]


def test_the_host_defaults_to_this_machine(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "alpha", default_schedule_yaml())
    entry = roster_entry("alpha", root, host=socket.gethostname())
    roster = write_roster(tmp_path / "roster.yaml", [entry])
    code, out, _ = run("discover", "--roster", str(roster), "--at", AT)
    assert code == 0
    assert out.endswith(f"2 scheduled runs in 1 repo on host {socket.gethostname()}\n")


def test_nothing_scheduled_prints_only_the_count(tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "roster.yaml", [])
    assert run("discover", "--roster", str(roster), "--host", HOST) == (
        0,
        "0 scheduled runs in 0 repos on host build-01\n",
        "",
    )


def test_no_roster_is_a_usage_error() -> None:
    assert run("discover", "--host", HOST) == (
        2,
        "",
        "Error: no roster: pass --roster FILE or set KAIZEN_ROSTER\n",
    )


def test_an_invalid_roster_lists_every_problem(tmp_path: Path) -> None:
    roster = tmp_path / "roster.yaml"
    roster.write_text(
        'version: "1"\nrepos:\n  - {slug: a, domain: d, status: paused, host_paths: {h: x}}\n'
    )
    assert run("discover", "--roster", str(roster), "--host", HOST) == (
        1,
        "",
        f"Error: roster {roster} has 2 problems; fix each:\n"
        "  repos[0].status: 'paused' is not a status; use active, expansion_queue, saturated\n"
        "  repos[0].host_paths.h: 'x' is relative; use an absolute path\n",
    )


def test_bad_options_are_usage_errors(tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "roster.yaml", [])
    code, out, err = run("discover", "--roster", str(roster), "--at", "next monday")
    assert (code, out) == (2, "")
    assert "'next monday' is not an ISO-8601 time; use e.g. 2026-03-30T08:00:00Z" in err
    code, _, err = run("discover", "--roster", str(roster), "--cadence", "hourly")
    assert code == 2 and "'hourly' is not one of 'daily', 'weekly', 'monthly'" in err
    assert run("discover", "--roster", str(roster), "--hub-url", "http://127.0.0.1:1") == (
        2,
        "",
        "Error: pass either --roster or --hub-url, not both\n",
    )


def test_discover_from_a_state_hub(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "alpha", default_schedule_yaml())
    answer = [{"slug": "alpha", "domain": "custodian", "host_paths": {HOST: str(root)}}]
    with running_hub(Answer(200, answer)) as hub:
        code, out, err = run(
            "discover", "--hub-url", hub.url, "--host", HOST, "--at", AT, "--cadence", "weekly"
        )
    assert hub.requests == ["/repos/?kaizen_schedule_enabled=true"]
    assert (code, err) == (0, "")
    assert out.splitlines()[1:] == [
        "alpha  coach         weekly   0 9 * * 1   UTC       2026-03-30T09:00:00+00:00",
        "alpha  optimization  weekly   0 10 * * 1  UTC       2026-03-30T10:00:00+00:00",
        "2 scheduled runs in 1 repo on host build-01",
    ]


def test_a_failing_hub_prints_nothing_but_the_error(tmp_path: Path) -> None:
    with running_hub(Answer(500, "boom")) as hub:
        code, out, err = run(
            "discover",
            "--host",
            HOST,
            "--domain",
            "custodian",
            "--json",
            env={"KAIZEN_HUB_URL": hub.url},
        )
    assert hub.requests == ["/repos/?domain=custodian&kaizen_schedule_enabled=true"] * 3
    assert (code, out) == (1, "")
    assert err == (
        f"Error: State Hub {hub.url}/repos/ answered HTTP 500 after 3 attempts; check that the "
        "hub is running and the URL (--hub-url or KAIZEN_HUB_URL) is right\n"
    )
