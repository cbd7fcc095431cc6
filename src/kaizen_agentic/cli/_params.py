"""Parameter callbacks shared by commands."""

from __future__ import annotations

from typing import Any

import click

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
