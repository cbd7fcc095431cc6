"""A 5-field cron expression as a value, and the time zones it fires in (SPEC §6).

A :class:`Cron` is parsed and checked once, at construction; walking it (the
hot path of discovery and of the schedulers) needs no checks.

Only 5-field crons are accepted, because cron libraries disagree on what a
sixth field means (croniter reads it as seconds, others as years); random
and hashed values (``R``, ``H``) are refused because they do not give the
same slot on every backend.

**Time zones and DST.** Cron fields are wall-clock times in the schedule's
time zone. Fire times are computed on naive local wall-clock times and then
placed in the zone, which is what Temporal schedules do:

- a wall time that does not exist (spring forward: 02:30 on 2026-03-29 in
  Europe/Berlin) is **skipped** — that day has no 02:30 run;
- a wall time that happens twice (fall back: 02:30 on 2026-10-25 in
  Europe/Berlin) fires **once**, at the second occurrence (``fold=1``, the
  offset after the change: 02:30+01:00).

croniter is not used with aware datetimes on purpose: given an aware start it
moves a skipped 02:30 to 03:00 and fires a repeated 02:30 twice.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kaizen_agentic.schedule.errors import ScheduleError, brief, one_line

if TYPE_CHECKING:
    from croniter import croniter

CRON_FIELDS_HINT = "use 5 fields: minute hour day month weekday"
# IANA keys are short relative paths of these characters; checking first keeps
# odd strings ("..", absolute paths, NUL) away from the file system lookup.
_ZONE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*")
_RANDOM_TOKEN = re.compile(r"(^|[^a-z])[hr]([^a-z]|$)")
# A run of wall-clock slots that never exists (all inside DST gaps) this long
# means the expression can never fire in this zone.
_MAX_SKIPPED_SLOTS = 10_000


class HasCron(Protocol):
    """Anything that names its cron expression, such as a :class:`ScheduleEntry`."""

    @property
    def cron(self) -> str: ...


class Cron:
    """A usable 5-field cron expression; :class:`ScheduleError` at construction otherwise.

    Immutable and safe to share between threads: every walk works on its own
    copy of the parsed expression.
    """

    __slots__ = ("_parsed", "expression")

    expression: str
    _parsed: croniter

    def __init__(self, expression: str) -> None:
        parsed = _parse(expression)
        if isinstance(parsed, str):
            raise ScheduleError(f"cron {parsed}")
        object.__setattr__(self, "expression", expression)
        object.__setattr__(self, "_parsed", parsed)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Cron is immutable; cannot set {name}")

    def __repr__(self) -> str:
        return f"Cron({self.expression!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cron) and other.expression == self.expression

    def __hash__(self) -> int:
        return hash(self.expression)

    def after(self, moment: datetime, zone: tzinfo) -> Iterator[datetime]:
        """Fire times strictly after *moment* (timezone-aware), oldest first, in *zone*."""
        after_utc = _as_utc(moment, "after")
        walker = copy.copy(self._parsed)
        walker.set_current(_wall_start(after_utc, zone), force=True)
        skipped = 0
        while True:
            try:
                wall = walker.get_next(datetime)
            except Exception as exc:
                raise ScheduleError(
                    f"cron {self.expression!r} has no further dates: {one_line(exc)}"
                ) from None
            instant = _place(wall, zone)
            if instant is None:
                skipped += 1
                if skipped > _MAX_SKIPPED_SLOTS:
                    raise ScheduleError(
                        f"cron {self.expression!r} never falls on an existing time in {zone}"
                    )
                continue
            skipped = 0
            if instant.astimezone(timezone.utc) > after_utc:
                yield instant

    def next_after(self, moment: datetime, zone: tzinfo) -> datetime:
        """The first fire time strictly after *moment*, in *zone*."""
        return next(self.after(moment, zone))

    def between(
        self, zone: tzinfo, start: datetime, end: datetime, *, limit: int | None = None
    ) -> list[datetime]:
        """Fire times *t* with ``start < t <= end``, oldest first, at most *limit* of them."""
        end_utc = _as_utc(end, "end")
        found: list[datetime] = []
        if limit is not None and limit <= 0:
            return found
        for instant in self.after(start, zone):
            if instant.astimezone(timezone.utc) > end_utc:
                break
            found.append(instant)
            if limit is not None and len(found) >= limit:
                break
        return found


def cron_problem(expression: str) -> str | None:
    """Why *expression* is not a usable 5-field cron, or None when it is."""
    parsed = _parse(expression)
    return parsed if isinstance(parsed, str) else None


def next_run(entry: HasCron | Cron | str, after: datetime, tz: tzinfo | str) -> datetime:
    """The first fire time strictly after *after*, in *tz* (see the module doc for DST).

    *entry* is a schedule entry, a :class:`Cron` or a cron expression;
    *after* must be timezone-aware. Raises :class:`ScheduleError` for an
    unusable cron or zone.
    """
    zone = _zone(tz)
    return _cron_of(entry).next_after(after, zone)


def fire_times(
    entry: HasCron | Cron | str,
    tz: tzinfo | str,
    start: datetime,
    end: datetime,
    *,
    limit: int | None = None,
) -> list[datetime]:
    """Fire times *t* with ``start < t <= end``, oldest first, at most *limit* of them.

    The half-open interval means "due since the last check (*start*) up to
    now (*end*)": consecutive checks see each slot exactly once.
    """
    _as_utc(end, "end")
    zone = _zone(tz)
    return _cron_of(entry).between(zone, start, end, limit=limit)


@lru_cache(maxsize=512)
def cron_of(expression: str) -> Cron:
    """``Cron(expression)``, shared: a fleet repeats a handful of crons across many repos."""
    return Cron(expression)


def _cron_of(entry: HasCron | Cron | str) -> Cron:
    if isinstance(entry, Cron):
        return entry
    return cron_of(entry if isinstance(entry, str) else entry.cron)


def _parse(expression: str) -> croniter | str:
    """The parsed expression, or why it is not a usable 5-field cron."""
    shown = brief(expression)
    fields = expression.split()
    if len(fields) != 5:
        return f"{shown} has {len(fields)} fields; {CRON_FIELDS_HINT}"
    if any(_RANDOM_TOKEN.search(f.lower()) for f in fields):
        return f"{shown} uses random or hashed values (R, H); write fixed numbers instead"
    from croniter import croniter

    try:
        # Any failure here is the library refusing user text, whatever its type.
        parsed = croniter(expression, datetime(2000, 1, 1))
    except Exception as exc:
        return f"{shown} is not a valid cron expression: {one_line(exc)}; {CRON_FIELDS_HINT}"
    try:
        copy.copy(parsed).get_next(datetime)
    except Exception:
        return f"{shown} never matches a date; check the day and month fields"
    return parsed


def _wall_start(after_utc: datetime, zone: tzinfo) -> datetime:
    """The naive wall-clock time to start walking from so that no slot after *after_utc* is lost.

    On a fall-back day wall-clock time runs backwards, so a slot whose wall
    time is earlier than after's can still be later in real time: start the
    naive walk early by as much as the clock will go back within a day.
    """
    offset_now = _offset(after_utc.astimezone(zone))
    later = (
        _offset((after_utc + timedelta(minutes=30 * k)).astimezone(zone)) for k in range(1, 49)
    )
    lookback = max(timedelta(0), offset_now - min(later))
    return after_utc.astimezone(zone).replace(tzinfo=None) - lookback


def _place(wall: datetime, zone: tzinfo) -> datetime | None:
    """*wall* as an instant in *zone*: None in a DST gap, the second one when it repeats."""
    earlier = wall.replace(tzinfo=zone, fold=0)
    if earlier.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != wall:
        return None  # the clock jumped over this wall time
    later = wall.replace(tzinfo=zone, fold=1)
    chosen = later if later.utcoffset() != earlier.utcoffset() else earlier
    # Re-derive from UTC so the result carries the right fold for its offset.
    return chosen.astimezone(timezone.utc).astimezone(zone)


def _offset(moment: datetime) -> timedelta:
    return moment.utcoffset() or timedelta(0)


def _as_utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got {moment.isoformat()}")
    return moment.astimezone(timezone.utc)


def timezone_problem(name: str) -> str | None:
    """Why *name* is not an IANA time zone known to ``zoneinfo``, or None when it is."""
    try:
        resolve_timezone(name)
    except ScheduleError as exc:
        return exc.message
    return None


def resolve_timezone(name: str) -> ZoneInfo:
    """``ZoneInfo(name)``, raising :class:`ScheduleError` with the fix for anything else."""
    if isinstance(name, str) and len(name) <= 64 and _ZONE_KEY.fullmatch(name):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    raise ScheduleError(
        f"{brief(name)} is not a known IANA time zone; use a name such as UTC or Europe/Berlin"
    )


def _zone(tz: tzinfo | str) -> tzinfo:
    return resolve_timezone(tz) if isinstance(tz, str) else tz


__all__ = [
    "CRON_FIELDS_HINT",
    "Cron",
    "HasCron",
    "cron_of",
    "cron_problem",
    "fire_times",
    "next_run",
    "resolve_timezone",
    "timezone_problem",
]
