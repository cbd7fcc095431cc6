from __future__ import annotations

import threading
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from kaizen_agentic.schedule import Cron, ScheduleError, fire_times, next_run
from kaizen_agentic.schedule.cron import cron_of

BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 9 * *", "has 4 fields"),
        ("0 9 * * * 2026", "has 6 fields"),
        ("H 9 * * *", "random or hashed"),
        ("0 25 * * *", "is not a valid cron expression"),
        ("0 9 31 2 *", "never matches a date"),
    ],
)
def test_an_unusable_expression_is_refused_when_the_value_is_made(
    expression: str, message: str
) -> None:
    with pytest.raises(ScheduleError, match=message) as caught:
        Cron(expression)
    assert caught.value.message.startswith("cron ")


def test_a_cron_is_an_immutable_value() -> None:
    cron = Cron("0 9 * * 1")
    assert cron == Cron("0 9 * * 1") and cron != Cron("0 10 * * 1")
    assert len({cron, Cron("0 9 * * 1")}) == 1
    assert repr(cron) == "Cron('0 9 * * 1')"
    with pytest.raises(AttributeError):
        cron.expression = "* * * * *"  # type: ignore[misc]


def test_walks_of_one_value_are_independent() -> None:
    cron = Cron("0 9 * * *")
    first = cron.after(datetime(2026, 1, 1, tzinfo=UTC), UTC)
    second = cron.after(datetime(2026, 6, 1, tzinfo=UTC), UTC)
    assert next(first).isoformat() == "2026-01-01T09:00:00+00:00"
    assert next(second).isoformat() == "2026-06-01T09:00:00+00:00"
    assert next(first).isoformat() == "2026-01-02T09:00:00+00:00"


def test_the_value_gives_what_the_functions_give() -> None:
    cron = Cron("30 2 * * *")
    start = datetime(2026, 10, 23, tzinfo=BERLIN)
    end = datetime(2026, 10, 27, tzinfo=BERLIN)
    assert cron.between(BERLIN, start, end) == fire_times("30 2 * * *", BERLIN, start, end)
    assert fire_times(cron, BERLIN, start, end, limit=1) == cron.between(
        BERLIN, start, end, limit=1
    )
    assert cron.next_after(start, BERLIN) == next_run("30 2 * * *", start, BERLIN)
    assert next_run(cron, start, "Europe/Berlin") == next_run("30 2 * * *", start, BERLIN)


def test_one_value_is_shared_per_expression_and_safe_across_threads() -> None:
    assert cron_of("0 9 * * 1") is cron_of("0 9 * * 1")
    cron = cron_of("*/5 * * * *")
    after = datetime(2026, 3, 29, tzinfo=BERLIN)
    expected = cron.between(BERLIN, after, datetime(2026, 3, 30, tzinfo=BERLIN))
    results: list[list[datetime]] = []

    def walk() -> None:
        results.append(cron.between(BERLIN, after, datetime(2026, 3, 30, tzinfo=BERLIN)))

    threads = [threading.Thread(target=walk) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 8
