"""``kaizen-agentic capture …``: claude, hook, import, result (SPEC §12)."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import click

from kaizen_agentic.cli._output import emit, json_option, target_option
from kaizen_agentic.cli._params import IsoTime, check_agent_name


@click.group("capture")
def capture_group() -> None:
    """Measure Claude Code runs without anyone typing a number.

    One record per subagent run, with tokens, cost, duration, turns, tools
    and the agent_version of the file Claude Code used. No prompt or
    response text is stored.

    Example:

    \b
        kaizen-agentic capture claude
        kaizen-agentic capture import
    """


@capture_group.command("claude")
@click.option("--status", "show_status", is_flag=True, help="Only say what is installed.")
@click.option("--disable", is_flag=True, help="Remove kaizen's hooks (and only those).")
@target_option
@json_option
def claude_command(show_status: bool, disable: bool, target: Path, as_json: bool) -> None:
    """Merge kaizen's SubagentStop, Stop and SessionEnd hooks into .claude/settings.json.

    Every other hook and setting is kept; running it twice changes nothing.
    Records go to .kaizen/metrics/<agent>/executions.jsonl, problems to
    .kaizen/capture/errors.jsonl.

    Example:

    \b
        kaizen-agentic capture claude
        kaizen-agentic capture claude --status
        kaizen-agentic capture claude --disable
    """
    from kaizen_agentic.capture.service import capture_status, configure_capture

    if show_status and disable:
        from kaizen_agentic.errors import InvalidInputError

        raise InvalidInputError("pass --status or --disable, not both")
    status = (
        capture_status(target) if show_status else configure_capture(target, enable=not disable)
    )

    def human() -> None:
        settings = status.settings
        if status.installed:
            click.echo(f"Capture hooks in {settings}: {', '.join(status.installed)}")
        else:
            click.echo(f"No capture hooks in {settings}.")
        if status.installed and status.missing:
            click.echo(f"Missing: {', '.join(status.missing)} (run: kaizen-agentic capture claude)")
        if not show_status:
            click.echo("Changed the file." if status.changed else "Nothing to change.")
        if status.installed:
            sessions = "on" if status.sessions else "off (capture.sessions in config)"
            click.echo(
                "Records go to .kaizen/metrics/<agent>/executions.jsonl; problems to "
                f".kaizen/capture/errors.jsonl. Main-session records: {sessions}."
            )

    emit(status.to_dict(), as_json=as_json, human=human)


@capture_group.command("hook")
def hook_command() -> None:
    """The command Claude Code runs on SubagentStop, Stop and SessionEnd (reads stdin).

    Always exits 0, so it never blocks Claude Code; a problem is written to
    .kaizen/capture/errors.jsonl and reported in one line on stderr.
    """
    from kaizen_agentic.capture.service import hook_main

    hook_main()


@capture_group.command("import")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--since", type=IsoTime(), help="Only sessions last written at or after this time.")
@click.option("--until", type=IsoTime(), help="Only sessions last written at or before this time.")
@target_option
@json_option
def import_command(
    paths: tuple[Path, ...],
    since: object,
    until: object,
    target: Path,
    as_json: bool,
) -> None:
    """Backfill records from Claude Code transcripts, with the same keys as the hook.

    Default PATH: ~/.claude/projects/<the target's path with every character
    other than a letter or digit replaced by ->, Claude Code's folder for this
    repo ($CLAUDE_CONFIG_DIR replaces ~/.claude). A run already recorded,
    by the hook or an earlier import, is not written again.

    Example:

    \b
        kaizen-agentic capture import
        kaizen-agentic capture import ~/.claude/projects/-home-me-repo --since 2026-01-01
    """
    from datetime import datetime

    from kaizen_agentic.capture.service import import_transcripts

    report = import_transcripts(
        target,
        paths,
        since=since if isinstance(since, datetime) else None,
        until=until if isinstance(until, datetime) else None,
    )

    def human() -> None:
        click.echo(
            f"Read {report.files} transcript file(s): {len(report.written)} run(s) recorded, "
            f"{len(report.updated)} updated, {report.unchanged} already recorded, "
            f"{len(report.skipped)} skipped."
        )
        for problem in report.problems[:10]:
            click.echo(f"warning: {problem}", err=True)

    emit(report.to_dict(), as_json=as_json, human=human)


@capture_group.command("result")
@click.argument("file", required=False, default="-", type=click.File("r", encoding="utf-8"))
@click.option("--agent", required=True, callback=check_agent_name, help="The agent that ran.")
@target_option
def result_command(file: TextIO, agent: str, target: Path) -> None:
    """Record a headless run from `claude -p --output-format json` (or stream-json).

    FILE (default: stdin) holds what claude -p printed; for stream-json the
    last result line counts. Cost is total_cost_usd (cost.source: reported).

    Example:

    \b
        claude -p "fix lint" --output-format json | kaizen-agentic capture result --agent ci-doctor
    """
    from kaizen_agentic.capture.service import record_headless

    written, record = record_headless(target, agent, file.read())
    if written:
        click.echo(f"Recorded {agent} execution {record['record_id']} (headless)")
    else:
        click.echo(f"Skipped: run {record['idempotency_key']!r} is already recorded for {agent}")
