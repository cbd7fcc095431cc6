"""``kaizen-agentic fleet tasks``: hand tasks to runners, take their results back (SPEC §7)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

import click

from kaizen_agentic.cli._fleet_options import load_fleet_roster, state_option
from kaizen_agentic.cli._output import emit, json_option, table
from kaizen_agentic.cli._params import check_agent_name, host_or_this, roster_options
from kaizen_agentic.fleet.roster import ROSTER_ENV
from kaizen_agentic.fleet.tasks import STATUSES, Task


@click.group("tasks", invoke_without_command=True)
@click.option("--status", type=click.Choice(STATUSES), help="Only tasks in this state.")
@state_option
@json_option
@click.pass_context
def tasks_group(ctx: click.Context, status: str | None, state_dir: Path, as_json: bool) -> None:
    """List the tasks the loop wrote, and hand them to runners.

    Each task is open until a runner claims it (claim), then done or failed.
    See docs/runner.md for a complete runner loop around `claude -p`.

    Example:

    \b
        kaizen-agentic fleet tasks --status open --state /var/lib/kaizen
        kaizen-agentic fleet tasks claim --host build-01 --json
        claude -p "$prompt" --output-format json > result.json
        kaizen-agentic fleet tasks done web-frontend/coach-20261130T092000Z --result result.json
    """
    if ctx.invoked_subcommand is not None:
        return
    from kaizen_agentic.fleet.tasks import list_tasks

    tasks = list_tasks(state_dir, status)

    def human() -> None:
        if not tasks:
            click.echo("No tasks" + (f" {status}." if status else " yet."))
            return
        click.echo(
            table(
                ["ID", "STATUS", "TITLE", "CLAIMED BY", "RECORD"],
                [
                    [t.id, t.status, t.document.get("title"), t.claimed_by, t.record_id]
                    for t in tasks
                ],
            )
        )

    emit({"tasks": [t.to_dict() for t in tasks]}, as_json=as_json, human=human)


@tasks_group.command("claim")
@click.option("--agent", callback=check_agent_name, help="Only tasks of this agent.")
@roster_options
@state_option
@json_option
def claim_command(
    agent: str | None,
    roster_file: Path | None,
    hub_url: str | None,
    host: str | None,
    state_dir: Path,
    as_json: bool,
) -> None:
    """Hand out the oldest open task, atomically: two runners never get the same one.

    Prints the task, its bundle path and the prompt to give the coding agent.
    The claim is recorded for --host (default: this machine); with a roster
    (--roster, --hub-url or their environment variables) only tasks of repos
    checked out on that host are handed out. No open task: exit 0, and in
    JSON "task" is null.

    Example:

    \b
        kaizen-agentic fleet tasks claim --host build-01 --state /var/lib/kaizen --json
    """
    from kaizen_agentic.fleet.hub import HUB_ENV
    from kaizen_agentic.fleet.tasks import claim_task

    repos = None
    if roster_file or hub_url or os.environ.get(ROSTER_ENV) or os.environ.get(HUB_ENV):
        roster, host = load_fleet_roster(roster_file, hub_url, host)
        repos = [r.slug for r in roster.repos if r.active and r.path_on(host)]
    task = claim_task(state_dir, host_or_this(host), agent=agent, repos=repos)
    document = {"task": task.to_dict() if task else None, "prompt": task.prompt() if task else None}
    emit(document, as_json=as_json, human=lambda: _print_claim(task))


def _print_claim(task: Task | None) -> None:
    if task is None:
        click.echo("No open task.")
        return
    click.echo(f"claimed {task.id}: {task.document.get('title')}")
    click.echo(f"repo:   {task.root}")
    click.echo(f"bundle: {task.document.get('bundle_path')}")
    click.echo(f"prompt: {task.prompt()}")


@tasks_group.command("done")
@click.argument("task_id", metavar="ID")
@click.option(
    "--result",
    "result_file",
    type=click.File("r", encoding="utf-8"),
    help="The headless run's output (claude -p --output-format json); - reads stdin.",
)
@state_option
@json_option
def done_command(task_id: str, result_file: IO[str] | None, state_dir: Path, as_json: bool) -> None:
    """Mark task ID done; with --result, the run becomes an execution record.

    A headless Claude Code result (json, a --verbose array, or the last
    result line of stream-json) is recorded for the task's agent in the
    task's repo — success, time, cost, tokens and turns — with metadata
    fleet_task and slot linking it to the task. Exactly one record per run:
    the same session reported again is not recorded twice.

    Example:

    \b
        kaizen-agentic fleet tasks done web-frontend/coach-20261130T092000Z --result out.json
        claude -p "$prompt" --output-format json | kaizen-agentic fleet tasks done ID --result -
    """
    from kaizen_agentic.fleet.tasks import complete_task

    text = result_file.read() if result_file is not None else None
    task = complete_task(state_dir, task_id, text)
    emit(
        task.to_dict(),
        as_json=as_json,
        human=lambda: click.echo(
            f"done {task.id}"
            + (f"; recorded run {task.record_id} for {task.agent}" if task.record_id else "")
        ),
    )


@tasks_group.command("fail")
@click.argument("task_id", metavar="ID")
@click.option("--why", required=True, help="What went wrong, in one sentence.")
@state_option
@json_option
def fail_command(task_id: str, why: str, state_dir: Path, as_json: bool) -> None:
    """Mark task ID failed, with the reason.

    Example:

    \b
        kaizen-agentic fleet tasks fail web-frontend/coach-20261130T092000Z --why "timed out"
    """
    from kaizen_agentic.fleet.tasks import fail_task

    task = fail_task(state_dir, task_id, why)
    emit(task.to_dict(), as_json=as_json, human=lambda: click.echo(f"failed {task.id}: {why}"))
