"""Fleet commands: discover, run, serve, health (SPEC §7)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kaizen_agentic.cli._fleet_options import (
    existing_state,
    load_fleet_roster,
    state_option,
    warn,
)
from kaizen_agentic.cli._output import F, emit, json_option, style, table
from kaizen_agentic.cli._params import at_option, roster_options
from kaizen_agentic.cli.fleet_tasks import tasks_group
from kaizen_agentic.cli.fleet_temporal import temporal_group
from kaizen_agentic.fleet import Discovery, Roster, ScheduledRun, discover_scheduled_runs
from kaizen_agentic.fleet.log import LOG_FORMATS, EventLog, EventLogHandler
from kaizen_agentic.schedule import CADENCES

if TYPE_CHECKING:
    from kaizen_agentic.fleet.runner import CycleReport


@click.group("fleet")
def fleet_group() -> None:
    """Run the kaizen loop across a roster of repos.

    The roster comes from --roster FILE or KAIZEN_ROSTER, or from a State
    Hub with --hub-url URL or KAIZEN_HUB_URL.

    Example:

    \b
        kaizen-agentic fleet discover --roster roster.yaml --host build-01
    """


def log_format_option(default: str | None) -> Callable[[F], F]:
    return click.option(
        "--log-format",
        type=click.Choice(LOG_FORMATS),
        default=default,
        show_default=default is not None,
        help="One line per event in this format."
        + ("" if default else " [default: human-readable lines]"),
    )


AT_HELP = "Act as if it were this ISO-8601 time (no offset means UTC). [default: now]"


@fleet_group.command("discover")
@click.option("--domain", metavar="NAME", help="Only repos of this roster domain.")
@click.option("--cadence", type=click.Choice(CADENCES), help="Only agents on this cadence.")
@roster_options
@at_option("Compute next runs after this ISO-8601 time instead of now (no offset means UTC).")
@json_option
def discover_command(
    domain: str | None,
    cadence: str | None,
    host: str | None,
    roster_file: Path | None,
    hub_url: str | None,
    at: datetime | None,
    as_json: bool,
) -> None:
    """List the scheduled (repo, agent) runs on this host.

    Only active roster repos with a checkout on the host (--host) count.

    Reads each repo's .kaizen/schedule.yml and never writes. A repo whose
    checkout is missing or whose schedule is invalid is skipped with a
    warning on stderr (in the JSON document under "skipped"); a repo
    without a schedule has not opted in and is left out silently. If the
    State Hub cannot be read, nothing is printed and the exit code is 1.

    Example:

    \b
        kaizen-agentic fleet discover --roster roster.yaml --cadence weekly
        kaizen-agentic fleet discover --hub-url http://hub:8000 --json
    """
    roster, host_name = load_fleet_roster(roster_file, hub_url, host, domain)
    discovery = discover_scheduled_runs(domain, cadence, at, roster=roster, host=host_name)
    emit(
        discovery.to_dict(),
        as_json=as_json,
        human=lambda: _print_discovery(discovery, roster, host_name),
    )


def _print_discovery(discovery: Discovery, roster: Roster, host: str) -> None:
    for warning in roster.warnings:
        warn(f"roster: {warning}")
    runs = discovery.runs
    if runs:
        click.echo(
            table(
                ["REPO", "AGENT", "CADENCE", "CRON", "TIMEZONE", "NEXT RUN"],
                [[r.repo, r.agent, r.cadence, r.cron, r.timezone, r.next_run_at] for r in runs],
            )
        )
    repos = len({r.repo for r in runs})
    click.echo(
        f"{len(runs)} scheduled run{'s' if len(runs) != 1 else ''} "
        f"in {repos} repo{'s' if repos != 1 else ''} on host {host}"
    )
    for skipped in discovery.skipped:
        prefix = f"repo {skipped.repo}: {skipped.reason}"
        for error in skipped.errors:
            warn(f"{prefix}: {error}")
        if not skipped.errors:
            warn(prefix)


@fleet_group.command("run")
@click.option("--once", is_flag=True, help="Run one cycle and exit (what run always does).")
@at_option(AT_HELP)
@click.option("--dry-run", is_flag=True, help="Show what is due; run and record nothing.")
@click.option(
    "--grace",
    type=click.IntRange(0),
    default=60,
    show_default=True,
    help="Minutes after its scheduled time a slot still counts as due.",
)
@log_format_option(None)
@roster_options
@state_option
@json_option
def run_command(
    once: bool,
    at: datetime | None,
    dry_run: bool,
    grace: int,
    log_format: str | None,
    roster_file: Path | None,
    hub_url: str | None,
    host: str | None,
    state_dir: Path,
    as_json: bool,
) -> None:
    """Run every (repo, agent) slot that is due now (or at --at), once.

    For each due slot the optimization agent first refreshes the evidence
    (metrics optimize); then every agent gets its prepare bundle and a task
    JSON under the state directory. A slot that already ran is not run again,
    and --dry-run says so the same way. A failure in one repo never stops the
    others; exit 1 if any failed.

    One line per slot on stdout; the plan (a start line) and a summary line
    go to stderr. With --log-format every line is one logfmt or JSON event
    on stdout: run_started, one slot per due slot, run_finished.

    Example:

    \b
        kaizen-agentic fleet run --roster roster.yaml --dry-run
        kaizen-agentic fleet run --roster roster.yaml --at 2026-03-30T07:00:00Z
    """
    from kaizen_agentic.fleet.runner import run_cycle

    moment = at or datetime.now(timezone.utc)
    roster, host_name = load_fleet_roster(roster_file, hub_url, host)
    runs = discover_scheduled_runs(None, None, moment, roster=roster, host=host_name).runs
    with _SlotBar(shown=not as_json and sys.stdout.isatty()) as bar:
        report = run_cycle(
            runs,
            state_dir,
            at=moment,
            grace=timedelta(minutes=grace),
            dry_run=dry_run,
            progress=bar.update,
        )

    if log_format and not as_json:
        _log_cycle(EventLog(sys.stdout, log_format), report, runs, state_dir)
    else:
        emit(report.to_dict(), as_json=as_json, human=lambda: _print_cycle(report, runs))
    if any(o.status == "failed" for o in report.outcomes):
        raise click.exceptions.Exit(1)


def _counts(report: CycleReport) -> dict[str, int]:
    counts = {"due": len(report.due), "done": 0, "already_run": 0, "failed": 0}
    statuses = (
        [report.due_status(d) for d in report.due]
        if report.dry_run
        else [o.status for o in report.outcomes]
    )
    for status in statuses:
        if status in counts and status != "due":
            counts[status] += 1
    return counts


def _log_cycle(
    log: EventLog, report: CycleReport, runs: Sequence[ScheduledRun], state_dir: Path
) -> None:
    log.event(
        "run_started",
        at=report.at,
        scheduled=len(runs),
        due=len(report.due),
        dry_run=report.dry_run,
        state=str(state_dir),
    )
    if report.dry_run:
        for item in report.due:
            log.event(
                "slot",
                status=report.due_status(item),
                repo=item.run.repo,
                agent=item.run.agent,
                slot=item.slot_key,
            )
    _log_slots(log, report)
    log.event("run_finished", at=report.at, dry_run=report.dry_run, **_counts(report))


def _print_cycle(report: CycleReport, runs: Sequence[ScheduledRun]) -> None:
    if not report.due:
        upcoming = min((r.next_run_at for r in runs), default=None)
        click.echo(
            f"Nothing due at {report.at} ({len(runs)} scheduled runs"
            + (f"; next at {upcoming})" if upcoming else ")")
        )
        return
    click.echo(
        f"{len(report.due)} slot{'s' if len(report.due) != 1 else ''} due at {report.at} "
        f"({len(runs)} scheduled runs){' — dry run, nothing is run' if report.dry_run else ''}",
        err=True,
    )
    if report.dry_run:
        for item in report.due:
            name = f"{item.run.repo}/{item.run.agent}"
            if report.due_status(item) == "already_run":
                click.echo(f"already run  {name}  slot {item.slot_key} (not run again)")
            else:
                click.echo(f"due  {name}  slot {item.slot_key}")
    for outcome in report.outcomes:
        name = f"{outcome.repo}/{outcome.agent}"
        if outcome.status == "already_run":
            click.echo(f"already run  {name}  slot {outcome.slot} (not run again)")
        elif outcome.status == "running_elsewhere":
            click.echo(f"running elsewhere  {name}  slot {outcome.slot} (another runner holds it)")
        elif outcome.status == "done":
            click.echo(
                f"{style('done', fg='green')}  {name}  slot {outcome.slot} -> {outcome.task_path}"
            )
        else:
            failed = next(s for s in outcome.steps if not s.ok)
            click.echo(
                f"{style('failed', fg='red')}  {name}  slot {outcome.slot}: "
                f"{failed.step}: {failed.error}"
            )
    counts = _counts(report)
    ran = "would run" if report.dry_run else "done"
    would = counts["due"] - counts["already_run"] if report.dry_run else counts["done"]
    click.echo(
        f"{counts['due']} due: {would} {ran}, {counts['already_run']} already run, "
        f"{counts['failed']} failed",
        err=True,
    )


class _SlotBar:
    """A progress bar on stderr for a cycle of several slots, opened once their count is known."""

    def __init__(self, *, shown: bool) -> None:
        self.shown = shown
        self.bar: Any = None

    def update(self, done: int, total: int) -> None:
        if not self.shown or total < 2:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="Running due slots", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def __enter__(self) -> _SlotBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@fleet_group.command("serve")
@click.option(
    "--grace",
    type=click.IntRange(0),
    default=5,
    show_default=True,
    help="Minutes a late slot still runs; older ones follow --misfire.",
)
@click.option(
    "--misfire",
    type=click.Choice(["skip", "run_latest"]),
    default="skip",
    show_default=True,
    help="What to do with slots missed beyond the grace.",
)
@log_format_option("logfmt")
@roster_options
@state_option
def serve_command(
    grace: int,
    misfire: str,
    log_format: str,
    roster_file: Path | None,
    hub_url: str | None,
    host: str | None,
    state_dir: Path,
) -> None:
    """Run the embedded scheduler until SIGINT/SIGTERM.

    Fires each (repo, agent) on its cron in its time zone, never twice for
    one slot (state in SQLite under --state), re-reading the roster and
    every schedule.yml each cycle.

    Logs one line per event on stderr, all in one format (--log-format):
    started (with the plan: how many runs, the next one), one planned line
    per (repo, agent) with its next run, then slot and cycle lines as slots
    fire, slot_missed, repo_unreachable / schedule_invalid, and stopped.

    Example:

    \b
        kaizen-agentic fleet serve --roster roster.yaml --state /var/lib/kaizen
    """
    import logging
    import signal
    import threading

    from kaizen_agentic.fleet.scheduler import EmbeddedScheduler

    # an unknown host or an unreadable roster fails now, not silently every tick
    roster, host_name = load_fleet_roster(roster_file, hub_url, host)
    plan = discover_scheduled_runs(None, None, None, roster=roster, host=host_name).runs

    def discover(now: datetime) -> tuple[Any, ...]:
        roster, host_name = load_fleet_roster(roster_file, hub_url, host)
        return discover_scheduled_runs(None, None, now, roster=roster, host=host_name).runs

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    log = EventLog(sys.stderr, log_format)
    handler = EventLogHandler(log)
    logger = logging.getLogger("kaizen_agentic.fleet")
    logger.addHandler(handler)
    try:
        scheduler = EmbeddedScheduler(
            discover,
            state_dir,
            grace=timedelta(minutes=grace),
            misfire=misfire,
            on_cycle=lambda report: _log_cycle_of_serve(log, report),
        )
        _log_plan(log, plan, host_name, state_dir, misfire=misfire, grace=grace)
        scheduler.serve(stop)
        log.event("stopped", msg="kaizen-agentic fleet serve stopped")
    finally:
        logger.removeHandler(handler)


def _log_cycle_of_serve(log: EventLog, report: CycleReport) -> None:
    _log_slots(log, report)
    log.event("cycle", cycle=report.cycle, at=report.at, **_counts(report))


def _log_plan(
    log: EventLog,
    plan: Sequence[ScheduledRun],
    host: str,
    state_dir: Path,
    *,
    misfire: str,
    grace: int,
) -> None:
    """The start line — what will run and when — and one planned line per (repo, agent)."""
    upcoming = sorted(plan, key=lambda r: r.next_run_at)
    log.event(
        "started",
        msg="kaizen-agentic fleet serve",
        host=host,
        state=str(state_dir),
        runs=len(plan),
        repos=len({r.repo for r in plan}),
        next_run_at=upcoming[0].next_run_at if upcoming else None,
        next=f"{upcoming[0].repo}/{upcoming[0].agent}" if upcoming else None,
        misfire=misfire,
        grace_min=grace,
        stop="SIGINT or SIGTERM",
    )
    for run in upcoming:
        log.event(
            "planned",
            repo=run.repo,
            agent=run.agent,
            cron=run.cron,
            timezone=run.timezone,
            next_run_at=run.next_run_at,
        )


def _log_slots(log: EventLog, report: CycleReport) -> None:
    for outcome in report.outcomes:
        failed = next((s for s in outcome.steps if not s.ok), None)
        log.event(
            "slot",
            status=outcome.status,
            repo=outcome.repo,
            agent=outcome.agent,
            slot=outcome.slot,
            task=outcome.task_path,
            error=f"{failed.step}: {failed.error}" if failed else None,
        )


@fleet_group.command("health")
@click.option("--check", is_flag=True, help="Exit 1 when the bootstrap exit criterion fails.")
@at_option("Judge staleness as if it were this ISO-8601 time (no offset means UTC). [default: now]")
@roster_options
@state_option
@json_option
def health_command(
    check: bool,
    at: datetime | None,
    roster_file: Path | None,
    hub_url: str | None,
    host: str | None,
    state_dir: Path,
    as_json: bool,
) -> None:
    """Per repo: recent cycles, consecutive successes, and the bootstrap exit criterion.

    The criterion holds when every active repo has 3 consecutive cycles in
    which every step completed: the evidence for moving a cadence from
    hourly to daily to weekly. A repo discovery skips (checkout missing,
    schedule invalid) or without a cycle since its latest due slot is
    stale, and a stale repo means the criterion is not met. The state
    folder must exist (this command never creates it).

    Example:

    \b
        kaizen-agentic fleet health --roster roster.yaml --check
    """
    from kaizen_agentic.fleet.health import fleet_health

    roster, host_name = load_fleet_roster(roster_file, hub_url, host)
    existing_state(state_dir)
    discovery = discover_scheduled_runs(None, None, at, roster=roster, host=host_name)
    runs = discovery.runs
    health = fleet_health(
        state_dir, sorted({r.repo for r in runs}), skipped=discovery.skipped, runs=runs, now=at
    )

    def human() -> None:
        if health.repos:
            click.echo(
                table(
                    ["REPO", "CONSECUTIVE OK", "CRITERION", "LAST CYCLE", "LAST OK", "STEPS_S"],
                    [
                        [
                            r.repo,
                            r.consecutive_successes,
                            "stale" if r.stale else "met" if r.meets_criterion else "not yet",
                            r.recent[0]["at"] if r.recent else None,
                            ("yes" if r.recent[0]["ok"] else "no") if r.recent else None,
                            r.recent[0]["duration_s"] if r.recent else None,
                        ]
                        for r in health.repos
                    ],
                )
            )
        verdict = "met" if health.criterion_met else "not met"
        click.echo(
            f"\nBootstrap exit criterion (3 consecutive successful cycles on every "
            f"active repo): {verdict}"
        )
        for reason in health.reasons:
            click.echo(f"  - {reason}")

    emit(health.to_dict(), as_json=as_json, human=human)
    if check and not health.criterion_met:
        raise click.exceptions.Exit(1)


fleet_group.add_command(temporal_group)
fleet_group.add_command(tasks_group)
