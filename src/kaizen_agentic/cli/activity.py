"""``kaizen-agentic activity render``: ActivityDefinitions for activity-core (SPEC §7)."""

from __future__ import annotations

from pathlib import Path

import click

from kaizen_agentic.fleet.activity import CADENCES, render_activities


@click.group("activity")
def activity_group() -> None:
    """Export the loop as activity-core ActivityDefinitions.

    Example:

    \b
        kaizen-agentic activity render --cadence hourly --out activities/
    """


@activity_group.command("render")
@click.option(
    "--cadence",
    type=click.Choice(CADENCES),
    default="weekly",
    show_default=True,
    help="hourly (bootstrap, staggered :00/:15/:30), daily or weekly.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the definitions into.",
)
@click.option(
    "--timezone", "zone", default="UTC", show_default=True, help="IANA time zone of the triggers."
)
@click.option("--domain", help="Only repos of this domain (resolver parameter).")
@click.option(
    "--force", is_flag=True, help="Overwrite definitions edited since they were rendered."
)
def render_command(cadence: str, out: Path, zone: str, domain: str | None, force: bool) -> None:
    """Write the metrics-optimize, coach-orientation and optimization-review definitions.

    They are written with enabled: false, for an operator to review. A
    definition edited since it was rendered (e.g. enabled: true set by hand)
    is kept: nothing is written (exit 1) unless --force.

    Example:

    \b
        kaizen-agentic activity render --cadence daily --out activities/ --timezone Europe/Berlin
    """
    from kaizen_agentic.schedule import timezone_problem

    problem = timezone_problem(zone)
    if problem:
        raise click.BadParameter(problem, param_hint="--timezone")
    for path in render_activities(out, cadence, timezone=zone, domain=domain, force=force):
        click.echo(f"wrote {path}")
