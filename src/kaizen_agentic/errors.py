"""The one error family for expected failures.

Every failure a user can cause or fix raises a :class:`KaizenError` whose
message is one sentence naming the thing and the fix. The CLI turns it into
that sentence on stderr and the error's ``exit_code``; nothing else is shown.
"""

from __future__ import annotations

from collections.abc import Iterable


class KaizenError(Exception):
    """An expected failure: a check or an operation that did not succeed (exit 1)."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ProblemsError(KaizenError):
    """A file that failed its checks; ``problems`` lists each one, one line each."""

    def __init__(self, message: str, problems: Iterable[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems) if problems is not None else [message]


class InvalidInputError(KaizenError):
    """The caller gave something unusable: a bad name, record or option (exit 2)."""

    exit_code = 2


class InvalidNameError(InvalidInputError):
    """A name that would be used to build a path breaks the naming rule."""


class AgentNotFoundError(InvalidInputError):
    """A well-formed agent name that no registry source knows."""


class TemplateError(KaizenError):
    """An agent file that cannot be parsed as frontmatter plus body."""


class MalformedLineWarning(UserWarning):
    """A line of a JSON-lines file that is not a JSON object (e.g. torn by a crash)."""


class BoundaryError(KaizenError):
    """A repo path that leaves the project folder, or is not a regular file (SPEC §1)."""


class FileSystemError(KaizenError):
    """A file operation the system refused; ``os_errno`` keeps its errno for retry decisions."""

    def __init__(self, message: str, os_errno: int | None = None) -> None:
        super().__init__(message)
        self.os_errno = os_errno
