"""Event payloads and the envelope every event shares (SPEC §8).

A payload is a small frozen dataclass that knows its subject. :func:`build_event`
wraps it in the envelope ``version, event, occurred_at, event_id`` followed by
the payload fields. Payloads hold metadata and commands only: sizes, flags,
names and paths, never file contents or secrets.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar, Protocol

from kaizen_agentic._time import format_timestamp
from kaizen_agentic.errors import InvalidInputError
from kaizen_agentic.names import validate_name

EVENT_VERSION = "1"
ENVELOPE_KEYS = ("version", "event", "occurred_at", "event_id")

# Subjects live under ``kaizen.``; tokens are what NATS accepts without escaping.
SUBJECT_PATTERN = re.compile(r"^kaizen(\.[a-z0-9_-]+)+$")
EVENT_ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")


class EventPayload(Protocol):
    """What :func:`build_event` needs: a subject and the payload fields as plain data."""

    subject: ClassVar[str]

    def to_dict(self) -> dict[str, Any]: ...

    def occurrence(self) -> str | None:
        """What happened exactly once (a record, a slot), or None for an event without one."""
        ...


# The namespace of derived event ids (uuid5): fixed forever, or every derived id changes.
_EVENT_NAMESPACE_TEXT = "kaizen-agentic.events"


def derived_event_id(subject: str, occurrence: str) -> str:
    """The event id of *subject* for *occurrence*: the same inputs give the same id, always.

    An event that stands for one thing happening once gets this id, so a retry
    or a recovery after a crash writes the same event again, never a second one.
    """
    import uuid

    namespace = uuid.uuid5(uuid.NAMESPACE_URL, _EVENT_NAMESPACE_TEXT)
    return uuid.uuid5(namespace, f"{subject}\0{occurrence}").hex


def utc_timestamp(moment: datetime | None = None) -> str:
    """ISO-8601 UTC with a ``Z`` suffix, to the second (the §1 timestamp format)."""
    moment = moment or datetime.now(timezone.utc)
    if moment.tzinfo is None:
        raise ValueError(f"occurred_at must be timezone-aware, got {moment.isoformat()}")
    return format_timestamp(moment)


def build_event(
    payload: EventPayload,
    *,
    occurred_at: datetime | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """The event document: envelope keys first, then the payload's fields.

    Without an explicit *event_id*, a payload with an :meth:`~EventPayload.occurrence`
    gets its :func:`derived_event_id`, any other a random (uuid4) id.
    """
    if event_id is None:
        occurrence = payload.occurrence()
        if occurrence is not None:
            event_id = derived_event_id(payload.subject, occurrence)
        else:
            import uuid  # only emitting needs it; listing events should not pay the import

            event_id = uuid.uuid4().hex
    if not EVENT_ID_PATTERN.match(event_id):
        raise InvalidInputError(f"event id {event_id!r} is not 32 lower-case hex digits")
    fields = payload.to_dict()
    clash = set(fields) & set(ENVELOPE_KEYS)
    if clash:
        raise ValueError(f"payload fields {sorted(clash)} collide with the event envelope")
    return {
        "version": EVENT_VERSION,
        "event": payload.subject,
        "occurred_at": utc_timestamp(occurred_at),
        "event_id": event_id,
        **fields,
    }


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _freeze(instance: object, *names: str) -> None:
    """Keep sequence fields as tuples: callers may pass lists, a frozen payload stays frozen."""
    for name in names:
        object.__setattr__(instance, name, tuple(getattr(instance, name)))


class _Payload:
    """Shared by the payloads: their fields as plain JSON data."""

    def to_dict(self) -> dict[str, Any]:
        return dict(_plain(self))

    def occurrence(self) -> str | None:
        return None


@dataclass(frozen=True)
class MetricsRecorded(_Payload):
    """An execution record was appended to an agent's metrics (``kaizen.metrics.recorded``)."""

    subject: ClassVar[str] = "kaizen.metrics.recorded"

    repo: str
    agent: str
    record_id: str
    success: bool
    quality_score: float | None = None
    agent_version: str | None = None

    def occurrence(self) -> str:
        # Record ids are unique within an agent's store: one record, one event.
        return f"{self.agent}\0{self.record_id}"

    def __post_init__(self) -> None:
        validate_name(self.agent)
        if self.quality_score is not None and not math.isfinite(self.quality_score):
            raise InvalidInputError(
                f"quality_score must be a finite number, got {self.quality_score!r}"
            )


@dataclass(frozen=True)
class AgentInstalled(_Payload):
    """An agent prompt was written into a project (``kaizen.agent.installed``)."""

    subject: ClassVar[str] = "kaizen.agent.installed"

    repo: str
    agent: str
    agent_version: str | None
    destination: str

    def __post_init__(self) -> None:
        validate_name(self.agent)


@dataclass(frozen=True)
class BundleSummary:
    """What a prepare bundle contained, described by flags and a size, never by its text."""

    format: str
    agent_prompt_found: bool
    has_memory: bool
    has_metrics: bool
    pointers: Sequence[str]
    bytes: int

    def __post_init__(self) -> None:
        _freeze(self, "pointers")


@dataclass(frozen=True)
class SchedulePrepared(_Payload):
    """A scheduled run's orientation bundle was prepared (``kaizen.schedule.prepared``)."""

    subject: ClassVar[str] = "kaizen.schedule.prepared"

    repo: str
    root: str
    agent: str
    cadence: str
    prepare_command: str
    bundle: BundleSummary
    session_close: Sequence[str]
    # The scheduled fire time this bundle was prepared for (fleet runs); None for
    # a prepare run by hand, which is left out of the payload.
    slot: str | None = None

    def __post_init__(self) -> None:
        validate_name(self.agent)
        _freeze(self, "session_close")

    def to_dict(self) -> dict[str, Any]:
        fields = super().to_dict()
        if self.slot is None:
            del fields["slot"]
        return fields

    def occurrence(self) -> str | None:
        # A slot is prepared once however often its run is retried; a manual
        # prepare is a new event each time.
        return None if self.slot is None else f"{self.repo}\0{self.agent}\0{self.slot}"


@dataclass(frozen=True)
class OptimizerAnalyzed(_Payload):
    """The optimizer analysed a repo's metrics (``kaizen.optimizer.analyzed``)."""

    subject: ClassVar[str] = "kaizen.optimizer.analyzed"

    repo: str
    fingerprint: str
    agents: Sequence[str]
    recommendation_count: int

    def __post_init__(self) -> None:
        _freeze(self, "agents")
        for agent in self.agents:
            validate_name(agent)


# subject -> payload class, for consumers that want to rebuild typed payloads.
PAYLOAD_TYPES: dict[str, type[Any]] = {
    cls.subject: cls
    for cls in (MetricsRecorded, AgentInstalled, SchedulePrepared, OptimizerAnalyzed)
}
