"""Events (SPEC §8): payloads, the project outbox and delivery to NATS.

Everything here is importable without nats-py; only :func:`flush_events` needs it.
Names load on first use (PEP 562): writing an event to the outbox (the capture
hook does, on every run) does not load delivery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kaizen_agentic._lazy import lazy_exports

if TYPE_CHECKING:  # the real names, for the type checker
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

_EXPORTS: dict[str, str] = {
    "AgentInstalled": "kaizen_agentic.events.payloads",
    "BundleSummary": "kaizen_agentic.events.payloads",
    "CompactResult": "kaizen_agentic.events.outbox",
    "DeliveryError": "kaizen_agentic.events.delivery",
    "EVENT_VERSION": "kaizen_agentic.events.payloads",
    "EventPayload": "kaizen_agentic.events.payloads",
    "FlushResult": "kaizen_agentic.events.delivery",
    "MetricsRecorded": "kaizen_agentic.events.payloads",
    "NATS_URL_ENV": "kaizen_agentic.events.delivery",
    "OptimizerAnalyzed": "kaizen_agentic.events.payloads",
    "PAYLOAD_TYPES": "kaizen_agentic.events.payloads",
    "STREAM_NAME": "kaizen_agentic.events.delivery",
    "SchedulePrepared": "kaizen_agentic.events.payloads",
    "StoredEvent": "kaizen_agentic.events.outbox",
    "build_event": "kaizen_agentic.events.payloads",
    "check_nats_url": "kaizen_agentic.events.delivery",
    "compact_events": "kaizen_agentic.events.outbox",
    "delivered_path": "kaizen_agentic.events.outbox",
    "derived_event_id": "kaizen_agentic.events.payloads",
    "emit_event": "kaizen_agentic.events.outbox",
    "flush_events": "kaizen_agentic.events.delivery",
    "flush_events_async": "kaizen_agentic.events.delivery",
    "list_events": "kaizen_agentic.events.outbox",
    "mark_delivered": "kaizen_agentic.events.outbox",
    "outbox_path": "kaizen_agentic.events.outbox",
    "pending_events": "kaizen_agentic.events.outbox",
    "redact_url": "kaizen_agentic.events.delivery",
    "resolve_nats_url": "kaizen_agentic.events.delivery",
}

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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
