from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kaizen_agentic.schedule import (
    ScheduleError,
    ScheduleNotFoundError,
    check_repo_schedule,
    known_agents,
    list_schedule,
    schedule_path,
)

SCHEDULE = (
    'version: "1"\n'
    "timezone: Europe/Berlin\n"
    "agents:\n"
    '  coach: {cadence: weekly, cron: "0 9 * * 1"}\n'
    "  tdd-workflow: {cadence: monthly, enabled: false}\n"
)


def write(root: Path, text: str) -> Path:
    path = schedule_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def add_project_agent(root: Path, name: str) -> None:
    agent = root / "agents" / f"agent-{name}.md"
    agent.parent.mkdir(exist_ok=True)
    agent.write_text(
        f"---\nname: {name}\ndescription: Keeps style.\ncategory: quality\n"
        f"version: 1.0.0\n---\n# {name}\n"
    )


def test_an_agent_is_known_from_the_catalog_or_the_repo(project: Path) -> None:
    add_project_agent(project, "house-style")
    assert {"coach", "house-style"} <= known_agents(project)
    assert known_agents(project, catalog=["coach"]) == {"coach", "house-style"}


def test_the_repo_check_refuses_an_agent_the_repo_cannot_run(project: Path) -> None:
    write(project, 'version: "1"\nagents: {house-style: {cadence: daily}}\n')
    assert check_repo_schedule(project).problems == [
        "agents.house-style: unknown agent 'house-style'; install or create it, "
        "or see: kaizen-agentic list"
    ]
    add_project_agent(project, "house-style")
    assert check_repo_schedule(project).valid


def test_the_listing_has_typed_rows_with_next_runs_in_the_schedule_zone(project: Path) -> None:
    path = write(project, SCHEDULE)
    berlin = ZoneInfo("Europe/Berlin")
    listing = list_schedule(project, after=datetime(2026, 3, 28, 12, 0))
    assert (listing.path, listing.timezone) == (path, "Europe/Berlin")
    assert [(a.entry.agent, a.next_run) for a in listing.agents] == [
        ("coach", datetime(2026, 3, 30, 9, 0, tzinfo=berlin)),
    ]
    everything = list_schedule(
        project, include_disabled=True, after=datetime(2026, 3, 28, 11, 0, tzinfo=timezone.utc)
    )
    assert [(a.entry.agent, a.next_run) for a in everything.agents] == [
        ("coach", datetime(2026, 3, 30, 9, 0, tzinfo=berlin)),
        ("tdd-workflow", None),
    ]
    assert everything.to_dict()["agents"][1] == {
        "agent": "tdd-workflow",
        "cadence": "monthly",
        "cron": "0 9 1 * *",
        "cron_override": None,
        "enabled": False,
        "next_run": None,
    }


def test_listing_an_invalid_or_missing_schedule_fails(project: Path) -> None:
    with pytest.raises(ScheduleNotFoundError):
        list_schedule(project)
    path = write(project, 'version: "1"\nagents: {coach: {cadence: hourly}}\n')
    with pytest.raises(ScheduleError, match=r"has 1 problem\(s\), the first: agents.coach.cadence"):
        list_schedule(project)
    assert path.exists()
