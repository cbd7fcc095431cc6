"""Options and helpers shared by the fleet command modules."""

from __future__ import annotations

import os
from pathlib import Path

import click

from kaizen_agentic.cli._output import F, style
from kaizen_agentic.cli._params import host_or_this
from kaizen_agentic.errors import KaizenError
from kaizen_agentic.fleet import Roster, open_roster
from kaizen_agentic.fleet.state import DEFAULT_STATE_DIR


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
    return roster, roster.require_host(host_or_this(host))


def existing_state(state_dir: Path) -> Path:
    """*state_dir* for a command that only reads it: it must exist (it is never created)."""
    if not (state_dir / "state.sqlite").is_file():
        raise KaizenError(
            f"no fleet state in {state_dir}: pass the --state folder that fleet run or fleet "
            "serve writes to (nothing is created by this command)"
        )
    return state_dir


def warn(message: str) -> None:
    click.echo(f"{style('warning', fg='yellow')}: {message}", err=True)
