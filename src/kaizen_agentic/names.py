"""The naming rule for anything that becomes part of a path (SPEC §1).

Agent names, protocol slugs and roster slugs all pass through
:func:`validate_name` before a single path is built from them, so ``..``, ``/``
or a space can never reach the file system.
"""

from __future__ import annotations

import re

from kaizen_agentic.errors import InvalidNameError

NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def is_valid_name(name: str) -> bool:
    """Whether *name* matches ``^[a-z0-9][a-z0-9-]{0,63}$``."""
    return NAME_PATTERN.fullmatch(name) is not None


def validate_name(name: str, *, kind: str = "agent name") -> str:
    """Return *name* unchanged, or raise :class:`InvalidNameError` explaining the rule."""
    if not isinstance(name, str) or not is_valid_name(name):
        shown = repr(name) if isinstance(name, str) else type(name).__name__
        raise InvalidNameError(
            f"invalid {kind} {shown}: use 1-64 characters of lower-case letters, digits "
            "and '-', starting with a letter or digit"
        )
    return name
