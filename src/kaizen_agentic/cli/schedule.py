"""Schedule commands: init, validate, list (SPEC §6)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from kaizen_agentic._fs import atomic_write_text
from kaizen_agentic.cli._output import emit, json_option, style, table, target_option
from kaizen_agentic.cli._params import at_option, check_agent_name
from kaizen_agentic.schedule import (
    DEFAULT_TIMEZONE,
    ScheduleError,
    ScheduleListing,
    check_repo_schedule,
    default_schedule_yaml,
    list_schedule,
    resolve_timezone,
    schedule_path,
)


def _check_timezone(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        resolve_timezone(value)
    except ScheduleError as error:
        raise click.BadParameter(error.message, ctx=ctx, param=param) from None
    return value


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

    tdd-workflow is listed too, monthly and disabled (see schedule list --all).

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
    atomic_write_text(path, default_schedule_yaml(zone_name), root=target)
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
    report = check_repo_schedule(target)

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
@at_option(
    "Compute next runs after this ISO-8601 time instead of now "
    "(a time without offset is read in the schedule's time zone).",
    bare_is_utc=False,
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
    listing = list_schedule(target, include_disabled=show_all, after=at)
    emit(listing.to_dict(), as_json=as_json, human=lambda: _print_listing(listing, show_all))


def _print_listing(listing: ScheduleListing, show_all: bool) -> None:
    if not listing.agents:
        hint = "" if show_all else " (use --all to include disabled ones)"
        click.echo(f"No enabled agents in {listing.path}{hint}")
        return
    click.echo(
        table(
            ["AGENT", "CADENCE", "CRON", "ENABLED", f"NEXT RUN ({listing.timezone})"],
            [
                [
                    a.entry.agent,
                    a.entry.cadence,
                    a.entry.cron,
                    "yes" if a.entry.enabled else "no",
                    a.next_run.isoformat() if a.next_run is not None else None,
                ]
                for a in listing.agents
            ],
        )
    )


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
@click.option(
    "--for",
    "for_agent",
    metavar="AGENT",
    callback=check_agent_name,
    help="coach/optimization: the agent to work on. [default: the one most in need]",
)
@target_option
@json_option
def prepare_command(
    agent: str, fmt: str, emit: bool, for_agent: str | None, target: Path, as_json: bool
) -> None:
    """Print the orientation bundle a scheduled run of AGENT starts from.

    Built offline from local files: the agent prompt, project memory, the
    performance summary, open recommendations, the recommendation ledger,
    SCOPE.md/TODO.md pointers and the session-close commands (shell-quoted).
    JSON mode (--format json, or --json) prints only the JSON document.

    The meta agents coach and optimization work on a target: the agent given
    with --for, else the one that most needs attention (a regressed
    comparison, then the most severe open recommendation, then a declining
    trend, then the widest miss of its own target; ties: most runs). Their
    bundle carries the target's prompt, Performance Summary, ledger, latest
    comparison and feedback, and one digest line per other agent (JSON:
    target, target_reason, digest). With no agent in need it says why.

    Example:

    \b
        kaizen-agentic schedule prepare coach
        kaizen-agentic schedule prepare coach --for code-reviewer
        kaizen-agentic schedule prepare coach --json | python -m json.tool
    """
    from kaizen_agentic.orient.bundle import (
        build_bundle,
        render_bundle_json,
        render_bundle_markdown,
    )

    if as_json:
        fmt = "json"
    bundle = build_bundle(target, agent, target=for_agent)
    text = render_bundle_json(bundle) if fmt == "json" else render_bundle_markdown(bundle)
    click.echo(text)
    if emit:
        from kaizen_agentic.orient.bundle import emit_prepared

        emit_prepared(target, bundle, fmt=fmt, size=len(text.encode("utf-8")))
