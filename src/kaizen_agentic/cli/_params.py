"""Parameter types and callbacks shared by commands."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kaizen_agentic.cli._output import F
from kaizen_agentic.errors import InvalidNameError
from kaizen_agentic.names import validate_name


def _checker(kind: str) -> Any:
    """A click callback applying the one core naming rule to a value or a tuple of them."""

    def check(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        try:
            if isinstance(value, tuple):
                return tuple(validate_name(v, kind=kind) for v in value)
            return value if value is None else validate_name(value, kind=kind)
        except InvalidNameError as error:
            raise click.BadParameter(error.message, ctx=ctx, param=param) from None

    return check


check_agent_name = _checker("agent name")
check_slug = _checker("slug")


# click >= 8.2 types ParamType by what it converts to; 8.1 (still supported)
# cannot subscript it at run time.
if TYPE_CHECKING:
    _TimeParam = click.ParamType[datetime]
else:
    _TimeParam = click.ParamType


class IsoTime(_TimeParam):
    """An ISO-8601 time, ``Z`` accepted for UTC.

    A time without offset becomes UTC when *bare_is_utc*; otherwise it stays
    naive, for a core function that knows the zone to read it in.
    """

    name = "time"

    def __init__(self, *, bare_is_utc: bool = True) -> None:
        self.bare_is_utc = bare_is_utc

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.fail(
                f"{value!r} is not an ISO-8601 time; use e.g. 2026-03-30T08:00:00Z", param, ctx
            )
        if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            # schedules step back and forth by days from this time: near year 1
            # or 9999 that leaves the calendar Python can represent
            self.fail(
                f"{value!r} is outside the years {EARLIEST_YEAR}-{LATEST_YEAR}; "
                "use a time such as 2026-03-30T08:00:00Z",
                param,
                ctx,
            )
        if moment.tzinfo is None and self.bare_is_utc:
            return moment.replace(tzinfo=timezone.utc)
        return moment


EARLIEST_YEAR, LATEST_YEAR = 1970, 9000


def at_option(help: str, *, bare_is_utc: bool = True) -> Callable[[F], F]:
    """``--at TIME``: the moment a command acts as if it were (default: now)."""
    return click.option(
        "--at", "at", metavar="TIME", type=IsoTime(bare_is_utc=bare_is_utc), help=help
    )


def roster_options(func: F | None = None, *, hub: bool = True) -> Any:
    """--roster, --hub-url and --host: where the fleet's repos come from and which checkouts.

    ``@roster_options`` on every fleet command; ``@roster_options(hub=False)``
    where only a roster file is read (metrics queries across repos).
    """

    def decorate(command: F) -> F:
        command = click.option(
            "--host",
            metavar="NAME",
            help="Host whose checkouts are used (the roster's host_paths key). "
            "[default: this machine]"
            if hub
            else "With --roster: whose checkouts to read. [default: this machine]",
        )(command)
        if hub:
            command = click.option(
                "--hub-url",
                metavar="URL",
                help="Read the roster from this State Hub instead. [default: $KAIZEN_HUB_URL]",
            )(command)
        return click.option(
            "--roster",
            "roster_file",
            metavar="FILE",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Roster file. [default: $KAIZEN_ROSTER]"
            if hub
            else "Read every active repo of this roster (checkouts on --host).",
        )(command)

    return decorate if func is None else decorate(func)


def host_or_this(host: str | None) -> str:
    """The --host given, else this machine's name."""
    return host or socket.gethostname()
