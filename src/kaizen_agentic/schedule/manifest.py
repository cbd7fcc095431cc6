"""The scheduling opt-in: ``.kaizen/schedule.yml`` and its validation (SPEC §6).

A repo opts into scheduled runs with::

    version: "1"
    timezone: Europe/Berlin        # optional IANA name, default UTC
    agents:
      coach:        {cadence: weekly, cron: "0 9 * * 1", enabled: true}
      tdd-workflow: {cadence: monthly, enabled: false}

**Cadence defaults.** ``cron`` is an optional 5-field override
(minute hour day month weekday). Without it the cadence decides::

    daily    0 9 * * *      09:00 every day
    weekly   0 9 * * 1      09:00 on Mondays
    monthly  0 9 1 * *      09:00 on the 1st

``enabled`` defaults to true. What a cron may say, and how it meets time zones
and DST, is :mod:`kaizen_agentic.schedule.cron`.

**Reading.** :func:`load_schedule` refuses only a file that cannot be a schedule
at all (missing, unreadable, over 256 KiB, malformed YAML, aliases, duplicate
keys). Everything else — wrong types, unknown cadence, bad cron, unknown time
zone or agent — is reported by :func:`validate_schedule` as a list of one-line
problems of the form ``<dotted.path>: <what is wrong>; <the fix>``. Unknown
keys are warnings (:attr:`Schedule.warnings`), never errors.
:func:`check_schedule` does both and is what the CLI and the fleet use.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kaizen_agentic._yaml import DuplicateKeyError, YamlError, load_yaml, read_yaml_text
from kaizen_agentic.errors import InvalidNameError
from kaizen_agentic.names import is_valid_name, validate_name
from kaizen_agentic.schedule.cron import (
    CRON_FIELDS_HINT,
    cron_problem,
    resolve_timezone,
    timezone_problem,
)
from kaizen_agentic.schedule.errors import ScheduleError, ScheduleNotFoundError
from kaizen_agentic.schedule.errors import brief as _brief

SCHEDULE_VERSION = "1"
DEFAULT_TIMEZONE = "UTC"
CADENCES = ("daily", "weekly", "monthly")
DEFAULT_CRON: dict[str, str] = {
    "daily": "0 9 * * *",
    "weekly": "0 9 * * 1",
    "monthly": "0 9 1 * *",
}

_TOP_KEYS = ("version", "timezone", "agents")
_ENTRY_KEYS = ("cadence", "cron", "enabled")


@dataclass(frozen=True)
class ScheduleEntry:
    """One agent's slot: ``cron`` is the effective expression (override or cadence default)."""

    agent: str
    cadence: str
    cron: str
    cron_override: str | None = None
    enabled: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "cadence": self.cadence,
            "cron": self.cron,
            "cron_override": self.cron_override,
            "enabled": self.enabled,
        }


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule; run :func:`validate_schedule` before trusting it.

    ``warnings`` name unknown keys. ``source`` is the mapping it was parsed
    from (None when built in code): validation reads it, so wrong types that
    the typed fields cannot hold are still reported.
    """

    version: str
    timezone: str
    agents: dict[str, ScheduleEntry]
    warnings: tuple[str, ...] = ()
    source: dict[Any, Any] | None = field(default=None, repr=False, compare=False)

    def enabled_entries(self) -> list[ScheduleEntry]:
        """Enabled entries in file order."""
        return [entry for entry in self.agents.values() if entry.enabled]

    @property
    def zone(self) -> ZoneInfo:
        """The schedule's time zone; raises :class:`ScheduleError` when it does not resolve."""
        return resolve_timezone(self.timezone)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "timezone": self.timezone,
            "agents": {name: entry.to_dict() for name, entry in self.agents.items()},
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class ScheduleReport:
    """The outcome of :func:`check_schedule`: the schedule (None when unreadable) and its issues."""

    path: Path
    schedule: Schedule | None
    problems: list[str]
    warnings: list[str]

    @property
    def valid(self) -> bool:
        return self.schedule is not None and not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "valid": self.valid,
            "problems": self.problems,
            "warnings": self.warnings,
        }


# --- files ------------------------------------------------------------------------------------


def schedule_path(root: Path) -> Path:
    """``<root>/.kaizen/schedule.yml``."""
    return Path(root) / ".kaizen" / "schedule.yml"


def default_schedule_yaml(timezone: str = DEFAULT_TIMEZONE) -> str:
    """The file ``schedule init`` writes: SPEC §6's example, in *timezone*.

    Coach and optimization run weekly on Monday mornings; ``tdd-workflow`` is
    listed monthly but disabled, to show how an entry is switched off.

    Raises :class:`ScheduleError` when *timezone* is not an IANA name.
    """
    resolve_timezone(timezone)
    # Quoted so a zone name can never be read as another YAML type.
    return (
        "# kaizen-agentic schedule. Check it with: kaizen-agentic schedule validate\n"
        "# cadence: daily | weekly | monthly (defaults 0 9 * * * | 0 9 * * 1 | 0 9 1 * *)\n"
        "# cron: optional override, 5 fields: minute hour day month weekday, in `timezone`\n"
        f'version: "{SCHEDULE_VERSION}"\n'
        f'timezone: "{timezone}"\n'
        "agents:\n"
        '  coach: {cadence: weekly, cron: "0 9 * * 1", enabled: true}\n'
        '  optimization: {cadence: weekly, cron: "0 10 * * 1", enabled: true}\n'
        "  tdd-workflow: {cadence: monthly, enabled: false}\n"
    )


def load_schedule(path: Path) -> Schedule:
    """Read and parse *path* without validating values (see :func:`validate_schedule`).

    Raises :class:`ScheduleNotFoundError` when the file is missing and
    :class:`ScheduleError` when it is unreadable, too large or not YAML, uses
    aliases, repeats a key, or is not a mapping.
    """
    return parse_schedule_text(_read_text(Path(path)), source=Path(path).name)


def parse_schedule_text(text: str, *, source: str = "schedule.yml") -> Schedule:
    """:func:`load_schedule` for text already in memory."""
    _check_unicode(text, source)
    try:
        data = load_yaml(text, source=source)
    except DuplicateKeyError as exc:
        raise ScheduleError(_duplicate_problem(text, exc)) from None
    except YamlError as exc:
        raise ScheduleError(exc.message) from None
    return parse_schedule(data)


def _load_text(text: str, *, source: str, duplicates: list[DuplicateKeyError]) -> Any:
    """The YAML document in *text*, repeated keys collected into *duplicates*."""
    _check_unicode(text, source)
    try:
        return load_yaml(text, source=source, duplicates=duplicates)
    except YamlError as exc:
        raise ScheduleError(exc.message) from None


def _check_unicode(text: str, source: str) -> None:
    # Text decoded from a file is always encodable; text built in memory
    # may hold lone surrogates, which the YAML reader cannot take.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ScheduleError(
            f"{source}: not valid Unicode text (character {exc.start}); save the file as UTF-8"
        ) from None


def check_schedule(path: Path, known_agents: Iterable[str] | None = None) -> ScheduleReport:
    """Load and validate *path*: every problem as one line, never an exception for bad content.

    Raises :class:`ScheduleNotFoundError` when there is no file, which callers
    usually treat differently from an invalid one.
    """
    path = Path(path)
    return check_schedule_text(_read_text(path), known_agents, path=path)


def check_schedule_text(
    text: str, known_agents: Iterable[str] | None = None, *, path: Path | None = None
) -> ScheduleReport:
    """:func:`check_schedule` for text already in memory.

    Every problem is listed: a duplicate key is one line among the others
    (the document is then read with the last of each repeated key), and a
    missing or unsupported version does not hide the rest. The report's
    schedule is None whenever :func:`parse_schedule_text` would refuse the text.
    """
    where = path if path is not None else Path("schedule.yml")
    duplicates: list[DuplicateKeyError] = []
    try:
        data = _load_text(text, source=where.name, duplicates=duplicates)
    except ScheduleError as exc:
        return ScheduleReport(where, None, exc.problems, [])
    found = [_duplicate_problem(text, d) for d in duplicates]
    if not isinstance(data, dict):
        try:
            parse_schedule(data)
        except ScheduleError as exc:
            return ScheduleReport(where, None, [*found, *exc.problems], [])
    known = set(known_agents) if known_agents is not None else None
    examination = _Examination(data, known)
    usable = not found and _version_problem(data.get("version")) is None
    return ScheduleReport(
        where,
        examination.schedule if usable else None,
        [*found, *examination.problems],
        list(examination.warnings),
    )


def _read_text(path: Path) -> str:
    try:
        # a repo's .kaizen/schedule.yml is read inside that repo (SPEC §1)
        root = path.parent.parent if path.parent.name == ".kaizen" else None
        return read_yaml_text(path, what="schedule", source=path.name, root=root)
    except FileNotFoundError:
        raise ScheduleNotFoundError(
            f"no schedule at {path}; run: kaizen-agentic schedule init"
        ) from None
    except YamlError as exc:
        raise ScheduleError(exc.message) from None


def _duplicate_problem(text: str, error: DuplicateKeyError) -> str:
    if _is_agent_key(text, error.key, error.line):
        shown = error.key if is_valid_name(error.key) else repr(error.key)
        return (
            f"duplicate agent entry: {shown} (line {error.line}); "
            f"keep one {shown}: entry under agents"
        )
    return f"duplicate key {error.key!r} (line {error.line}); keep only one"


def _is_agent_key(text: str, key: str, line: int) -> bool:
    """Whether the duplicate *key* at *line* is a key of the top-level ``agents`` mapping."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        # Composing builds nodes only: no constructors, so no duplicate check
        # and (aliases being shared nodes) no blow-up.
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError:
        return False
    if not isinstance(root, yaml.MappingNode):
        return False
    for key_node, value_node in root.value:
        if key_node.value == "agents" and isinstance(value_node, yaml.MappingNode):
            return any(
                isinstance(k, yaml.ScalarNode) and k.value == key and k.start_mark.line + 1 == line
                for k, _ in value_node.value
            )
    return False


# --- parsing and validation -------------------------------------------------------------------


def parse_schedule(data: Any) -> Schedule:
    """Turn a loaded YAML document into a :class:`Schedule` without judging its values.

    Wrong types become placeholders (and problems for :func:`validate_schedule`);
    a document that is not a mapping, or lacks a supported ``version``, raises
    :class:`ScheduleError` (SPEC §6).
    """
    if not isinstance(data, dict):
        shown = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ScheduleError(
            f"the schedule is {shown}, not a mapping of version, timezone and agents; "
            "run: kaizen-agentic schedule init --force"
        )
    problem = _version_problem(data.get("version"))
    if problem is not None:
        raise ScheduleError(f"version: {problem}")
    return _Examination(data, None).schedule


def _version_problem(value: Any) -> str | None:
    """What is wrong with a schedule's ``version`` value, or None when it is supported."""
    if value is None:
        return f'missing; add version: "{SCHEDULE_VERSION}" at the top of the file'
    if isinstance(value, str):
        if value != SCHEDULE_VERSION:
            return f'{_brief(value)} is not supported; use version: "1"'
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'{value!r} is a number; quote it: version: "{SCHEDULE_VERSION}"'
    return f'{_brief(value)} must be the string "{SCHEDULE_VERSION}"'


def validate_schedule(schedule: Schedule, known_agents: Iterable[str] | None = None) -> list[str]:
    """Every problem with *schedule* in file order, one actionable line each; empty when usable.

    With *known_agents*, agent names outside it are problems too.
    """
    data = schedule.source if schedule.source is not None else _as_document(schedule)
    known = set(known_agents) if known_agents is not None else None
    return _Examination(data, known).problems


def _as_document(schedule: Schedule) -> dict[str, Any]:
    """A schedule built in code, as the mapping a file would have held."""
    return {
        "version": schedule.version,
        "timezone": schedule.timezone,
        "agents": {
            name: {"cadence": e.cadence, "cron": e.cron, "enabled": e.enabled}
            for name, e in schedule.agents.items()
        },
    }


class _Examination:
    """One pass over a schedule mapping: the typed schedule plus problems and warnings in order.

    Each field is checked once (type, then value), so no field is reported
    twice and problems come out in the order of the file.
    """

    def __init__(self, data: dict[Any, Any], known: set[str] | None) -> None:
        self.known = known
        self.problems: list[str] = []
        self.warnings: list[str] = []
        for key in data:
            if key not in _TOP_KEYS:
                self.warnings.append(
                    f"unknown key {_brief(key)} ignored; "
                    "top-level keys are version, timezone and agents"
                )
        version = self._version(data.get("version"))
        zone = self._timezone(data.get("timezone"))
        agents = self._agents(data.get("agents"))
        self.schedule = Schedule(version, zone, agents, tuple(self.warnings), source=data)

    def report(self, path: str, message: str | None) -> None:
        if message is not None:
            self.problems.append(f"{path}: {message}")

    def _version(self, value: Any) -> str:
        self.report("version", _version_problem(value))
        if value is None:
            return ""
        return value if isinstance(value, str) else str(value)

    def _timezone(self, value: Any) -> str:
        if value is None:
            return DEFAULT_TIMEZONE
        if not isinstance(value, str):
            self.report(
                "timezone",
                f"{_brief(value)} is not a time zone name; use one such as UTC or Europe/Berlin",
            )
            return DEFAULT_TIMEZONE
        self.report("timezone", timezone_problem(value))
        return value

    def _agents(self, value: Any) -> dict[str, ScheduleEntry]:
        agents: dict[str, ScheduleEntry] = {}
        if value is None:
            self.report(
                "agents", "missing; add at least one agent, e.g. agents: {coach: {cadence: weekly}}"
            )
        elif not isinstance(value, dict):
            self.report(
                "agents",
                f"{_brief(value)} is not a mapping; map agent names to settings, "
                "e.g. agents: {coach: {cadence: weekly}}",
            )
        elif not value:
            self.report(
                "agents", "no agents listed; add at least one, e.g. coach: {cadence: weekly}"
            )
        else:
            for name, settings in value.items():
                entry = self._entry(name, settings)
                if entry is not None:
                    agents[entry.agent] = entry
        return agents

    def _entry(self, name: Any, settings: Any) -> ScheduleEntry | None:
        if not isinstance(name, str):
            self.report(
                f"agents.{_brief(name)}",
                f"agent names must be text, not {type(name).__name__}; use a name such as coach",
            )
            return None
        path = _agent_path(name)
        if not is_valid_name(name):
            self.report(path, _name_problem(name))
        elif self.known is not None and name not in self.known:
            self.report(
                path, f"unknown agent {name!r}; install or create it, or see: kaizen-agentic list"
            )
        if settings is None:
            self.report(
                path, "empty entry; give it settings, e.g. {cadence: weekly, enabled: true}"
            )
            return None
        if not isinstance(settings, dict):
            self.report(
                path,
                f"{_brief(settings)} is not a mapping; write settings such as "
                "{cadence: weekly, enabled: true}",
            )
            return None
        for key in settings:
            if key not in _ENTRY_KEYS:
                self.warnings.append(
                    f"{path}: unknown key {_brief(key)} ignored; use cadence, cron and enabled"
                )
        cadence = self._cadence(path, settings.get("cadence"))
        override = self._cron(path, settings.get("cron"))
        enabled = settings.get("enabled", True)
        if not isinstance(enabled, bool):
            self.report(
                f"{path}.enabled",
                f"{_brief(enabled)} is not true or false; write enabled: true or enabled: false",
            )
            enabled = False
        effective = override if override is not None else DEFAULT_CRON.get(cadence, "")
        return ScheduleEntry(name, cadence, effective, override, enabled)

    def _cadence(self, path: str, value: Any) -> str:
        if value is None:
            self.report(f"{path}.cadence", "missing; add cadence: daily, weekly or monthly")
            return ""
        if not isinstance(value, str) or value not in CADENCES:
            self.report(
                f"{path}.cadence", f"{_brief(value)} is not a cadence; {_cadence_hint(value)}"
            )
        return value if isinstance(value, str) else ""

    def _cron(self, path: str, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.report(
                f"{path}.cron",
                f"{_brief(value)} is not a quoted cron string; "
                f'{CRON_FIELDS_HINT}, e.g. "0 9 * * 1"',
            )
            return None
        self.report(f"{path}.cron", cron_problem(value))
        return value


def _name_problem(name: str) -> str:
    try:
        validate_name(name)
    except InvalidNameError as exc:
        return exc.message
    return ""  # pragma: no cover - only called for invalid names


def _cadence_hint(value: Any) -> str:
    hint = "use daily, weekly or monthly"
    if isinstance(value, str) and value.strip().lower() == "hourly":
        hint += ' (hourly runs go in cron, e.g. cron: "0 * * * *")'
    return hint


def _agent_path(name: str) -> str:
    return f"agents.{name if is_valid_name(name) else repr(name)}"


__all__ = [
    "CADENCES",
    "DEFAULT_CRON",
    "DEFAULT_TIMEZONE",
    "SCHEDULE_VERSION",
    "Schedule",
    "ScheduleEntry",
    "ScheduleReport",
    "check_schedule",
    "check_schedule_text",
    "default_schedule_yaml",
    "load_schedule",
    "parse_schedule",
    "parse_schedule_text",
    "schedule_path",
    "validate_schedule",
]
