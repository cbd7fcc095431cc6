from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kaizen_agentic.errors import MalformedLineWarning
from kaizen_agentic.events import (
    CompactResult,
    MetricsRecorded,
    compact_events,
    delivered_path,
    emit_event,
    list_events,
    mark_delivered,
    outbox_path,
    pending_events,
)

MOMENT = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)


def recorded(n: int = 1, agent: str = "coach") -> MetricsRecorded:
    return MetricsRecorded(
        repo="shop", agent=agent, record_id=f"r-{n}", success=n % 2 == 1, quality_score=0.5
    )


def test_emit_appends_one_sorted_line_and_returns_the_id(project: Path) -> None:
    event_id = emit_event(project, recorded(), occurred_at=MOMENT)
    path = project / ".kaizen" / "events" / "outbox.jsonl"
    assert path == outbox_path(project)
    assert path.read_text() == (
        '{"agent":"coach","agent_version":null,"event":"kaizen.metrics.recorded",'
        f'"event_id":"{event_id}","occurred_at":"2026-03-01T09:30:00Z","quality_score":0.5,'
        '"record_id":"r-1","repo":"shop","success":true,"version":"1"}\n'
    )
    assert (project / ".kaizen" / "events" / ".outbox.lock").exists()


def test_list_puts_the_envelope_first_and_flags_delivery(project: Path) -> None:
    first = emit_event(project, recorded(1), occurred_at=MOMENT)
    second = emit_event(project, recorded(2), occurred_at=MOMENT)
    listed = list_events(project)
    assert list(listed[0]) == [
        "version",
        "event",
        "occurred_at",
        "event_id",
        "agent",
        "agent_version",
        "quality_score",
        "record_id",
        "repo",
        "success",
        "delivered",
    ]
    assert [(e["event_id"], e["delivered"]) for e in listed] == [(first, False), (second, False)]

    assert mark_delivered(project, [first]) == 1
    assert [(e["event_id"], e["delivered"]) for e in list_events(project)] == [
        (first, True),
        (second, False),
    ]
    assert [e["event_id"] for e in list_events(project, pending_only=True)] == [second]
    assert [e.event_id for e in pending_events(project)] == [second]
    delivered = [json.loads(x) for x in delivered_path(project).read_text().splitlines()]
    assert [d["event_id"] for d in delivered] == [first]
    # the outbox itself is never rewritten by delivery bookkeeping
    assert len(outbox_path(project).read_text().splitlines()) == 2


def test_empty_project_has_no_events(project: Path) -> None:
    assert list_events(project) == []
    assert pending_events(project) == []
    assert not (project / ".kaizen").exists()


def test_malformed_and_torn_lines_are_skipped_with_a_warning(project: Path) -> None:
    good = emit_event(project, recorded(1))
    path = outbox_path(project)
    with path.open("a") as handle:
        handle.write("not json\n")
        handle.write("[1, 2]\n")
        handle.write('{"event": "kaizen.metrics.recorded", "event_id": "short"}\n')
        handle.write('{"event": "other.subject", "event_id": "%s"}\n' % ("a" * 32))
        handle.write(path.read_text().splitlines()[0] + "\n")  # same id again
        handle.write('{"event": "kaizen.metrics.rec')  # a writer died mid-line
    with pytest.warns(MalformedLineWarning) as caught:
        assert [e["event_id"] for e in list_events(project)] == [good]
    assert [str(w.message) for w in caught] == [
        f"{path}:2: skipped a malformed line (not valid JSON)",
        f"{path}:3: skipped a malformed line (not a JSON object)",
        f"{path}:4: skipped a malformed line (no valid event_id)",
        f"{path}:5: skipped a malformed line (event 'other.subject' is not a kaizen.* subject)",
        f"{path}:6: skipped a malformed line (event id {good} already appears earlier)",
        f"{path}:7: skipped a malformed line (torn line: no newline at end of file)",
    ]

    # The next append starts on a fresh line, so the torn one cannot swallow it.
    later = emit_event(project, recorded(2))
    with pytest.warns(MalformedLineWarning):
        assert [e["event_id"] for e in list_events(project)] == [good, later]


def test_bad_delivered_lines_are_skipped_and_do_not_hide_events(project: Path) -> None:
    event_id = emit_event(project, recorded())
    delivered_path(project).write_text('garbage\n{"event_id": 7}\n')
    with pytest.warns(MalformedLineWarning) as caught:
        assert [e.event_id for e in pending_events(project)] == [event_id]
    path = delivered_path(project)
    assert [str(w.message) for w in caught] == [
        f"{path}:1: skipped a malformed line (not valid JSON)",
        f"{path}:2: skipped a malformed line (no valid event_id)",
    ]


EMITTER = """
import sys
from pathlib import Path
from kaizen_agentic.events import MetricsRecorded, emit_event
root, worker = Path(sys.argv[1]), int(sys.argv[2])
for n in range(500):
    emit_event(root, MetricsRecorded(
        repo="shop", agent=f"agent-{worker}", record_id=f"{worker}-{n}", success=True,
        agent_version="v" * 200,  # long lines make interleaving visible if locking broke
    ))
"""


def test_four_processes_emitting_at_once_leave_every_line_intact(project: Path) -> None:
    workers = [
        subprocess.Popen([sys.executable, "-c", EMITTER, str(project), str(w)]) for w in range(4)
    ]
    assert [w.wait(timeout=120) for w in workers] == [0, 0, 0, 0]

    lines = outbox_path(project).read_text().splitlines()
    documents = [json.loads(line) for line in lines]
    assert len(documents) == 2000
    assert len({d["event_id"] for d in documents}) == 2000
    for worker in range(4):
        mine = [d["record_id"] for d in documents if d["agent"] == f"agent-{worker}"]
        assert mine == [f"{worker}-{n}" for n in range(500)]  # each writer's order is kept
    assert len(list_events(project)) == 2000


def test_an_event_already_in_the_outbox_is_not_written_again(project: Path) -> None:
    first = emit_event(project, recorded(1), occurred_at=MOMENT)
    again = emit_event(project, recorded(1))  # a retry, or a recovery after a crash
    other = emit_event(project, recorded(2))

    assert again == first
    assert [e["event_id"] for e in list_events(project)] == [first, other]
    assert len(outbox_path(project).read_text().splitlines()) == 2


def test_compact_drops_only_delivered_events_older_than_the_retention(project: Path) -> None:
    now = datetime(2026, 6, 1, tzinfo=timezone.utc)
    old_sent = emit_event(
        project, recorded(1), occurred_at=datetime(2026, 4, 1, tzinfo=timezone.utc)
    )
    old_pending = emit_event(
        project, recorded(2), occurred_at=datetime(2026, 4, 2, tzinfo=timezone.utc)
    )
    new_sent = emit_event(
        project, recorded(3), occurred_at=datetime(2026, 5, 20, tzinfo=timezone.utc)
    )
    with outbox_path(project).open("a") as handle:
        handle.write("not json\n")
    mark_delivered(project, [old_sent, new_sent])

    result = compact_events(project, retention_days=30, now=now)

    assert result == CompactResult(
        dropped=1, kept=2, cutoff="2026-05-02T00:00:00Z", retention_days=30
    )
    with pytest.warns(MalformedLineWarning):  # the bad line is kept as it was
        assert [(e["event_id"], e["delivered"]) for e in list_events(project)] == [
            (old_pending, False),
            (new_sent, True),
        ]
    delivered = [json.loads(x)["event_id"] for x in delivered_path(project).read_text().split()]
    assert delivered == [new_sent]
    assert compact_events(project, retention_days=30, now=now).dropped == 0


def test_compact_on_a_project_without_events_writes_nothing(project: Path) -> None:
    assert compact_events(project, retention_days=30).dropped == 0
    assert not (project / ".kaizen").exists()
