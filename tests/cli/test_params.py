from __future__ import annotations

from datetime import datetime, timezone

import click
import pytest
from click.testing import CliRunner

from kaizen_agentic.cli._params import IsoTime, at_option


def command(*, bare_is_utc: bool) -> click.Command:
    @click.command()
    @at_option("When.", bare_is_utc=bare_is_utc)
    def show(at: datetime | None) -> None:
        click.echo("none" if at is None else at.isoformat())

    return show


@pytest.mark.parametrize(
    ("given", "bare_is_utc", "shown"),
    [
        ("2026-03-30T08:00:00Z", True, "2026-03-30T08:00:00+00:00"),
        ("2026-03-30T08:00:00z", False, "2026-03-30T08:00:00+00:00"),
        ("2026-03-30T08:00:00+02:00", True, "2026-03-30T08:00:00+02:00"),
        ("2026-03-30T08:00", True, "2026-03-30T08:00:00+00:00"),
        ("2026-03-30T08:00", False, "2026-03-30T08:00:00"),
    ],
)
def test_at_reads_iso_times_and_places_a_bare_one_as_asked(
    given: str, bare_is_utc: bool, shown: str
) -> None:
    result = CliRunner().invoke(command(bare_is_utc=bare_is_utc), ["--at", given])
    assert (result.exit_code, result.output) == (0, shown + "\n")


def test_at_is_optional_and_refuses_anything_but_an_iso_time() -> None:
    assert CliRunner().invoke(command(bare_is_utc=True), []).output == "none\n"
    result = CliRunner().invoke(command(bare_is_utc=True), ["--at", "soon"])
    assert result.exit_code == 2
    assert "'soon' is not an ISO-8601 time; use e.g. 2026-03-30T08:00:00Z" in result.output


def test_a_datetime_passes_through_unchanged() -> None:
    moment = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert IsoTime().convert(moment, None, None) is moment
