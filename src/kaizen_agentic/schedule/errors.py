"""The schedule's error types and how a problem line shows the value it is about."""

from __future__ import annotations

from typing import Any

from kaizen_agentic.errors import ProblemsError


class ScheduleError(ProblemsError):
    """A schedule file that cannot be read or used; ``problems`` lists each issue."""


class ScheduleNotFoundError(ScheduleError):
    """The repo has no ``.kaizen/schedule.yml``."""


def brief(value: Any) -> str:
    """*value*'s repr, cut to 60 characters so a problem stays one readable line."""
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def one_line(exc: BaseException) -> str:
    """A library's exception message on one line (they may span several)."""
    return " ".join(str(exc).split()) or type(exc).__name__


__all__ = ["ScheduleError", "ScheduleNotFoundError", "brief", "one_line"]
