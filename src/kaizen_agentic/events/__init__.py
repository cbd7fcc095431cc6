"""Events (SPEC §8): payloads, the project outbox and delivery to NATS.

Everything here is importable without nats-py; only :func:`flush_events` needs it.
"""

from __future__ import annotations

from kaizen_agentic.events.delivery import (
    NATS_URL_ENV,
    STREAM_NAME,
    DeliveryError,
    FlushResult,
    check_nats_url,
    flush_events,
    flush_events_async,
    redact_url,
    resolve_nats_url,
)
from kaizen_agentic.events.outbox import (
    CompactResult,
    StoredEvent,
    compact_events,
    delivered_path,
    emit_event,
    list_events,
    mark_delivered,
    outbox_path,
    pending_events,
)
from kaizen_agentic.events.payloads import (
    EVENT_VERSION,
    PAYLOAD_TYPES,
    AgentInstalled,
    BundleSummary,
    EventPayload,
    MetricsRecorded,
    OptimizerAnalyzed,
    SchedulePrepared,
    build_event,
    derived_event_id,
)

__all__ = [
    "EVENT_VERSION",
    "NATS_URL_ENV",
    "PAYLOAD_TYPES",
    "STREAM_NAME",
    "AgentInstalled",
    "BundleSummary",
    "CompactResult",
    "DeliveryError",
    "EventPayload",
    "FlushResult",
    "MetricsRecorded",
    "OptimizerAnalyzed",
    "SchedulePrepared",
    "StoredEvent",
    "build_event",
    "check_nats_url",
    "compact_events",
    "delivered_path",
    "derived_event_id",
    "emit_event",
    "flush_events",
    "flush_events_async",
    "list_events",
    "mark_delivered",
    "outbox_path",
    "pending_events",
    "redact_url",
    "resolve_nats_url",
]
