from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from kaizen_agentic.schedule import ScheduleEntry, ScheduleError, fire_times, next_run

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC = timezone.utc


def iso(moments: list[datetime]) -> list[str]:
    return [m.isoformat() for m in moments]


def test_daily_0230_is_skipped_on_the_spring_forward_day() -> None:
    # 2026-03-29 02:00 CET jumps to 03:00 CEST: 02:30 does not exist that day.
    runs = fire_times(
        "30 2 * * *",
        BERLIN,
        datetime(2026, 3, 27, tzinfo=BERLIN),
        datetime(2026, 3, 31, tzinfo=BERLIN),
    )
    assert iso(runs) == [
        "2026-03-27T02:30:00+01:00",
        "2026-03-28T02:30:00+01:00",
        "2026-03-30T02:30:00+02:00",
    ]
    after_saturday_run = datetime(2026, 3, 28, 2, 30, tzinfo=BERLIN)
    assert next_run("30 2 * * *", after_saturday_run, BERLIN).isoformat() == (
        "2026-03-30T02:30:00+02:00"
    )


def test_daily_0230_fires_once_on_the_fall_back_day_at_the_second_occurrence() -> None:
    # 2026-10-25 03:00 CEST goes back to 02:00 CET: 02:30 happens twice.
    runs = fire_times(
        "30 2 * * *",
        BERLIN,
        datetime(2026, 10, 23, tzinfo=BERLIN),
        datetime(2026, 10, 27, tzinfo=BERLIN),
    )
    assert iso(runs) == [
        "2026-10-23T02:30:00+02:00",
        "2026-10-24T02:30:00+02:00",
        "2026-10-25T02:30:00+01:00",
        "2026-10-26T02:30:00+01:00",
    ]
    assert runs[2].astimezone(UTC).isoformat() == "2026-10-25T01:30:00+00:00"


@pytest.mark.parametrize(
    "after_utc",
    [
        "2026-10-24T23:00:00+00:00",  # 01:00 CEST, before the repeated hour
        "2026-10-25T00:10:00+00:00",  # 02:10 CEST, first pass through 02:xx
        "2026-10-25T00:40:00+00:00",  # 02:40 CEST: wall clock is past 02:30, real time is not
        "2026-10-25T01:10:00+00:00",  # 02:10 CET, second pass
    ],
)
def test_next_run_inside_the_repeated_hour_finds_the_second_occurrence(after_utc: str) -> None:
    after = datetime.fromisoformat(after_utc)
    assert next_run("30 2 * * *", after, BERLIN).isoformat() == "2026-10-25T02:30:00+01:00"
    # Same answer whatever zone the caller's datetime is in.
    assert next_run("30 2 * * *", after.astimezone(BERLIN), BERLIN) == next_run(
        "30 2 * * *", after, BERLIN
    )


def test_after_the_second_occurrence_the_next_run_is_the_next_day() -> None:
    after = datetime(2026, 10, 25, 1, 40, tzinfo=UTC)  # 02:40 CET
    assert next_run("30 2 * * *", after, BERLIN).isoformat() == "2026-10-26T02:30:00+01:00"


def test_half_hourly_cron_through_the_repeated_hour_runs_each_wall_time_once() -> None:
    runs = fire_times(
        "*/30 * * * *",
        "Europe/Berlin",
        datetime(2026, 10, 25, 1, 0, tzinfo=BERLIN),
        datetime(2026, 10, 25, 3, 30, tzinfo=BERLIN),
    )
    assert iso(runs) == [
        "2026-10-25T01:30:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T02:30:00+01:00",
        "2026-10-25T03:00:00+01:00",
        "2026-10-25T03:30:00+01:00",
    ]


def test_weekly_sunday_0230_across_both_changes() -> None:
    entry = ScheduleEntry("coach", "weekly", "30 2 * * 0", "30 2 * * 0", True)
    spring = fire_times(
        entry, BERLIN, datetime(2026, 3, 20, tzinfo=BERLIN), datetime(2026, 4, 10, tzinfo=BERLIN)
    )
    assert iso(spring) == ["2026-03-22T02:30:00+01:00", "2026-04-05T02:30:00+02:00"]
    autumn = fire_times(
        entry, BERLIN, datetime(2026, 10, 20, tzinfo=BERLIN), datetime(2026, 11, 2, tzinfo=BERLIN)
    )
    assert iso(autumn) == ["2026-10-25T02:30:00+01:00", "2026-11-01T02:30:00+01:00"]


def test_weekly_monday_morning_keeps_its_wall_time_when_the_offset_changes() -> None:
    entry = ScheduleEntry("coach", "weekly", "0 9 * * 1")
    first = next_run(entry, datetime(2026, 3, 23, 7, 0, tzinfo=UTC), BERLIN)
    second = next_run(entry, first, BERLIN)
    assert (first.isoformat(), second.isoformat()) == (
        "2026-03-23T09:00:00+01:00",
        "2026-03-30T09:00:00+02:00",
    )
    # Same tzinfo subtracts wall clocks; real elapsed time is one hour short of a week.
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(days=7, hours=-1)


def test_new_york_spring_forward_skips_and_fall_back_runs_once() -> None:
    spring = fire_times(
        "30 2 * * *",
        NEW_YORK,
        datetime(2026, 3, 7, tzinfo=NEW_YORK),
        datetime(2026, 3, 10, tzinfo=NEW_YORK),
    )
    assert iso(spring) == ["2026-03-07T02:30:00-05:00", "2026-03-09T02:30:00-04:00"]
    autumn = fire_times(
        "30 1 * * *",
        NEW_YORK,
        datetime(2026, 10, 31, 12, tzinfo=NEW_YORK),
        datetime(2026, 11, 2, 12, tzinfo=NEW_YORK),
    )
    assert iso(autumn) == ["2026-11-01T01:30:00-05:00", "2026-11-02T01:30:00-05:00"]


@pytest.mark.parametrize(
    ("cron", "after", "expected"),
    [
        ("0 9 1 * *", datetime(2026, 1, 31, 12, tzinfo=UTC), "2026-02-01T09:00:00+00:00"),
        ("0 9 1 * *", datetime(2026, 12, 15, tzinfo=UTC), "2027-01-01T09:00:00+00:00"),
        ("0 9 1 * *", datetime(2026, 2, 1, 9, tzinfo=UTC), "2026-03-01T09:00:00+00:00"),
        ("0 9 31 * *", datetime(2026, 4, 1, tzinfo=UTC), "2026-05-31T09:00:00+00:00"),
        ("0 9 29 2 *", datetime(2026, 3, 1, tzinfo=UTC), "2028-02-29T09:00:00+00:00"),
        ("0 9 L * *", datetime(2026, 2, 1, tzinfo=UTC), "2026-02-28T09:00:00+00:00"),
    ],
)
def test_monthly_next_run_across_month_ends(cron: str, after: datetime, expected: str) -> None:
    assert next_run(cron, after, "UTC").isoformat() == expected


def test_monthly_default_in_berlin_crosses_into_summer_time() -> None:
    entry = ScheduleEntry("optimization", "monthly", "0 9 1 * *")
    runs = fire_times(
        entry, "Europe/Berlin", datetime(2026, 2, 15, tzinfo=UTC), datetime(2026, 5, 15, tzinfo=UTC)
    )
    assert iso(runs) == [
        "2026-03-01T09:00:00+01:00",
        "2026-04-01T09:00:00+02:00",
        "2026-05-01T09:00:00+02:00",
    ]


def test_fire_times_interval_is_open_at_start_and_closed_at_end() -> None:
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    end = datetime(2026, 1, 7, 9, 0, tzinfo=UTC)
    assert iso(fire_times("0 9 * * *", UTC, start, end)) == [
        "2026-01-06T09:00:00+00:00",
        "2026-01-07T09:00:00+00:00",
    ]
    assert fire_times("0 9 * * *", UTC, end, start) == []
    assert iso(fire_times("* * * * *", UTC, start, end, limit=2)) == [
        "2026-01-05T09:01:00+00:00",
        "2026-01-05T09:02:00+00:00",
    ]


def test_next_run_is_strictly_after() -> None:
    at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert next_run("0 9 * * *", at, UTC).isoformat() == "2026-01-06T09:00:00+00:00"
    just_before = at - timedelta(microseconds=1)
    assert next_run("0 9 * * *", just_before, UTC) == at


def test_results_are_in_the_schedule_zone_whatever_the_input_zone() -> None:
    after = datetime(2026, 7, 1, 0, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    run = next_run("0 9 * * *", after, "Europe/Berlin")
    assert run.tzinfo == BERLIN and run.isoformat() == "2026-07-01T09:00:00+02:00"


def test_naive_datetimes_and_bad_crons_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_run("0 9 * * *", datetime(2026, 1, 1), BERLIN)
    with pytest.raises(ScheduleError, match="has 4 fields"):
        next_run("0 9 * *", datetime(2026, 1, 1, tzinfo=UTC), BERLIN)
    with pytest.raises(ScheduleError, match="is not a known IANA time zone"):
        next_run("0 9 * * *", datetime(2026, 1, 1, tzinfo=UTC), "Europe/Nowhere")
