"""Timestamps, one way for every part: ISO-8601 UTC with a ``Z`` suffix (SPEC §1).

Parsing accepts any ISO-8601 form Python reads (naive values are UTC) and
refuses a time that has no UTC equivalent (``0001-01-01T00:00:00+01:00``,
``9999-12-31T23:59:59-05:00``) with ValueError, so callers never meet the
OverflowError that would surface later.
"""

from __future__ import annotations

from datetime import datetime, timezone

STORED_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def format_timestamp(moment: datetime) -> str:
    """ISO-8601 UTC with a ``Z`` suffix, to the second."""
    return moment.astimezone(timezone.utc).strftime(STORED_FORMAT)


def parse_timestamp(text: str) -> datetime:
    """Read an ISO-8601 timestamp as an aware UTC datetime; ValueError when it is not one."""
    if not isinstance(text, str):
        raise ValueError(f"not a timestamp: {text!r}")
    moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"{text!r} is outside the years 1-9999 in UTC") from None


def normalise_timestamp(value: str) -> str:
    """Any valid ISO-8601 time as the stored form ``YYYY-MM-DDTHH:MM:SSZ`` (UTC)."""
    return format_timestamp(parse_timestamp(value))
