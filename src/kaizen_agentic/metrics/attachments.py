"""Values that arrive after a run attaches to it: one run, one record (SPEC §3).

A captured run is written when it ends; its quality score, a reviewer's
verdict or a person's rating often comes later. Rewriting ``executions.jsonl``
would break its append-only contract, so the later values are an appended
*attachment* line::

    {"attach_to": "<record_id>", "agent": "coach", "timestamp": "…", "set": {"quality_score": 0.9}}

It has no top-level ``success``, so nothing counts it as a run. Every reader
folds it into the record it names (this module owns how): the record keeps
its identity and takes the latest value of each field in ``set``; mappings
(``metadata``, ``collaboration``) are merged key by key. An attachment only
applies to a record written before it, and one whose record is gone (pruned)
is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from kaizen_agentic.errors import InvalidInputError

ATTACH_KEY = "attach_to"
SET_KEY = "set"
#: Bytes every attachment line contains; readers look for them before decoding.
ATTACH_MARK = b'"attach_to"'
# What identifies a run or was measured when it was written: never re-set later.
FIXED_KEYS = frozenset(
    {
        "agent",
        "record_id",
        "timestamp",
        "session_id",
        "idempotency_key",
        "agent_version",
        "source",
        "project",
        "domain",
        "helix_session_uid",
        ATTACH_KEY,
    }
)
MERGED_KEYS = ("metadata", "collaboration")


def is_attachment(record: Mapping[str, Any]) -> bool:
    """An attachment line: names its run and, having no ``success``, is not one itself."""
    return (
        isinstance(record.get(ATTACH_KEY), str)
        and "success" not in record
        and isinstance(record.get(SET_KEY), Mapping)
    )


def attachment_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of *values* an attachment may carry, checked as a record's would be.

    Identity keys are dropped (a run keeps its own); an invalid value is a
    :class:`~kaizen_agentic.metrics.records.RecordError` naming the field.
    """
    from kaizen_agentic.metrics.records import validate_record

    fields = {k: v for k, v in values.items() if k not in FIXED_KEYS and v is not None}
    if not fields:
        raise InvalidInputError(
            "nothing to attach; give a value such as --quality 0.8 or --rating 4"
        )
    validate_record({"success": True, **fields})
    rating = fields.get("feedback_rating")
    if rating is not None and (
        isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5
    ):
        raise InvalidInputError(
            f"feedback_rating: must be a whole number from 1 to 5, got {rating!r}"
        )
    return fields


def attachment_line(
    record_id: str,
    agent: str,
    fields: Mapping[str, Any],
    timestamp: str,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """The line to append; *idempotency_key* names the measurement it brings (a captured run's
    key), so that run is never written again as a record of its own."""
    line = {ATTACH_KEY: record_id, "agent": agent, "timestamp": timestamp, SET_KEY: dict(fields)}
    if idempotency_key is not None:
        line["idempotency_key"] = idempotency_key
    return line


def apply_attachment(record: Mapping[str, Any], attachment: Mapping[str, Any]) -> dict[str, Any]:
    """*record* with *attachment*'s values: latest wins, mappings merged key by key."""
    merged = dict(record)
    for key, value in attachment[SET_KEY].items():
        if key in FIXED_KEYS:
            continue
        if (
            key in MERGED_KEYS
            and isinstance(value, Mapping)
            and isinstance(merged.get(key), Mapping)
        ):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    merged["attached_at"] = attachment.get("timestamp")
    return dict(sorted(merged.items()))


def fold(lines: Iterable[tuple[int, dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    """Records of numbered lines already in memory, each with the attachments after it."""
    items = list(lines)
    later = attachments_by_target(items)
    for number, record in items:
        if is_attachment(record):
            continue
        yield with_attachments(record, number, later)


def attachments_by_target(
    lines: Iterable[tuple[int, dict[str, Any]]],
) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    """Attachment lines grouped by the record id they name, in file order."""
    found: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for number, record in lines:
        if is_attachment(record):
            found.setdefault(record[ATTACH_KEY], []).append((number, record))
    return found


def with_attachments(
    record: dict[str, Any], number: int, later: Mapping[str, list[tuple[int, dict[str, Any]]]]
) -> dict[str, Any]:
    record_id = record.get("record_id")
    if not isinstance(record_id, str) or record_id not in later:
        return record
    for line, attachment in later[record_id]:
        if line > number:
            record = apply_attachment(record, attachment)
    return record
