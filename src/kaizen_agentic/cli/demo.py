"""``kaizen-agentic demo``: the guided tour behind ``make demo``."""

from __future__ import annotations

import time
from pathlib import Path

import click

from kaizen_agentic.cli._output import evidence_text, style


@click.command("demo")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default="demo",
    show_default=True,
    help="Folder to build the demo fleet in (an earlier demo there is replaced).",
)
def demo_command(directory: Path) -> None:
    """Generate a 3-repo fleet with 60 days of history and run the whole loop on it.

    discover → run (optimize, prepare, tasks) → recommendations → version
    comparison → health, then what to look at next.

    Example:

    \b
        kaizen-agentic demo --dir /tmp/kaizen-demo
    """
    from kaizen_agentic.demo import run_demo

    started = time.perf_counter()
    click.echo(
        "Building a demo fleet: 3 repos, 60 days of agent runs, captured from generated "
        "Claude Code transcripts (capture import) ..."
    )
    report = run_demo(directory)
    _heading(
        f"1. Discover: {report.scheduled_runs} scheduled runs in 3 repos (roster {report.roster})"
    )
    _heading(f"2. Run the weekly slot of {report.at:%Y-%m-%d %H:%M} UTC")
    for outcome in report.outcomes:
        steps = ", ".join(s["step"] for s in outcome["steps"])
        click.echo(f"  {outcome['status']:<6} {outcome['repo']}/{outcome['agent']} ({steps})")
    _heading("3. Recommendations (from metrics optimize)")
    for name, recs in report.recommendations.items():
        trend = report.trends[name]
        click.echo(f"  {name}: quality trend {trend}, {len(recs)} recommendations")
        for rec in recs:
            click.echo(f"    [{rec['severity']}] {rec['rule']}: {evidence_text(rec['evidence'])}")
    declining = [n for n, t in report.trends.items() if t == "down"]
    _heading("4. Did the prompt edit help? (metrics compare payments-api/tdd-workflow)")
    click.echo(f"  {report.comparison['summary']}")
    _heading("5. Loop health")
    criterion = report.health["bootstrap_exit_criterion"]
    for repo in report.health["repos"]:
        click.echo(
            f"  {repo['repo']}: {repo['consecutive_successes']} consecutive successful cycle(s)"
        )
    click.echo(
        f"  bootstrap exit criterion: {'met' if criterion['met'] else 'not met yet'} "
        "(needs 3 consecutive cycles per repo)"
    )
    _heading("Look at next")
    fleet = f"--roster {report.roster} --host demo-host --state {report.state}"
    if declining:
        repo, agent = declining[0].split("/")
        root = report.directory / "repos" / repo
        click.echo(f"  - the declining agent: kaizen-agentic metrics show {agent} -t {root}")
        click.echo(f"  - its brief:           kaizen-agentic memory brief {agent} -t {root}")
    click.echo(f"  - a prepared task:     ls {report.state / 'tasks'}")
    click.echo(f"  - fleet health:        kaizen-agentic fleet health {fleet}")
    if report.report is not None:
        click.echo(f"  - the HTML report:     {report.report}")
    else:
        click.echo(f"  - the HTML report:     not written ({report.report_problem})")
    click.echo(f"\nDone in {time.perf_counter() - started:.1f}s.")


def _heading(text: str) -> None:
    click.echo("\n" + style(text, bold=True))
