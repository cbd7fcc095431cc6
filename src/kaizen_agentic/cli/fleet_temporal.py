"""``fleet temporal``: sync, worker, status — the fleet on Temporal (SPEC §7)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kaizen_agentic.cli._fleet_options import load_fleet_roster, state_option, warn
from kaizen_agentic.cli._output import F, emit, json_option, style, table
from kaizen_agentic.cli._params import host_or_this, roster_options
from kaizen_agentic.fleet import discover_scheduled_runs

if TYPE_CHECKING:
    from kaizen_agentic.fleet.runner import RunOutcome
    from kaizen_agentic.fleet.temporal import SyncReport

NEXT_SHOWN = 3


@click.group("temporal")
def temporal_group() -> None:
    """Run the fleet's schedules on a Temporal server.

    sync makes one Temporal Schedule per (repo, agent) of a host, with id
    kaizen:<repo>:<agent>; worker runs them on the host that holds the
    checkouts (task queue kaizen-<host>); status shows what the server will
    run next. The server address comes from --address, KAIZEN_TEMPORAL_ADDRESS
    or temporal.address in .kaizen/config.yml (default 127.0.0.1:7233).

    Example:

    \b
        kaizen-agentic fleet temporal sync --roster roster.yaml --host build-01
        kaizen-agentic fleet temporal worker --host build-01 --state /var/lib/kaizen
    """


def connection_options(func: F) -> F:
    """--address and --namespace of the Temporal frontend."""
    func = click.option(
        "--namespace",
        metavar="NAME",
        help="Temporal namespace. [default: $KAIZEN_TEMPORAL_NAMESPACE, config "
        "temporal.namespace, default]",
    )(func)
    return click.option(
        "--address",
        metavar="HOST:PORT",
        help="Temporal frontend. [default: $KAIZEN_TEMPORAL_ADDRESS, config "
        "temporal.address, 127.0.0.1:7233]",
    )(func)


@temporal_group.command("sync")
@connection_options
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing on the server.")
@click.option(
    "--allow-empty",
    is_flag=True,
    help="Delete every schedule of the host when discovery finds no repo at all "
    "(refused without it).",
)
@roster_options
@json_option
def sync_command(
    address: str | None,
    namespace: str | None,
    dry_run: bool,
    allow_empty: bool,
    roster_file: Path | None,
    hub_url: str | None,
    host: str | None,
    as_json: bool,
) -> None:
    """Make the host's Temporal Schedules equal its discovered runs.

    One schedule per (repo, agent), id kaizen:<repo>:<agent>, with the cron
    and time zone of the repo's schedule.yml, overlap policy skip, starting
    workflow KaizenScheduledRun on task queue kaizen-<host>. Missing
    schedules are created, changed ones updated, and this host's schedules
    that discovery no longer lists are deleted; schedules of other hosts and
    ids not starting with kaizen: are never touched, nor are those of a repo
    that discovery skipped (missing checkout, invalid schedule.yml). A second
    sync changes nothing; a schedule edited on the server is set back. A
    roster that lists no repo for the host would delete all its schedules:
    sync refuses that unless --allow-empty. Run it from cron or CI after
    roster changes.

    Example:

    \b
        kaizen-agentic fleet temporal sync --roster roster.yaml --host build-01 --dry-run
        kaizen-agentic fleet temporal sync --address temporal:7233 --json
    """
    from kaizen_agentic.fleet.temporal import resolve_target, sync_schedules

    target = resolve_target(address, namespace)
    roster, host_name = load_fleet_roster(roster_file, hub_url, host)
    discovery = discover_scheduled_runs(None, None, None, roster=roster, host=host_name)
    report = sync_schedules(
        discovery.runs,
        host=host_name,
        target=target,
        dry_run=dry_run,
        skipped_repos={s.repo: s.reason for s in discovery.skipped},
        allow_empty=allow_empty,
    )
    document = {**report.to_dict(), "discovery_skipped": [s.to_dict() for s in discovery.skipped]}

    def human() -> None:
        for warning in roster.warnings:
            warn(f"roster: {warning}")
        for skipped in discovery.skipped:
            warn(f"repo {skipped.repo}: {skipped.reason}: {'; '.join(skipped.errors)}")
        _print_sync(report)

    emit(document, as_json=as_json, human=human)
    if report.failed:
        raise click.exceptions.Exit(1)


def _print_sync(report: SyncReport) -> None:
    verbs = ("create", "update", "delete") if report.dry_run else ("created", "updated", "deleted")
    for item in report.created:
        detail = f"{item.run.cron} {item.run.timezone}"
        click.echo(f"{style(verbs[0], fg='green')}  {item.id}  {detail}")
    for item, was in report.updated:
        change = f"{was.memo.get('cron')} {was.memo.get('timezone')}"
        now = f"{item.run.cron} {item.run.timezone}"
        detail = f"{change} -> {now}" if change != now else now
        if was.task_queue != item.task_queue:
            detail += f" (task queue {was.task_queue} -> {item.task_queue})"
        elif change == now and was.spec_hash == item.spec_hash:
            detail += " (edited on the server)"
        click.echo(f"{style(verbs[1], fg='yellow')}  {item.id}  {detail}")
    for found in report.deleted:
        click.echo(f"{style(verbs[2], fg='red')}  {found.id}")
    for refusal in report.plan.skipped:
        warn(f"skipped {refusal.id}: {refusal.reason}")
    for refusal in report.plan.kept:
        warn(f"kept {refusal.id} as it is: {refusal.reason}")
    for refusal in report.failed:
        warn(f"failed {refusal.id}: {refusal.reason}")
    click.echo(report.summary())


@temporal_group.command("worker")
@click.option(
    "--host",
    metavar="NAME",
    help="Serve task queue kaizen-<NAME>: the roster's host_paths key. [default: this machine]",
)
@state_option
@connection_options
def worker_command(
    host: str | None, state_dir: Path, address: str | None, namespace: str | None
) -> None:
    """Run the scheduled workflows of one host until SIGINT/SIGTERM.

    Polls task queue kaizen-<host> and runs each fired (repo, agent) slot
    like fleet run does: optimize (for the optimization agent), prepare the
    bundle, write the task under --state, and record the slot so it never
    runs twice. A run in progress finishes before the worker stops; if the
    worker dies, Temporal retries the run on a live worker (same files, one
    task). Run one worker on every host of the roster.

    Each finished run is one line on stdout; everything else — start, stop,
    the connection to the server lost and restored, the Temporal SDK's own
    warnings — goes to stderr, one line each.

    Example:

    \b
        kaizen-agentic fleet temporal worker --host build-01 --state /var/lib/kaizen
    """
    import signal
    import threading

    from kaizen_agentic.fleet.temporal import resolve_target, task_queue
    from kaizen_agentic.fleet.temporal.worker import run_worker

    target = resolve_target(address, namespace)
    host_name = host_or_this(host)
    _sdk_logs_to_stderr()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    def ready() -> None:
        click.echo(
            f"kaizen-agentic fleet temporal worker: task queue {task_queue(host_name)} at "
            f"{target.address} (namespace {target.namespace}), state {state_dir}; "
            "stop with Ctrl-C or SIGTERM",
            err=True,
        )

    def finished(outcome: RunOutcome) -> None:
        line = f"{outcome.status} {outcome.repo}/{outcome.agent} slot {outcome.slot}"
        if outcome.task_path:
            line += f" -> {outcome.task_path}"
        failed = [s for s in outcome.steps if not s.ok]
        if failed:
            line += f": {failed[0].step}: {failed[0].error}"
        click.echo(line)

    def connection(connected: bool, reason: str | None) -> None:
        if connected:
            click.echo(f"connection to Temporal at {target.address} restored", err=True)
        else:
            click.echo(
                f"connection to Temporal at {target.address} lost ({reason}); "
                "retrying until it is back",
                err=True,
            )

    run_worker(
        target,
        host_name,
        state_dir,
        stop=stop,
        on_ready=ready,
        on_outcome=finished,
        on_connection=connection,
    )
    click.echo("stopped", err=True)


def _sdk_logs_to_stderr() -> None:
    """The Temporal SDK's log records as ``temporal WARNING: …`` lines on stderr, no colour."""
    import logging
    import sys

    from kaizen_agentic.fleet.temporal.worker import SDK_LOGGER

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("temporal %(levelname)s: %(message)s"))
    logger = logging.getLogger(SDK_LOGGER)
    logger.handlers = [handler]
    logger.setLevel(logging.WARNING)
    logger.propagate = False


@temporal_group.command("status")
@connection_options
@click.option("--host", metavar="NAME", help="Only the schedules of this host's task queue.")
@json_option
def status_command(
    address: str | None, namespace: str | None, host: str | None, as_json: bool
) -> None:
    """Show each kaizen: schedule with the server's next and recent runs.

    NEXT RUNS are the server's next action times (the first three, in the
    schedule's time zone); RECENT is the latest run the schedule started.
    CRON and TIMEZONE are as sync wrote them from schedule.yml.

    Example:

    \b
        kaizen-agentic fleet temporal status --host build-01
        kaizen-agentic fleet temporal status --json
    """
    from kaizen_agentic.fleet.temporal import resolve_target, schedule_statuses

    target = resolve_target(address, namespace)
    statuses = schedule_statuses(target, host=host)

    def human() -> None:
        if statuses:
            click.echo(
                table(
                    ["ID", "CRON", "TIMEZONE", "NEXT RUNS", "RECENT"],
                    [
                        [
                            s.id + (" (paused)" if s.paused else ""),
                            s.cron,
                            s.timezone,
                            ", ".join(_local(t, s.timezone) for t in s.next_action_times[:3]),
                            _local(s.recent_actions[-1].scheduled_at, s.timezone)
                            if s.recent_actions
                            else None,
                        ]
                        for s in statuses
                    ],
                )
            )
        count = len(statuses)
        click.echo(
            f"{count} kaizen schedule{'s' if count != 1 else ''} at {target.address} "
            f"(namespace {target.namespace})"
        )

    emit(
        {**target.to_dict(), "schedules": [s.to_dict() for s in statuses]},
        as_json=as_json,
        human=human,
    )


def _local(moment: datetime, zone: str | None) -> str:
    from kaizen_agentic.schedule import ScheduleError, resolve_timezone

    try:
        return moment.astimezone(resolve_timezone(zone or "UTC")).isoformat()
    except ScheduleError:
        return moment.isoformat()


__all__ = ["temporal_group"]
