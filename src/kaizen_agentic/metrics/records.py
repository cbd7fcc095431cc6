"""Execution records: the §3 schema, validation and the automatic fields.

A record is a plain dict so unknown keys survive a round trip untouched;
:func:`validate_record` checks the known keys and names the first bad field.
"""

from __future__ import annotations

import math
import sys
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kaizen_agentic._time import format_timestamp, parse_timestamp, utc_now
from kaizen_agentic.errors import InvalidInputError

COST_KEYS = (
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "tool_invocations",
    "usd",
)
COST_SOURCES = ("reported", "computed")
COLLABORATION_KEYS = ("handoffs", "messages", "helpfulness")
HELIX_ENV = "HELIX_SESSION_UID"


class RecordError(InvalidInputError):
    """A record that breaks the §3 schema; the message names the field."""


def validate_record(record: Mapping[str, Any]) -> None:
    """Raise :class:`RecordError` naming the first field that breaks §3."""
    if not isinstance(record, Mapping):
        raise RecordError("record: must be a JSON object with at least a 'success' field")
    if "success" not in record:
        raise RecordError("success: required; pass --success or --failure, or a JSON bool")
    if not isinstance(record["success"], bool):
        raise RecordError(f"success: must be true or false, got {record['success']!r}")
    _check_optional_number(record, "execution_time_s", minimum=0.0)
    _check_optional_number(record, "quality_score", minimum=0.0, maximum=1.0)
    for key in (
        "session_id",
        "helix_session_uid",
        "idempotency_key",
        "project",
        "domain",
        "agent",
        "record_id",
        "agent_version",
    ):
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            raise RecordError(f"{key}: must be a string, got {value!r}")
    if record.get("timestamp") is not None:
        _check_timestamp(record["timestamp"])
    _check_primary_metric(record.get("primary_metric"))
    _check_cost(record.get("cost"))
    _check_numbers_mapping(record, "collaboration", COLLABORATION_KEYS)
    metadata = record.get("metadata")
    if metadata is not None and not isinstance(metadata, Mapping):
        raise RecordError("metadata: must be a JSON object")
    _check_storable(record)


MAX_DEPTH = 32  # far deeper than any record; keeps every reader's recursion bounded


def _check_storable(record: Mapping[str, Any]) -> None:
    """Refuse what would pass here and fail later: at write, at print, or in a reader.

    Every string (keys too) must be encodable as UTF-8 (no lone surrogates),
    every number finite and within a float's range, and nesting at most
    :data:`MAX_DEPTH` deep. The walk is iterative, so no input can exhaust
    the stack here.
    """
    stack: list[tuple[str, Any, int]] = [(k, v, 1) for k, v in record.items()]
    for key in record:
        _check_text(key, "record key")
    while stack:
        where, value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise RecordError(f"{where}: nested deeper than {MAX_DEPTH} levels; flatten it")
        if isinstance(value, str):
            _check_text(value, where)
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, (int, float)):
            if not _is_number(value):
                raise RecordError(f"{where}: must be a finite number of sensible size")
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise RecordError(f"{where}: keys must be strings")
                _check_text(key, f"{where} key")
                stack.append((f"{where}.{key}", item, depth + 1))
        elif isinstance(value, (list, tuple)):
            stack.extend((f"{where}[{i}]", item, depth + 1) for i, item in enumerate(value))
        else:
            raise RecordError(f"{where}: {type(value).__name__} is not a JSON value")


def _check_text(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise RecordError(
            f"{_shown(where)}: holds a lone surrogate (not valid Unicode); send UTF-8 text"
        ) from None


def _shown(where: str) -> str:
    return where.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")[:80]


def complete_record(
    record: Mapping[str, Any],
    *,
    agent: str,
    agent_version: str | None,
    project: str,
    domain: str | None,
    environ: Mapping[str, str],
    now: datetime | None = None,
) -> dict[str, Any]:
    """Add the automatic fields to *record*; return a new dict, keys sorted.

    Only the timestamp is checked here (it is parsed to be normalised); the
    whole record is validated once, where it is written (``MetricsStore.append``).
    """
    if record.get("timestamp") is not None:
        _check_timestamp(record["timestamp"])
    full = dict(record)
    full["agent"] = agent
    given = full.get("timestamp")
    full["timestamp"] = format_timestamp(parse_timestamp(given) if given else (now or utc_now()))
    full.setdefault("record_id", uuid.uuid4().hex)
    full.setdefault("agent_version", agent_version)
    full.setdefault("project", project)
    if domain is not None:
        full.setdefault("domain", domain)
    helix = environ.get(HELIX_ENV)
    if helix and not full.get("helix_session_uid"):
        full["helix_session_uid"] = helix
    return dict(sorted(full.items()))


def _check_optional_number(
    record: Mapping[str, Any], key: str, *, minimum: float, maximum: float | None = None
) -> None:
    if record.get(key) is None:
        return
    value = record[key]
    if not _is_number(value):
        raise RecordError(f"{key}: must be a number, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum:g} and {maximum:g}" if maximum is not None else f">= {minimum:g}"
        raise RecordError(f"{key}: must be {bound}, got {value!r}")


def _check_timestamp(value: Any) -> None:
    if not isinstance(value, str):
        raise RecordError(f"timestamp: must be an ISO-8601 string, got {value!r}")
    try:
        parse_timestamp(value)
    except ValueError:
        raise RecordError(
            f"timestamp: {value!r} is not ISO-8601; use e.g. 2026-01-31T12:00:00Z"
        ) from None


def _check_primary_metric(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise RecordError("primary_metric: must be an object {name, value, target}")
    if not isinstance(value.get("name"), str) or not value.get("name"):
        raise RecordError("primary_metric.name: must be a non-empty string")
    for part in ("value", "target"):
        if value.get(part) is not None and not _is_number(value[part]):
            raise RecordError(f"primary_metric.{part}: must be a number, got {value[part]!r}")
    if value.get("value") is None:
        raise RecordError("primary_metric.value: required")


def _check_cost(cost: Any) -> None:
    """The cost numbers, and ``cost.source`` (who says so: ``reported`` or ``computed``)."""
    if isinstance(cost, Mapping) and "source" in cost:
        if cost["source"] not in COST_SOURCES:
            raise RecordError(f"cost.source: must be one of {', '.join(COST_SOURCES)}")
        cost = {k: v for k, v in cost.items() if k != "source"}
    _check_numbers_mapping({"cost": cost}, "cost", COST_KEYS)


def _check_numbers_mapping(record: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> None:
    value = record.get(key)
    if key == "cost" and isinstance(value, Mapping) and "source" in value:
        value = {k: v for k, v in value.items() if k != "source"}
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise RecordError(f"{key}: must be an object with {', '.join(allowed)}")
    for part, number in value.items():
        if part not in allowed:
            raise RecordError(f"{key}.{part}: unknown field; use {', '.join(allowed)}")
        if number is None:
            continue
        if not _is_number(number) or number < 0:
            raise RecordError(f"{key}.{part}: must be a number >= 0, got {number!r}")


def _is_number(value: Any) -> bool:
    """A finite int or float a float can hold (``10**400`` is not one)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, int):
        return -sys.float_info.max <= value <= sys.float_info.max
    return math.isfinite(value)
