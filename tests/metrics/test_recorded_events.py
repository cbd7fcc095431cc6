"""A record and its event survive any crash together (SPEC §8)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from kaizen_agentic.cli import cli
from kaizen_agentic.events import derived_event_id, list_events, outbox_path
from kaizen_agentic.metrics.recorded_events import recover_recorded_events
from kaizen_agentic.metrics.service import prune_metrics, record_execution
from kaizen_agentic.metrics.store import MetricsStore

REPO_ROOT = Path(__file__).resolve().parents[2]


def record_ids(root: Path, agent: str = "coach") -> list[str]:
    return [r["record_id"] for r in MetricsStore(root, agent).iter_executions()]


def recorded_ids(root: Path) -> list[str]:
    """The record ids the outbox has a ``kaizen.metrics.recorded`` event for, in order."""
    return [e["record_id"] for e in list_events(root) if e["event"] == "kaizen.metrics.recorded"]


def held_record(root: Path, hold: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.metrics.held_record", str(root), "coach", str(hold)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_records_whose_process_was_killed_before_the_event_get_it_on_the_next_command(
    project: Path, tmp_path: Path
) -> None:
    record_execution(project, "coach", {"success": True})  # one record before the crashes
    hold = tmp_path / "hold"
    hold.touch()
    killed = []
    for _ in range(4):
        process = held_record(project, hold)
        assert process.stdout is not None
        killed.append(process.stdout.readline().strip())  # its record is in the store
        process.send_signal(signal.SIGKILL)
        process.wait()
    hold.unlink()

    assert record_ids(project)[1:] == killed
    # Each process recovered the event its killed predecessor left out; the last is missing.
    assert recorded_ids(project) == record_ids(project)[:-1]

    listed = CliRunner().invoke(cli, ["events", "list", "--json", "-t", str(project)])

    assert listed.exit_code == 0, listed.output
    events = [e for e in json.loads(listed.stdout) if e["event"] == "kaizen.metrics.recorded"]
    assert [e["record_id"] for e in events] == record_ids(project)
    assert [e["event_id"] for e in events] == [
        derived_event_id("kaizen.metrics.recorded", f"coach\0{i}") for i in record_ids(project)
    ]
    # A second look recovers nothing more and writes nothing twice.
    assert recover_recorded_events(project) == 0
    assert len(outbox_path(project).read_text().splitlines()) == 5


def test_the_next_record_recovers_the_event_of_a_killed_one(project: Path, tmp_path: Path) -> None:
    hold = tmp_path / "hold"
    hold.touch()
    process = held_record(project, hold)
    assert process.stdout is not None
    lost = process.stdout.readline().strip()
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not outbox_path(project).exists()

    _, later = record_execution(project, "coach", {"success": False})

    assert recorded_ids(project) == [lost, later["record_id"]]


def test_recovery_racing_the_writer_never_makes_a_second_event(project: Path) -> None:
    def recover_in_between(record: Mapping[str, Any]) -> None:
        # Another command recovers this record's event before its writer emits it.
        assert recover_recorded_events(project) == 1

    _, first = record_execution(
        project, "coach", {"success": True}, after_append=recover_in_between
    )

    assert recorded_ids(project) == [first["record_id"]]
    assert len(outbox_path(project).read_text().splitlines()) == 1


def test_a_prune_rewrite_neither_loses_nor_repeats_events(project: Path, tmp_path: Path) -> None:
    store = MetricsStore(project, "coach")
    store.scaffold()
    record_execution(project, "coach", {"success": True})
    old = {"success": True, "timestamp": "2020-01-01T00:00:00Z"}
    record_execution(project, "coach", old)
    hold = tmp_path / "hold"
    hold.touch()
    process = held_record(project, hold)
    assert process.stdout is not None
    lost = process.stdout.readline().strip()
    process.send_signal(signal.SIGKILL)
    process.wait()

    pruned, _ = prune_metrics(project, "coach")  # drops the 2020 record, rewrites the file

    assert pruned == {"coach": 1}
    ids = recorded_ids(project)
    assert len(ids) == 3 and ids[-1] == lost
    _, after = record_execution(project, "coach", {"success": True})
    assert recorded_ids(project) == [*ids, after["record_id"]]


def test_a_store_written_before_marks_existed_is_not_re_emitted(project: Path) -> None:
    store = MetricsStore(project, "coach")
    for _ in range(3):
        store.append({"success": True})  # records without any event: an older version

    assert recover_recorded_events(project) == 0
    _, new = record_execution(project, "coach", {"success": True})
    assert recorded_ids(project) == [new["record_id"]]


def test_a_project_without_metrics_is_left_untouched(project: Path) -> None:
    assert recover_recorded_events(project) == 0
    assert not (project / ".kaizen").exists()
