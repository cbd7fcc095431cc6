"""Capture: execution records from Claude Code runs without anyone typing a number (SPEC §12).

Click-free and light to import: the transcript parse loads only msgspec, and
the price table (genai-prices) loads the first time a cost is computed.
"""

from __future__ import annotations

from kaizen_agentic.capture.headless import HEADLESS_SOURCE, headless_record, read_result_object
from kaizen_agentic.capture.hooks import (
    CAPTURE_EVENTS,
    HOOK_COMMAND,
    HookInput,
    HooksStatus,
    disable_hooks,
    enable_hooks,
    hooks_status,
    is_kaizen_hook,
    parse_hook_input,
    read_settings,
    render_settings,
    subagent_transcript,
    update_settings_file,
)
from kaizen_agentic.capture.prices import (
    OVERRIDE_KEYS,
    CostEstimate,
    PriceOverride,
    price_requests,
    price_usage,
)
from kaizen_agentic.capture.records import CaptureSource, agent_name, idempotency_key, run_record
from kaizen_agentic.capture.transcript import (
    INTERNAL_AGENT_PREFIXES,
    RequestUsage,
    RunTotals,
    SubagentFile,
    TokenUsage,
    TranscriptLineWarning,
    is_internal_agent,
    parse_session,
    parse_transcript,
    parse_transcript_lines,
    subagent_files,
)

__all__ = [
    "CAPTURE_EVENTS",
    "HEADLESS_SOURCE",
    "HOOK_COMMAND",
    "INTERNAL_AGENT_PREFIXES",
    "OVERRIDE_KEYS",
    "CaptureSource",
    "CostEstimate",
    "HookInput",
    "HooksStatus",
    "PriceOverride",
    "RequestUsage",
    "RunTotals",
    "SubagentFile",
    "TokenUsage",
    "TranscriptLineWarning",
    "agent_name",
    "disable_hooks",
    "enable_hooks",
    "headless_record",
    "hooks_status",
    "idempotency_key",
    "is_internal_agent",
    "is_kaizen_hook",
    "parse_hook_input",
    "parse_session",
    "parse_transcript",
    "parse_transcript_lines",
    "price_requests",
    "price_usage",
    "read_result_object",
    "read_settings",
    "render_settings",
    "run_record",
    "subagent_files",
    "subagent_transcript",
    "update_settings_file",
]
