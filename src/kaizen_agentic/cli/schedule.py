"""Schedule commands: init, validate, list (SPEC §6)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from kaizen_agentic._fs import atomic_write_text
from kaizen_agentic.agents import AgentRegistry
from kaizen_agentic.cli._output import emit, json_option, style, table, target_option
from kaizen_agentic.cli._params import check_agent_name
from kaizen_agentic.schedule import (
    DEFAULT_TIMEZONE,
    ScheduleError,
    ScheduleReport,
    check_schedule,
    default_schedule_yaml,
    next_run,
    resolve_timezone,
    schedule_path,
)


def _check_timezone(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        resolve_timezone(value)
    except ScheduleError as error:
        raise click.BadParameter(error.message, ctx=ctx, param=param) from None
    return value


def _parse_at(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO-8601 time; use e.g. 2026-03-30T08:00:00+02:00",
            ctx=ctx,
            param=param,
        ) from None


def _report(target: Path) -> ScheduleReport:
    """Load and validate the project's schedule against the agents the registry knows."""
    return check_schedule(schedule_path(target), AgentRegistry(target).all_names())


@click.group("schedule")
def schedule_group() -> None:
    """Opt this repo into scheduled agent runs: .kaizen/schedule.yml.

    Example:

    \b
        kaizen-agentic schedule init --timezone Europe/Berlin
        kaizen-agentic schedule list
    """


@schedule_group.command("init")
@click.option(
    "--timezone",
    "zone_name",
    default=DEFAULT_TIMEZONE,
    show_default=True,
    callback=_check_timezone,
    help="IANA time zone the cron times are read in.",
)
@click.option("--force", is_flag=True, help="Replace an existing schedule.")
@target_option
def init_command(zone_name: str, force: bool, target: Path) -> None:
    """Create .kaizen/schedule.yml: weekly coach and optimization runs.

    An existing schedule is left alone (exit 0) unless --force.

    Example:

    \b
        kaizen-agentic schedule init --timezone Europe/Berlin
    """
    path = schedule_path(target)
    existed = path.exists()
    if existed and not force:
        click.echo(f"Schedule already exists: {path} (use --force to overwrite)")
        return
    atomic_write_text(path, default_schedule_yaml(zone_name))
    click.echo(f"{'Replaced' if existed else 'Created'} schedule: {path}")


@schedule_group.command("validate")
@target_option
@json_option
def validate_command(target: Path, as_json: bool) -> None:
    """Check .kaizen/schedule.yml: one line per problem, exit 1 on any.

    Unknown keys are printed as warnings and do not fail the check. A missing
    file fails with the hint to run `schedule init`.

    Example:

    \b
        kaizen-agentic schedule validate --target ../my-repo
    """
    report = _report(target)

    def human() -> None:
        for problem in report.problems:
            click.echo(problem)
        for warning in report.warnings:
            click.echo(f"{style('warning', fg='yellow')}: {warning}")
        if report.problems:
            count = len(report.problems)
            click.echo(f"{count} problem{'s' if count != 1 else ''} in {report.path}")
        else:
            assert report.schedule is not None
            agents = len(report.schedule.agents)
            enabled = len(report.schedule.enabled_entries())
            click.echo(
                f"Schedule is valid: {report.path} "
                f"({agents} agent{'s' if agents != 1 else ''}, {enabled} enabled)"
            )

    emit(report.to_dict(), as_json=as_json, human=human)
    if report.problems:
        raise click.exceptions.Exit(1)


@schedule_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include disabled agents.")
@click.option(
    "--at",
    "at",
    metavar="TIME",
    callback=_parse_at,
    help="Compute next runs after this ISO-8601 time instead of now "
    "(a time without offset is read in the schedule's time zone).",
)
@target_option
@json_option
def list_command(show_all: bool, at: datetime | None, target: Path, as_json: bool) -> None:
    """List scheduled agents and their next run time.

    Shows cadence, cron and the next run in the schedule's time zone (ISO-8601
    with offset). Only enabled agents unless --all; a disabled agent has no
    next run. The schedule must be valid (see `schedule validate`).

    Example:

    \b
        kaizen-agentic schedule list --all --json
    """
    report = _report(target)
    if report.schedule is None or report.problems:
        raise ScheduleError(
            f"{report.path} has {len(report.problems)} problem(s), the first: "
            f"{report.problems[0]}; run: kaizen-agentic schedule validate"
        )
    schedule = report.schedule
    zone = schedule.zone
    if at is None:
        after = datetime.now(timezone.utc)
    else:
        after = at if at.tzinfo is not None else at.replace(tzinfo=zone)
    entries = schedule.agents.values() if show_all else schedule.enabled_entries()
    rows: list[dict[str, Any]] = [
        {
            **entry.to_dict(),
            "next_run": next_run(entry, after, zone).isoformat() if entry.enabled else None,
        }
        for entry in entries
    ]
    document = {"path": str(report.path), "timezone": schedule.timezone, "agents": rows}

    def human() -> None:
        if not rows:
            hint = "" if show_all else " (use --all to include disabled ones)"
            click.echo(f"No enabled agents in {report.path}{hint}")
            return
        click.echo(
            table(
                ["AGENT", "CADENCE", "CRON", "ENABLED", f"NEXT RUN ({schedule.timezone})"],
                [
                    [
                        r["agent"],
                        r["cadence"],
                        r["cron"],
                        "yes" if r["enabled"] else "no",
                        r["next_run"],
                    ]
                    for r in rows
                ],
            )
        )

    emit(document, as_json=as_json, human=human)


@schedule_group.command("prepare")
@click.argument("agent", callback=check_agent_name)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
    help="markdown for people and agents, json for tools.",
)
@click.option(
    "--emit", is_flag=True, help="Also write a kaizen.schedule.prepared event to the outbox."
)
@target_option
def prepare_command(agent: str, fmt: str, emit: bool, target: Path) -> None:
    """Print the orientation bundle a scheduled run of AGENT starts from.

    Built offline from local files: the agent prompt, project memory, the
    performance summary, open recommendations, SCOPE.md/TODO.md pointers and
    the session-close commands. JSON mode prints only the JSON document.

    Example:

    \b
        kaizen-agentic schedule prepare coach
        kaizen-agentic schedule prepare coach --format json | python -m json.tool
    """
    from kaizen_agentic.orient.bundle import (
        build_bundle,
        render_bundle_json,
        render_bundle_markdown,
    )

    bundle = build_bundle(target, agent)
    text = render_bundle_json(bundle) if fmt == "json" else render_bundle_markdown(bundle)
    click.echo(text)
    if emit:
        from kaizen_agentic.orient.bundle import emit_prepared

        emit_prepared(target, bundle, fmt=fmt, size=len(text.encode("utf-8")))
