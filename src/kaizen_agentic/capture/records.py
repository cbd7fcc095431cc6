"""Execution records (SPEC §3) from captured Claude Code runs.

A record holds counts, times and ids only: no prompt, response or tool text
from the transcript ever reaches it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from kaizen_agentic._time import format_timestamp
from kaizen_agentic.capture.prices import CostEstimate, PriceOverride, price_requests
from kaizen_agentic.capture.transcript import RunTotals, TokenUsage

__all__ = ["UNNAMED_AGENT", "CaptureSource", "agent_name", "idempotency_key", "run_record"]

CaptureSource = Literal["claude-hook", "claude-transcript"]

#: Used when Claude Code reports an empty ``agent_type`` and nothing else names the agent.
UNNAMED_AGENT = "general-purpose"


#: What every captured Claude Code run's idempotency key starts with.
KEY_PREFIX = "claude:"


def idempotency_key(session_id: str, agent_id: str | None) -> str:
    """The same run gives the same key whether a hook or an import records it."""
    return f"{KEY_PREFIX}{session_id}:{agent_id or 'session'}"


def agent_name(agent_type: str | None) -> str:
    """The agent a run belongs to, before registry resolution; blank means the default agent."""
    name = (agent_type or "").strip()
    return name or UNNAMED_AGENT


def run_record(
    run: RunTotals,
    *,
    agent: str,
    session_id: str | None = None,
    agent_id: str | None = None,
    source: CaptureSource = "claude-hook",
    cost: CostEstimate | None = None,
    prices: Mapping[str, PriceOverride] | None = None,
    price_cache: Path | None = None,
) -> dict[str, Any]:
    """The record of one captured run (a subagent, or a main session when *agent_id* is None).

    *cost* is used when given (e.g. a runner-reported figure); otherwise it is
    computed from the price table (through the rates cache *price_cache*)
    and *prices* overrides. When no price is known, ``cost.usd`` is left out
    and ``metadata.cost_note`` says why.
    """
    session = session_id or run.session_id or "unknown"
    agent_id = agent_id or run.agent_id
    estimate = cost if cost is not None else price_requests(run.requests, prices, price_cache)
    usage = run.usage  # summed over the run's requests: once
    record: dict[str, Any] = {
        "agent": agent,
        "success": run.ended_normally,
        "session_id": session,
        "source": source,
        "idempotency_key": idempotency_key(session, agent_id),
        "cost": _cost(run, usage, estimate),
        "turns": run.turns,
        "tool_errors": run.tool_errors,
        "metadata": _metadata(run, usage, agent_id, estimate),
    }
    if run.last_timestamp is not None:
        record["timestamp"] = format_timestamp(run.last_timestamp)
    duration = run.duration_s
    if duration is not None:
        record["execution_time_s"] = round(duration, 3)
    models = run.models
    if models:
        record["model"] = models[0] if len(models) == 1 else list(models)
    return record


def _cost(run: RunTotals, usage: TokenUsage, estimate: CostEstimate) -> dict[str, Any]:
    cost: dict[str, Any] = {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
        "tool_invocations": run.tool_invocations,
    }
    if estimate.usd is not None:
        cost["usd"] = estimate.usd
        cost["source"] = estimate.source
    return cost


def _metadata(
    run: RunTotals, usage: TokenUsage, agent_id: str | None, estimate: CostEstimate
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "cache_write_5m_tokens": usage.cache_write_5m_tokens,
        "cache_write_1h_tokens": usage.cache_write_1h_tokens,
    }
    if agent_id is not None:
        metadata["agent_id"] = agent_id
    if run.version is not None:
        metadata["claude_code_version"] = run.version
    if run.api_errors:
        metadata["api_errors"] = run.api_errors
    if run.interrupted:
        metadata["interrupted"] = True
    if run.malformed_lines:
        metadata["malformed_lines"] = run.malformed_lines
    if estimate.reason is not None:
        metadata["cost_note"] = estimate.reason
    return metadata
