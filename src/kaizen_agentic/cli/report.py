"""``kaizen-agentic report``: one self-contained HTML page of a repo or a fleet (§13)."""

from __future__ import annotations

from pathlib import Path

import click

from kaizen_agentic.cli._fleet_options import state_option
from kaizen_agentic.cli._output import target_option
from kaizen_agentic.cli._params import check_agent_name, host_or_this

DEFAULT_OUT = "kaizen-report.html"


@click.command("report")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="HTML file to write (replaced if it exists).",
)
@click.option(
    "--agent",
    "agents",
    multiple=True,
    callback=check_agent_name,
    help="Only this agent; repeat for several (default: every agent with runs).",
)
@click.option(
    "--roster",
    "roster_file",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Report on every active repo of this roster and add the fleet health grid.",
)
@click.option(
    "--host",
    metavar="NAME",
    help="With --roster: whose checkouts to read. [default: this machine]",
)
@state_option
@target_option
def report_command(
    out: Path,
    agents: tuple[str, ...],
    roster_file: Path | None,
    host: str | None,
    state_dir: Path,
    target: Path,
) -> None:
    """Write one HTML page of the agents' evidence that opens offline.

    Per agent: windows with their verdicts, quality and success over time
    with the trend and its uncertainty, each prompt edit with its comparison
    verdict, the recommendations, cost and tokens per version, captured and
    manual runs. With --roster and --host, also the fleet's health grid:
    repos by recent cycles (done, failed, skipped, stale), the bootstrap exit
    criterion and the agents that need attention. The page makes no network
    request and runs no script. Needs the report extra (matplotlib).

    Example:

    \b
        kaizen-agentic report --out report.html
        kaizen-agentic report --roster roster.yaml --host build-01 --state .kaizen-fleet
    """
    from kaizen_agentic.report import write_report

    written = write_report(
        out,
        target=target,
        agents=agents,
        roster=roster_file,
        host=host_or_this(host) if roster_file else None,
        state_dir=state_dir,
    )
    what = "fleet report" if written.fleet else "report"
    click.echo(
        f"Wrote the {what} of {written.agents} agent(s) to {written.path} "
        f"({written.bytes / 1024:.0f} KB); open it in a browser."
    )
