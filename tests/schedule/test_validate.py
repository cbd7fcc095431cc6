from __future__ import annotations

from pathlib import Path

import pytest

from kaizen_agentic._yaml import MAX_YAML_BYTES
from kaizen_agentic.errors import KaizenError
from kaizen_agentic.schedule import (
    DEFAULT_CRON,
    Schedule,
    ScheduleEntry,
    ScheduleError,
    ScheduleNotFoundError,
    check_schedule,
    check_schedule_text,
    default_schedule_yaml,
    load_schedule,
    parse_schedule,
    schedule_path,
    validate_schedule,
)

HINT = "use 5 fields: minute hour day month weekday"


def problems(text: str, known: list[str] | None = None) -> list[str]:
    return check_schedule_text(text, known).problems


def doc(agents: str, *, head: str = 'version: "1"\ntimezone: UTC\n') -> str:
    return f"{head}agents:\n{agents}"


def test_schedule_path_is_under_dot_kaizen(tmp_path: Path) -> None:
    assert schedule_path(tmp_path) == tmp_path / ".kaizen" / "schedule.yml"


def test_default_schedule_round_trips_as_valid() -> None:
    text = default_schedule_yaml("Europe/Berlin")
    report = check_schedule_text(text, ["coach", "optimization", "tdd-workflow"])
    assert report.problems == [] and report.warnings == [] and report.valid
    schedule = report.schedule
    assert schedule is not None
    assert schedule.version == "1" and schedule.timezone == "Europe/Berlin"
    assert schedule.agents == {
        "coach": ScheduleEntry("coach", "weekly", "0 9 * * 1", "0 9 * * 1", True),
        "optimization": ScheduleEntry("optimization", "weekly", "0 10 * * 1", "0 10 * * 1", True),
        # SPEC §6: the example's third agent is written too, switched off
        "tdd-workflow": ScheduleEntry("tdd-workflow", "monthly", "0 9 1 * *", None, False),
    }


def test_default_schedule_refuses_an_unknown_timezone() -> None:
    with pytest.raises(ScheduleError, match="'Mars/Olympus' is not a known IANA time zone"):
        default_schedule_yaml("Mars/Olympus")


def test_cadence_defaults_apply_when_cron_is_absent() -> None:
    text = doc(
        "  a: {cadence: daily}\n  b: {cadence: weekly}\n  c: {cadence: monthly, enabled: false}\n"
    )
    report = check_schedule_text(text)
    assert report.problems == []
    assert report.schedule is not None
    assert {n: e.cron for n, e in report.schedule.agents.items()} == {
        "a": DEFAULT_CRON["daily"],
        "b": DEFAULT_CRON["weekly"],
        "c": DEFAULT_CRON["monthly"],
    }
    assert DEFAULT_CRON == {"daily": "0 9 * * *", "weekly": "0 9 * * 1", "monthly": "0 9 1 * *"}
    assert [e.agent for e in report.schedule.enabled_entries()] == ["a", "b"]
    assert report.schedule.agents["a"].cron_override is None


def test_duplicate_agent_entry_names_the_second_line() -> None:
    text = (
        'version: "1"\n'  # 1
        "timezone: UTC\n"  # 2
        "agents:\n"  # 3
        "  coach:\n"  # 4
        "    cadence: weekly\n"  # 5
        "  optimization: {cadence: weekly}\n"  # 6
        "  coach: {cadence: daily}\n"  # 7
    )
    [line] = problems(text)
    assert line.startswith("duplicate agent entry: coach (line 7)")


def test_duplicate_key_elsewhere_is_reported_as_a_duplicate_key() -> None:
    text = 'version: "1"\nagents:\n  coach:\n    cadence: weekly\n    cadence: daily\n'
    assert problems(text) == ["duplicate key 'cadence' (line 5); keep only one"]
    text = 'version: "1"\nversion: "1"\nagents: {coach: {cadence: weekly}}\n'
    assert problems(text) == ["duplicate key 'version' (line 2); keep only one"]


def test_duplicate_agent_in_flow_mapping() -> None:
    text = 'version: "1"\nagents: {coach: {cadence: weekly}, coach: {cadence: daily}}\n'
    [line] = problems(text)
    assert line.startswith("duplicate agent entry: coach (line 2)")


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    text = "\n".join(lines) + "\n"
    # An expanded bomb would be 9**10 strings: refusing it at all is the point.
    result = problems(text)
    assert result == [
        "schedule.yml: YAML aliases are not allowed (anchor at line 1); write the value out in full"
    ]


def test_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "schedule.yml"
    path.write_text("# " + "x" * MAX_YAML_BYTES + "\n")
    with pytest.raises(ScheduleError, match="over the 262144-byte limit"):
        load_schedule(path)


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        (
            "61 * * * *",
            "agents.coach.cron: '61 * * * *' is not a valid cron expression: "
            f"[61 * * * *] is not acceptable, out of range; {HINT}",
        ),
        ("0 3 * *", f"agents.coach.cron: '0 3 * *' has 4 fields; {HINT}"),
        ("0 0 3 * * *", f"agents.coach.cron: '0 0 3 * * *' has 6 fields; {HINT}"),
        (
            "0 0 30 2 *",
            "agents.coach.cron: '0 0 30 2 *' never matches a date; check the day and month fields",
        ),
        (
            "H 9 * * *",
            "agents.coach.cron: 'H 9 * * *' uses random or hashed values (R, H); "
            "write fixed numbers instead",
        ),
    ],
)
def test_bad_cron_is_one_clear_line(cron: str, expected: str) -> None:
    assert problems(doc(f'  coach: {{cadence: weekly, cron: "{cron}"}}\n')) == [expected]


def test_cron_with_month_and_day_names_is_accepted() -> None:
    assert problems(doc('  coach: {cadence: weekly, cron: "0 9 * MAR-NOV thu,fri"}\n')) == []


def test_unknown_timezone_is_one_clear_line() -> None:
    text = doc("  coach: {cadence: weekly}\n", head='version: "1"\ntimezone: Europe/Nowhere\n')
    assert problems(text) == [
        "timezone: 'Europe/Nowhere' is not a known IANA time zone; "
        "use a name such as UTC or Europe/Berlin"
    ]


@pytest.mark.parametrize("zone", ["../../etc/passwd", "/etc/localtime", "Europe", "", "a" * 300])
def test_path_like_timezones_are_refused(zone: str) -> None:
    text = doc("  coach: {cadence: weekly}\n", head=f'version: "1"\ntimezone: "{zone}"\n')
    [line] = problems(text)
    assert line.startswith("timezone: ") and "is not a known IANA time zone" in line


def test_timezone_is_optional_and_defaults_to_utc() -> None:
    report = check_schedule_text('version: "1"\nagents: {coach: {cadence: daily}}\n')
    assert report.problems == []
    assert report.schedule is not None and report.schedule.timezone == "UTC"


def test_unquoted_version_asks_for_quotes() -> None:
    text = doc("  coach: {cadence: weekly}\n", head="version: 1\n")
    assert problems(text) == ['version: 1 is a number; quote it: version: "1"']


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("", 'version: missing; add version: "1" at the top of the file'),
        ('version: "2"\n', "version: '2' is not supported; use version: \"1\""),
        ("version: [1]\n", 'version: [1] must be the string "1"'),
    ],
)
def test_version_problems(head: str, expected: str) -> None:
    assert problems(doc("  coach: {cadence: weekly}\n", head=head)) == [expected]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", "agents: missing; add at least one agent, e.g. agents: {coach: {cadence: weekly}}"),
        (
            "agents: {}\n",
            "agents: no agents listed; add at least one, e.g. coach: {cadence: weekly}",
        ),
        (
            "agents: [coach]\n",
            "agents: ['coach'] is not a mapping; map agent names to settings, "
            "e.g. agents: {coach: {cadence: weekly}}",
        ),
    ],
)
def test_at_least_one_agent(body: str, expected: str) -> None:
    assert problems('version: "1"\n' + body) == [expected]


def test_entry_problems_each_on_one_line() -> None:
    text = doc(
        "  coach: {cadence: hourly, cron: 5, enabled: 'yes'}\n"
        "  Bad_Name: {cadence: weekly}\n"
        "  optimization: weekly\n"
        "  sys-medic:\n"
        "  tdd-workflow: {enabled: false}\n"
        "  7: {cadence: daily}\n"
    )
    assert problems(text) == [
        "agents.coach.cadence: 'hourly' is not a cadence; use daily, weekly or monthly "
        '(hourly runs go in cron, e.g. cron: "0 * * * *")',
        "agents.coach.cron: 5 is not a quoted cron string; use 5 fields: minute hour day month "
        'weekday, e.g. "0 9 * * 1"',
        "agents.coach.enabled: 'yes' is not true or false; write enabled: true or enabled: false",
        "agents.'Bad_Name': invalid agent name 'Bad_Name': use 1-64 characters of lower-case "
        "letters, digits and '-', starting with a letter or digit",
        "agents.optimization: 'weekly' is not a mapping; write settings such as "
        "{cadence: weekly, enabled: true}",
        "agents.sys-medic: empty entry; give it settings, e.g. {cadence: weekly, enabled: true}",
        "agents.tdd-workflow.cadence: missing; add cadence: daily, weekly or monthly",
        "agents.7: agent names must be text, not int; use a name such as coach",
    ]


def test_known_agents_are_checked_only_when_given() -> None:
    text = doc("  coach: {cadence: weekly}\n  ghost: {cadence: daily}\n")
    assert problems(text) == []
    assert problems(text, ["coach"]) == [
        "agents.ghost: unknown agent 'ghost'; install or create it, or see: kaizen-agentic list"
    ]


def test_unknown_keys_are_warnings_not_problems() -> None:
    text = doc("  coach: {cadence: weekly, when: monday}\n", head='version: "1"\nowner: me\n')
    report = check_schedule_text(text)
    assert report.problems == [] and report.valid
    assert report.warnings == [
        "unknown key 'owner' ignored; top-level keys are version, timezone and agents",
        "agents.coach: unknown key 'when' ignored; use cadence, cron and enabled",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the schedule is an empty file, not a mapping"),
        ("- a\n- b\n", "the schedule is a list, not a mapping"),
        ("version: [\n", "schedule.yml: invalid YAML"),
    ],
)
def test_unusable_documents_raise_schedule_error(text: str, expected: str) -> None:
    report = check_schedule_text(text)
    assert report.schedule is None and not report.valid
    [line] = report.problems
    assert line.startswith(expected)


def test_load_schedule_missing_and_present(tmp_path: Path) -> None:
    path = schedule_path(tmp_path)
    with pytest.raises(ScheduleNotFoundError, match=r"run: kaizen-agentic schedule init"):
        load_schedule(path)
    with pytest.raises(ScheduleNotFoundError):
        check_schedule(path)
    path.parent.mkdir()
    path.write_text(default_schedule_yaml("UTC"))
    schedule = load_schedule(path)
    assert list(schedule.agents) == ["coach", "optimization", "tdd-workflow"]
    report = check_schedule(path, ["coach", "optimization", "tdd-workflow"])
    assert report.valid and report.path == path


def test_non_utf8_file_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "schedule.yml"
    path.write_bytes(b'version: "1"\nagents: {\xff: {}}\n')
    with pytest.raises(ScheduleError, match="not UTF-8 text"):
        load_schedule(path)


def test_validate_checks_a_schedule_built_in_code() -> None:
    schedule = Schedule(
        version="1",
        timezone="Nowhere/Land",
        agents={"coach": ScheduleEntry("coach", "yearly", "0 9 * * 1", "0 9 * * 1", True)},
    )
    assert validate_schedule(schedule) == [
        "timezone: 'Nowhere/Land' is not a known IANA time zone; "
        "use a name such as UTC or Europe/Berlin",
        "agents.coach.cadence: 'yearly' is not a cadence; use daily, weekly or monthly",
    ]


def test_parse_schedule_rejects_non_mappings_with_a_kaizen_error() -> None:
    with pytest.raises(KaizenError, match="not a mapping"):
        parse_schedule(["coach"])


def test_parse_schedule_refuses_a_mapping_without_a_supported_version() -> None:
    with pytest.raises(ScheduleError, match=r'version: missing; add version: "1"'):
        parse_schedule({"agents": {}})
    with pytest.raises(ScheduleError, match="is a number; quote it"):
        parse_schedule({"version": 1, "agents": {"coach": {"cadence": "weekly"}}})


def test_a_duplicate_agent_key_does_not_hide_the_other_problems() -> None:
    text = (
        "version: 2\n"  # 1
        "timezone: Mars/Base\n"  # 2
        "agents:\n"  # 3
        "  coach: {cadence: weekly}\n"  # 4
        "  optimization: {cadence: hourly}\n"  # 5
        "  coach: {cadence: daily}\n"  # 6
    )
    report = check_schedule_text(text, ["coach", "optimization"])
    assert report.schedule is None
    assert report.problems[0].startswith("duplicate agent entry: coach (line 6)")
    assert [p.split(":")[0] for p in report.problems[1:]] == [
        "version",
        "timezone",
        "agents.optimization.cadence",
    ]
