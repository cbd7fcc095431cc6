"""Options and helpers shared by the fleet command modules."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timezone
from pathlib import Path

import click

from kaizen_agentic.cli._output import F, style
from kaizen_agentic.fleet import Roster, open_roster
from kaizen_agentic.fleet.state import DEFAULT_STATE_DIR


def parse_at(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO-8601 time; use e.g. 2026-03-30T08:00:00Z",
            ctx=ctx,
            param=param,
        ) from None
    # Repos of one fleet span time zones: a bare time can only mean UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def roster_options(func: F) -> F:
    """--roster, --hub-url and --host, shared by every fleet command."""
    func = click.option(
        "--host",
        metavar="NAME",
        help="Host whose checkouts are used (the roster's host_paths key). [default: this machine]",
    )(func)
    func = click.option(
        "--hub-url",
        metavar="URL",
        help="Read the roster from this State Hub instead. [default: $KAIZEN_HUB_URL]",
    )(func)
    return click.option(
        "--roster",
        "roster_file",
        metavar="FILE",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Roster file. [default: $KAIZEN_ROSTER]",
    )(func)


def state_option(func: F) -> F:
    return click.option(
        "--state",
        "state_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=str(DEFAULT_STATE_DIR),
        show_default=True,
        help="Operator state: tasks, bundles and the loop's SQLite database.",
    )(func)


def load_fleet_roster(
    roster_file: Path | None, hub_url: str | None, host: str | None, domain: str | None = None
) -> tuple[Roster, str]:
    roster = open_roster(
        roster_file, hub_url, environ=os.environ, domain=domain, only_scheduled=True
    )
    return roster, host or socket.gethostname()


def warn(message: str) -> None:
    click.echo(f"{style('warning', fg='yellow')}: {message}", err=True)
