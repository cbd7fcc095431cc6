"""Timestamps: one parser and one stored form (SPEC §1)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kaizen_agentic._time import normalise_timestamp, parse_timestamp
from kaizen_agentic.metrics import MetricsStore, RecordError, validate_record


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2026-06-05 07:00:52Z", "2026-06-05T07:00:52Z"),
        ("2026-06-05T02:00:52-05:00", "2026-06-05T07:00:52Z"),
        ("2026-06-05T07:00:52.999+00:00", "2026-06-05T07:00:52Z"),
        ("2026-06-05T07:00:52", "2026-06-05T07:00:52Z"),
    ],
)
def test_any_iso_form_is_normalised(given: str, stored: str) -> None:
    assert normalise_timestamp(given) == stored


@pytest.mark.parametrize("given", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:30:00+01:00"])
def test_times_outside_utc_years_are_refused_not_overflowed(given: str) -> None:
    with pytest.raises(ValueError, match="outside the years"):
        parse_timestamp(given)
    with pytest.raises(RecordError, match="timestamp"):
        validate_record({"success": True, "timestamp": given})


def test_a_complete_record_is_stored_with_the_canonical_time(project: Path) -> None:
    store = MetricsStore(project, "coach")
    record = {"success": True, "agent": "coach", "record_id": "r1"}
    store.append({**record, "timestamp": "2026-06-05T02:00:52-05:00"})
    (line,) = store.executions_path.read_text().splitlines()
    assert json.loads(line)["timestamp"] == "2026-06-05T07:00:52Z"


def test_prune_compares_times_not_strings(project: Path) -> None:
    # Written by an older version: 2026-06-05T04:00Z, 2 h inside the window, sorts before
    # the cutoff as text.
    store = MetricsStore(project, "coach", retention_days=1)
    store.scaffold()
    inside = {"success": True, "timestamp": "2026-06-04T23:00:00-05:00", "agent": "coach"}
    outside = {"success": True, "timestamp": "2026-06-03T00:00:00Z", "agent": "coach"}
    store.executions_path.write_text(f"{json.dumps(inside)}\n{json.dumps(outside)}\n")
    now = datetime(2026, 6, 6, 2, tzinfo=timezone.utc)  # cutoff 2026-06-05T02:00Z
    assert store.prune(now=now) == 1
    assert [r["timestamp"] for r in store.read_executions()] == [inside["timestamp"]]
