"""``kaizen-agentic demo``: the guided tour behind ``make demo``."""

from __future__ import annotations

from pathlib import Path

import click

from kaizen_agentic.cli._output import style
from kaizen_agentic.demo import run_demo


@click.command("demo")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default="demo",
    show_default=True,
    help="Folder to build the demo in.",
)
def demo_command(directory: Path) -> None:
    """Build a demo project and show the catalog and an install.

    Example:

    \b
        kaizen-agentic demo --dir /tmp/kaizen-demo
    """
    report = run_demo(directory)
    click.echo(style(f"Catalog: {len(report.catalog)} agents", bold=True))
    click.echo("  " + ", ".join(report.catalog))
    click.echo(style(f"\nInstalling into {report.directory / 'repo'}:", bold=True))
    for outcome in report.installed:
        click.echo(f"  {outcome.status:<10} {outcome.agent} -> {outcome.path}")
    click.echo("\nNext: kaizen-agentic info coach --target " + str(report.directory / "repo"))
