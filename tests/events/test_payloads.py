from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from kaizen_agentic.errors import InvalidInputError, InvalidNameError
from kaizen_agentic.events import (
    PAYLOAD_TYPES,
    AgentInstalled,
    BundleSummary,
    MetricsRecorded,
    OptimizerAnalyzed,
    SchedulePrepared,
    build_event,
    derived_event_id,
)

MOMENT = datetime(2026, 3, 1, 9, 30, 5, 123456, tzinfo=timezone.utc)


def test_envelope_comes_first_then_the_payload_fields() -> None:
    payload = MetricsRecorded(
        repo="shop",
        agent="tdd-workflow",
        record_id="r-1",
        success=True,
        quality_score=0.8,
        agent_version="abc123",
    )
    event = build_event(payload, occurred_at=MOMENT, event_id="0" * 32)
    assert list(event.items()) == [
        ("version", "1"),
        ("event", "kaizen.metrics.recorded"),
        ("occurred_at", "2026-03-01T09:30:05Z"),
        ("event_id", "0" * 32),
        ("repo", "shop"),
        ("agent", "tdd-workflow"),
        ("record_id", "r-1"),
        ("success", True),
        ("quality_score", 0.8),
        ("agent_version", "abc123"),
    ]


def test_default_id_is_uuid4_hex_and_time_is_utc_with_z() -> None:
    berlin = timezone(timedelta(hours=1))
    event = build_event(
        AgentInstalled(repo="shop", agent="coach", agent_version=None, destination="agents/"),
        occurred_at=datetime(2026, 3, 1, 10, 0, tzinfo=berlin),
    )
    assert re.fullmatch(r"[0-9a-f]{12}4[0-9a-f]{19}", event["event_id"])
    assert event["occurred_at"] == "2026-03-01T09:00:00Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", build_event(_analyzed())["occurred_at"])


def _analyzed() -> OptimizerAnalyzed:
    return OptimizerAnalyzed(
        repo="shop", fingerprint="f" * 16, agents=["coach", "tdd-workflow"], recommendation_count=3
    )


def test_schedule_prepared_nests_the_bundle_summary_as_plain_data() -> None:
    payload = SchedulePrepared(
        repo="shop",
        root="/srv/shop",
        agent="coach",
        cadence="weekly",
        prepare_command="kaizen-agentic schedule prepare coach -t /srv/shop",
        bundle=BundleSummary(
            format="markdown",
            agent_prompt_found=True,
            has_memory=False,
            has_metrics=True,
            pointers=["SCOPE.md"],
            bytes=2048,
        ),
        session_close=["kaizen-agentic metrics record coach --success"],
    )
    assert payload.to_dict() == {
        "repo": "shop",
        "root": "/srv/shop",
        "agent": "coach",
        "cadence": "weekly",
        "prepare_command": "kaizen-agentic schedule prepare coach -t /srv/shop",
        "bundle": {
            "format": "markdown",
            "agent_prompt_found": True,
            "has_memory": False,
            "has_metrics": True,
            "pointers": ["SCOPE.md"],
            "bytes": 2048,
        },
        "session_close": ["kaizen-agentic metrics record coach --success"],
    }
    assert payload.session_close == ("kaizen-agentic metrics record coach --success",)


def test_optimizer_payload_and_subject_registry() -> None:
    assert _analyzed().to_dict() == {
        "repo": "shop",
        "fingerprint": "ffffffffffffffff",
        "agents": ["coach", "tdd-workflow"],
        "recommendation_count": 3,
    }
    assert sorted(PAYLOAD_TYPES) == [
        "kaizen.agent.installed",
        "kaizen.metrics.recorded",
        "kaizen.optimizer.analyzed",
        "kaizen.schedule.prepared",
    ]


def test_bad_agent_names_and_scores_are_refused() -> None:
    with pytest.raises(InvalidNameError, match=r"'\.\./etc'"):
        MetricsRecorded(repo="r", agent="../etc", record_id="x", success=True)
    with pytest.raises(InvalidNameError):
        OptimizerAnalyzed(repo="r", fingerprint="f", agents=["ok", "Bad"], recommendation_count=0)
    with pytest.raises(InvalidInputError, match="finite"):
        MetricsRecorded(
            repo="r", agent="a", record_id="x", success=True, quality_score=float("nan")
        )
    with pytest.raises(InvalidInputError, match="32 lower-case hex"):
        build_event(_analyzed(), event_id="not-an-id")


def _prepared(slot: str | None) -> SchedulePrepared:
    return SchedulePrepared(
        repo="shop",
        root="/srv/shop",
        agent="coach",
        cadence="weekly",
        prepare_command="kaizen-agentic schedule prepare coach --target /srv/shop",
        bundle=BundleSummary("markdown", True, False, True, [], 10),
        session_close=[],
        slot=slot,
    )


def test_an_event_that_happened_once_has_an_id_derived_from_it() -> None:
    record = MetricsRecorded(repo="shop", agent="coach", record_id="r-1", success=True)
    first, again = build_event(record), build_event(record, occurred_at=MOMENT)
    assert (
        first["event_id"]
        == again["event_id"]
        == derived_event_id("kaizen.metrics.recorded", "coach\0r-1")
    )
    # A fixed namespace: the id of a record never changes between versions.
    assert first["event_id"] == "a5072aa1002b551f9d872205f890091e"
    other = MetricsRecorded(repo="shop", agent="coach", record_id="r-2", success=True)
    assert build_event(other)["event_id"] != first["event_id"]


def test_a_prepared_slot_carries_the_slot_and_keeps_its_id_across_retries() -> None:
    slot = "2027-10-31T01:30:00Z"
    retried = [build_event(_prepared(slot)) for _ in range(2)]
    assert retried[0]["slot"] == slot
    assert retried[0]["event_id"] == retried[1]["event_id"]
    assert build_event(_prepared("2027-11-01T01:30:00Z"))["event_id"] != retried[0]["event_id"]
    # A prepare run by hand is a new event each time, without a slot.
    manual = [build_event(_prepared(None)) for _ in range(2)]
    assert "slot" not in manual[0]
    assert manual[0]["event_id"] != manual[1]["event_id"]
