"""``kaizen-agentic demo``: the guided tour behind ``make demo``."""

from __future__ import annotations

import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kaizen_agentic.cli._output import evidence_text, style

if TYPE_CHECKING:
    from kaizen_agentic.demo import DemoReport


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

    discover → six weekly cycles (optimize, prepare, tasks) → open
    recommendations → the ledger (a recommendation addressed by a prompt edit
    and verified) → version comparison → the coach targeting the declining
    agent → health, then what to look at next.

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
    _heading(
        f"2. Run the loop: {len(report.cycles)} weekly cycles, {report.cycles[0][:10]} to "
        f"{report.cycles[-1][:10]}; the last one:"
    )
    for outcome in report.outcomes:
        steps = ", ".join(s["step"] for s in outcome["steps"])
        click.echo(f"  {outcome['status']:<6} {outcome['repo']}/{outcome['agent']} ({steps})")
    _heading("3. Open recommendations (metrics optimize, on each agent's current prompt version)")
    for name, recs in report.recommendations.items():
        trend = report.trends[name]
        click.echo(f"  {name}: quality trend {trend}, {len(recs)} open recommendations")
        for rec in recs:
            click.echo(f"    [{rec['severity']}] {rec['rule']}: {evidence_text(rec['evidence'])}")
    _heading("4. The ledger: what became of each recommendation (metrics recommendations)")
    for name, entries in report.ledger.items():
        for entry in entries:
            moved = f" → {str(entry['candidate'])[:12]}" if entry["candidate"] else ""
            click.echo(
                f"  {name}: {entry['state']:<9} [{entry['severity']}] {entry['rule']} raised "
                f"{entry['raised_at'][:10]} on {str(entry['raised_on'])[:12]}{moved} "
                f"(since {entry['history'][-1]['at'][:10]})"
            )
    _heading("5. Did the prompt edit help? (metrics compare payments-api/tdd-workflow)")
    click.echo(f"  {report.comparison['summary']}")
    coach = report.coach
    _heading(f"6. The coach's next task: {coach['title']}")
    click.echo(f"  target {coach['target_agent']}: {coach['target_reason']}")
    click.echo(f"  bundle {coach['bundle_path']}")
    _heading("7. Loop health")
    criterion = report.health["bootstrap_exit_criterion"]
    for repo in report.health["repos"]:
        click.echo(
            f"  {repo['repo']}: {repo['consecutive_successes']} consecutive successful cycle(s)"
        )
    click.echo(
        f"  bootstrap exit criterion: {'met' if criterion['met'] else 'not met yet'} "
        "(needs 3 consecutive cycles per repo)"
    )
    _look_at_next(report)
    click.echo(f"\nDone in {time.perf_counter() - started:.1f}s.")


def _look_at_next(report: DemoReport) -> None:
    exe = _executable()
    _heading("Look at next")
    if exe != "kaizen-agentic":
        click.echo(f"  (paste as they are, or first run: . {Path(exe).parent}/activate)")
    web = report.directory / "repos" / "web-frontend"
    payments = report.directory / "repos" / "payments-api"
    fleet = f"--roster {_q(report.roster)} --host demo-host --state {_q(report.state)}"
    lines = [
        ("the declining agent", f"{exe} metrics show code-reviewer -t {_q(web)}"),
        ("the coach's bundle", f"{exe} schedule prepare coach -t {_q(web)}"),
        ("the ledger", f"{exe} metrics recommendations -t {_q(payments)}"),
        ("the verified edit", f"{exe} metrics compare tdd-workflow -t {_q(payments)}"),
        ("the tasks", f"{exe} fleet tasks --state {_q(report.state)}"),
        ("fleet health", f"{exe} fleet health {fleet}"),
    ]
    for label, command in lines:
        click.echo(f"  - {label + ':':<21}{command}")
    if report.report is not None:
        click.echo(f"  - {'the HTML report:':<21}{report.report}")
    else:
        click.echo(f"  - {'the HTML report:':<21}not written ({report.report_problem})")


def _executable() -> str:
    """How to call this kaizen-agentic from the current folder, as pasted into a shell."""
    found = Path(sys.executable).parent / "kaizen-agentic"
    if not found.is_file():
        return "kaizen-agentic"
    if shutil.which("kaizen-agentic") == str(found):
        return "kaizen-agentic"  # already on PATH: the environment is active
    try:
        return "./" + str(found.relative_to(Path.cwd()))
    except ValueError:
        return _q(found)


def _q(path: Path) -> str:
    return shlex.quote(str(path))


def _heading(text: str) -> None:
    click.echo("\n" + style(text, bold=True))
