from __future__ import annotations

import json
from pathlib import Path

import click
from click.testing import CliRunner

from kaizen_agentic.cli import KaizenGroup
from kaizen_agentic.cli.schedule import schedule_group
from kaizen_agentic.schedule import default_schedule_yaml, schedule_path

# The real root group's error handling (KaizenError -> "Error: ..." + exit code)
# around the schedule group, without registering it in kaizen_agentic.cli.
ROOT = KaizenGroup(commands={"schedule": schedule_group})


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(ROOT, ["schedule", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def write(project: Path, text: str) -> Path:
    path = schedule_path(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_group_is_named_schedule_with_four_commands() -> None:
    assert isinstance(schedule_group, click.Group)
    assert schedule_group.name == "schedule"
    assert sorted(schedule_group.commands) == ["init", "list", "prepare", "validate"]


def test_init_writes_the_default_schedule(project: Path) -> None:
    path = schedule_path(project)
    assert run("init", "-t", str(project)) == (0, f"Created schedule: {path}\n", "")
    assert path.read_text() == default_schedule_yaml("UTC")
    assert 'timezone: "UTC"' in path.read_text()
    assert [p.name for p in path.parent.iterdir()] == ["schedule.yml"]  # no temp file left


def test_init_with_timezone(project: Path) -> None:
    code, out, _ = run("init", "--timezone", "Europe/Berlin", "-t", str(project))
    assert code == 0 and out.startswith("Created schedule: ")
    assert schedule_path(project).read_text() == default_schedule_yaml("Europe/Berlin")


def test_init_keeps_an_existing_schedule_without_force(project: Path) -> None:
    path = write(project, "# mine\n")
    assert run("init", "-t", str(project)) == (
        0,
        f"Schedule already exists: {path} (use --force to overwrite)\n",
        "",
    )
    assert path.read_text() == "# mine\n"
    assert run("init", "--force", "--timezone", "Asia/Tokyo", "-t", str(project)) == (
        0,
        f"Replaced schedule: {path}\n",
        "",
    )
    assert path.read_text() == default_schedule_yaml("Asia/Tokyo")


def test_init_refuses_an_unknown_timezone_as_bad_usage(project: Path) -> None:
    code, out, err = run("init", "--timezone", "Europe/Nowhere", "-t", str(project))
    assert code == 2 and out == ""
    assert (
        "Invalid value for '--timezone': 'Europe/Nowhere' is not a known IANA time zone; "
        "use a name such as UTC or Europe/Berlin" in err
    )
    assert not schedule_path(project).exists()


def test_validate_missing_file_exits_1_with_the_init_hint(project: Path) -> None:
    code, out, err = run("validate", "-t", str(project))
    assert (code, out) == (1, "")
    assert err == (
        f"Error: no schedule at {schedule_path(project)}; run: kaizen-agentic schedule init\n"
    )


def test_validate_a_fresh_schedule(project: Path) -> None:
    run("init", "-t", str(project))
    path = schedule_path(project)
    assert run("validate", "-t", str(project)) == (
        0,
        f"Schedule is valid: {path} (3 agents, 2 enabled)\n",
        "",
    )
    code, out, _ = run("validate", "-t", str(project), "--json")
    assert code == 0
    assert json.loads(out) == {"path": str(path), "valid": True, "problems": [], "warnings": []}


def test_validate_lists_every_problem_on_its_own_line(project: Path) -> None:
    path = write(
        project,
        'version: "1"\n'
        "timezone: Europe/Nowhere\n"
        "agents:\n"
        '  coach: {cadence: weekly, cron: "61 * * * *"}\n'
        '  optimization: {cadence: weekly, cron: "0 3 * *"}\n'
        "  ghost-agent: {cadence: fortnightly}\n",
    )
    code, out, err = run("validate", "-t", str(project))
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        "timezone: 'Europe/Nowhere' is not a known IANA time zone; "
        "use a name such as UTC or Europe/Berlin",
        "agents.coach.cron: '61 * * * *' is not a valid cron expression: "
        "[61 * * * *] is not acceptable, out of range; "
        "use 5 fields: minute hour day month weekday",
        "agents.optimization.cron: '0 3 * *' has 4 fields; "
        "use 5 fields: minute hour day month weekday",
        "agents.ghost-agent: unknown agent 'ghost-agent'; install or create it, "
        "or see: kaizen-agentic list",
        "agents.ghost-agent.cadence: 'fortnightly' is not a cadence; use daily, weekly or monthly",
        f"5 problems in {path}",
    ]
    code, out, _ = run("validate", "-t", str(project), "--json")
    document = json.loads(out)
    assert code == 1 and document["valid"] is False and len(document["problems"]) == 5


def test_validate_knows_project_agents(project: Path) -> None:
    agent = project / "agents" / "agent-house-style.md"
    agent.parent.mkdir()
    agent.write_text(
        "---\nname: house-style\ndescription: Keeps style.\ncategory: quality\n"
        "version: 1.0.0\n---\n# House Style Agent\n"
    )
    write(project, 'version: "1"\nagents: {house-style: {cadence: daily}}\n')
    code, out, _ = run("validate", "-t", str(project))
    assert code == 0 and out.startswith("Schedule is valid:")


def test_validate_duplicate_agent_entry(project: Path) -> None:
    path = write(
        project,
        'version: "1"\n'
        "agents:\n"
        "  coach: {cadence: weekly}\n"
        "  optimization: {cadence: weekly}\n"
        "  coach: {cadence: daily}\n",
    )
    code, out, _ = run("validate", "-t", str(project))
    assert code == 1
    assert out.splitlines() == [
        "duplicate agent entry: coach (line 5); keep one coach: entry under agents",
        f"1 problem in {path}",
    ]


def test_validate_alias_bomb(project: Path) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    lines += [
        f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    write(project, "\n".join(lines) + "\n")
    code, out, _ = run("validate", "-t", str(project))
    assert code == 1
    assert out.splitlines()[0] == (
        "schedule.yml: YAML aliases are not allowed (anchor at line 1); write the value out in full"
    )


def test_validate_prints_warnings_but_passes(project: Path) -> None:
    path = write(
        project, 'version: "1"\nowner: me\nagents: {coach: {cadence: weekly, day: monday}}\n'
    )
    assert run("validate", "-t", str(project)) == (
        0,
        "warning: unknown key 'owner' ignored; top-level keys are version, timezone and agents\n"
        "warning: agents.coach: unknown key 'day' ignored; use cadence, cron and enabled\n"
        f"Schedule is valid: {path} (1 agent, 1 enabled)\n",
        "",
    )


SCHEDULE = (
    'version: "1"\n'
    "timezone: Europe/Berlin\n"
    "agents:\n"
    '  coach: {cadence: weekly, cron: "0 9 * * 1", enabled: true}\n'
    "  optimization: {cadence: daily}\n"
    "  tdd-workflow: {cadence: monthly, enabled: false}\n"
)


def test_list_shows_enabled_entries_with_next_run_in_the_schedule_zone(project: Path) -> None:
    write(project, SCHEDULE)
    code, out, err = run("list", "-t", str(project), "--at", "2026-03-28T12:00:00Z")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "AGENT         CADENCE  CRON       ENABLED  NEXT RUN (Europe/Berlin)",
        "coach         weekly   0 9 * * 1  yes      2026-03-30T09:00:00+02:00",
        "optimization  daily    0 9 * * *  yes      2026-03-29T09:00:00+02:00",
    ]


def test_list_all_includes_disabled_entries_without_a_next_run(project: Path) -> None:
    path = write(project, SCHEDULE)
    code, out, _ = run("list", "--all", "-t", str(project), "--at", "2026-03-28T12:00:00")
    assert code == 0
    assert out.splitlines()[-1].split() == [
        "tdd-workflow",
        "monthly",
        "0",
        "9",
        "1",
        "*",
        "*",
        "no",
        "-",
    ]
    code, out, _ = run("list", "--all", "--json", "-t", str(project), "--at", "2026-03-28T12:00")
    assert code == 0
    assert json.loads(out) == {
        "path": str(path),
        "timezone": "Europe/Berlin",
        "agents": [
            {
                "agent": "coach",
                "cadence": "weekly",
                "cron": "0 9 * * 1",
                "cron_override": "0 9 * * 1",
                "enabled": True,
                "next_run": "2026-03-30T09:00:00+02:00",
            },
            {
                "agent": "optimization",
                "cadence": "daily",
                "cron": "0 9 * * *",
                "cron_override": None,
                "enabled": True,
                "next_run": "2026-03-29T09:00:00+02:00",
            },
            {
                "agent": "tdd-workflow",
                "cadence": "monthly",
                "cron": "0 9 1 * *",
                "cron_override": None,
                "enabled": False,
                "next_run": None,
            },
        ],
    }


def test_list_without_at_uses_now(project: Path) -> None:
    write(project, SCHEDULE)
    code, out, _ = run("list", "--json", "-t", str(project))
    rows = json.loads(out)["agents"]
    assert code == 0 and [r["agent"] for r in rows] == ["coach", "optimization"]
    assert all(r["next_run"].endswith(("+01:00", "+02:00")) for r in rows)


def test_list_with_nothing_enabled(project: Path) -> None:
    path = write(project, 'version: "1"\nagents: {coach: {cadence: weekly, enabled: false}}\n')
    assert run("list", "-t", str(project)) == (
        0,
        f"No enabled agents in {path} (use --all to include disabled ones)\n",
        "",
    )


def test_list_refuses_an_invalid_or_missing_schedule(project: Path) -> None:
    code, out, err = run("list", "-t", str(project))
    assert (code, out) == (1, "")
    assert "run: kaizen-agentic schedule init" in err
    path = write(project, 'version: "1"\nagents: {coach: {cadence: hourly}}\n')
    code, out, err = run("list", "-t", str(project))
    assert (code, out) == (1, "")
    assert err == (
        f"Error: {path} has 1 problem(s), the first: agents.coach.cadence: 'hourly' is not a "
        'cadence; use daily, weekly or monthly (hourly runs go in cron, e.g. cron: "0 * * * *"); '
        "run: kaizen-agentic schedule validate\n"
    )


def test_list_rejects_a_malformed_at(project: Path) -> None:
    write(project, SCHEDULE)
    code, _, err = run("list", "-t", str(project), "--at", "tomorrow")
    assert code == 2 and "'tomorrow' is not an ISO-8601 time" in err


def test_help_has_examples() -> None:
    for name in ("init", "validate", "list"):
        result = CliRunner().invoke(ROOT, ["schedule", name, "--help"])
        assert result.exit_code == 0 and "Example:" in result.output
        assert f"kaizen-agentic schedule {name}" in result.output


def test_prepare_json_flag_prints_only_the_json_document(project: Path) -> None:
    code, out, err = run("prepare", "coach", "--json", "-t", str(project))
    assert (code, err) == (0, "")
    by_flag = json.loads(out)
    code, out, _ = run("prepare", "coach", "--format", "json", "-t", str(project))
    by_format = json.loads(out)
    assert by_flag["agent"] == "coach"
    assert {k: v for k, v in by_flag.items() if k != "generated"} == {
        k: v for k, v in by_format.items() if k != "generated"
    }


def test_init_writes_the_spec_example_and_list_all_shows_the_disabled_agent(
    project: Path,
) -> None:
    run("init", "-t", str(project))
    code, enabled, _ = run("list", "-t", str(project))
    assert code == 0 and "tdd-workflow" not in enabled
    code, every, _ = run("list", "--all", "-t", str(project))
    assert code == 0
    [line] = [line for line in every.splitlines() if "tdd-workflow" in line]
    assert "monthly" in line
