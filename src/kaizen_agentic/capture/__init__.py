"""Capture: execution records from Claude Code runs without anyone typing a number (SPEC §12).

Click-free and light to import (names load on first use, PEP 562): the
transcript parse loads only msgspec, and the price table (genai-prices) loads
the first time a cost is computed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kaizen_agentic._lazy import lazy_exports

if TYPE_CHECKING:  # the real names, for the type checker
    from kaizen_agentic.capture.headless import (
        HEADLESS_SOURCE,
        headless_record,
        read_result_object,
    )
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
    from kaizen_agentic.capture.records import (
        CaptureSource,
        agent_name,
        idempotency_key,
        run_record,
    )
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

_EXPORTS: dict[str, str] = {
    "CAPTURE_EVENTS": "kaizen_agentic.capture.hooks",
    "CaptureSource": "kaizen_agentic.capture.records",
    "CostEstimate": "kaizen_agentic.capture.prices",
    "HEADLESS_SOURCE": "kaizen_agentic.capture.headless",
    "HOOK_COMMAND": "kaizen_agentic.capture.hooks",
    "HookInput": "kaizen_agentic.capture.hooks",
    "HooksStatus": "kaizen_agentic.capture.hooks",
    "INTERNAL_AGENT_PREFIXES": "kaizen_agentic.capture.transcript",
    "OVERRIDE_KEYS": "kaizen_agentic.capture.prices",
    "PriceOverride": "kaizen_agentic.capture.prices",
    "RequestUsage": "kaizen_agentic.capture.transcript",
    "RunTotals": "kaizen_agentic.capture.transcript",
    "SubagentFile": "kaizen_agentic.capture.transcript",
    "TokenUsage": "kaizen_agentic.capture.transcript",
    "TranscriptLineWarning": "kaizen_agentic.capture.transcript",
    "agent_name": "kaizen_agentic.capture.records",
    "disable_hooks": "kaizen_agentic.capture.hooks",
    "enable_hooks": "kaizen_agentic.capture.hooks",
    "headless_record": "kaizen_agentic.capture.headless",
    "hooks_status": "kaizen_agentic.capture.hooks",
    "idempotency_key": "kaizen_agentic.capture.records",
    "is_internal_agent": "kaizen_agentic.capture.transcript",
    "is_kaizen_hook": "kaizen_agentic.capture.hooks",
    "parse_hook_input": "kaizen_agentic.capture.hooks",
    "parse_session": "kaizen_agentic.capture.transcript",
    "parse_transcript": "kaizen_agentic.capture.transcript",
    "parse_transcript_lines": "kaizen_agentic.capture.transcript",
    "price_requests": "kaizen_agentic.capture.prices",
    "price_usage": "kaizen_agentic.capture.prices",
    "read_result_object": "kaizen_agentic.capture.headless",
    "read_settings": "kaizen_agentic.capture.hooks",
    "render_settings": "kaizen_agentic.capture.hooks",
    "run_record": "kaizen_agentic.capture.records",
    "subagent_files": "kaizen_agentic.capture.transcript",
    "subagent_transcript": "kaizen_agentic.capture.hooks",
    "update_settings_file": "kaizen_agentic.capture.hooks",
}

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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
