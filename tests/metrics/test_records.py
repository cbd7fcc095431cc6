from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaizen_agentic.metrics import RecordError, complete_record, validate_record

EXAMPLES = 2000 if os.environ.get("CI") else 300
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def complete(record: dict[str, Any], environ: dict[str, str] | None = None) -> dict[str, Any]:
    return complete_record(
        record,
        agent="coach",
        agent_version="abc",
        project="p",
        domain="d",
        environ=environ or {},
        now=NOW,
    )


def test_automatic_fields_and_sorted_keys() -> None:
    full = complete({"success": True, "zeta": 1}, {"HELIX_SESSION_UID": "hx-1"})
    assert list(full) == sorted(full)
    assert full["timestamp"] == "2026-01-02T03:04:05Z"
    assert (full["agent"], full["agent_version"], full["project"], full["domain"]) == (
        "coach",
        "abc",
        "p",
        "d",
    )
    assert full["helix_session_uid"] == "hx-1" and full["zeta"] == 1
    assert len(full["record_id"]) == 32


def test_given_timestamps_are_normalised_to_utc_z() -> None:
    full = complete({"success": True, "timestamp": "2026-03-01T12:00:00+02:00"})
    assert full["timestamp"] == "2026-03-01T10:00:00Z"


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({}, "success"),
        ({"success": "yes"}, "success"),
        ({"success": True, "quality_score": 1.2}, "quality_score"),
        ({"success": True, "quality_score": True}, "quality_score"),
        ({"success": True, "execution_time_s": -1}, "execution_time_s"),
        ({"success": True, "execution_time_s": float("nan")}, "execution_time_s"),
        ({"success": True, "cost": {"usd": -0.1}}, "cost.usd"),
        ({"success": True, "cost": {"dollars": 1}}, "cost.dollars"),
        ({"success": True, "collaboration": [1]}, "collaboration"),
        ({"success": True, "primary_metric": {"value": 1}}, "primary_metric.name"),
        ({"success": True, "timestamp": "yesterday"}, "timestamp"),
        ({"success": True, "session_id": 5}, "session_id"),
        ({"success": True, "metadata": "x"}, "metadata"),
    ],
)
def test_invalid_records_name_the_field(record: dict[str, Any], field: str) -> None:
    with pytest.raises(RecordError) as caught:
        validate_record(record)
    assert caught.value.message.startswith(f"{field}:")
    assert caught.value.exit_code == 2


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
field_names = st.sampled_from(
    [
        "success",
        "quality_score",
        "execution_time_s",
        "cost",
        "collaboration",
        "primary_metric",
        "timestamp",
        "session_id",
        "metadata",
        "idempotency_key",
        "other",
    ]
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.dictionaries(field_names, json_values, max_size=6))
def test_validation_never_raises_anything_but_a_record_error(data: dict[str, Any]) -> None:
    try:
        complete(data)
    except RecordError as error:
        assert error.message and "\n" not in error.message
