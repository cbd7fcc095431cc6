"""Measure: execution records, the per-agent store and analytics (SPEC §3).

``MetricsStore`` and the record helpers import nothing heavy; the analytics
(numpy, scipy) load only when a summary or window is asked for.
"""

from __future__ import annotations

from typing import Any

from kaizen_agentic._time import format_timestamp, parse_timestamp
from kaizen_agentic.errors import MalformedLineWarning
from kaizen_agentic.metrics.records import (
    RecordError,
    complete_record,
    validate_record,
)
from kaizen_agentic.metrics.store import MetricsStore


def performance_summary_markdown(summary: dict[str, Any] | None) -> str:
    """A ``## Performance Summary`` block for a summary.json document ('' without executions)."""
    from kaizen_agentic.metrics.render import performance_summary_markdown as render

    return render(summary)


__all__ = [
    "MalformedLineWarning",
    "MetricsStore",
    "RecordError",
    "complete_record",
    "format_timestamp",
    "parse_timestamp",
    "performance_summary_markdown",
    "validate_record",
]
