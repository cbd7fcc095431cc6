"""Whatever a repo puts in schedule.yml, loading and validating never crashes."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaizen_agentic.errors import KaizenError
from kaizen_agentic.schedule import (
    ScheduleError,
    check_schedule_text,
    next_run,
    parse_schedule,
    parse_schedule_text,
    validate_schedule,
)

CI = os.environ.get("CI")
FUZZ = settings(
    max_examples=2000 if CI else 300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 100),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(
        [
            "1",
            "daily",
            "weekly",
            "monthly",
            "hourly",
            "UTC",
            "Europe/Berlin",
            "Mars/Base",
            "0 9 * * 1",
            "61 * * * *",
            "0 3 * *",
            "*/0 * * * *",
            "0 0 30 2 *",
            "H * * * *",
            "0 0 L * *",
            "coach",
            "Coach",
            "../x",
            "a b",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=10), st.integers(0, 9)), children, max_size=4),
    ),
    max_leaves=12,
)
crons = st.one_of(
    st.text(alphabet="0123456789*/,-LW#?HRjanmonsu \t", max_size=24),
    st.lists(
        st.sampled_from(["*", "0", "59", "61", "*/5", "1-5", "MON", "L", "1#2", "30"]),
        min_size=0,
        max_size=7,
    ).map(" ".join),
)
entries = st.fixed_dictionaries(
    {},
    optional={
        "cadence": st.one_of(st.sampled_from(["daily", "weekly", "monthly", "yearly"]), values),
        "cron": st.one_of(crons, values),
        "enabled": st.one_of(st.booleans(), values),
        "extra": values,
    },
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "version": st.one_of(st.sampled_from(["1", "2", 1, 1.0]), values),
        "timezone": st.one_of(
            st.sampled_from(["UTC", "Europe/Berlin", "Europe/Nowhere", "../../etc/passwd"]),
            values,
        ),
        "agents": st.one_of(
            st.dictionaries(
                st.one_of(
                    st.sampled_from(["coach", "optimization", "Bad", ""]), st.text(max_size=8)
                ),
                st.one_of(entries, values),
                max_size=4,
            ),
            values,
        ),
        "owner": values,
    },
)
yamlish = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("abc019 :-{}[],'\"\n\t#&*!|>?%@`~\\")),
        st.characters(),
    ),
    max_size=200,
)
fragments = st.lists(
    st.sampled_from(
        [
            'version: "1"\n',
            "version: 1\n",
            "timezone: Europe/Berlin\n",
            "agents:\n",
            "  coach: {cadence: weekly}\n",
            "  coach:\n",
            "    cadence: daily\n",
            '    cron: "61 * * * *"\n',
            "  optimization: &a {cadence: weekly}\n",
            "  x: *a\n",
            "agents: [1, 2]\n",
            "- a\n",
            "  : \n",
            "\t\n",
            "--- \n",
            "...\n",
            "key: !!python/object {}\n",
        ]
    ),
    max_size=10,
).map("".join)


def assert_one_line_each(lines: list[str]) -> None:
    for line in lines:
        assert isinstance(line, str) and line
        assert len(line.splitlines()) == 1, line


@FUZZ
@given(st.one_of(yamlish, fragments))
def test_any_text_gives_problems_or_a_kaizen_error(text: str) -> None:
    report = check_schedule_text(text, ["coach", "optimization"])
    assert_one_line_each(report.problems)
    assert_one_line_each(report.warnings)
    try:
        schedule = parse_schedule_text(text)
    except KaizenError as error:
        assert report.schedule is None
        assert_one_line_each([error.message])
        return
    assert validate_schedule(schedule, ["coach", "optimization"]) == report.problems


@FUZZ
@given(documents)
def test_any_structure_dumped_to_yaml_is_judged_not_crashed(data: dict[str, Any]) -> None:
    text = yaml.safe_dump(data, allow_unicode=True)
    report = check_schedule_text(text, ["coach"])
    assert_one_line_each(report.problems)
    assert_one_line_each(report.warnings)
    try:
        schedule = parse_schedule(data)
    except ScheduleError as error:  # not a mapping, or no supported version (SPEC §6)
        assert report.schedule is None
        assert_one_line_each(error.problems)
        return
    problems = validate_schedule(schedule, ["coach"])
    assert_one_line_each(problems)
    if not problems:
        # A schedule that validates is usable: every enabled entry has a next run.
        after = datetime(2026, 3, 29, 0, 30, tzinfo=timezone.utc)
        for entry in schedule.enabled_entries():
            assert next_run(entry, after, schedule.zone) > after


ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "America/Santiago",  # changes around midnight
    "Asia/Kolkata",
    "UTC",
]
NEAR_CHANGES = [
    datetime(2026, 3, 7, tzinfo=timezone.utc),
    datetime(2026, 3, 28, tzinfo=timezone.utc),
    datetime(2026, 4, 4, tzinfo=timezone.utc),
    datetime(2026, 9, 5, tzinfo=timezone.utc),
    datetime(2026, 10, 3, tzinfo=timezone.utc),
    datetime(2026, 10, 24, tzinfo=timezone.utc),
    datetime(2026, 10, 31, tzinfo=timezone.utc),
]


def _fires(minutes: set[int], hours: set[int] | None, moment: datetime) -> bool:
    """Independent oracle: does this real minute fire under the documented DST rule?"""
    if moment.minute not in minutes or (hours is not None and moment.hour not in hours):
        return False
    other = moment.replace(fold=1 - moment.fold)
    repeated = other.utcoffset() != moment.utcoffset()
    return not repeated or moment.fold == 1


@FUZZ
@given(
    zone_name=st.sampled_from(ZONES),
    base=st.sampled_from(NEAR_CHANGES),
    offset_s=st.integers(0, 3 * 24 * 3600),
    minutes=st.sets(st.integers(0, 59), min_size=1, max_size=3),
    hours=st.one_of(st.none(), st.sets(st.integers(0, 23), min_size=1, max_size=3)),
)
def test_next_run_matches_a_minute_by_minute_oracle(
    zone_name: str, base: datetime, offset_s: int, minutes: set[int], hours: set[int] | None
) -> None:
    zone = ZoneInfo(zone_name)
    after = base + timedelta(seconds=offset_s)
    cron = (
        f"{','.join(map(str, sorted(minutes)))} "
        f"{'*' if hours is None else ','.join(map(str, sorted(hours)))} * * *"
    )
    got = next_run(cron, after, zone)
    minute = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    for _ in range(4 * 24 * 60):
        if _fires(minutes, hours, minute.astimezone(zone)):
            break
        minute += timedelta(minutes=1)
    else:  # pragma: no cover - every generated cron fires within four days
        raise AssertionError(f"oracle found no fire time for {cron!r}")
    assert got.astimezone(timezone.utc) == minute
    assert got.tzinfo is zone and got.utcoffset() == minute.astimezone(zone).utcoffset()
